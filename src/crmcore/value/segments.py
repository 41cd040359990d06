r"""RFM scoring: quintile scores for recency, frequency and monetary value, and named segments.

Each customer gets three scores from 1 to 5 by rank within the portfolio:

* **R** from the time since the last purchase (``T − recency`` of the
  purchase summary): the most recent customers score 5;
* **F** from ``frequency`` (repeat purchase periods): the most frequent score 5;
* **M** from the spend over every purchase period, the first included: the
  mean per period (``average_spend``, the default) or the total
  (``total_spend``); the highest spenders score 5. (The Gamma-Gamma input
  ``monetary_value`` leaves the first purchase out, so it would score every
  one-time buyer alike whatever they spent; RFM does not use it.)

A score is ``1 + ⌊5 × position / n⌋``, the position being the rank, from 0,
of the first customer with the same value in ascending order of merit: equal
values always share a score, whatever the customers' ids or input order.

The segment comes from the R and F scores, by this grid:

| R \\ F | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|
| 5 | new customers | potential loyalists | potential loyalists | champions | champions |
| 4 | promising | potential loyalists | potential loyalists | loyal customers | loyal customers |
| 3 | about to sleep | about to sleep | need attention | loyal customers | loyal customers |
| 2 | hibernating | hibernating | at risk | at risk | can't lose them |
| 1 | lost | lost | at risk | at risk | can't lose them |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, NamedTuple

from crmcore._model import Vocabulary
from crmcore.errors import UsageError
from crmcore.value.rfm import RfmRow

__all__ = ["SEGMENT_GRID", "RfmScore", "RfmSegment", "rfm_scores"]


class RfmSegment(Vocabulary):
    """The named RFM segments practitioners use."""

    CHAMPIONS = "champions"
    LOYAL_CUSTOMERS = "loyal_customers"
    POTENTIAL_LOYALISTS = "potential_loyalists"
    NEW_CUSTOMERS = "new_customers"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANT_LOSE_THEM = "cant_lose_them"
    HIBERNATING = "hibernating"
    LOST = "lost"


_S = RfmSegment

#: The segment of each (R, F) pair of scores.
SEGMENT_GRID: dict[tuple[int, int], RfmSegment] = {
    (r, f): segment
    for r, row in {
        5: (
            _S.NEW_CUSTOMERS,
            _S.POTENTIAL_LOYALISTS,
            _S.POTENTIAL_LOYALISTS,
            _S.CHAMPIONS,
            _S.CHAMPIONS,
        ),
        4: (
            _S.PROMISING,
            _S.POTENTIAL_LOYALISTS,
            _S.POTENTIAL_LOYALISTS,
            _S.LOYAL_CUSTOMERS,
            _S.LOYAL_CUSTOMERS,
        ),
        3: (
            _S.ABOUT_TO_SLEEP,
            _S.ABOUT_TO_SLEEP,
            _S.NEED_ATTENTION,
            _S.LOYAL_CUSTOMERS,
            _S.LOYAL_CUSTOMERS,
        ),
        2: (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
        1: (_S.LOST, _S.LOST, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
    }.items()
    for f, segment in enumerate(row, start=1)
}


class RfmScore(NamedTuple):
    """One customer's RFM scores and segment."""

    customer_id: str
    r: int
    f: int
    m: int
    segment: RfmSegment

    @property
    def code(self) -> str:
        """The three scores as one code, such as ``"545"``."""
        return f"{self.r}{self.f}{self.m}"


def _scores(values: Sequence[float], bins: int) -> list[int]:
    """Scores 1..bins by rank, higher values higher; equal values share a score."""
    n = len(values)
    order = sorted(range(n), key=values.__getitem__)
    first_position: dict[float, int] = {}
    for position, i in enumerate(order):
        first_position.setdefault(values[i], position)
    return [1 + first_position[v] * bins // n for v in values]


Monetary = Literal["average", "total"]


def rfm_scores(
    rows: Iterable[RfmRow], *, bins: int = 5, monetary: Monetary = "average"
) -> list[RfmScore]:
    """Score customers from their purchase summaries, in the order given.

    Args:
        rows: Purchase summaries, from `rfm_summary`.
        bins: How many scores (5: quintiles).
        monetary: What M ranks: ``"average"`` spend per purchase period or
            ``"total"`` spend, both with the first purchase.

    Raises:
        UsageError: Bins other than 5 (the segment grid is for quintiles), or
            an unknown ``monetary``.

    Examples:
        >>> from crmcore.value import RfmRow
        >>> rows = [RfmRow("A", 6, 300.0, 310.0, 80.0, 560.0, "days"),
        ...         RfmRow("B", 0, 0.0, 200.0, 0.0, 900.0, "days"),
        ...         RfmRow("C", 2, 100.0, 400.0, 30.0, 75.0, "days"),
        ...         RfmRow("D", 9, 390.0, 400.0, 55.0, 990.0, "days"),
        ...         RfmRow("E", 1, 20.0, 100.0, 10.0, 20.0, "days")]
        >>> for score in rfm_scores(rows):
        ...     print(score.customer_id, score.code, score.segment)
        A 443 loyal_customers
        B 215 hibernating
        C 132 at_risk
        D 454 loyal_customers
        E 321 about_to_sleep
        >>> [score.m for score in rfm_scores(rows, monetary="total")]
        [3, 4, 2, 5, 1]
    """
    if bins != 5:
        raise UsageError("The segment grid is for quintiles: bins must be 5.")
    if monetary not in ("average", "total"):
        raise UsageError(f"monetary must be 'average' or 'total', not {monetary!r}.")
    table = list(rows)
    if not table:
        return []
    spend: Callable[[RfmRow], float] = (
        (lambda row: row.average_spend) if monetary == "average" else (lambda row: row.total_spend)
    )
    merit: tuple[Callable[[RfmRow], float], ...] = (
        lambda row: -(row.T - row.recency),
        lambda row: float(row.frequency),
        spend,
    )
    r, f, m = (_scores([measure(row) for row in table], bins) for measure in merit)
    return [
        RfmScore(row.customer_id, ri, fi, mi, SEGMENT_GRID[(ri, fi)])
        for row, ri, fi, mi in zip(table, r, f, m, strict=True)
    ]
