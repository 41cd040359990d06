"""The shifted-beta-geometric model: the published fits, its curves, its lifetimes, its errors."""

from __future__ import annotations

import csv
import math
import random
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ModelFitError, UsageError
from crmcore.value import Estimate, ShiftedBetaGeometric
from crmcore.value.fitting import standard_errors
from tests.conftest import gauss_series

# Fader & Hardie (2007), "How to project customer retention": two cohorts of 1,000
# customers, the survivors at the start of years 0 to 7 (the paper's calibration data).
with (Path(__file__).resolve().parents[1] / "data" / "retention_cohorts_sbg.csv").open() as f:
    _COHORTS = list(csv.DictReader(f))
REGULAR = [int(row["regular"]) for row in _COHORTS]
HIGH_END = [int(row["high_end"]) for row in _COHORTS]

parameters = st.floats(min_value=0.05, max_value=20)


@pytest.mark.parametrize(
    ("survivors", "a", "b"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_the_fit_reproduces_the_published_estimates(
    survivors: list[int], a: float, b: float
) -> None:
    model = ShiftedBetaGeometric.fit(survivors=survivors)
    assert model.a == pytest.approx(a, abs=0.002)
    assert model.b == pytest.approx(b, abs=0.002)
    assert (model.customers, model.periods) == (1000, 7)


def test_the_log_likelihood_is_the_sum_over_those_lost_each_period_and_those_left() -> None:
    model = ShiftedBetaGeometric.fit(survivors=REGULAR)
    lost = [before - after for before, after in pairwise(REGULAR)]
    expected = sum(n * math.log(model.churn_probability(t)) for t, n in enumerate(lost, 1))
    expected += REGULAR[-1] * math.log(model.survival(len(lost)))
    assert model.log_likelihood == pytest.approx(expected, rel=1e-12)
    assert model.aic == pytest.approx(4 - 2 * expected)
    assert model.bic == pytest.approx(2 * math.log(1000) - 2 * expected)


def test_no_other_parameters_fit_the_cohort_better() -> None:
    model = ShiftedBetaGeometric.fit(survivors=HIGH_END)
    assert model.log_likelihood is not None
    for da, db in [(0.01, 0), (-0.01, 0), (0, 0.05), (0, -0.05), (0.01, 0.05)]:
        other = ShiftedBetaGeometric(a=model.a + da, b=model.b + db)
        lost = [x - y for x, y in pairwise(HIGH_END)]
        ll = sum(n * math.log(other.churn_probability(t)) for t, n in enumerate(lost, 1))
        ll += HIGH_END[-1] * math.log(other.survival(len(lost)))
        assert ll < model.log_likelihood


def test_the_fit_recovers_the_parameters_of_a_simulated_cohort_within_its_standard_errors() -> None:
    rng = random.Random(7)
    a, b, cohort, periods = 1.3, 2.6, 20_000, 10
    lifetimes = []
    for _ in range(cohort):
        theta = rng.betavariate(a, b)
        periods_active = 1
        while periods_active <= periods and rng.random() >= theta:
            periods_active += 1
        lifetimes.append(periods_active)  # the period at whose end the customer cancelled
    survivors = [sum(1 for life in lifetimes if life > t) for t in range(periods + 1)]
    model = ShiftedBetaGeometric.fit(survivors=survivors)
    assert model.standard_errors is not None
    se_a, se_b = model.standard_errors
    assert abs(model.a - a) < 3 * se_a
    assert abs(model.b - b) < 3 * se_b


def test_the_summary_gives_each_parameter_with_its_standard_error_and_interval() -> None:
    model = ShiftedBetaGeometric.fit(survivors=REGULAR)
    a, b = model.summary()
    assert isinstance(a, Estimate)
    assert (a.name, a.value, b.name, b.value) == ("a", model.a, "b", model.b)
    assert model.standard_errors == (a.standard_error, b.standard_error)
    for estimate in (a, b):
        assert estimate.standard_error is not None and estimate.standard_error > 0
        assert estimate.lower_95 == pytest.approx(
            estimate.value - 1.96 * estimate.standard_error, rel=1e-3
        )
        assert estimate.upper_95 == pytest.approx(
            estimate.value + 1.96 * estimate.standard_error, rel=1e-3
        )


def test_a_model_without_a_fit_has_no_accounting() -> None:
    model = ShiftedBetaGeometric(a=0.7, b=1.2)
    assert (model.aic, model.bic, model.standard_errors) == (None, None, None)
    assert [e.standard_error for e in model.summary()] == [None, None]


def test_the_fitted_model_round_trips_through_json() -> None:
    model = ShiftedBetaGeometric.fit(survivors=HIGH_END)
    again = ShiftedBetaGeometric.model_validate_json(model.model_dump_json())
    assert again == model
    assert again.retention_rate(9) == model.retention_rate(9)


def test_a_penalizer_shrinks_the_parameters() -> None:
    free = ShiftedBetaGeometric.fit(survivors=HIGH_END)
    held = ShiftedBetaGeometric.fit(survivors=HIGH_END, penalizer=0.01)
    assert held.a**2 + held.b**2 < free.a**2 + free.b**2
    assert held.penalizer == 0.01
    assert held.log_likelihood is not None and free.log_likelihood is not None
    assert held.log_likelihood < free.log_likelihood


def test_a_search_that_runs_out_of_iterations_says_where_it_stopped() -> None:
    with pytest.raises(ModelFitError, match=r"sBG: .* stopped at a = .*, b = "):
        ShiftedBetaGeometric.fit(survivors=REGULAR, max_iterations=2)


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000], "fewer than two counts"),
        ([1000, 1200], r"survivors\[1\] is 1200, more than the 1000"),
        ([1000, -1], r"survivors\[1\] must be a whole number"),
        ([1000, 500.5], r"survivors\[1\] must be a whole number"),
        ([0, 0], "a cohort of no customers"),
    ],
)
def test_survivors_that_are_not_a_cohort_are_refused(survivors: list[int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ShiftedBetaGeometric.fit(survivors=survivors)


def test_bad_arguments_are_refused() -> None:
    model = ShiftedBetaGeometric(a=1, b=1)
    with pytest.raises(UsageError, match="penalizer"):
        ShiftedBetaGeometric.fit(survivors=REGULAR, penalizer=-1)
    with pytest.raises(UsageError, match="discount_rate must be above 0"):
        model.expected_lifetime(0)
    with pytest.raises(UsageError, match="at least 1, not 0"):
        model.retention_rate(0)
    with pytest.raises(UsageError, match="at least 0, not -1"):
        model.residual_lifetime(0.1, renewals=-1)
    with pytest.raises(UsageError, match="0 customers or more"):
        model.expected_survivors(-5, 3)


# -- the curves and lifetimes, for any parameters ----------------------------------------


@given(parameters, parameters, st.integers(1, 60))
def test_probabilities_stay_in_the_unit_interval_and_add_up(a: float, b: float, t: int) -> None:
    model = ShiftedBetaGeometric(a=a, b=b)
    churned = [model.churn_probability(k) for k in range(1, t + 1)]
    assert all(0 <= p <= 1 for p in churned)
    assert 0 <= model.survival(t) <= 1
    assert sum(churned) + model.survival(t) == pytest.approx(1.0, rel=1e-9)


@given(parameters, parameters, st.integers(1, 60))
def test_survival_is_the_product_of_the_retention_rates_and_they_never_fall(
    a: float, b: float, t: int
) -> None:
    model = ShiftedBetaGeometric(a=a, b=b)
    rates = [model.retention_rate(k) for k in range(1, t + 1)]
    assert math.prod(rates) == pytest.approx(model.survival(t), rel=1e-9)
    assert all(later >= earlier for earlier, later in pairwise(rates))
    assert model.survival(t) <= model.survival(t - 1)


def _beta(x: float, y: float) -> float:
    return math.exp(math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y))


@given(parameters, parameters, st.floats(0.05, 0.5), st.integers(0, 30))
def test_the_lifetimes_are_fader_and_hardies_closed_forms(
    a: float, b: float, d: float, renewals: int
) -> None:
    model = ShiftedBetaGeometric(a=a, b=b)
    z = 1 / (1 + d)
    assert model.expected_lifetime(d) == pytest.approx(gauss_series(1, b, a + b, z), rel=1e-9)
    n = renewals + 1
    derl = _beta(a, b + n) / _beta(a, b + n - 1) * gauss_series(1, b + n, a + b + n, z)
    assert model.residual_lifetime(d, renewals=renewals) == pytest.approx(derl, rel=1e-9)
    # a new customer's lifetime: the first payment, then the residual lifetime a period on
    assert model.expected_lifetime(d) == pytest.approx(
        1 + z * model.residual_lifetime(d, renewals=0), rel=1e-9
    )
    assert model.lifetime_value(50.0, discount_rate=d) == pytest.approx(
        50.0 * model.expected_lifetime(d)
    )


def test_a_customer_who_renewed_more_is_worth_more() -> None:
    model = ShiftedBetaGeometric.fit(survivors=REGULAR)
    values = [model.lifetime_value(100, discount_rate=0.1, renewals=n) for n in range(6)]
    assert values == sorted(values)
    assert values[0] < values[-1]


def test_expected_survivors_project_the_cohort() -> None:
    model = ShiftedBetaGeometric.fit(survivors=REGULAR)
    projected = model.expected_survivors(1000, 12)
    assert len(projected) == 13 and projected[0] == 1000
    for fitted, seen in zip(projected[1:8], REGULAR[1:], strict=True):
        assert fitted == pytest.approx(seen, rel=0.06)


def test_standard_errors_are_none_where_the_information_is_singular() -> None:
    assert standard_errors(lambda x: [0.0, 0.0], [1.0, 2.0]) is None
    assert standard_errors(lambda x: [-4 * (x[0] - 1)], [1.0]) is None  # a minimum of ln L
