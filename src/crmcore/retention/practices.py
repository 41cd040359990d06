"""The practices the source texts list in full, as data: what each is, where it applies, what carries it.

Each list is a tuple of [`Practice`][crmcore.retention.practices.Practice]
entries in the texts' order, with the texts' term, a short description, who or
when it applies to, the group it belongs to (a layer, a side) and, where
crmcore records or carries it out, the API that does. A practice no record
can show is a checklist item: ``carried_by`` is ``None``.

| list | texts | entries |
|---|---|---|
| `CHURN_PREVENTION` | 防止客户非正常流失 — the ways to keep customers [002] | 6 |
| `LOYALTY_DRIVERS` | 客户忠诚的影响因素 [003 ch.9] | 5 |
| `LOYALTY_STRATEGIES` | 客户忠诚策略 [003 ch.9] | 8 |
| `RETENTION_FACTORS` | 客户保持的影响因素 [000] | 4 |
| `RETENTION_METHODS` | 客户保持的方式, in three layers [000] | 5 |
| `CARE_VARIABLES` | the four marketing variables that matter most to care [001] | 4 |

Examples:
    >>> [p.name for p in CHURN_PREVENTION]
    ['regular_contact', 'service_guarantee', 'personalised_service', 'partnership', 'visit_departed', 'prompt_recovery']
    >>> practice("service_guarantee").term
    '向客户提供服务保证'
"""  # noqa: E501

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CARE_VARIABLES",
    "CHURN_PREVENTION",
    "LOYALTY_DRIVERS",
    "LOYALTY_STRATEGIES",
    "RETENTION_FACTORS",
    "RETENTION_METHODS",
    "Practice",
    "practice",
]


@dataclass(frozen=True)
class Practice:
    """One entry of a list the texts give: a method, a strategy, a driver or a factor.

    Attributes:
        name: A stable key (lower case, underscores).
        term: The source texts' term.
        description: What it is, in a sentence.
        applies_to: Who or when it applies to.
        group: The group it belongs to in its list (a layer, whether the firm
            controls it), or ``None``.
        carried_by: The crmcore API that records, measures or carries it out,
            or ``None`` for a checklist item no record shows.
    """

    name: str
    term: str
    description: str
    applies_to: str
    group: str | None = None
    carried_by: str | None = None


#: The six ways to keep customers from leaving for no good reason [002].
CHURN_PREVENTION: tuple[Practice, ...] = (
    Practice(
        "regular_contact",
        "定期与客户联络",
        "keep in touch with customers at a set cadence, not only when selling",
        "customers still buying, more often the higher their tier",
        carried_by="crmcore.retention.plan_care (regular contact by tier)",
    ),
    Practice(
        "service_guarantee",
        "向客户提供服务保证",
        "promise a standard of service and what the customer gets when it is missed",
        "every customer; stated before the purchase",
        carried_by="crmcore.complaints.SlaPolicy (the promised response and resolution times)",
    ),
    Practice(
        "personalised_service",
        "提供个性化服务",
        "serve each customer by what is known of them: preferences, important dates, history",
        "customers whose profile and history are recorded",
        carried_by="crmcore.retention.plan_care (greetings on the customer's own dates)",
    ),
    Practice(
        "partnership",
        "建立伙伴关系",
        "work with the customer as a partner: shared plans, mutual benefit, closer ties",
        "key customers and organisations",
        carried_by="crmcore.retention.suggest_level (how close the relationship is)",
    ),
    Practice(
        "visit_departed",
        "访问离去客户",
        "visit customers who left, learn why, and win back those worth it",
        "churned customers",
        carried_by="crmcore.retention.win_back_plan (the five visit steps)",
    ),
    Practice(
        "prompt_recovery",
        "紧急补救失误",
        "put a service failure right at once, before the customer leaves over it",
        "customers who complained or met a failure",
        carried_by="crmcore.entities.enums.RecoveryAction (the seven recovery measures)",
    ),
)

#: The five drivers of loyalty [003 ch.9]; each, working the other way, drives churn.
LOYALTY_DRIVERS: tuple[Practice, ...] = (
    Practice(
        "satisfaction",
        "客户满意",
        "the more satisfied, the more loyal — though satisfied customers are not always loyal",
        "every customer",
        carried_by="crmcore.scoring.satisfaction",
    ),
    Practice(
        "loyalty_benefit",
        "客户因忠诚能够获得多少利益",
        "what staying brings the customer: rewards, privileges, better terms",
        "repeat and loyal customers",
        carried_by="crmcore.entities.enums.ChurnReason.LITTLE_LOYALTY_BENEFIT (when it fails)",
    ),
    Practice(
        "trust_and_emotion",
        "客户的信任因素和情感因素",
        "the customer's trust in the firm and emotional ties to it",
        "every customer",
        carried_by="crmcore.entities.enums.CompetitorAttitude (the attitude recorded)",
    ),
    Practice(
        "switching_cost",
        "客户的转换成本",
        "what moving to another supplier would cost the customer",
        "every customer; low in the exploration phase",
        carried_by="crmcore.retention.relationship_phase (switching cost by phase)",
    ),
    Practice(
        "other",
        "其他因素",
        "other ties: structural links, habit, no alternative (captive loyalty)",
        "every customer",
    ),
)

