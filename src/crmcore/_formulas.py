"""Per-customer formulas written once, for Python values and for dataframe expressions.

A formula is a function of a customer's raw figures (``f``: attributes
named as `CustomerSummary`'s fields, or as the columns of
``crmcore.frame.summarize``) and of a few operations (`Ops`). The pure engine
evaluates it on one customer's Python values with `PLAIN`; the dataframe
engine on column expressions, for every customer at once. Arithmetic and
comparisons are the operators both kinds of value have; everything else —
a choice, a ratio that may have no denominator, a missing value — goes
through ``ops``, so one definition serves both engines.

Missing is ``None`` in Python and null in a dataframe. Branches that may
fail on Python values (a division by zero, arithmetic on ``None``) are
given as functions of no argument, called only where they apply.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol

from crmcore.errors import UsageError

__all__ = [
    "DERIVED",
    "PLAIN",
    "Ops",
    "check_units",
    "complaint_share",
    "designation_share",
    "net_spend",
    "period_number",
    "period_of_day",
    "promotion_dependence",
    "quality_tolerance",
    "repeat_occasions_total",
    "reputation",
    "rfm_row",
    "share_of_wallet",
    "unit_scale",
    "wallet_left",
    "window_repeat_occasions",
    "yearly_spend",
]


class Ops(Protocol):
    """What a formula needs beyond arithmetic and comparisons, for one engine."""

    def where(self, condition: Any, then: Any, otherwise: Any) -> Any:
        """``then`` where ``condition`` holds, else ``otherwise`` (both already values)."""

    def clip(self, value: Any, low: float, high: float) -> Any:
        """``value`` kept within ``low`` and ``high``."""

    def lookup(self, value: Any, table: Mapping[str, float]) -> Any:
        """The number ``table`` gives for category ``value``."""

    def only(self, condition: Any, value: Callable[[], Any]) -> Any:
        """``value()`` where ``condition`` holds, else missing."""

    def ratio(self, numerator: Any, denominator: Any) -> Any:
        """``numerator / denominator`` as a float, missing where the denominator is 0."""

    def present(self, value: Any) -> Any:
        """Whether ``value`` is given (not missing)."""

    def default(self, value: Any, fallback: float) -> Any:
        """``value``, or ``fallback`` where it is missing."""

    def amount(self, money: Any) -> Any:
        """The amount of a sum of money, 0 where there is none."""

    def number(self, value: Any) -> Any:
        """``value`` as a float."""


class _Plain:
    """The operations on one customer's Python values (money as `Money`, exact)."""

    def where(self, condition: Any, then: Any, otherwise: Any) -> Any:
        return then if condition else otherwise

    def clip(self, value: Any, low: float, high: float) -> Any:
        return min(max(value, low), high)

    def lookup(self, value: Any, table: Mapping[str, float]) -> Any:
        return float(table[value])

    def only(self, condition: Any, value: Callable[[], Any]) -> Any:
        return value() if condition else None

    def ratio(self, numerator: Any, denominator: Any) -> Any:
        return float(numerator / denominator) if denominator else None

    def present(self, value: Any) -> Any:
        return value is not None

    def default(self, value: Any, fallback: float) -> Any:
        return fallback if value is None else value

    def amount(self, money: Any) -> Any:
        return 0 if money is None else money.amount

    def number(self, value: Any) -> Any:
        return float(value)


#: The operations on plain Python values.
PLAIN: Ops = _Plain()


# -- the derived summary fields (`CustomerSummary`'s properties) ---------------------------


def reputation(f: Any, ops: Ops) -> Any:
    """The mean word-of-mouth signal in the window, 0 to 1: see `CustomerSummary.reputation`."""
    signals = f.recommend_ratings + f.praise + f.no_praise + f.referrals + f.no_referrals
    return ops.ratio(f.promoters + f.passives / 2 + f.praise + f.referrals, signals)


def designation_share(f: Any, ops: Ops) -> Any:
    """The share of window purchases asked for by name, where recorded."""
    return ops.ratio(f.designated, f.designation_known)


def complaint_share(f: Any, ops: Ops) -> Any:
    """The share of window purchase occasions a complaint followed."""
    return ops.ratio(f.complained_occasions, f.occasions)


def window_repeat_occasions(f: Any, ops: Ops) -> Any:
    """Repeat occasions in the window; missing for a customer who never bought."""
    return ops.only(f.occasions_total > 0, lambda: f.repeat_occasions)


def repeat_occasions_total(f: Any, ops: Ops) -> Any:
    """Occasions after the first one ever; missing before any purchase."""
    return ops.only(f.occasions_total > 0, lambda: f.occasions_total - 1)


def net_spend(f: Any, ops: Ops) -> Any:
    """Window purchases less window refunds; missing for a customer who never bought or refunded."""
    return ops.only(
        (f.occasions_total > 0) | ops.present(f.refunds),
        lambda: ops.number(ops.amount(f.spend) - ops.amount(f.refunds)),
    )


