"""The satisfaction-loyalty matrix: four quadrants, what each means and what to do."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from crmcore._model import Vocabulary
from crmcore.scoring.indices import IndexResult

__all__ = ["Quadrant", "QuadrantThresholds", "quadrant", "quadrant_counts"]


class Quadrant(Vocabulary):
    """Where a customer sits in the satisfaction-loyalty matrix."""

    SATISFIED_LOYAL = "satisfied_loyal"
    SATISFIED_NOT_LOYAL = "satisfied_not_loyal"
    DISSATISFIED_LOYAL = "dissatisfied_loyal"
    DISSATISFIED_NOT_LOYAL = "dissatisfied_not_loyal"
    UNKNOWN = "unknown"

    @property
    def reading(self) -> str:
        """What the quadrant means, as the textbook reads it.

        Examples:
            >>> Quadrant.DISSATISFIED_LOYAL.reading
            'captive: stays for lack of choice or because switching costs too much'
        """
        return _READING[self]

    @property
    def action(self) -> str:
        """What to do about customers in the quadrant."""
        return _ACTION[self]


_READING = {
    Quadrant.SATISFIED_LOYAL: "trust loyalty (or the loyalty a dominant supplier commands)",
    Quadrant.SATISFIED_NOT_LOYAL: "pleased but uncommitted: satisfaction alone does not bind",
    Quadrant.DISSATISFIED_LOYAL: (
        "captive: stays for lack of choice or because switching costs too much"
    ),
    Quadrant.DISSATISFIED_NOT_LOYAL: "leaving or gone: neither pleased nor bound",
    Quadrant.UNKNOWN: "not enough data for one index or both",
}
_ACTION = {
    Quadrant.SATISFIED_LOYAL: "reward and keep: loyalty benefits, care, recognition",
    Quadrant.SATISFIED_NOT_LOYAL: (
        "build ties: reward loyalty, raise switching cost, strengthen structural bonds"
    ),
    Quadrant.DISSATISFIED_LOYAL: (
        "fix the causes of dissatisfaction before a competitor frees the customer"
    ),
    Quadrant.DISSATISFIED_NOT_LOYAL: (
        "find out why; win back those worth it, let go of the others"
    ),
    Quadrant.UNKNOWN: "collect the missing data: feedback, purchase facts, wallet estimates",
}


class QuadrantThresholds(BaseModel):
    """The index values from which a customer counts as satisfied and as loyal (default 60)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    satisfaction: float = Field(default=60.0, ge=0, le=100)
    loyalty: float = Field(default=60.0, ge=0, le=100)


_DEFAULT = QuadrantThresholds()


def _value(index: float | IndexResult | None) -> float | None:
    return index.value if isinstance(index, IndexResult) else index


def quadrant(
    satisfaction: float | IndexResult | None,
    loyalty: float | IndexResult | None,
    *,
    thresholds: QuadrantThresholds | None = None,
) -> Quadrant:
    """Place a customer in the matrix from the two indices (values or results).

    A value at or above its threshold counts as satisfied (or loyal). A
    missing index gives ``unknown``.

    Examples:
        >>> quadrant(82.0, 35.0)
        <Quadrant.SATISFIED_NOT_LOYAL: 'satisfied_not_loyal'>
        >>> quadrant(None, 90.0)
        <Quadrant.UNKNOWN: 'unknown'>
    """
    limits = thresholds or _DEFAULT
    sat, loy = _value(satisfaction), _value(loyalty)
    if sat is None or loy is None:
        return Quadrant.UNKNOWN
    if sat >= limits.satisfaction:
        return Quadrant.SATISFIED_LOYAL if loy >= limits.loyalty else Quadrant.SATISFIED_NOT_LOYAL
    return Quadrant.DISSATISFIED_LOYAL if loy >= limits.loyalty else Quadrant.DISSATISFIED_NOT_LOYAL


def quadrant_counts(
    pairs: Iterable[tuple[float | IndexResult | None, float | IndexResult | None]],
    *,
    thresholds: QuadrantThresholds | None = None,
) -> dict[Quadrant, int]:
    """Count customers per quadrant, every quadrant listed (zeros included).

    Examples:
        >>> counts = quadrant_counts([(80, 80), (80, 20), (None, 50)])
        >>> counts[Quadrant.SATISFIED_LOYAL], counts[Quadrant.UNKNOWN], sum(counts.values())
        (1, 1, 3)
    """
    counts = dict.fromkeys(Quadrant, 0)
    for sat, loy in pairs:
        counts[quadrant(sat, loy, thresholds=thresholds)] += 1
    return counts
