"""Who the generated customers are: six behaviours, and the data tables they draw from.

Names, regions, occupations, the product catalogue and its prices, channels
and their costs, complaint wording, severities and handling times: data,
kept apart from the code that draws from it (`crmcore.datasets._generator`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone
from decimal import Decimal

from crmcore.entities import (
    Channel,
    CompetitorAttitude,
    ComplaintCategory,
    RecoveryAction,
    RelationshipLevel,
    Severity,
)

LOCAL = timezone(timedelta(hours=8))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Behaviour:
    name: str
    share: float
    mean_gap_days: float
    basket_factor: float
    discount_p: float
    promotion_p: float
    designated_p: float
    selection_minutes: float
    complaint_p: float
    accept_p: float
    recommend_mean: float
    attitudes: tuple[float, float, float, float]  # rejects, indifferent, interested, switching
    levels: tuple[float, float, float, float]  # passerby, acquaintance, friend, confidant


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        "prospect",
        0.16,
        0,
        1.0,
        0.3,
        0.3,
        0.2,
        15,
        0.02,
        0.7,
        6.0,
        (0.05, 0.45, 0.40, 0.10),
        (0.85, 0.14, 0.01, 0.0),
    ),
    Behaviour(
        "one_time",
        0.19,
        0,
        0.9,
        0.35,
        0.45,
        0.2,
        14,
        0.08,
        0.7,
        6.5,
        (0.05, 0.40, 0.40, 0.15),
        (0.70, 0.27, 0.03, 0.0),
    ),
    Behaviour(
        "occasional",
        0.26,
        70,
        1.0,
        0.3,
        0.35,
        0.35,
        11,
        0.05,
        0.8,
        7.2,
        (0.15, 0.50, 0.30, 0.05),
        (0.45, 0.45, 0.09, 0.01),
    ),
    Behaviour(
        "loyal",
        0.18,
        21,
        1.25,
        0.1,
        0.12,
        0.7,
        4,
        0.03,
        0.92,
        9.0,
        (0.60, 0.35, 0.05, 0.0),
        (0.10, 0.45, 0.30, 0.15),
    ),
    Behaviour(
        "churned",
        0.15,
        45,
        0.9,
        0.4,
        0.5,
        0.2,
        13,
        0.14,
        0.5,
        4.8,
        (0.02, 0.25, 0.40, 0.33),
        (0.55, 0.38, 0.06, 0.01),
    ),
    Behaviour(
        "won_back",
        0.06,
        40,
        1.0,
        0.3,
        0.4,
        0.35,
        9,
        0.08,
        0.75,
        7.0,
        (0.20, 0.45, 0.30, 0.05),
        (0.35, 0.45, 0.17, 0.03),
    ),
)

BEHAVIOUR_SHARES = tuple(b.share for b in BEHAVIOURS)

SURNAMES = (
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Xu",
    "Sun",
    "Ma",
    "Zhu",
    "Hu",
    "Guo",
    "He",
    "Lin",
    "Luo",
    "Gao",
)
GIVEN = (
    "Wei",
    "Fang",
    "Na",
    "Min",
    "Jing",
    "Lei",
    "Qiang",
    "Yan",
    "Jie",
    "Tao",
    "Ming",
    "Xia",
    "Hui",
    "Ping",
    "Gang",
    "Ying",
    "Hua",
    "Lan",
    "Bo",
    "Yu",
    "Chen",
    "Xin",
)
ORG_WORDS = (
    "Hengda",
    "Jinhua",
    "Taihe",
    "Xinyuan",
    "Longteng",
    "Ruifeng",
    "Dahua",
    "Mingde",
    "Huaxia",
    "Changan",
    "Yongsheng",
    "Tianyi",
)
ORG_SUFFIX = (
    "Trading Co.",
    "Hotel Group",
    "Tea House",
    "Catering Ltd.",
    "Gifts Co.",
    "Office Supplies",
    "Holdings",
)
REGIONS = ("Shanghai", "Beijing", "Guangdong", "Zhejiang", "Jiangsu", "Sichuan", "Hubei", "Fujian")
OCCUPATIONS = (
    "office worker",
    "teacher",
    "engineer",
    "retired",
    "self-employed",
    "civil servant",
    "student",
    "doctor",
)
INDUSTRIES = ("hospitality", "retail", "catering", "corporate gifts", "education")
SIZES = ("small", "medium", "large")
INCOMES = ("low", "middle", "upper-middle", "high")
CATALOG: dict[str, tuple[str, ...]] = {
    "green_tea": ("Longjing 250g", "Biluochun 200g", "Maofeng 250g"),
    "oolong": ("Tieguanyin 250g", "Dahongpao 200g", "Dancong 150g"),
    "black_tea": ("Keemun 250g", "Dianhong 250g", "Lapsang 200g"),
    "teaware": ("Yixing teapot", "Gaiwan set", "Glass kettle", "Tea tray"),
    "gift_box": ("Festival gift box", "Business gift box", "Tasting set"),
}
CATEGORY_WEIGHTS = (0.3, 0.22, 0.2, 0.13, 0.15)
CATEGORY_PRICE = {
    "green_tea": 1.0,
    "oolong": 1.1,
    "black_tea": 0.8,
    "teaware": 2.2,
    "gift_box": 2.8,
}
SALES_CHANNELS = ("store", "web", "app", "phone", "sales_rep")
ACQUISITION = {
    "referral": 20.0,
    "web": 35.0,
    "store": 15.0,
    "event": 80.0,
    "advertising": 60.0,
    "sales_visit": 200.0,
}
CONTACT_COST = {
    Channel.VISIT: 150.0,
    Channel.EVENT: 60.0,
    Channel.LETTER: 3.0,
    Channel.PHONE: 4.0,
    Channel.SMS: 0.1,
    Channel.EMAIL: 0.02,
    Channel.WEB: 0.05,
    Channel.CALL_CENTER: 6.0,
    Channel.ADVERTISING: 1.5,
    Channel.PUBLIC_RELATIONS: 2.0,
    Channel.PACKAGING: 1.0,
    Channel.SOCIAL: 0.3,
}
COMPLAINT_TEXT = {
    ComplaintCategory.PRODUCT_QUALITY: "The tea tasted stale and the leaves were broken.",
    ComplaintCategory.SERVICE: "Nobody answered the service line for two days.",
    ComplaintCategory.PRICE: "The price rose without notice since the last order.",
    ComplaintCategory.DELIVERY: "The parcel arrived late and the box was crushed.",
    ComplaintCategory.STAFF: "The shop assistant was impatient and unfriendly.",
    ComplaintCategory.BILLING: "I was charged twice for the same order.",
    ComplaintCategory.OTHER: "The loyalty points were not credited.",
}
CATEGORY_WEIGHTS_COMPLAINT = (0.3, 0.15, 0.1, 0.2, 0.1, 0.08, 0.07)
SEVERITY_WEIGHTS = (0.35, 0.35, 0.2, 0.1)
# Hours to acknowledge and days to resolve, by severity (typical, before noise).
ACK_HOURS = {Severity.LOW: 30.0, Severity.MEDIUM: 12.0, Severity.HIGH: 4.0, Severity.CRITICAL: 1.5}
RESOLVE_DAYS = {Severity.LOW: 8.0, Severity.MEDIUM: 5.0, Severity.HIGH: 3.0, Severity.CRITICAL: 1.5}
HANDLING_COST = {
    Severity.LOW: 20.0,
    Severity.MEDIUM: 50.0,
    Severity.HIGH: 120.0,
    Severity.CRITICAL: 300.0,
}


ACQUISITION_CHANNELS = tuple(ACQUISITION)
LEVELS = tuple(RelationshipLevel)
ATTITUDES = tuple(CompetitorAttitude)
COMPLAINT_CATEGORIES = tuple(ComplaintCategory)
SEVERITIES = tuple(Severity)
RECOVERY_ACTIONS = tuple(RecoveryAction)
CATEGORIES = tuple(CATALOG)
