"""Survey measures: Net Promoter Score, customer satisfaction (CSAT) and customer effort (CES).

Each takes the ratings of one question. A rating outside the scale, or not a
whole number, raises ``ValueError`` naming its position; no ratings at all
give ``None`` (there is no score without respondents), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmcore.errors import UsageError
from crmcore.history import PASSIVE_MIN, PROMOTER_MIN

__all__ = ["ces", "csat", "nps"]


def _checked(ratings: Iterable[int], low: int, high: int, what: str) -> list[int]:
    values = list(ratings)
    for position, rating in enumerate(values):
        if isinstance(rating, bool) or not isinstance(rating, int) or not low <= rating <= high:
            raise UsageError(
                f"Cannot compute {what}: rating {position} is {rating!r}, "
                f"not a whole number from {low} to {high}."
            )
    return values


def nps(ratings: Iterable[int]) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), from -100 to 100.

    Args:
        ratings: Answers to "how likely are you to recommend us", 0 to 10.

    Returns:
        The score, or ``None`` without ratings.

    Raises:
        UsageError: A rating is not a whole number from 0 to 10.

    Examples:
        >>> round(nps(range(11)), 2)
        -45.45
        >>> nps([]) is None
        True
    """
    values = _checked(ratings, 0, 10, "an NPS")
    if not values:
        return None
    promoters = sum(1 for r in values if r >= PROMOTER_MIN)
    detractors = sum(1 for r in values if r < PASSIVE_MIN)
    return 100.0 * (promoters - detractors) / len(values)


def csat(ratings: Iterable[int]) -> float | None:
    """Customer satisfaction: the % of ratings that are 4 or 5 on a 1-5 scale.

    Raises:
        UsageError: A rating is not a whole number from 1 to 5.

    Examples:
        >>> csat([5, 4, 3, 1])
        50.0
    """
    values = _checked(ratings, 1, 5, "a CSAT")
    if not values:
        return None
    return 100.0 * sum(1 for r in values if r >= 4) / len(values)


def ces(ratings: Iterable[int]) -> float | None:
    """Customer effort score: the mean rating on a 1-7 scale.

    Raises:
        UsageError: A rating is not a whole number from 1 to 7.

    Examples:
        >>> ces([7, 6, 2])
        5.0
    """
    values = _checked(ratings, 1, 7, "a CES")
    if not values:
        return None
    return sum(values) / len(values)
