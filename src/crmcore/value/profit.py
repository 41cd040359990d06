"""What a customer has brought and cost: profitability analysis and historical lifetime value.

Both read one ledger of the customer's history up to ``as_of``:

| component | from |
|---|---|
| list revenue | purchases at list price (the price paid where no list price is recorded) |
| discounts | list price − price paid |
| refunds | refunds |
| cost of goods | purchases' ``cost`` (estimated from ``margin_rate`` where missing, if given) |
| care contacts | touchpoints' ``cost`` |
| complaint handling | complaints' ``handling_cost`` |
| compensation | complaints' ``compensation`` |
| acquisition | the customer's ``acquisition_cost`` |

*Profitability* (客户利润分析): list revenue − discounts − refunds − cost of
goods − cost to serve (care contacts, complaint handling, compensation) −
acquisition. *Historical lifetime value* (the source texts' definition):
profit contribution (revenue − refunds − cost of goods) − acquisition cost −
retention costs (care contacts, complaint handling, compensation). The two
agree on the total; they group the components differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from crmcore._model import Value
from crmcore._types import Timestamp, to_moment
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.entities.enums import TransactionKind
from crmcore.history import CustomerHistory, ExactSums
from crmcore.value.selection import SHOWN_BY_SIGNAL

__all__ = [
    "HistoricalValue",
    "Profitability",
    "ProfitabilityPolicy",
    "Signal",
    "historical_value",
    "profitability",
]

_ZERO = Decimal(0)


_COMPONENTS = (
    "list_revenue",
    "paid",
    "discounts",
    "refunds",
    "cost_of_goods",
    "care",
    "complaints",
    "compensation",
    "acquisition",
)
(_LISTED, _PAID, _DISCOUNTS, _REFUNDS, _GOODS, _CARE, _COMPLAINTS, _COMPENSATION, _ACQUISITION) = (
    range(len(_COMPONENTS))
)


class Ledger:
    """The money of one customer's history up to a moment, by component, in one currency.

    Gathered one record at a time, in any order; the portfolio analysis keeps
    one per customer, so the totals are kept as compact exact sums.
    """

    __slots__ = ("as_of", "complaint_count", "costed", "estimated", "margin", "purchases", "sums")

    def __init__(self, customer: Customer, as_of: datetime, margin_rate: float | None):
        self.as_of = as_of
        self.sums = ExactSums(len(_COMPONENTS))
        self.margin = None if margin_rate is None else 1 - Decimal(repr(margin_rate))
        self.purchases = self.costed = self.estimated = 0
        self.complaint_count = 0
        acquisition = customer.acquisition_cost
        if acquisition is not None:
            self.sums.add(_ACQUISITION, acquisition.amount, acquisition.currency)

    @classmethod
    def of(cls, history: CustomerHistory, as_of: datetime, margin_rate: float | None) -> Ledger:
        ledger = cls(history.customer, as_of, margin_rate)
        for sale in history.transactions:
            ledger.sale(sale)
        for contact in history.touchpoints:
            ledger.contact(contact)
        for complaint in history.complaints:
            ledger.complaint(complaint)
        return ledger

    def sale(self, sale: Transaction) -> None:
        if sale.occurred_at > self.as_of:
            return
        add, amount = self.sums.add, sale.amount
        if sale.kind is TransactionKind.REFUND:
            add(_REFUNDS, amount.amount, amount.currency)
            return
        self.purchases += 1
        paid = amount.amount
        add(_PAID, paid, amount.currency)
        listed = sale.list_amount if sale.list_amount is not None else amount
        add(_LISTED, listed.amount, listed.currency)
        add(_DISCOUNTS, listed.amount - paid, listed.currency)
        if sale.cost is not None:
            self.costed += 1
            add(_GOODS, sale.cost.amount, sale.cost.currency)
        elif self.margin is not None:
            self.estimated += 1
            add(_GOODS, paid * self.margin, amount.currency)

    def contact(self, contact: CareTouchpoint) -> None:
        cost = contact.cost
        if cost is not None and contact.occurred_at <= self.as_of:
            self.sums.add(_CARE, cost.amount, cost.currency)

    def complaint(self, complaint: Complaint) -> None:
        if complaint.received_at > self.as_of:
            return
        self.complaint_count += 1
        if complaint.handling_cost is not None:
            cost = complaint.handling_cost
            self.sums.add(_COMPLAINTS, cost.amount, cost.currency)
        if complaint.compensation is not None:
            paid = complaint.compensation
            self.sums.add(_COMPENSATION, paid.amount, paid.currency)

    def _total(self, index: int) -> Decimal:
        total = self.sums.get(index)
        return _ZERO if total is None else total

    @property
    def currency(self) -> str | None:
        return self.sums.currency

    @property
    def list_revenue(self) -> Decimal:
        return self._total(_LISTED)

    @property
    def paid(self) -> Decimal:
        return self._total(_PAID)

    @property
    def discounts(self) -> Decimal:
        return self._total(_DISCOUNTS)

    @property
    def refunds(self) -> Decimal:
        return self._total(_REFUNDS)

    @property
    def cost_of_goods(self) -> Decimal:
        return self._total(_GOODS)

    @property
    def care(self) -> Decimal:
        return self._total(_CARE)

    @property
    def complaints(self) -> Decimal:
        return self._total(_COMPLAINTS)

    @property
    def compensation(self) -> Decimal:
        return self._total(_COMPENSATION)

    @property
    def acquisition(self) -> Decimal:
        return self._total(_ACQUISITION)

    @property
    def contribution(self) -> Decimal:
        return self.paid - self.refunds - self.cost_of_goods

    @property
    def retention_costs(self) -> Decimal:
        return self.care + self.complaints + self.compensation


class HistoricalValue(Value):
    """A customer's historical lifetime value with its breakdown (amounts in ``currency``)."""

    customer_id: str
    as_of: Timestamp
    currency: str | None = Field(description="None when the history holds no amount at all.")
    revenue: Decimal = Field(description="What the customer paid for purchases.")
    refunds: Decimal
    cost_of_goods: Decimal
    contribution: Decimal = Field(description="Revenue − refunds − cost of goods.")
    acquisition: Decimal
    retention_costs: Decimal = Field(
        description="Care contacts + complaint handling + compensation."
    )
    value: Decimal = Field(description="Contribution − acquisition − retention costs.")
    cost_coverage: float | None = Field(
        description="Share of purchases whose cost of goods is recorded; None without purchases."
    )


