"""The BG/NBD and Gamma-Gamma models, checked against the published CDNOW estimates.

Figures marked "lifetimes" were computed with the lifetimes package 0.11.3 (an
independent implementation) from the same parameters.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import Customer, CustomerHistory
from crmcore.errors import ModelFitError, UndefinedPrediction, UnitMismatch
from crmcore.lifecycle import replay
from crmcore.value import BetaGeo, GammaGamma, RfmRow, lifetime_value, rfm_summary
from tests.conftest import assert_a_distribution_with_mean, gauss_series
from tests.unit.test_value_rfm import cdnow_sales

PUBLISHED = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")


@pytest.fixture(scope="module")
def calibration() -> list[RfmRow]:
    return rfm_summary(
        cdnow_sales(), observation_end=date(1997, 9, 30), unit="weeks", periods="days"
    )


def test_bg_nbd_fitted_on_cdnow_gives_the_published_parameters(calibration: list[RfmRow]) -> None:
    model = BetaGeo.fit(calibration)
    assert (round(model.r, 3), round(model.alpha, 3), round(model.a, 3), round(model.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert model.customers == 2357
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_bg_nbd_fits_the_same_from_columns(calibration: list[RfmRow]) -> None:
    columns = BetaGeo.fit(
        [r.frequency for r in calibration],
        [r.recency for r in calibration],
        [r.T for r in calibration],
        unit="weeks",
    )
    assert columns == BetaGeo.fit(calibration)


def test_gamma_gamma_fitted_on_cdnow_repeat_buyers(calibration: list[RfmRow]) -> None:
    model = GammaGamma.fit(calibration)
    assert (round(model.p, 2), round(model.q, 2), round(model.gamma, 1)) == (
        6.25,
        3.74,
        15.4,
    )  # lifetimes
    assert model.customers == 946


def test_p_alive_matches_an_independent_implementation() -> None:
    assert PUBLISHED.p_alive(frequency=2, recency=30.43, T=38.86) == pytest.approx(
        0.72657857
    )  # lifetimes


def test_a_customer_without_repeat_purchases_is_alive_for_sure() -> None:
    assert PUBLISHED.p_alive(frequency=0, recency=0, T=38.86) == 1.0


def test_a_long_silence_makes_death_likely() -> None:
    assert PUBLISHED.p_alive(frequency=10, recency=2, T=60) < 0.01


def test_expected_purchases_match_an_independent_implementation() -> None:
    assert PUBLISHED.expected_purchases(39, frequency=2, recency=30.43, T=38.86) == pytest.approx(
        1.226028174767135
    )
    assert PUBLISHED.expected_purchases(39) == pytest.approx(1.1967231933207985)  # lifetimes


def test_expected_spend_and_lifetime_value_match_an_independent_implementation() -> None:
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    assert spend.expected_spend(frequency=2, monetary_value=30.0) == pytest.approx(
        30.93832021
    )  # lifetimes
    value = lifetime_value(
        PUBLISHED, spend, frequency=2, recency=30.43, T=38.86, monetary_value=30.0
    )
    assert value == pytest.approx(45.52141815)  # lifetimes, 12 months at 1 % a month


def test_a_margin_scales_the_lifetime_value() -> None:
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    history = {"frequency": 2, "recency": 30.43, "T": 38.86, "monetary_value": 30.0}
    full = lifetime_value(PUBLISHED, spend, **history)
    assert lifetime_value(PUBLISHED, spend, margin=0.3, **history) == pytest.approx(0.3 * full)
    with pytest.raises(ValueError, match="periods must be 1 or more"):
        lifetime_value(PUBLISHED, spend, periods=0, **history)


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        (([1, 2], [1.0]), ValueError, "must be sequences of equal length"),
        (([], [], []), ValueError, "on no customers"),
        (
            ([1], [5.0], [4.0]),
            ValueError,
            r"row 0 \(frequency 1, recency 5, T 4\) is not a purchase summary",
        ),
        (([1.5], [1.0], [4.0]), ValueError, "is not a purchase summary"),
        (([(1, 2.0, 3.0)],), TypeError, "or RfmRow rows"),
    ],
)
def test_bad_input_to_a_fit_is_refused(
    columns: tuple[list[object], ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        BetaGeo.fit(*columns)  # type: ignore[arg-type]


def test_a_search_that_does_not_converge_raises_instead_of_returning_parameters(
    calibration: list[RfmRow],
) -> None:
    with pytest.raises(
        ModelFitError,
        match=r"Cannot fit BG/NBD: the likelihood search did not converge \(after 5 iterations\)",
    ):
        BetaGeo.fit(calibration, max_iterations=5)


@pytest.mark.parametrize(
    "rows",
    [
        [(2, 582.0, 722.0), (2, 43.0, 225.0)],
        [(1, 262.0, 289.0), (0, 0.0, 478.0), (0, 0.0, 214.0), (0, 0.0, 727.0)],
    ],
)
def test_customers_too_few_to_tell_the_parameters_apart_are_refused_at_once(
    rows: list[tuple[float, float, float]],
) -> None:
    # once the simplex wandered the flat far end of the likelihood for seconds
    with pytest.raises(ModelFitError, match="BG/NBD: .* extreme parameters") as info:
        BetaGeo.fit(*zip(*rows, strict=True))
    assert "after 20000" not in str(info.value)


def test_gamma_gamma_needs_repeat_buyers_with_spend() -> None:
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        GammaGamma.fit([0, 0], [0.0, 0.0])
    with pytest.raises(ValueError, match="repeat buyer 0 spent 0"):
        GammaGamma.fit([2], [0.0])


def test_a_fitted_model_round_trips_through_json() -> None:
    assert BetaGeo.model_validate_json(PUBLISHED.model_dump_json()) == PUBLISHED


def test_the_lifecycle_churns_a_customer_the_model_gives_up_on(calibration: list[RfmRow]) -> None:
    sales = [
        s
        for s in cdnow_sales()
        if s.customer_id == "00004" and s.occurred_at.date() <= date(1997, 9, 30)
    ]
    history = CustomerHistory(customer=Customer(id="00004"), transactions=sales)
    as_of = datetime(1997, 9, 30, tzinfo=timezone.utc)
    row = calibration[0]
    alive = PUBLISHED.p_alive(frequency=row.frequency, recency=row.recency, T=row.T)
    assert replay(history, as_of=as_of, p_alive=alive).stage == "repeat"
    assert replay(history, as_of=as_of, p_alive=alive / 2).transitions[-1].rule == "p_alive"


def test_a_model_fitted_on_a_summary_records_its_unit(calibration: list[RfmRow]) -> None:
    assert BetaGeo.fit(calibration).unit == "weeks"
    rows = [r._replace(unit="days") for r in calibration]
    with pytest.raises(UnitMismatch, match="fitted in weeks, the summary is in days"):
        BetaGeo.fit(rows, unit="weeks")
    with pytest.raises(UnitMismatch, match="rows in several units"):
        BetaGeo.fit([*calibration[:10], *rows[10:20]])


def test_a_customer_is_worth_the_same_whether_the_model_counts_days_or_weeks() -> None:
    end = date(1997, 9, 30)
    sales = cdnow_sales()
    in_days = rfm_summary(sales, observation_end=end, unit="days", periods="days")
    in_weeks = rfm_summary(sales, observation_end=end, unit="weeks", periods="days")
    by_day, by_week = BetaGeo.fit(in_days), BetaGeo.fit(in_weeks)
    spend = GammaGamma.fit(in_weeks)
    row_d, row_w = in_days[0], in_weeks[0]

    def value(model: BetaGeo, row: RfmRow, **options: float) -> float:
        return lifetime_value(
            model,
            spend,
            frequency=row.frequency,
            recency=row.recency,
            T=row.T,
            monetary_value=row.monetary_value,
            unit=row.unit,
            **options,
        )

    # the same 30-day period in each unit: the same value, to the fits' tolerance
    assert value(by_day, row_d, period_length=30) == pytest.approx(
        value(by_week, row_w, period_length=30 / 7), rel=1e-4
    )
    # a month by default: 30 days, or 4.345 weeks (30.4 days) as lifetimes counts them
    assert value(by_day, row_d) == pytest.approx(value(by_week, row_w), rel=0.02)


def test_a_prediction_in_another_unit_is_refused() -> None:
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    history = {"frequency": 2, "recency": 213.0, "T": 272.0}
    with pytest.raises(UnitMismatch, match="Cannot compute P\\(alive\\): the model was fitted"):
        PUBLISHED.p_alive(**history, unit="days")
    with pytest.raises(UnitMismatch, match="Cannot predict purchases"):
        PUBLISHED.expected_purchases(30, **history, unit="days")
    with pytest.raises(UnitMismatch, match="Cannot value a customer: .* in weeks, .* in days"):
        lifetime_value(PUBLISHED, spend, **history, monetary_value=30.0, unit="days")


def test_a_model_without_a_unit_needs_the_period_length_to_value_a_customer() -> None:
    unstated = PUBLISHED.model_copy(update={"unit": None})
    spend = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    history = {"frequency": 2, "recency": 30.43, "T": 38.86, "monetary_value": 30.0}
    with pytest.raises(UnitMismatch, match="the model states no time unit"):
        lifetime_value(unstated, spend, **history)
    assert lifetime_value(unstated, spend, **history, period_length=4.345) == lifetime_value(
        PUBLISHED, spend, **history
    )
    assert lifetime_value(unstated, spend, **history, unit="weeks") == lifetime_value(
        PUBLISHED, spend, **history
    )


@pytest.mark.parametrize("q", [0.9, 1.0])
def test_gamma_gamma_refuses_a_population_mean_that_does_not_exist(q: float) -> None:
    spend = GammaGamma(p=6.25, q=q, gamma=15.44)
    with pytest.raises(UndefinedPrediction, match=f"exists only for q > 1, and q is {q:g}"):
        spend.expected_spend(frequency=0, monetary_value=0.0)
    assert spend.expected_spend(frequency=1, monetary_value=30.0) == pytest.approx(
        6.25 * (15.44 + 30.0) / (6.25 + q - 1)
    )


def test_gamma_gamma_refuses_a_repeat_buyer_whose_mean_does_not_exist() -> None:
    spend = GammaGamma(p=0.05, q=0.5, gamma=15.44)
    with pytest.raises(UndefinedPrediction, match="p x \\+ q is 0.55"):
        spend.expected_spend(frequency=1, monetary_value=30.0)


def test_bg_nbd_expectations_at_a_equal_to_1_are_the_limit_of_their_neighbours() -> None:
    at_one = PUBLISHED.model_copy(update={"a": 1.0})
    history = {"frequency": 2, "recency": 30.43, "T": 38.86}
    for epsilon in (1e-5, -1e-5):
        near = PUBLISHED.model_copy(update={"a": 1.0 + epsilon})
        assert at_one.expected_purchases(39) == pytest.approx(near.expected_purchases(39), rel=1e-4)
        assert at_one.expected_purchases(39, **history) == pytest.approx(
            near.expected_purchases(39, **history), rel=1e-4
        )


@settings(max_examples=60, deadline=None)
@given(
    r=st.floats(0.05, 5),
    alpha=st.floats(0.5, 50),
    b=st.floats(0.2, 10),
    t=st.floats(0.5, 100),
    frequency=st.integers(0, 10),
)
def test_bg_nbd_expectations_are_continuous_through_a_equal_to_1(
    r: float, alpha: float, b: float, t: float, frequency: int
) -> None:
    history = {"frequency": frequency, "recency": 10.0 * (frequency > 0), "T": 20.0}
    model = BetaGeo(r=r, alpha=alpha, a=1.0, b=b)
    at_one = model.expected_purchases(t, **history)
    below = model.model_copy(update={"a": 1 - 1e-4}).expected_purchases(t, **history)
    above = model.model_copy(update={"a": 1 + 1e-4}).expected_purchases(t, **history)
    assert at_one > 0
    assert min(below, above) - 1e-9 <= at_one <= max(below, above) + 1e-9


@pytest.mark.parametrize("t", [40.0, 400.0, 4000.0])
def test_near_the_end_of_its_range_the_2f1_agrees_with_its_plain_series(t: float) -> None:
    r, alpha, a, b = PUBLISHED.r, PUBLISHED.alpha, PUBLISHED.a, PUBLISHED.b
    z = t / (alpha + t)  # 0.90, 0.989, 0.9989: past the switch to the series in 1 - z
    expected = (
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * gauss_series(r, b, a + b - 1, z))
    )
    assert z > 0.9
    assert PUBLISHED.expected_purchases(t) == pytest.approx(expected, rel=1e-9)


def test_expected_purchases_over_a_thousand_years_are_finite_and_keep_growing() -> None:
    horizons = [39.0, 520.0, 5_200.0, 52_000.0, 520_000.0]
    new = [PUBLISHED.expected_purchases(t) for t in horizons]
    known = [PUBLISHED.expected_purchases(t, frequency=2, recency=30.43, T=38.86) for t in horizons]
    for values in (new, known):
        assert all(math.isfinite(v) for v in values)
        assert values == sorted(values) and len(set(values)) == len(values)


# Models whose mean in t stays below 16 purchases: the tail beyond 400 is negligible.
@settings(max_examples=40)
@given(
    st.builds(
        BetaGeo,
        r=st.floats(0.1, 2),
        alpha=st.floats(5, 40),
        a=st.floats(0.2, 5),
        b=st.floats(0.2, 5),
    ),
    st.floats(1, 40),
)
def test_the_probabilities_of_n_purchases_add_up_to_one_with_the_expected_mean(
    model: BetaGeo, t: float
) -> None:
    probabilities = [model.probability_of_purchases(n, t) for n in range(400)]
    assert_a_distribution_with_mean(probabilities, model.expected_purchases(t))


def test_the_cdnow_fit_reports_standard_errors_and_information_criteria(
    calibration: list[RfmRow],
) -> None:
    model = BetaGeo.fit(calibration)
    assert model.standard_errors is not None and model.log_likelihood is not None
    assert all(e > 0 for e in model.standard_errors)
    assert model.aic == pytest.approx(8 - 2 * model.log_likelihood)
    assert model.bic == pytest.approx(4 * math.log(2357) - 2 * model.log_likelihood)
    assert [e.name for e in model.summary()] == ["r", "alpha", "a", "b"]
    for estimate in model.summary():
        assert estimate.lower_95 is not None and estimate.upper_95 is not None
        assert estimate.lower_95 < estimate.value < estimate.upper_95
    assert BetaGeo.model_validate_json(model.model_dump_json()) == model


def test_a_penalized_bg_nbd_fit_shrinks_its_parameters(calibration: list[RfmRow]) -> None:
    free = BetaGeo.fit(calibration)
    held = BetaGeo.fit(calibration, penalizer=0.01)
    size = lambda m: m.r**2 + m.alpha**2 + m.a**2 + m.b**2  # noqa: E731
    assert size(held) < size(free)
    assert (held.penalizer, held.standard_errors) == (0.01, None)
    with pytest.raises(ValueError, match="penalizer"):
        BetaGeo.fit(calibration, penalizer=-0.1)


@pytest.mark.parametrize("t", [1.0, 44.0, 46.0, 52_000.0])
def test_a_and_b_adding_up_to_one_leave_the_expectation_finite(t: float) -> None:
    model = BetaGeo(r=1.0, alpha=5.0, a=0.5, b=0.5)  # the 2F1 of the expectation has c = 0
    expected = model.expected_purchases(t)
    assert math.isfinite(expected) and expected > 0
    if t < 50:
        probabilities = [model.probability_of_purchases(n, t) for n in range(600)]
        assert sum(n * p for n, p in enumerate(probabilities)) == pytest.approx(expected, rel=1e-6)


def test_gamma_gamma_reports_its_fit_and_a_penalty_shrinks_it(calibration: list[RfmRow]) -> None:
    free = GammaGamma.fit(calibration)
    assert free.standard_errors is not None and free.log_likelihood is not None
    assert all(e > 0 for e in free.standard_errors)
    assert free.aic == pytest.approx(6 - 2 * free.log_likelihood)
    assert [e.name for e in free.summary()] == ["p", "q", "gamma"]
    assert GammaGamma.model_validate_json(free.model_dump_json()) == free
    held = GammaGamma.fit(calibration, penalizer=0.001)
    assert held.p**2 + held.q**2 + held.gamma**2 < free.p**2 + free.q**2 + free.gamma**2
    assert held.standard_errors is None
