"""Cohort retention: customers grouped by when they first bought, and how many keep buying.

A cohort is the customers whose first purchase fell in one calendar period
(a week from Monday, a month, a quarter or a year). For each later period
``k`` (0 is the acquisition period) the table gives:

* ``active[k]``: cohort members who bought in period k (customers may skip a
  period and come back, so this can rise again);
* ``surviving[k]``: members who bought in period k or in any later observed
  period — still customers as far as the data can tell; never increases.

Periods are calendar periods of each purchase's own calendar day; the period
holding ``as_of`` counts, observed up to ``as_of``. Refunds are not purchases.

The **retention rate** the retention-based lifetime value needs is pooled over
every cohort and every pair of consecutive, completely observed periods:
Σ members active in both k and k + 1 ÷ Σ members active in k.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from crmcore._formulas import period_of_day
from crmcore._model import Value
from crmcore._types import Timestamp, to_moment
from crmcore.entities.enums import TransactionKind
from crmcore.errors import UsageError
from crmcore.history import CustomerHistory
from crmcore.tabular import Column, Table, Tabular

__all__ = ["Cohort", "CohortTable", "cohorts"]

PeriodName = Literal["week", "month", "quarter", "year"]


class Cohort(Value):
    """The customers acquired in one period, and how many bought in each period after."""

    start: date = Field(description="The first day of the acquisition period.")
    size: int = Field(description="Customers whose first purchase fell in the period.")
    active: tuple[int, ...] = Field(description="Members who bought in period k (0 = acquisition).")
    surviving: tuple[int, ...] = Field(
        description="Members who bought in period k or in a later observed period."
    )

    @property
    def active_shares(self) -> tuple[float, ...]:
        """``active`` as shares of the cohort's size."""
        return tuple(n / self.size for n in self.active)

    @property
    def surviving_shares(self) -> tuple[float, ...]:
        """``surviving`` as shares of the cohort's size."""
        return tuple(n / self.size for n in self.surviving)


class CohortTable(Value, Tabular):
    """Every cohort, oldest first, and the pooled period-to-period retention rate."""

    period: PeriodName
    as_of: Timestamp
    cohorts: tuple[Cohort, ...]
    retention_rate: float | None = Field(
        description="Pooled retention between consecutive complete periods; None without any."
    )

    def table(self) -> Table:
        """One row per cohort and period since acquisition (0 = the acquisition period).

        Examples:
            >>> from datetime import date
            >>> one = Cohort(start=date(2025, 1, 1), size=4, active=(4, 2), surviving=(4, 2))
            >>> table = CohortTable(period="month", as_of="2025-02-28T23:59:59Z", cohorts=(one,),
            ...                     retention_rate=0.5).table()
            >>> table.names
            ('cohort', 'size', 'period', 'active', 'surviving', 'active_share', 'surviving_share')
            >>> table.rows[1][2:]
            (1, 2, 2, 0.5, 0.5)
        """
        return Table(
            "cohorts",
            (
                Column("cohort", "date", "The first day of the acquisition period."),
                Column("size", "integer", "Customers whose first purchase fell in the period."),
                Column("period", "integer", f"{self.period.capitalize()}s since acquisition."),
                Column("active", "integer", "Members who bought in the period."),
                Column("surviving", "integer", "Members who bought in it or later."),
                Column("active_share", "number", "active / size."),
                Column("surviving_share", "number", "surviving / size."),
            ),
            (
                (c.start, c.size, k, active, surviving, active / c.size, surviving / c.size)
                for c in self.cohorts
                for k, (active, surviving) in enumerate(zip(c.active, c.surviving, strict=True))
            ),
        )


def _index(day: date, period: PeriodName) -> int:
    if period in ("week", "month"):  # Monday-to-Sunday weeks, calendar months
        return period_of_day(day, f"{period}s", "calendar")
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year


def _start(index: int, period: PeriodName) -> date:
    if period == "week":
        return date.fromordinal(index * 7 + 1)
    if period == "month":
        return date(index // 12, index % 12 + 1, 1)
    if period == "quarter":
        return date(index // 4, (index % 4) * 3 + 1, 1)
    return date(index, 1, 1)


def cohorts(
    histories: Mapping[str, CustomerHistory] | Iterable[CustomerHistory],
    *,
    as_of: datetime | str,
    period: PeriodName = "month",
) -> CohortTable:
    """Group customers by acquisition period and count who keeps buying, period by period.

    Customers without a purchase by ``as_of`` belong to no cohort. Cohorts
    come oldest first; an empty portfolio gives no cohorts and no rate.

    Raises:
        UsageError: An unknown period.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> def history(cid, *days):
        ...     return CustomerHistory(customer=Customer(id=cid), transactions=[
        ...         Transaction(id=f"T-{n}", customer_id=cid, occurred_at=day,
        ...                     amount=Money("10", "CNY")) for n, day in enumerate(days)])
        >>> table = cohorts([history("A", "2024-01-05", "2024-02-10"),
        ...                  history("B", "2024-01-20", "2024-03-01"),
        ...                  history("C", "2024-02-02")], as_of="2024-03-31")
        >>> [(c.start.isoformat(), c.size, c.active, c.surviving) for c in table.cohorts]
        [('2024-01-01', 2, (2, 1, 1), (2, 2, 1)), ('2024-02-01', 1, (1, 0), (1, 0))]
        >>> table.retention_rate
        0.5
    """
    if period not in ("week", "month", "quarter", "year"):
        raise UsageError(f"period must be 'week', 'month', 'quarter' or 'year', not {period!r}.")
    moment = to_moment(as_of)
    last = _index(moment.date(), period)
    records = histories.values() if isinstance(histories, Mapping) else histories
    members: dict[int, list[set[int]]] = {}
    for history in records:
        bought = {
            _index(sale.occurred_at.date(), period)
            for sale in history.transactions
            if sale.kind is TransactionKind.PURCHASE and sale.occurred_at <= moment
        }
        if bought:
            members.setdefault(min(bought), []).append(bought)
    table = []
    kept = seen = 0
    for first in sorted(members):
        group = members[first]
        span = last - first + 1
        active = tuple(sum(first + k in b for b in group) for k in range(span))
        surviving = tuple(sum(max(b) >= first + k for b in group) for k in range(span))
        table.append(
            Cohort(start=_start(first, period), size=len(group), active=active, surviving=surviving)
        )
        for k in range(span - 2):  # pairs of complete periods: the current one is still open
            seen += active[k]
            kept += sum(first + k in b and first + k + 1 in b for b in group)
    return CohortTable(
        period=period,
        as_of=moment,
        cohorts=tuple(table),
        retention_rate=kept / seen if seen else None,
    )
