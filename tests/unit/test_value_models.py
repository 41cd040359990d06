"""The BG/NBD and Gamma-Gamma models, checked against the published CDNOW estimates.

Figures marked "lifetimes" were computed with the lifetimes package 0.11.3 (an
independent implementation) from the same parameters.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from crmcore import Customer, CustomerHistory
from crmcore.errors import ModelFitError
from crmcore.lifecycle import replay
from crmcore.value import BetaGeo, GammaGamma, RfmRow, lifetime_value, rfm_summary
from tests.unit.test_value_rfm import cdnow_sales

PUBLISHED = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)


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
