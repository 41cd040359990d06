"""Purchase summaries: the frequency / recency / T / monetary table of the customer-base literature.

The definitions are those of the literature and of its Python tools (the
``lifetimes`` package's ``summary_data_from_transaction_data``), so numbers do
not change when users switch:

* purchases are grouped into **periods** of the unit: calendar days, calendar
  weeks (Monday to Sunday) or calendar months, each purchase on the calendar
  day of its own time zone;
* ``frequency`` = distinct purchase periods − 1 (the repeat periods);
* ``recency`` = last purchase period − first purchase period;
* ``T`` = the observation end's period − first purchase period;
* ``monetary_value`` = the mean of the period totals of the repeat periods
  (the first period left out), 0 without a repeat — the input of the
  Gamma-Gamma spend model, which learns a customer's spend from repeats only;
* ``total_spend`` = the total of every purchase period, the first included —
  what RFM scoring reads (`RfmRow.average_spend` divides it by the purchase
  periods);
* ``unit`` = the unit recency and T are counted in. A model fitted on the
  rows records it, and its predictions refuse rows in another unit.

With ``periods="days"`` purchases are grouped by day whatever the unit, and
recency and T are expressed in the unit, fractionally (days / 7 for weeks):
the published CDNOW estimates were made this way. Refunds are not purchases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, NamedTuple, Protocol

from crmcore._formulas import PLAIN, check_units, period_of_day, rfm_row, unit_scale
from crmcore.entities.enums import TransactionKind
from crmcore.errors import CurrencyMismatch, UsageError
from crmcore.money import Money

__all__ = ["HoldoutRow", "Purchase", "RfmRow", "calibration_holdout", "rfm_summary"]

_ZERO = Decimal(0)
Unit = Literal["days", "weeks", "months"]
Periods = Literal["calendar", "days"]


class Purchase(Protocol):
    """What a summary reads of a transaction: a `Transaction`, or a fast-read `PurchaseRecord`."""

    @property
    def customer_id(self) -> str:
        """The buyer."""

    @property
    def occurred_at(self) -> datetime:
        """When it happened."""

    @property
    def kind(self) -> TransactionKind:
        """A purchase or a refund."""

    @property
    def amount(self) -> Money:
        """What was paid."""


class RfmRow(NamedTuple):
    """One customer's purchase summary."""

    customer_id: str
    frequency: int
    """Repeat purchase periods."""
    recency: float
    """From the first to the last purchase period, in the unit."""
    T: float
    """From the first purchase period to the observation end, in the unit."""
    monetary_value: float
    """The mean total of the repeat periods, 0 without a repeat (the Gamma-Gamma input)."""
    total_spend: float
    """The total of every purchase period, the first included."""
    unit: Unit
    """The unit of recency and T: ``"days"``, ``"weeks"`` or ``"months"``."""

    @property
    def average_spend(self) -> float:
        """The mean total of every purchase period, the first included (0 without purchases)."""
        return self.total_spend / (self.frequency + 1)


class HoldoutRow(NamedTuple):
    """One customer's calibration summary and what the customer did in the holdout period."""

    customer_id: str
    frequency_cal: int
    recency_cal: float
    T_cal: float
    monetary_value_cal: float
    frequency_holdout: int
    """Purchase periods in the holdout period."""
    monetary_value_holdout: float
    """The mean total of those periods, 0 without any."""
    duration_holdout: float
    """The length of the holdout period, in the unit."""
    unit: Unit
    """The unit of the recency, T and duration columns."""


