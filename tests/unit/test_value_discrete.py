"""The BG/BB model: the published fit of the donation data, its likelihood, its predictions."""

from __future__ import annotations

import csv
import itertools
import math
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ModelFitError, UsageError
from crmcore.value import BetaGeoBetaBinom

# Fader, Hardie & Shang (2010): 11,104 supporters, whether each gave in each of 6 years.
with (Path(__file__).resolve().parents[1] / "data" / "donations_bgbb.csv").open() as f:
    DONATIONS = [{k: int(v) for k, v in row.items()} for row in csv.DictReader(f)]

parameters = st.floats(min_value=0.1, max_value=8)
models = st.builds(BetaGeoBetaBinom, alpha=parameters, beta=parameters, gamma=parameters,
                   delta=parameters)  # fmt: skip


def column(name: str) -> list[int]:
    return [row[name] for row in DONATIONS]


def fit_donations(**options: float) -> BetaGeoBetaBinom:
    return BetaGeoBetaBinom.fit(
        column("frequency"), column("recency"), column("periods"), column("weights"), **options
    )


def pattern(sequence: tuple[int, ...]) -> tuple[int, int, int]:
    """(frequency, recency, n) of a sequence of yes (1) and no (0) over n opportunities."""
    times = [t for t, bought in enumerate(sequence, 1) if bought]
    return len(times), (times[-1] if times else 0), len(sequence)


def probability(model: BetaGeoBetaBinom, sequence: tuple[int, ...]) -> float:
    """The likelihood of a sequence, from the fitted log-likelihood of a one-customer fit."""
    x, t_x, n = pattern(sequence)
    alive = model.p_alive(frequency=x, recency=t_x, n_periods=n)
    # P(alive at n + 1 and the sequence) = B(α + x, β + n − x)/B(α, β) · B(γ, δ + n + 1)/B(γ, δ)
    joint = math.exp(
        math.lgamma(model.alpha + x) + math.lgamma(model.beta + n - x)
        - math.lgamma(model.alpha + model.beta + n)
        - math.lgamma(model.alpha) - math.lgamma(model.beta)
        + math.lgamma(model.alpha + model.beta)
        + math.lgamma(model.delta + n + 1) - math.lgamma(model.gamma + model.delta + n + 1)
        - math.lgamma(model.delta) + math.lgamma(model.gamma + model.delta)
    )  # fmt: skip
    return joint / alive


def test_the_fit_reproduces_the_published_estimates_of_the_donation_data() -> None:
    model = fit_donations()
    assert model.alpha == pytest.approx(1.204, abs=0.002)
    assert model.beta == pytest.approx(0.750, abs=0.002)
    assert model.gamma == pytest.approx(0.657, abs=0.002)
    assert model.delta == pytest.approx(2.783, abs=0.002)
    assert model.customers == 11_104


def test_no_nearby_parameters_fit_the_donations_better() -> None:
    model = fit_donations()
    assert model.log_likelihood is not None
    for name in ("alpha", "beta", "gamma", "delta"):
        for change in (0.98, 1.02):
            other = model.model_copy(update={name: getattr(model, name) * change})
            total = sum(
                row["weights"] * math.log(_pattern_likelihood(other, row)) for row in DONATIONS
            )
            assert total < model.log_likelihood


def _pattern_likelihood(model: BetaGeoBetaBinom, row: dict[str, int]) -> float:
    """The likelihood of one sequence with the row's pattern (every such sequence has it)."""
    x, t_x, n = row["frequency"], row["recency"], row["periods"]
    sequence = tuple(int(t in range(t_x - x + 1, t_x + 1)) for t in range(1, n + 1))
    assert pattern(sequence) == (x, t_x, n)
    return probability(model, sequence)


@given(models, st.integers(0, 6))
def test_the_probabilities_of_every_sequence_of_opportunities_add_up_to_one(
    model: BetaGeoBetaBinom, n: int
) -> None:
    total = sum(probability(model, s) for s in itertools.product((0, 1), repeat=n))
    assert total == pytest.approx(1.0, rel=1e-9)


@given(models, st.integers(0, 5), st.integers(1, 4))
def test_a_new_customers_expectation_is_the_average_of_the_customers_expectations(
    model: BetaGeoBetaBinom, n: int, ahead: int
) -> None:
    average = 0.0
    for sequence in itertools.product((0, 1), repeat=n):
        x, t_x, _ = pattern(sequence)
        expected = model.expected_purchases(ahead, frequency=x, recency=t_x, n_periods=n)
        average += probability(model, sequence) * expected
    later = model.expected_purchases_new(n + ahead) - model.expected_purchases_new(n)
    assert average == pytest.approx(later, rel=1e-9, abs=1e-12)