def promotion_dependence(f: Any, ops: Ops) -> Any:
    """The share of window spend below list price or on promotion, among purchases recording it.

    Missing when no purchase records a list price or a promotion flag; when
    those purchases were free, 1 if any was below list price or on promotion.
    """
    known, dependent = f.price_known_spend, f.price_dependent_spend

    def share() -> Any:
        free = ops.where(ops.present(dependent) & ((f.discounted + f.promoted) > 0), 1.0, 0.0)
        paid = ops.default(ops.ratio(ops.amount(dependent), ops.amount(known)), 0.0)
        return ops.where(ops.amount(known) == 0, free, paid)

    return ops.only(ops.present(known), share)


def quality_tolerance(f: Any, ops: Ops) -> Any:
    """The share of product-quality complaints the customer settled and bought again after."""
    return ops.ratio(f.quality_tolerated, f.quality_complaints)


def yearly_spend(f: Any, ops: Ops, year: float) -> Any:
    """Window net spend annualised (``year``: a year ÷ the window); missing if never bought."""
    net = net_spend(f, ops)
    return ops.only(ops.present(net), lambda: net * year)


def share_of_wallet(f: Any, ops: Ops, year: float) -> Any:
    """Yearly spend ÷ the wallet estimate, within 0..1; missing without a wallet (or a zero one)."""
    wallet = f.wallet
    return ops.only(
        ops.present(wallet) & (ops.amount(wallet) != 0),
        lambda: ops.clip(
            ops.default(yearly_spend(f, ops, year), 0.0) / ops.number(ops.amount(wallet)),
            0.0,
            1.0,
        ),
    )


def wallet_left(f: Any, ops: Ops, year: float) -> Any:
    """The wallet less the yearly spend, never below 0 nor above the wallet; missing without one."""
    wallet = f.wallet
    return ops.only(
        ops.present(wallet),
        lambda: ops.clip(
            ops.number(ops.amount(wallet))
            - ops.clip(ops.default(yearly_spend(f, ops, year), 0.0), 0.0, math.inf),
            0.0,
            math.inf,
        ),
    )


#: The derived fields that need nothing but the raw figures, by name.
DERIVED: dict[str, Callable[[Any, Ops], Any]] = {
    "reputation": reputation,
    "designation_share": designation_share,
    "complaint_share": complaint_share,
    "window_repeat_occasions": window_repeat_occasions,
    "repeat_occasions_total": repeat_occasions_total,
    "net_spend": net_spend,
    "promotion_dependence": promotion_dependence,
    "quality_tolerance": quality_tolerance,
}


# -- the purchase summary (RFM) ----------------------------------------------------------


def period_number(
    ordinal: Any, year_month: Callable[[], tuple[Any, Any]], unit: str, periods: str
) -> Any:
    """The number of the period a day falls in, counted in the unit.

    ``ordinal`` is the day's proleptic Gregorian ordinal (1 January of year 1
    is 1, a Monday); ``year_month`` gives its year and month, asked for
    calendar months only.
    """
    if periods == "days" or unit == "days":
        return ordinal
    if unit == "weeks":  # Monday-to-Sunday weeks
        return (ordinal - 1) // 7
    year, month = year_month()
    return year * 12 + month - 1


def period_of_day(day: date, unit: str, periods: str) -> int:
    """The number of the period a calendar day falls in (`period_number` of a `date`)."""
    return period_number(day.toordinal(), lambda: (day.year, day.month), unit, periods)  # type: ignore[no-any-return]


def unit_scale(unit: str, periods: str) -> float:
    """How many counted periods make one unit (7 days a week when counting days)."""
    if periods == "days" and unit == "weeks":
        return 7.0
    return 1.0


def check_units(unit: str, periods: str) -> None:
    """Refuse a unit or a way of counting periods the purchase summary does not know.

    Raises:
        UsageError: An unknown unit or grouping, or months counted in days.
    """
    if unit not in ("days", "weeks", "months"):
        raise UsageError(f"unit must be 'days', 'weeks' or 'months', not {unit!r}.")
    if periods not in ("calendar", "days"):
        raise UsageError(f"periods must be 'calendar' or 'days', not {periods!r}.")
    if periods == "days" and unit == "months":
        raise UsageError("Months have no fixed length in days: use periods='calendar' for months.")


def rfm_row(
    first: Any,
    last: Any,
    periods: Any,
    repeat_spend: Any,
    total: Any,
    end: Any,
    scale: float,
    ops: Ops,
) -> dict[str, Any]:
    """A customer's frequency, recency, T, monetary value and total spend.

    From the first and last purchase period, the number of purchase periods,
    the spend after the first period and in all, the observation end's
    period, and how many periods make one unit.
    """
    repeats = periods - 1
    return {
        "frequency": repeats,
        "recency": (last - first) / scale,
        "T": (end - first) / scale,
        "monetary_value": ops.where(repeats > 0, ops.ratio(repeat_spend, repeats), 0.0),
        "total_spend": ops.number(total),
    }
