from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.value import retention_multiple, retention_value


def test_the_textbook_multiple_with_the_first_margin_after_one_period() -> None:
    # Gupta & Lehmann: r = 0.8, i = 0.1 gives 0.8 / (1 + 0.1 - 0.8) = 2.667
    assert retention_multiple(0.8, 0.1) == pytest.approx(0.8 / 0.3)
    assert round(retention_multiple(0.8, 0.1), 3) == 2.667


def test_with_the_first_margin_now_the_multiple_is_one_period_larger() -> None:
    assert retention_multiple(0.8, 0.1, timing="now") == pytest.approx(1.1 / 0.3)


@given(st.floats(0, 0.99), st.floats(0, 0.5), st.integers(0, 40), st.sampled_from(["after", "now"]))
def test_a_horizon_sums_the_discounted_margins_one_by_one(
    r: float, i: float, n: int, timing: str
) -> None:
    start = 0 if timing == "now" else 1
    expected = sum((r / (1 + i)) ** t for t in range(start, start + n))
    assert retention_multiple(r, i, timing=timing, horizon=n) == pytest.approx(expected)  # type: ignore[arg-type]


@given(st.floats(0, 0.99), st.floats(0, 0.5))
def test_the_finite_sums_approach_the_endless_one(r: float, i: float) -> None:
    assert retention_multiple(r, i, horizon=5000) == pytest.approx(retention_multiple(r, i))


def test_a_value_is_the_margin_times_the_multiple() -> None:
    assert retention_value(150.0, retention=0.8, discount_rate=0.1) == pytest.approx(400.0)


@given(
    margin=st.floats(0, 1000),
    r=st.floats(0, 0.95),
    i=st.floats(0, 0.5),
    keep=st.floats(0, 100),
    win=st.floats(0, 1000),
)
def test_a_net_value_takes_the_keeping_cost_each_period_and_the_winning_cost_once(
    margin: float, r: float, i: float, keep: float, win: float
) -> None:
    # every period the customer is kept brings margin − keep; winning him costs win, today
    expected = sum((margin - keep) * (r / (1 + i)) ** t for t in range(1, 3000)) - win
    got = retention_value(
        margin, retention=r, discount_rate=i, retention_cost=keep, acquisition_cost=win
    )
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("cost", ["retention_cost", "acquisition_cost"])
@pytest.mark.parametrize("amount", [-1.0, float("inf"), float("nan")])
def test_a_negative_or_endless_cost_is_refused(cost: str, amount: float) -> None:
    with pytest.raises(ValueError, match=f"{cost} must be a finite amount of 0 or more"):
        retention_value(100.0, retention=0.8, discount_rate=0.1, **{cost: amount})  # type: ignore[arg-type]


def test_certain_retention_at_no_discount_needs_a_horizon() -> None:
    with pytest.raises(ValueError, match="has no end; give a horizon"):
        retention_multiple(1.0, 0.0)
    assert retention_multiple(1.0, 0.0, horizon=12) == 12.0


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((1.2, 0.1), {}, "retention must be a probability from 0 to 1"),
        ((0.8, -1.0), {}, "discount_rate must be above -1"),
        ((0.8, 0.1), {"timing": "later"}, "timing must be 'after' or 'now'"),
        ((0.8, 0.1), {"horizon": -1}, "horizon must be 0 or more"),
        ((float("nan"), 0.1), {}, "retention must be a probability"),
    ],
)
def test_impossible_inputs_are_refused(
    args: tuple[float, float], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        retention_multiple(*args, **options)  # type: ignore[arg-type]
