"""The private optimisers and special functions behind the value models."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.value._optimize import bfgs, digamma, nelder_mead


def test_digamma_at_one_is_minus_the_euler_mascheroni_constant() -> None:
    assert digamma(1.0) == pytest.approx(-0.5772156649015329, abs=1e-12)


@given(st.floats(0.01, 500))
def test_digamma_is_the_slope_of_log_gamma(x: float) -> None:
    h = 1e-5 * max(1.0, x)
    slope = (math.lgamma(x + h) - math.lgamma(x - min(h, x / 2))) / (h + min(h, x / 2))
    assert digamma(x) == pytest.approx(slope, rel=1e-4, abs=1e-4)


def rosenbrock(p: list[float] | tuple[float, ...]) -> float:
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_with_gradient(p: list[float] | tuple[float, ...]) -> tuple[float, list[float]]:
    x, y = p
    return rosenbrock(p), [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]


def test_nelder_mead_finds_the_rosenbrock_minimum() -> None:
    found = nelder_mead(rosenbrock, [-1.2, 1.0])
    assert found.converged
    assert found.x == pytest.approx((1.0, 1.0), abs=1e-6)


def test_bfgs_finds_the_rosenbrock_minimum() -> None:
    found = bfgs(rosenbrock_with_gradient, [-1.2, 1.0])
    assert found.converged
    assert found.x == pytest.approx((1.0, 1.0), abs=1e-6)


def test_a_search_cut_short_says_it_did_not_converge() -> None:
    assert not nelder_mead(rosenbrock, [-1.2, 1.0], max_iterations=3).converged
    assert not bfgs(rosenbrock_with_gradient, [-1.2, 1.0], max_iterations=3).converged
