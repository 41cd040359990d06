"""The MBG/NBD model on CDNOW, its probabilities and predictions, its errors."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import UnitMismatch, UsageError
from crmcore.value import ModifiedBetaGeo, RfmRow, rfm_summary
from tests.conftest import assert_a_distribution_with_mean
from tests.unit.test_value_rfm import cdnow_sales

parameters = st.floats(min_value=0.2, max_value=5)
# r at most 2 and α at least 5: the mean in 40 units stays below 16 purchases
models = st.builds(
    ModifiedBetaGeo, r=st.floats(0.2, 2), alpha=st.floats(5, 40), a=parameters, b=parameters
)


@pytest.fixture(scope="module")
def calibration() -> list[RfmRow]:
    return rfm_summary(
        cdnow_sales(), observation_end=date(1997, 9, 30), unit="weeks", periods="days"
    )


def test_the_fit_on_cdnow_is_lifetimes_fit(calibration: list[RfmRow]) -> None:
    model = ModifiedBetaGeo.fit(calibration)
    # lifetimes' ModifiedBetaGeoFitter on the same summary: 0.525, 6.183, 0.891, 1.614
    for name, theirs in (("r", 0.525), ("alpha", 6.183), ("a", 0.891), ("b", 1.614)):
        assert getattr(model, name) == pytest.approx(theirs, abs=0.002), name
    assert (model.customers, model.unit) == (2357, "weeks")
    assert model.log_likelihood is not None
    assert model.aic == pytest.approx(8 - 2 * model.log_likelihood)
    assert ModifiedBetaGeo.model_validate_json(model.model_dump_json()) == model


@given(models, st.floats(1, 40))
def test_the_probabilities_of_n_purchases_add_up_to_one_with_the_expected_mean(
    model: ModifiedBetaGeo, t: float
) -> None:
    probabilities = [model.probability_of_purchases(n, t) for n in range(400)]
    assert_a_distribution_with_mean(probabilities, model.expected_purchases(t))


@given(models, st.integers(0, 10), st.floats(0, 1), st.floats(1, 60))
def test_p_alive_is_a_probability_below_one_and_expectations_grow(
    model: ModifiedBetaGeo, x: int, share: float, t: float
) -> None:
    t_x = share * t if x else 0.0
    alive = model.p_alive(frequency=x, recency=t_x, T=t)
    assert 0 <= alive < 1  # the customer may have left at the start, or after the last purchase
    ahead = [model.expected_purchases(h, frequency=x, recency=t_x, T=t) for h in (0, 5, 20, 80)]
    assert ahead[0] == 0 and ahead == sorted(ahead)


def test_the_fit_recovers_simulated_parameters_within_their_standard_errors() -> None:
    rng = random.Random(3)
    r, alpha, a, b, span = 0.9, 5.0, 1.2, 2.5, 52.0
    rows = []
    for _ in range(4000):
        rate, p = rng.gammavariate(r, 1 / alpha), rng.betavariate(a, b)
        weeks: list[int] = []
        at = 0.0
        alive = rng.random() >= p  # may leave right after the first purchase
        while alive and (at := at + rng.expovariate(rate)) < span:
            weeks.append(int(at) + 1)
            alive = rng.random() >= p
        rows.append((float(len(weeks)), float(weeks[-1]) if weeks else 0.0, span))
    model = ModifiedBetaGeo.fit(*zip(*rows, strict=True))
    assert model.standard_errors is not None
    for estimate, truth in zip(model.summary(), (r, alpha, a, b), strict=True):
        assert estimate.standard_error is not None
        assert abs(estimate.value - truth) < 3 * estimate.standard_error, estimate


def test_bad_input_is_refused() -> None:
    model = ModifiedBetaGeo(r=0.5, alpha=6, a=0.9, b=1.6, unit="weeks")
    with pytest.raises(UsageError, match="not a purchase summary"):
        ModifiedBetaGeo.fit([1], [50], [40])
    with pytest.raises(UsageError, match="together"):
        model.expected_purchases(10, frequency=1)
    with pytest.raises(UsageError, match="whole number of purchases"):
        model.probability_of_purchases(-1, 10)
    with pytest.raises(UnitMismatch):
        model.p_alive(frequency=1, recency=2, T=3, unit="days")
