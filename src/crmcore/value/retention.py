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
"""

from __future__ import annotations

import math
from typing import Literal

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
        ValueError: ``r`` outside 0 to 1, ``i`` at or below -1, ``r`` at or
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
        raise ValueError(f"retention must be a probability from 0 to 1, not {retention!r}.")
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        raise ValueError(f"discount_rate must be above -1, not {discount_rate!r}.")
    if timing not in ("after", "now"):
        raise ValueError(f"timing must be 'after' or 'now', not {timing!r}.")
    ratio = retention / (1 + discount_rate)
    first = 1.0 if timing == "now" else ratio
    if horizon is None:
        if ratio >= 1:
            raise ValueError(
                "With retention at or above 1 + discount_rate the value has no end; give a horizon."
            )
        return first / (1 - ratio)
    if horizon < 0:
        raise ValueError(f"horizon must be 0 or more, not {horizon!r}.")
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
) -> float:
    """A customer's lifetime value: ``margin`` times the retention multiple.

    Raises:
        ValueError: As `retention_multiple`.

    Examples:
        >>> round(retention_value(150.0, retention=0.8, discount_rate=0.1), 2)
        400.0
    """
    return margin * retention_multiple(retention, discount_rate, timing=timing, horizon=horizon)