def historical_value(
    history: CustomerHistory, *, as_of: datetime | str, margin_rate: float | None = None
) -> HistoricalValue:
    """The profit a customer has contributed, less what acquiring and keeping the customer cost.

    Purchases without a recorded cost of goods count at no cost, unless
    ``margin_rate`` estimates it (cost = price paid × (1 − margin rate));
    ``cost_coverage`` says how much was recorded. A history without any amount
    has a value of 0 and no currency.

    Raises:
        CurrencyMismatch: The history's amounts are in more than one currency.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-03-01",
        ...                    amount=Money("300", "CNY"), cost=Money("180", "CNY"))
        >>> customer = Customer(id="C-1", acquisition_cost=Money("50", "CNY"))
        >>> history = CustomerHistory(customer=customer, transactions=[sale])
        >>> result = historical_value(history, as_of="2024-12-31")
        >>> result.contribution, result.value, result.currency
        (Decimal('120'), Decimal('70'), 'CNY')
    """
    moment = to_moment(as_of)
    return ledger_value(Ledger.of(history, moment, margin_rate), history.customer_id)


def ledger_value(ledger: Ledger, customer_id: str) -> HistoricalValue:
    return HistoricalValue(
        customer_id=customer_id,
        as_of=ledger.as_of,
        currency=ledger.currency,
        revenue=ledger.paid,
        refunds=ledger.refunds,
        cost_of_goods=ledger.cost_of_goods,
        contribution=ledger.contribution,
        acquisition=ledger.acquisition,
        retention_costs=ledger.retention_costs,
        value=ledger.contribution - ledger.acquisition - ledger.retention_costs,
        cost_coverage=ledger.costed / ledger.purchases if ledger.purchases else None,
    )


class ProfitabilityPolicy(BaseModel):
    """The thresholds of the good- and bad-customer signals (documented defaults).

    Examples:
        >>> ProfitabilityPolicy().service_share
        0.3
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_share: float = Field(
        default=0.3, gt=0, description="Cost to serve above this share of revenue is costly."
    )
    discount_share: float = Field(
        default=0.3, gt=0, description="Discounts above this share of list revenue are heavy."
    )
    refund_share: float = Field(
        default=0.2, gt=0, description="Refunds above this share of revenue are heavy."
    )
    complaints_per_purchase: float = Field(
        default=0.5, gt=0, description="More complaints per purchase than this is frequent."
    )
    cheap_share: float = Field(
        default=0.05, ge=0, description="Cost to serve below this share of revenue is cheap."
    )


class Signal(Value):
    """One good- or bad-customer signal the data supports, and the texts' criterion it shows."""

    name: str
    good: bool
    detail: str
    criterion: str | None = Field(
        default=None,
        description="The mark of a good or bad customer, or the big-customer risk, it shows "
        "(crmcore.value.selection); None when it shows none of them (heavy refunds) or "
        "warns about the data (missing costs of goods).",
    )


class Profitability(Value):
    """A customer's profitability with every component, and the signals it shows."""

    customer_id: str
    as_of: Timestamp
    currency: str | None
    list_revenue: Decimal
    discounts: Decimal
    refunds: Decimal
    cost_of_goods: Decimal
    care_contacts: Decimal
    complaint_handling: Decimal
    compensation: Decimal
    acquisition: Decimal
    cost_to_serve: Decimal = Field(
        description="Discounts + care contacts + complaint handling + compensation."
    )
    profit: Decimal
    profitable: bool
    cost_coverage: float | None
    signals: tuple[Signal, ...]


