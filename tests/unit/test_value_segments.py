from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.value import SEGMENT_GRID, RfmRow, RfmSegment, rfm_scores


def row(
    customer: str, frequency: int, since_last: float, monetary: float, observed: float = 400.0
) -> RfmRow:
    """A summary whose spend per purchase period, the first included, is ``monetary``."""
    total = monetary * (frequency + 1)
    return RfmRow(customer, frequency, observed - since_last, observed, monetary, total, "days")


def test_ten_customers_fill_each_quintile_twice() -> None:
    rows = [row(f"C-{n}", n, 100 - n, 10.0 * n) for n in range(10)]
    scores = rfm_scores(rows)
    assert [s.r for s in scores] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [s.f for s in scores] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores[-1].segment is RfmSegment.CHAMPIONS
    assert scores[0].segment is RfmSegment.LOST


def test_the_most_recent_buyer_scores_5_on_recency() -> None:
    scores = rfm_scores(
        [row(f"C-{n}", 1, days, 1.0) for n, days in enumerate([5, 50, 500, 20, 200])]
    )
    assert [s.r for s in scores] == [5, 3, 1, 4, 2]


def test_equal_values_share_a_score_whatever_the_ids() -> None:
    scores = rfm_scores(
        [row("B", 3, 10, 1.0), row("A", 3, 10, 1.0), row("C", 0, 90, 0.0), row("D", 1, 50, 2.0)]
    )
    assert scores[0][1:4] == scores[1][1:4]


def test_the_grid_covers_every_pair_of_scores_with_the_eleven_segments() -> None:
    assert set(SEGMENT_GRID) == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert set(SEGMENT_GRID.values()) == set(RfmSegment)


def test_the_code_joins_the_three_scores() -> None:
    (score,) = rfm_scores([row("A", 1, 1, 1.0)])
    assert (score.code, score.segment) == ("111", RfmSegment.LOST)


def test_no_rows_give_no_scores_and_other_bins_are_refused() -> None:
    assert rfm_scores([]) == []
    with pytest.raises(ValueError, match="bins must be 5"):
        rfm_scores([row("A", 1, 1, 1.0)], bins=4)


rows_st = st.lists(
    st.builds(row, st.uuids().map(str), st.integers(0, 20), st.floats(0, 400), st.floats(0, 1000)),
    max_size=40,
    unique_by=lambda r: r.customer_id,
)


@given(rows_st, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_input_order(rows: list[RfmRow], rng: random.Random) -> None:
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert sorted(rfm_scores(shuffled)) == sorted(rfm_scores(rows))


@given(rows_st)
def test_scores_are_1_to_5_and_follow_the_measures(rows: list[RfmRow]) -> None:
    scores = rfm_scores(rows)
    for a, sa in zip(rows, scores, strict=True):
        assert all(1 <= v <= 5 for v in sa[1:4])
        assert sa.segment is SEGMENT_GRID[(sa.r, sa.f)]
        for b, sb in zip(rows, scores, strict=True):
            if a.frequency > b.frequency:
                assert sa.f >= sb.f
            if a.monetary_value > b.monetary_value:
                assert sa.m >= sb.m
            if a.T - a.recency < b.T - b.recency:
                assert sa.r >= sb.r