#: The eight loyalty strategies [003 ch.9].
LOYALTY_STRATEGIES: tuple[Practice, ...] = (
    Practice(
        "achieve_satisfaction",
        "努力实现客户满意",
        "meet and exceed expectations; promise no more than is delivered",
        "every customer",
        carried_by="crmcore.scoring.satisfaction",
    ),
    Practice(
        "reward_loyalty",
        "奖励忠诚",
        "give loyal customers more: points, discounts, privileges by tier",
        "repeat and loyal customers",
        carried_by="crmcore.value.pyramid (who earns which treatment)",
    ),
    Practice(
        "build_trust_and_emotion",
        "增加客户对企业的信任与情感",
        "keep promises, care beyond the sale, remember the customer's dates",
        "every customer",
        carried_by="crmcore.retention.plan_care",
    ),
    Practice(
        "raise_switching_cost",
        "提高转换成本",
        "make leaving costly: accumulated benefits, integration, learning invested",
        "customers in the exploration and formation phases",
    ),
    Practice(
        "structural_ties",
        "加强与客户的结构性联系",
        "tie the firm into the customer's operations: shared systems, joint processes",
        "organisations and key customers",
    ),
    Practice(
        "unique_service",
        "提高服务的独特性与不可替代性",
        "offer what competitors cannot easily copy",
        "every customer",
    ),
    Practice(
        "internal_management",
        "加强内部管理,为客户忠诚提供坚实的保障",
        "manage staff and processes so that every contact keeps the promise",
        "the firm itself",
    ),
    Practice(
        "customer_organisation",
        "建立客户组织,稳定客户队伍",
        "organise customers in clubs and member associations",
        "repeat and loyal customers",
    ),
)

#: The four factors that influence retention [000].
RETENTION_FACTORS: tuple[Practice, ...] = (
    Practice(
        "buyer_characteristics",
        "客户购买行为受到文化、社会环境、个人特性和心理等方面的影响",
        "culture, social setting, personal traits and psychology shape what customers buy",
        "every customer; useful to understand segments",
        group="outside the firm's control",
        carried_by="crmcore.entities.Customer.segment (the attributes recorded)",
    ),
    Practice(
        "satisfaction",
        "客户满意与客户保持有着非线性的正相关关系",
        "satisfaction raises retention, not in a straight line",
        "every customer",
        group="within the firm's influence",
        carried_by="crmcore.scoring.satisfaction",
    ),
    Practice(
        "switching_cost",
        "转移成本",
        "the cost of moving to another supplier, set by competition and the cost of a new "
        "relationship",
        "every customer",
        group="within the firm's influence",
        carried_by="crmcore.retention.relationship_phase (switching cost by phase)",
    ),
    Practice(
        "relationship_lifecycle",
        "客户关系具备明显的生命周期的特征",
        "retention tasks differ by the relationship's phase: customers leave easily while "
        "exploring, settle as trading goes on",
        "every buying customer",
        group="within the firm's influence",
        carried_by="crmcore.retention.relationship_phase",
    ),
)

#: The five ways to retain customers, in three layers [000]: quality first; brand
#: image and service second; price benefits and emotional investment third.
RETENTION_METHODS: tuple[Practice, ...] = (
    Practice(
        "quality",
        "注重质量",
        "lasting, consistent product quality, improved as customers' needs change",
        "every customer",
        group="layer 1",
        carried_by="crmcore.scoring.metrics (quality tolerance, complaint rate)",
    ),
    Practice(
        "service",
        "优质服务",
        "service as good as the product: reliable, timely, courteous",
        "every customer",
        group="layer 2",
        carried_by="crmcore.complaints (SLA clocks) and crmcore.retention.care_kpis",
    ),
    Practice(
        "brand_image",
        "品牌形象",
        "a brand customers ask for by name",
        "every customer",
        group="layer 2",
        carried_by="crmcore.scoring.metrics (designation, 指名度)",
    ),
    Practice(
        "price_benefits",
        "价格优惠",
        "value the customer recognises: knowledge, better quality, flexible payment — not "
        "only low prices",
        "repeat and loyal customers; intermediaries",
        group="layer 3",
    ),
    Practice(
        "emotional_investment",
        "感情投入",
        "ties beyond the goods: birthdays, anniversaries, the customer's important days",
        "customers in an established relationship",
        group="layer 3",
        carried_by="crmcore.retention.plan_care (greetings)",
    ),
)

#: The four marketing variables that matter most to customer care [001]; product
#: and service is its core.
CARE_VARIABLES: tuple[Practice, ...] = (
    Practice(
        "product_and_service",
        "产品和服务",
        "the offer itself and the service around it: the core of care",
        "every customer, at every purchase stage",
        group="core",
        carried_by="crmcore.retention.plan_care (order checks, follow-ups)",
    ),
    Practice(
        "communication",
        "沟通方式",
        "how and how often the firm talks with the customer: channel, tone, timing",
        "every customer",
        carried_by="crmcore.entities.enums.Channel and plan_care's channels by tier",
    ),
    Practice(
        "sales_incentives",
        "销售激励",
        "offers and rewards that move the customer to buy again",
        "prospects, repeat buyers, customers to win back",
        carried_by="Transaction.promotion and CustomerSummary.promotion_dependence",
    ),
    Practice(
        "public_relations",
        "公共关系",
        "the firm's standing with the public, which the customer shares",
        "every customer",
        carried_by="crmcore.entities.enums.Channel.PUBLIC_RELATIONS",
    ),
)

_ALL = {
    p.name: p for p in (*CHURN_PREVENTION, *LOYALTY_STRATEGIES, *RETENTION_METHODS, *CARE_VARIABLES)
}


def practice(name: str) -> Practice:
    """The churn-prevention method, loyalty strategy, retention method or care variable named.

    (Drivers and factors share names with strategies: look them up in their lists.)

    Raises:
        KeyError: No such practice; the message lists the names.

    Examples:
        >>> practice("customer_organisation").term
        '建立客户组织,稳定客户队伍'
    """
    found = _ALL.get(name)
    if found is None:
        raise KeyError(f"No practice named {name!r}; the practices are {', '.join(_ALL)}.")
    return found
