"""Lifetime value under constant retention: margin × r ÷ (1 + i − r).

A customer brings ``margin`` each period while retained; each period a
retained customer stays with probability ``r``; money is discounted at ``i``
per period (Gupta & Lehmann 2003). The timing convention matters and is
explicit:

* ``timing="after"`` (the default): the first margin comes at the end of the
  first period, if the customer is retained —
  Σ_{t≥1} m rᵗ / (1 + i)ᵗ = m r / (1 + i − r);
* ``timing="now"``: the first margin is in hand today —
  Σ_{t≥0} m rᵗ / (1 + i)ᵗ = m (1 + i) / (1 + i − r).

With a ``horizon`` of N periods the sum stops after N margins.

A customer's lifetime value is net of what winning and keeping the customer
costs: ``(margin − retention cost) × multiple − acquisition cost``, the
retention cost spent each period the customer is kept, the acquisition cost
once, today. For a customer already won the acquisition cost is spent;
leave it at 0 to value the relationship from here on, or give it to judge
whether winning such a customer pays.
"""

from __future__ import annotations

import math
from typing import Literal

from crmcore.errors import UsageError

__all__ = ["retention_multiple", "retention_value"]

Timing = Literal["after", "now"]


def retention_multiple(
    retention: float,
    discount_rate: float,
    *,
    timing: Timing = "after",
    horizon: int | None = None,
) -> float:
    """How many margins a customer is worth today under constant retention.

    Args:
        retention: The probability ``r`` that a customer stays each period, 0 to 1.
        discount_rate: The discount rate ``i`` per period, above -1.
        timing: ``"after"``: the first margin at the end of the first period;
            ``"now"``: the first margin today.
        horizon: Stop after this many margins; ``None`` for no end.

    Raises:
        UsageError: ``r`` outside 0 to 1, ``i`` at or below -1, ``r`` at or
            above ``1 + i`` without a horizon (the sum would not end), an
            unknown timing or a negative horizon.

    Examples:
        >>> round(retention_multiple(0.8, 0.1), 3)
        2.667
        >>> round(retention_multiple(0.8, 0.1, timing="now"), 3)
        3.667
        >>> round(retention_multiple(0.8, 0.1, horizon=3), 3)
        1.641
    """
    if not (math.isfinite(retention) and 0 <= retention <= 1):
        raise UsageError(f"retention must be a probability from 0 to 1, not {retention!r}.")
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        raise UsageError(f"discount_rate must be above -1, not {discount_rate!r}.")
    if timing not in ("after", "now"):
        raise UsageError(f"timing must be 'after' or 'now', not {timing!r}.")
    ratio = retention / (1 + discount_rate)
    first = 1.0 if timing == "now" else ratio
    if horizon is None:
        if ratio >= 1:
            raise UsageError(
                "With retention at or above 1 + discount_rate the value has no end; give a horizon."
            )
        return first / (1 - ratio)
    if horizon < 0:
        raise UsageError(f"horizon must be 0 or more, not {horizon!r}.")
    if ratio == 1:
        return first * horizon
    return first * (1 - ratio**horizon) / (1 - ratio)


def retention_value(
    margin: float,
    *,
    retention: float,
    discount_rate: float,
    timing: Timing = "after",
    horizon: int | None = None,
    retention_cost: float = 0.0,
    acquisition_cost: float = 0.0,
) -> float:
    """A customer's net lifetime value: the retained margins less the costs of keeping and winning.

    ``(margin − retention_cost) × retention_multiple(...) − acquisition_cost``.

    Args:
        margin: The profit contribution of a period the customer is kept.
        retention: As `retention_multiple`.
        discount_rate: As `retention_multiple`.
        timing: As `retention_multiple`.
        horizon: As `retention_multiple`.
        retention_cost: What keeping the customer costs each such period
            (care contacts, loyalty benefits), 0 or more.
        acquisition_cost: What winning the customer costs, once and today, 0
            or more.

    Raises:
        UsageError: As `retention_multiple`, or a cost below 0 or not finite.

    Examples:
        >>> round(retention_value(150.0, retention=0.8, discount_rate=0.1), 2)
        400.0
        >>> round(retention_value(150.0, retention=0.8, discount_rate=0.1,
        ...                       retention_cost=30.0, acquisition_cost=100.0), 2)
        220.0
    """
    for name, cost in (("retention_cost", retention_cost), ("acquisition_cost", acquisition_cost)):
        if not (math.isfinite(cost) and cost >= 0):
            raise UsageError(f"{name} must be a finite amount of 0 or more, not {cost!r}.")
    multiple = retention_multiple(retention, discount_rate, timing=timing, horizon=horizon)
    return (margin - retention_cost) * multiple - acquisition_cost