def _signals(
    ledger: Ledger, cost_to_serve: Decimal, profit: Decimal, policy: ProfitabilityPolicy
) -> Iterable[Signal]:
    for signal in _raw_signals(ledger, cost_to_serve, profit, policy):
        shown = SHOWN_BY_SIGNAL.get(signal.name)
        yield signal if shown is None else signal.model_copy(update={"criterion": shown})


def _raw_signals(
    ledger: Ledger, cost_to_serve: Decimal, profit: Decimal, policy: ProfitabilityPolicy
) -> Iterable[Signal]:
    revenue = ledger.paid
    if ledger.purchases and profit > 0:
        yield Signal(name="profitable", good=True, detail=f"brought a profit of {profit}")
    elif ledger.purchases and profit < 0:
        yield Signal(name="unprofitable", good=False, detail=f"cost {-profit} more than it brought")
    serve = cost_to_serve - ledger.discounts
    if revenue and serve / revenue > Decimal(repr(policy.service_share)):
        share = float(serve / revenue)
        yield Signal(
            name="costly_to_serve", good=False, detail=f"cost to serve is {share:.0%} of revenue"
        )
    if ledger.list_revenue and ledger.discounts / ledger.list_revenue > Decimal(
        repr(policy.discount_share)
    ):
        share = float(ledger.discounts / ledger.list_revenue)
        yield Signal(
            name="heavy_discounts", good=False, detail=f"discounts are {share:.0%} of list revenue"
        )
    if revenue and ledger.refunds / revenue > Decimal(repr(policy.refund_share)):
        share = float(ledger.refunds / revenue)
        yield Signal(name="heavy_refunds", good=False, detail=f"refunds are {share:.0%} of revenue")
    if ledger.complaint_count and ledger.complaint_count > policy.complaints_per_purchase * max(
        ledger.purchases, 1
    ):
        yield Signal(
            name="frequent_complaints",
            good=False,
            detail=f"{ledger.complaint_count} complaints for {ledger.purchases} purchases",
        )
    if revenue and serve / revenue < Decimal(repr(policy.cheap_share)):
        share = float(serve / revenue)
        yield Signal(
            name="cheap_to_serve", good=True, detail=f"cost to serve is {share:.0%} of revenue"
        )
    if ledger.purchases and ledger.costed + ledger.estimated < ledger.purchases:
        missing = ledger.purchases - ledger.costed - ledger.estimated
        yield Signal(
            name="cost_of_goods_unknown",
            good=False,
            detail=(
                f"no cost of goods for {missing} of {ledger.purchases} purchases: "
                "profit is overstated"
            ),
        )


def profitability(
    history: CustomerHistory,
    *,
    as_of: datetime | str,
    margin_rate: float | None = None,
    policy: ProfitabilityPolicy | None = None,
) -> Profitability:
    """Customer profitability: what the customer brought, less every cost, component by component.

    A customer who costs more than he brings (``profitable`` is False) is a
    candidate to serve at lower cost or to let go. The signals flag what the
    data supports of the source texts' good- and bad-customer criteria
    ([`crmcore.value.selection`][crmcore.value.selection]), each naming the
    criterion it shows: profitable or unprofitable, costly to serve, heavy
    discounts (a big customer's profit risk), heavy refunds, frequent
    complaints, cheap to serve, and a warning when costs of goods are missing.

    Raises:
        CurrencyMismatch: The history's amounts are in more than one currency.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-03-01",
        ...                    amount=Money("80", "CNY"), list_amount=Money("100", "CNY"),
        ...                    cost=Money("60", "CNY"))
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
        >>> result = profitability(history, as_of="2024-12-31")
        >>> result.profit, result.discounts, [s.name for s in result.signals]
        (Decimal('20'), Decimal('20'), ['profitable', 'cheap_to_serve'])
    """
    moment = to_moment(as_of)
    ledger = Ledger.of(history, moment, margin_rate)
    return ledger_profitability(ledger, history.customer_id, policy or ProfitabilityPolicy())


def ledger_profitability(
    ledger: Ledger, customer_id: str, policy: ProfitabilityPolicy
) -> Profitability:
    cost_to_serve = ledger.discounts + ledger.retention_costs
    profit = (
        ledger.list_revenue
        - ledger.refunds
        - ledger.cost_of_goods
        - cost_to_serve
        - ledger.acquisition
    )
    return Profitability(
        customer_id=customer_id,
        as_of=ledger.as_of,
        currency=ledger.currency,
        list_revenue=ledger.list_revenue,
        discounts=ledger.discounts,
        refunds=ledger.refunds,
        cost_of_goods=ledger.cost_of_goods,
        care_contacts=ledger.care,
        complaint_handling=ledger.complaints,
        compensation=ledger.compensation,
        acquisition=ledger.acquisition,
        cost_to_serve=cost_to_serve,
        profit=profit,
        profitable=profit >= 0,
        cost_coverage=ledger.costed / ledger.purchases if ledger.purchases else None,
        signals=tuple(_signals(ledger, cost_to_serve, profit, policy)),
    )