def _day(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


class _Customer:
    """Exact period totals of one customer (memory grows with purchase periods, not purchases)."""

    __slots__ = ("currency", "totals")

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.totals: dict[int, Decimal] = {}


def _gather(
    transactions: Iterable[Purchase], end: date | datetime, unit: Unit, periods: Periods
) -> dict[str, _Customer]:
    customers: dict[str, _Customer] = {}
    by_day = periods == "days" or unit == "days"
    moment = end if isinstance(end, datetime) else None
    last_day = _day(end)
    purchase = TransactionKind.PURCHASE
    for sale in transactions:
        if sale.kind is not purchase:
            continue
        at = sale.occurred_at
        day = at.date()
        if day > last_day or (moment is not None and at > moment):
            continue
        amount = sale.amount
        customer = customers.get(sale.customer_id)
        if customer is None:
            customer = customers[sale.customer_id] = _Customer(amount.currency)
        elif customer.currency != amount.currency:
            raise CurrencyMismatch("summarize", customer.currency, amount.currency)
        period = day.toordinal() if by_day else period_of_day(day, unit, periods)
        totals = customer.totals
        totals[period] = totals.get(period, _ZERO) + amount.amount
    return customers


def rfm_summary(
    transactions: Iterable[Purchase],
    *,
    observation_end: date | datetime,
    unit: Unit = "days",
    periods: Periods = "calendar",
) -> list[RfmRow]:
    """Summarize purchases into one frequency / recency / T / monetary row per customer.

    Transactions may come in any order, interleaved across customers; they
    are read once. They may be `Transaction` entities or, for large files,
    the records of [`read_purchases`][crmcore.io.read_purchases]. Purchases
    after ``observation_end`` (a moment, or a day: every purchase on that day
    counts) are left out. Rows come in the order customers were first met.

    Args:
        transactions: The purchases (refunds are skipped).
        observation_end: The end of the observation period.
        unit: ``"days"``, ``"weeks"`` or ``"months"``.
        periods: ``"calendar"`` groups purchases into calendar periods of the
            unit; ``"days"`` groups them by day and measures recency and T in
            the unit, fractionally (weeks only).

    Raises:
        UsageError: An unknown unit or grouping.
        CurrencyMismatch: One customer's purchases are in two currencies.

    Examples:
        >>> from datetime import date
        >>> from crmcore import Money, Transaction
        >>> def sale(n, day, amount):
        ...     return Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                        amount=Money(amount, "USD"))
        >>> rows = rfm_summary([sale(1, "1997-01-01", "29.33"), sale(2, "1997-01-18", "29.73"),
        ...                     sale(3, "1997-01-18", "10.00")], observation_end=date(1997, 9, 30))
        >>> rows[0]  # doctest: +NORMALIZE_WHITESPACE
        RfmRow(customer_id='C-1', frequency=1, recency=17.0, T=272.0, monetary_value=39.73,
               total_spend=69.06, unit='days')
        >>> round(rows[0].average_spend, 2)
        34.53
    """
    check_units(unit, periods)
    end = period_of_day(_day(observation_end), unit, periods)
    scale = unit_scale(unit, periods)
    rows = []
    for customer_id, customer in _gather(transactions, observation_end, unit, periods).items():
        totals = customer.totals
        first = min(totals)
        total = sum(totals.values(), _ZERO)
        row = rfm_row(
            first, max(totals), len(totals), total - totals[first], total, end, scale, PLAIN
        )
        rows.append(
            RfmRow(
                customer_id,
                row["frequency"],
                row["recency"],
                row["T"],
                row["monetary_value"],
                row["total_spend"],
                unit,
            )
        )
    return rows


def calibration_holdout(
    transactions: Iterable[Purchase],
    *,
    calibration_end: date | datetime,
    observation_end: date | datetime,
    unit: Unit = "days",
    periods: Periods = "calendar",
) -> list[HoldoutRow]:
    """Split purchases at ``calibration_end``: a summary of before, and the purchases after.

    Customers whose first purchase is after the calibration end are left out
    (a model fitted on the calibration period knows nothing of them).

    Raises:
        UsageError: The calibration end is not before the observation end, or
            an unknown unit or grouping.

    Examples:
        >>> from datetime import date
        >>> from crmcore import Money, Transaction
        >>> sales = [Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                      amount=Money("10", "USD"))
        ...          for n, day in enumerate(["1997-01-01", "1997-02-01", "1997-11-05"])]
        >>> row, = calibration_holdout(sales, calibration_end=date(1997, 9, 30),
        ...                            observation_end=date(1998, 6, 30), unit="weeks",
        ...                            periods="days")
        >>> row.frequency_cal, round(row.recency_cal, 3), row.frequency_holdout
        (1, 4.429, 1)
    """
    check_units(unit, periods)
    if _day(calibration_end) >= _day(observation_end):
        raise UsageError("calibration_end must be before observation_end.")
    sales: list[Purchase] = [s for s in transactions if s.kind is TransactionKind.PURCHASE]
    calibration = rfm_summary(sales, observation_end=calibration_end, unit=unit, periods=periods)
    cut = period_of_day(_day(calibration_end), unit, periods)
    after = _gather(sales, observation_end, unit, periods)
    scale = unit_scale(unit, periods)
    duration = (period_of_day(_day(observation_end), unit, periods) - cut) / scale
    rows = []
    for row in calibration:
        later = [total for period, total in after[row.customer_id].totals.items() if period > cut]
        rows.append(
            HoldoutRow(
                row.customer_id,
                row.frequency,
                row.recency,
                row.T,
                row.monetary_value,
                len(later),
                float(sum(later, _ZERO) / len(later)) if later else 0.0,
                duration,
                unit,
            )
        )
    return rows
