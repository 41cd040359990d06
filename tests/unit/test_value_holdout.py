"""A fitted model's expected holdout purchases set beside the actual ones."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import UnitMismatch, UsageError
from crmcore.value import (
    BetaGeo,
    HoldoutRow,
    ModifiedBetaGeo,
    ParetoNBD,
    calibration_holdout,
    compare_holdout,
)
from tests.unit.test_value_rfm import cdnow_sales

CDNOW_MODEL = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")


@pytest.fixture(scope="module")
def rows() -> list[HoldoutRow]:
    return calibration_holdout(
        cdnow_sales(),
        calibration_end=date(1997, 9, 30),
        observation_end=date(1998, 6, 30),
        unit="weeks",
        periods="days",
    )


@pytest.mark.parametrize("kind", [BetaGeo, ParetoNBD, ModifiedBetaGeo])
def test_each_model_fitted_on_the_calibration_foretells_cdnow_s_holdout(
    rows: list[HoldoutRow], kind: type[BetaGeo] | type[ParetoNBD] | type[ModifiedBetaGeo]
) -> None:
    calibration = [[r.frequency_cal for r in rows], [r.recency_cal for r in rows],
                   [r.T_cal for r in rows]]  # fmt: skip
    model = kind.fit(*calibration, unit="weeks")
    comparison = compare_holdout(model, rows)
    foretold = [
        model.expected_purchases(39.0, frequency=r.frequency_cal, recency=r.recency_cal,
                                 T=r.T_cal)
        for r in rows
    ]  # fmt: skip
    assert comparison.model == kind.__name__
    assert comparison.customers == len(rows) == 2357
    assert comparison.actual == sum(r.frequency_holdout for r in rows)
    assert comparison.expected == pytest.approx(math.fsum(foretold), rel=1e-12)
    # the models of the literature come within a fifth of the 39 weeks' purchases
    assert abs(comparison.expected / comparison.actual - 1) < 0.2


def test_customers_are_grouped_by_calibration_frequency_up_to_a_last_open_group(
    rows: list[HoldoutRow],
) -> None:
    comparison = compare_holdout(CDNOW_MODEL, rows, max_frequency=2)
    assert [(g.frequency, g.and_more) for g in comparison.groups] == [
        (0, False), (1, False), (2, True)
    ]  # fmt: skip
    for group in comparison.groups:
        members = [
            r for r in rows
            if r.frequency_cal == group.frequency
            or (group.and_more and r.frequency_cal > group.frequency)
        ]  # fmt: skip
        assert group.customers == len(members)
        assert group.actual == pytest.approx(
            sum(r.frequency_holdout for r in members) / len(members)
        )


def test_a_comparison_needs_rows_in_the_model_s_unit_and_a_sensible_last_group(
    rows: list[HoldoutRow],
) -> None:
    with pytest.raises(UsageError, match="no customers"):
        compare_holdout(CDNOW_MODEL, [])
    with pytest.raises(UsageError, match="max_frequency"):
        compare_holdout(CDNOW_MODEL, rows, max_frequency=0)
    in_days = CDNOW_MODEL.model_copy(update={"unit": "days"})
    with pytest.raises(UnitMismatch, match="fitted in days"):
        compare_holdout(in_days, rows)


holdout_rows = st.builds(
    lambda x, share, t, later, span: HoldoutRow(
        "C", x, share * t if x else 0.0, t, 0.0, later, 0.0, span, "weeks"
    ),
    st.integers(0, 12),
    st.floats(0, 1),
    st.floats(0.5, 60),
    st.integers(0, 10),
    st.floats(1, 60),
)


@settings(max_examples=50)
@given(st.lists(holdout_rows, min_size=1, max_size=30), st.integers(1, 8))
def test_the_groups_add_up_to_the_totals(rows: list[HoldoutRow], last: int) -> None:
    comparison = compare_holdout(CDNOW_MODEL, rows, max_frequency=last)
    groups = comparison.groups
    assert sum(g.customers for g in groups) == len(rows)
    assert sum(g.actual * g.customers for g in groups) == pytest.approx(comparison.actual)
    assert sum(g.expected * g.customers for g in groups) == pytest.approx(comparison.expected)
    assert [g.frequency for g in groups] == sorted({min(r.frequency_cal, last) for r in rows})
    gap = abs(comparison.expected - comparison.actual) / len(rows)
    assert comparison.mean_absolute_error >= gap - 1e-9
