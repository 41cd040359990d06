"""The three goals of CRM — more customers, longer relationships, deeper ones — in numbers.

The texts [003 ch.2] set CRM three goals: *more* relationships (acquire,
win back), *longer* ones (retention, loyalty) and *deeper* ones (cross-selling
and up-selling). [`crm_goals`][crmcore.retention.goals.crm_goals] measures
each per customer and for the portfolio, comparing the latest window (12
months by default) with the one before it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from pydantic import Field

from crmcore._model import Value
from crmcore._types import Timestamp, to_moment
from crmcore.entities.enums import TransactionKind
from crmcore.errors import CurrencyMismatch
from crmcore.history import CustomerHistory
from crmcore.period import Period

__all__ = ["CustomerGoals", "GoalReport", "crm_goals"]


class CustomerGoals(Value):
    """One customer's relationship against the goals: how long, how deep, growing or not."""

    customer_id: str
    tenure_days: float | None = Field(description="Days from the first purchase to as_of.")
    categories: int = Field(description="Product categories bought, ever (up to as_of).")
    category_share: float | None = Field(
        description="categories ÷ the categories offered; None when none are known."
    )
    new_categories: int = Field(
        description="Categories bought in the latest window and never before (cross-selling)."
    )
    spend: float = Field(description="Purchases less refunds in the latest window.")
    previous_spend: float = Field(description="The same in the window before it.")
    spend_growth: float | None = Field(
        description="spend ÷ previous_spend − 1 (up-selling); None without previous spend."
    )


class GoalReport(Value):
    """The portfolio against the three goals, and each customer's line."""

    as_of: Timestamp
    window: str
    currency: str | None = Field(description="The currency of the spend figures.")
    categories_offered: tuple[str, ...]
    # more
    active: int = Field(description="Customers who bought in the latest window.")
    previously_active: int = Field(description="Customers who bought in the window before.")
    acquired: int = Field(description="Customers whose first purchase is in the latest window.")
    returned: int = Field(
        description="Customers who bought in the latest window after a window without purchases "
        "(won back)."
    )
    # longer
    retained: int = Field(description="Of the previously active, those active again.")
    retention_rate: float | None = Field(description="retained ÷ previously_active.")
    median_tenure_days: float | None = Field(description="Among active customers.")
    # deeper
    mean_category_share: float | None = Field(description="Among active customers.")
    cross_sold: int = Field(description="Active customers who bought a new category.")
    up_sold: int = Field(description="Customers whose spend grew from one window to the next.")
    spend_growth: float | None = Field(
        description="The retained customers' spend in the latest window ÷ theirs in the window "
        "before − 1."
    )
    customers: tuple[CustomerGoals, ...]


_DAY = timedelta(days=1)


def crm_goals(
    histories: Mapping[str, CustomerHistory] | Iterable[CustomerHistory],
    *,
    as_of: datetime | str,
    window: Period | str = "P1Y",
    categories: Iterable[str] | None = None,
) -> GoalReport:
    """Measure the portfolio and each customer against more, longer and deeper.

    *More*: customers active in the latest window, acquired in it, and back
    after a window without purchases. *Longer*: the share of the previous
    window's active customers active again (retention) and their tenure.
    *Deeper*: the share of the offered categories each customer has bought
    (``categories``, by default every category seen in the records), the
    customers who bought a category new to them (cross-selling), and spend
    growth from one window to the next (up-selling). Purchases without a
    category count for spend, not for categories. Amounts are in one
    currency.

    Raises:
        CurrencyMismatch: Amounts in more than one currency.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> def sale(n, day, amount, category):
        ...     return Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                        amount=Money(amount, "CNY"), category=category)
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[
        ...     sale(1, "2024-03-01", "100", "green_tea"), sale(2, "2025-02-01", "120", "green_tea"),
        ...     sale(3, "2025-06-01", "80", "teaware")])
        >>> report = crm_goals([history], as_of="2025-12-31", categories=["green_tea", "teaware", "oolong"])
        >>> (line,) = report.customers
        >>> round(line.category_share, 3), line.new_categories, line.spend_growth
        (0.667, 1, 1.0)
        >>> report.retention_rate, report.cross_sold, report.up_sold
        (1.0, 1, 1)
    """  # noqa: E501
    moment = to_moment(as_of)
    period = window if isinstance(window, Period) else Period.parse(window)
    start = period.before(moment)
    before = period.before(start)
    records = list(histories.values() if isinstance(histories, Mapping) else histories)
    currency: str | None = None
    seen: set[str] = set()
    gathered = []
    for history in records:
        first = None
        spend = {"latest": 0.0, "previous": 0.0}
        bought = {"latest": False, "previous": False, "earlier": False}
        old: set[str] = set()
        new: set[str] = set()
        for sale in history.transactions:
            at = sale.occurred_at
            if at > moment:
                break
            if currency is None:
                currency = sale.amount.currency
            elif sale.amount.currency != currency:
                raise CurrencyMismatch("add", currency, sale.amount.currency)
            when = "latest" if at > start else "previous" if at > before else "earlier"
            sign = 1.0 if sale.kind is TransactionKind.PURCHASE else -1.0
            if when != "earlier":
                spend[when] += sign * float(sale.amount.amount)
            if sale.kind is not TransactionKind.PURCHASE:
                continue
            first = at if first is None else min(first, at)
            bought[when] = True
            if sale.category is not None:
                seen.add(sale.category)
                (new if when == "latest" else old).add(sale.category)
        gathered.append((history.customer_id, first, spend, bought, old, new))
    offered = tuple(sorted(categories if categories is not None else seen))
    lines = []
    active = previously = acquired = returned = retained = cross = up = 0
    tenures: list[float] = []
    shares: list[float] = []
    kept_now = kept_before = 0.0
    for cid, first, spend, bought, old, new in gathered:
        every = old | new
        added = new - old
        growth = spend["latest"] / spend["previous"] - 1 if spend["previous"] > 0 else None
        share = len(every & set(offered)) / len(offered) if offered else None
        tenure = (moment - first) / _DAY if first is not None else None
        lines.append(
            CustomerGoals(
                customer_id=cid,
                tenure_days=tenure,
                categories=len(every),
                category_share=share,
                new_categories=len(added) if old or bought["previous"] or bought["earlier"] else 0,
                spend=spend["latest"],
                previous_spend=spend["previous"],
                spend_growth=growth,
            )
        )
        if bought["latest"]:
            active += 1
            if tenure is not None:
                tenures.append(tenure)
            if share is not None:
                shares.append(share)
            if first is not None and first > start:
                acquired += 1
            elif not bought["previous"]:
                returned += 1
            if added and (old or bought["previous"] or bought["earlier"]):
                cross += 1
        if bought["previous"]:
            previously += 1
            if bought["latest"]:
                retained += 1
                kept_now += spend["latest"]
                kept_before += spend["previous"]
        if growth is not None and growth > 0:
            up += 1
    return GoalReport(
        as_of=moment,
        window=str(period),
        currency=currency,
        categories_offered=offered,
        active=active,
        previously_active=previously,
        acquired=acquired,
        returned=returned,
        retained=retained,
        retention_rate=retained / previously if previously else None,
        median_tenure_days=statistics.median(tenures) if tenures else None,
        mean_category_share=statistics.fmean(shares) if shares else None,
        cross_sold=cross,
        up_sold=up,
        spend_growth=kept_now / kept_before - 1 if kept_before > 0 else None,
        customers=tuple(lines),
    )