@given(models, st.integers(1, 8), st.data())
def test_p_alive_is_a_probability_and_expectations_grow_with_the_horizon(
    model: BetaGeoBetaBinom, n: int, data: st.DataObject
) -> None:
    t_x = data.draw(st.integers(0, n))
    x = data.draw(st.integers(min(1, t_x), t_x))
    alive = model.p_alive(frequency=x, recency=t_x, n_periods=n)
    assert 0 <= alive <= 1
    ahead = [model.expected_purchases(k, frequency=x, recency=t_x, n_periods=n) for k in range(5)]
    assert ahead[0] == 0 and ahead == sorted(ahead)
    assert all(0 <= later - earlier <= 1 for earlier, later in itertools.pairwise(ahead))


def test_buying_at_the_last_opportunity_makes_a_customer_likelier_to_be_alive() -> None:
    model = fit_donations()
    recent = model.p_alive(frequency=3, recency=6, n_periods=6)
    lapsed = model.p_alive(frequency=3, recency=3, n_periods=6)
    assert lapsed < recent
    assert recent == pytest.approx(
        (model.delta + 6) / (model.gamma + model.delta + 6), rel=1e-12
    )  # seen alive at 6: only the death before opportunity 7 remains


def test_the_fit_recovers_simulated_parameters_within_their_standard_errors() -> None:
    rng = random.Random(11)
    alpha, beta, gamma, delta, n = 1.5, 1.0, 0.8, 3.0, 8
    counts: dict[tuple[int, int], int] = {}
    for _ in range(6000):
        p, theta = rng.betavariate(alpha, beta), rng.betavariate(gamma, delta)
        bought = []
        for t in range(1, n + 1):
            if rng.random() < theta:
                break
            if rng.random() < p:
                bought.append(t)
        key = (len(bought), bought[-1] if bought else 0)
        counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts)
    model = BetaGeoBetaBinom.fit(
        [x for x, _ in keys], [t for _, t in keys], [n] * len(keys), [counts[k] for k in keys]
    )
    assert model.standard_errors is not None
    for estimate, truth in zip(model.summary(), (alpha, beta, gamma, delta), strict=True):
        assert estimate.standard_error is not None
        assert abs(estimate.value - truth) < 3 * estimate.standard_error, estimate


def test_the_fitted_model_round_trips_through_json_and_reports_its_fit() -> None:
    model = fit_donations()
    assert BetaGeoBetaBinom.model_validate_json(model.model_dump_json()) == model
    assert model.log_likelihood is not None
    assert model.aic == pytest.approx(8 - 2 * model.log_likelihood)
    assert model.bic == pytest.approx(4 * math.log(11_104) - 2 * model.log_likelihood)
    assert [e.name for e in model.summary()] == ["alpha", "beta", "gamma", "delta"]


def test_a_penalizer_shrinks_the_parameters_and_costs_likelihood() -> None:
    free, held = fit_donations(), fit_donations(penalizer=0.05)
    assert held.log_likelihood is not None and free.log_likelihood is not None
    size = lambda m: m.alpha**2 + m.beta**2 + m.gamma**2 + m.delta**2  # noqa: E731
    assert size(held) < size(free)
    assert held.log_likelihood < free.log_likelihood
    assert held.standard_errors is None


def test_a_search_that_runs_out_of_iterations_says_where_it_stopped() -> None:
    with pytest.raises(ModelFitError, match=r"BG/BB: .*stopped at alpha = .*delta = "):
        fit_donations(max_iterations=2)


@pytest.mark.parametrize(
    ("frequency", "recency", "n", "weights", "message"),
    [
        ([2], [1], [3], None, "not a pattern of purchases"),
        ([1], [4], [3], None, "not a pattern of purchases"),
        ([1], [0], [3], None, "not a pattern of purchases"),
        ([-1], [0], [3], None, "frequency must be a whole number"),
        ([1], [1], [3], [0], "a weight counts customers"),
        ([1, 0], [1], [3], None, "equal length"),
        ([], [], [], None, "no customers"),
    ],
)
def test_rows_that_are_not_patterns_are_refused(
    frequency: list[int], recency: list[int], n: list[int], weights: list[int] | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        BetaGeoBetaBinom.fit(frequency, recency, n, weights)
