"""Choosing customers: the marks of good and bad customers, big customers' risks, target guidelines.

The source texts [003 ch.3] say not every buyer is worth having: good
customers bring profit and take few resources, bad ones bring negative value,
big ones carry risks, and a firm picks its targets by five guidelines. Each
list is a tuple of [`Criterion`][crmcore.value.selection.Criterion] entries
in the texts' order. Where records can show a criterion,
[`profitability`][crmcore.value.profit.profitability] raises the signals
named in ``signals`` (each signal says which criterion it shows); where they
cannot, the criterion is a checklist item for people (``signals`` is empty,
``shown_by`` may name another result that helps).

Examples:
    >>> [c.name for c in BAD_CUSTOMER]
    ['costs_more_than_brings', 'bad_credit', 'off_strategy']
    >>> criterion("costs_more_than_brings").signals
    ('unprofitable', 'costly_to_serve', 'frequent_complaints')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BAD_CUSTOMER",
    "BIG_CUSTOMER_RISKS",
    "GOOD_CUSTOMER",
    "SHOWN_BY_SIGNAL",
    "TARGET_GUIDELINES",
    "Criterion",
    "criterion",
]


@dataclass(frozen=True)
class Criterion:
    """One mark, risk or guideline of customer selection.

    Attributes:
        name: A stable key (lower case, underscores).
        term: The source texts' words.
        description: What it means, in a sentence.
        signals: The `profitability` signals that show it in the records
            (empty: a checklist item).
        shown_by: Another crmcore result that helps judge it, or ``None``.
    """

    name: str
    term: str
    description: str
    signals: tuple[str, ...] = ()
    shown_by: str | None = None

    @property
    def checklist(self) -> bool:
        """True when no profitability signal shows it: people judge it."""
        return not self.signals


#: The six marks of a good customer (好客户).
GOOD_CUSTOMER: tuple[Criterion, ...] = (
    Criterion(
        "buys_much",
        "购买欲望强烈、购买力大",
        "strong demand and buying power, much of it for the firm's high-margin products",
        shown_by="crmcore.value.pyramid (the top tiers) and the contribution margin",
    ),
    Criterion(
        "profitable",
        "能够保证企业赢利,对价格的敏感度低,付款及时,信誉良好",
        "brings a profit, is not price sensitive, pays on time, keeps its word",
        signals=("profitable",),
        shown_by="the price sensitivity metric of crmcore.scoring",
    ),
    Criterion(
        "cheap_to_serve",
        "服务成本较低",
        "needs little service, relative to what it brings",
        signals=("cheap_to_serve",),
    ),
    Criterion(
        "low_risk",
        "经营风险小,有良好的发展前景",
        "a sound business with good prospects",
    ),
    Criterion(
        "improves_the_firm",
        "让企业做擅长的事,友善地教导企业",
        "asks for what the firm does well and, by new demands, teaches it to do better",
    ),
    Criterion(
        "cooperative",
        "合作意愿高,忠诚度高,积极与企业建立长期伙伴关系",
        "willing to cooperate, loyal, keen on a long-term partnership",
        shown_by="crmcore.scoring.loyalty and crmcore.retention.suggest_level",
    ),
)

#: The three marks of a bad customer (坏客户).
BAD_CUSTOMER: tuple[Criterion, ...] = (
    Criterion(
        "costs_more_than_brings",
        "只向企业购买很少一部分产品或服务,但要求却很多",
        "buys little but demands much: costs the firm more than it brings",
        signals=("unprofitable", "costly_to_serve", "frequent_complaints"),
    ),
    Criterion(
        "bad_credit",
        "不讲信誉,给企业带来呆账、坏账以及诉讼",
        "does not keep its word: bad debts, write-offs, lawsuits",
    ),
    Criterion(
        "off_strategy",
        "让企业做不擅长或做不了的事",
        "asks for what the firm does badly or cannot do, pulling it off its strategy",
    ),
)

#: The four risks of a big customer (大客户).
BIG_CUSTOMER_RISKS: tuple[Criterion, ...] = (
    Criterion(
        "financial_risk",
        "财务风险大",
        "large credit outstanding: a default hurts",
    ),
    Criterion(
        "profit_risk",
        "利润风险大",
        "bargaining power that squeezes prices and margins",
        signals=("heavy_discounts",),
    ),
    Criterion(
        "management_risk",
        "管理风险大",
        "demands that strain the firm's management and may steer it",
    ),
    Criterion(
        "churn_risk",
        "流失风险大",
        "courted by competitors; losing it costs a large share of revenue",
        shown_by="crmcore.retention.at_risk (value at risk)",
    ),
)

#: The five guidelines for choosing target customers (目标客户的选择的五个指导思想).
TARGET_GUIDELINES: tuple[Criterion, ...] = (
    Criterion(
        "fits_positioning",
        "选择与企业定位一致的客户",
        "customers the firm's positioning and offer are made for",
    ),
    Criterion(
        "good_customer",
        "选择“好客户”",
        "customers with the marks of a good customer",
        signals=("profitable", "cheap_to_serve"),
    ),
    Criterion(
        "has_potential",
        "选择有潜力的客户",
        "customers who can grow: much of their category spend is still elsewhere",
        shown_by="CustomerSummary.wallet_left and the report's upgrade_potential",
    ),
    Criterion(
        "matched",
        "选择“门当户对”的客户",
        "customers whose size and needs match the firm's strength",
    ),
    Criterion(
        "like_loyal_customers",
        "选择与“忠诚客户”具有相似特征的客户",
        "prospects who resemble the firm's loyal customers",
        shown_by="crmcore.lifecycle (who is loyal) and Customer.segment",
    ),
)

_ALL = {c.name: c for c in (*GOOD_CUSTOMER, *BAD_CUSTOMER, *BIG_CUSTOMER_RISKS)}
#: Which mark or risk each profitability signal shows (the first that names it).
SHOWN_BY_SIGNAL: dict[str, str] = {}
for _criterion in _ALL.values():
    for _signal in _criterion.signals:
        SHOWN_BY_SIGNAL.setdefault(_signal, _criterion.name)


def criterion(name: str) -> Criterion:
    """The good- or bad-customer mark, or big-customer risk, of that name.

    (Target guidelines are looked up in `TARGET_GUIDELINES`: ``good_customer``
    is a guideline, not a mark.)

    Raises:
        KeyError: No such criterion; the message lists the names.

    Examples:
        >>> criterion("profit_risk").signals
        ('heavy_discounts',)
    """
    found = _ALL.get(name)
    if found is None:
        raise KeyError(f"No criterion named {name!r}; the criteria are {', '.join(_ALL)}.")
    return found
