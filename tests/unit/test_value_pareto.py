"""The Pareto/NBD model: the published CDNOW fit, its likelihood's consequences, its errors."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmcore.errors import ModelFitError, NumericalError, UnitMismatch, UsageError
from crmcore.value import BetaGeo, ParetoNBD, RfmRow, pareto, rfm_summary
from crmcore.value.fitting import Likelihood
from tests.conftest import assert_a_distribution_with_mean
from tests.unit.test_value_rfm import cdnow_sales

PUBLISHED = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669, unit="weeks")

parameters = st.floats(min_value=0.2, max_value=5)
scales = st.floats(min_value=1, max_value=40)
models = st.builds(ParetoNBD, r=parameters, alpha=scales, s=parameters, beta=scales)


@pytest.fixture(scope="module")
def calibration() -> list[RfmRow]:
    return rfm_summary(
        cdnow_sales(), observation_end=date(1997, 9, 30), unit="weeks", periods="days"
    )


@pytest.fixture(scope="module")
def fitted(calibration: list[RfmRow]) -> ParetoNBD:
    return ParetoNBD.fit(calibration)


def test_the_fit_on_cdnow_gives_the_published_parameters(fitted: ParetoNBD) -> None:
    for name, published in (("r", 0.553), ("alpha", 10.578), ("s", 0.606), ("beta", 11.669)):
        assert getattr(fitted, name) == pytest.approx(published, abs=0.002), name
    assert (fitted.customers, fitted.unit) == (2357, "weeks")


def test_bg_nbd_fits_cdnow_better_by_aic(calibration: list[RfmRow], fitted: ParetoNBD) -> None:
    bg = BetaGeo.fit(calibration)
    assert bg.log_likelihood is not None and fitted.aic is not None
    assert 8 - 2 * bg.log_likelihood < fitted.aic
    assert fitted.bic == pytest.approx(4 * math.log(2357) + fitted.aic - 8)


def test_the_fitted_model_round_trips_through_json(fitted: ParetoNBD) -> None:
    again = ParetoNBD.model_validate_json(fitted.model_dump_json())
    assert again == fitted
    assert [e.name for e in again.summary()] == ["r", "alpha", "s", "beta"]
    assert all(e.standard_error is not None and e.standard_error > 0 for e in again.summary())


# Each example sums 150 probabilities, each with its own series (about 0.1 s): 15 examples,
# over models whose mean in t stays below 12 purchases (the tail beyond 150 is negligible).
@settings(max_examples=15)
@given(
    st.builds(
        ParetoNBD,
        r=st.floats(0.2, 2),
        alpha=st.floats(5, 40),
        s=parameters,
        beta=scales,
    ),
    st.floats(1, 30),
)
def test_the_probabilities_of_n_purchases_add_up_to_one_with_the_expected_mean(
    model: ParetoNBD, t: float
) -> None:
    probabilities = [model.probability_of_purchases(n, t) for n in range(150)]
    assert_a_distribution_with_mean(probabilities, model.expected_purchases_new(t))


@given(models, st.integers(0, 10), st.floats(0, 1), st.floats(1, 60))
def test_p_alive_is_a_probability_that_falls_as_the_silence_grows(
    model: ParetoNBD, x: int, share: float, t: float
) -> None:
    t_x = share * t if x else 0.0
    alive = model.p_alive(frequency=x, recency=t_x, T=t)
    later = model.p_alive(frequency=x, recency=t_x, T=t + 10)
    assert 0 <= later <= alive <= 1


@given(models, st.integers(0, 10), st.floats(0, 1), st.floats(1, 60))
def test_expected_purchases_grow_with_the_horizon(
    model: ParetoNBD, x: int, share: float, t: float
) -> None:
    t_x = share * t if x else 0.0
    ahead = [model.expected_purchases(h, frequency=x, recency=t_x, T=t) for h in (0, 5, 20, 80)]
    assert ahead[0] == 0 and ahead == sorted(ahead)


def test_a_customer_who_just_bought_is_alive_and_a_silent_one_less_so() -> None:
    assert PUBLISHED.p_alive(frequency=4, recency=30, T=30) == 1.0
    assert PUBLISHED.p_alive(frequency=0, recency=0, T=38) < 1.0


def test_the_fit_recovers_simulated_parameters_within_their_standard_errors() -> None:
    rng = random.Random(5)
    r, alpha, s, beta, span = 0.8, 6.0, 0.7, 9.0, 52
    rows = []
    for _ in range(3000):
        rate, death = rng.gammavariate(r, 1 / alpha), rng.gammavariate(s, 1 / beta)
        end, at, weeks = min(rng.expovariate(death), span), 0.0, set()
        while (at := at + rng.expovariate(rate)) < end:
            weeks.add(at)
        rows.append((len(weeks), max(weeks, default=0.0), float(span)))
    # whole weeks: far fewer distinct rows to fit
    rounded = [(x, float(math.ceil(t_x)) if x else 0.0, t) for x, t_x, t in rows]
    model = ParetoNBD.fit(*zip(*rounded, strict=True))
    assert model.standard_errors is not None
    for estimate, truth in zip(model.summary(), (r, alpha, s, beta), strict=True):
        assert estimate.standard_error is not None
        assert abs(estimate.value - truth) < 3 * estimate.standard_error, estimate


def test_a_penalizer_shrinks_the_parameters(calibration: list[RfmRow], fitted: ParetoNBD) -> None:
    held = ParetoNBD.fit(calibration, penalizer=0.01)
    size = lambda m: m.r**2 + m.alpha**2 + m.s**2 + m.beta**2  # noqa: E731
    assert size(held) < size(fitted)
    assert held.standard_errors is None


def test_customers_that_cannot_tell_the_parameters_apart_are_refused_with_the_reason() -> None:
    with pytest.raises(ModelFitError, match="extreme parameters"):
        ParetoNBD.fit([1] * 5, [40] * 5, [40] * 5)  # five customers alike


def test_bad_input_is_refused() -> None:
    with pytest.raises(UsageError, match="not a purchase summary"):
        ParetoNBD.fit([1], [50], [40])
    with pytest.raises(UsageError, match="no customers"):
        ParetoNBD.fit([], [], [])
    with pytest.raises(UsageError, match="penalizer"):
        ParetoNBD.fit([1], [5], [40], penalizer=-1)
    with pytest.raises(UsageError, match="whole number of purchases"):
        PUBLISHED.probability_of_purchases(-1, 10)
    with pytest.raises(UnitMismatch):
        PUBLISHED.p_alive(frequency=1, recency=2, T=3, unit="days")


def test_customers_without_repeat_purchases_are_fitted_as_hardly_buying() -> None:
    rng = random.Random(3)
    ages = [rng.uniform(1, 60) for _ in range(200)]
    # once a numerical error after thousands of steps near the parameters' bound
    model = ParetoNBD.fit([0] * 200, [0] * 200, ages)
    assert model.customers == 200
    assert model.expected_purchases_new(60) < 0.05


def test_where_the_2f1_series_cannot_be_summed_the_likelihood_is_refused_not_guessed() -> None:
    # b = r + x within 0.02 of a whole number and z = 1 − 1.2e-4: neither form can sum it
    rows = [((1, 0.0, 30.0), 1)]
    likelihood = Likelihood(pareto._row, rows, exact=pareto._ParetoLikelihood(rows))
    theta = [-4.0, -4.0, 0.3, 5.0]
    assert likelihood.value(theta) == math.inf
    assert likelihood.objective(theta)[0] == math.inf
    with pytest.raises(NumericalError, match="did not converge"):
        ParetoNBD(r=math.exp(-4), alpha=math.exp(-4), s=1.35, beta=math.exp(5)).p_alive(
            frequency=1, recency=0, T=30
        )


def test_near_z_equal_one_a_customer_without_repeats_is_still_computed() -> None:
    # once the series needed 300,000 terms here; now summed in 1 − z
    model = ParetoNBD(r=math.exp(-4), alpha=math.exp(-4), s=1.35, beta=math.exp(5))
    assert 0 < model.p_alive(frequency=0, recency=0, T=30) < 1


@settings(max_examples=60, deadline=None)  # ~0.01 s each
@given(
    st.floats(0.02, 150),
    st.floats(0.02, 50).filter(lambda b: b < 0.5 or abs(b - round(b)) > 0.05),
    st.floats(0.951, 0.999),
)
def test_the_form_in_1_minus_z_agrees_with_the_series_where_both_are_summed(
    a: float, b: float, z: float
) -> None:
    assume(b < a + 1)  # the model's 2F1 always has a + 1 − b above 0
    near = pareto._log_hyp2f1_near_one(a, b, z)
    assume(near is not None)  # the two terms cancelled: the series is used instead
    assert near is not None
    in_z = pareto._Series(a, b).at(z, near_one=False)
    for found, expected in zip(near, in_z, strict=True):
        assert found == pytest.approx(expected, rel=1e-6, abs=1e-6)
