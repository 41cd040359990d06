"""The purchase models' own likelihood gradients agree with differences of their likelihoods.

BFGS and the standard errors read these gradients; a wrong one would stall
the search or misstate the uncertainty without any other sign.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.value import modified, pareto
from crmcore.value.fitting import Likelihood, numeric_gradient

Rows = Sequence[tuple[tuple[float, ...], int]]
EXACT: dict[str, tuple[ModuleType, Callable[[Rows], Callable[..., tuple[float, list[float]]]]]] = {
    "Pareto/NBD": (pareto, pareto._ParetoLikelihood),
    "MBG/NBD": (modified, modified._ModifiedLikelihood),
}


@settings(max_examples=30, deadline=None)  # ~0.01 s each
@given(
    st.sampled_from(sorted(EXACT)),
    st.lists(
        st.tuples(st.integers(0, 30), st.floats(0.05, 1), st.floats(1, 400), st.integers(1, 5)),
        min_size=1,
        max_size=6,
    ),
    # parameters from e^-3 to e^4: beyond α / β ≈ 5,000, with r + x or s + 1 near a
    # whole number, Pareto/NBD's 2F1 at t = 0 cannot be summed and is refused
    st.tuples(*[st.floats(-3, 4)] * 4),
)
def test_the_likelihood_gradient_agrees_with_differences_of_the_likelihood(
    model: str, drawn: list[tuple[int, float, float, int]], logs: tuple[float, ...]
) -> None:
    module, exact = EXACT[model]
    rows = [((x, (share * t if x else 0.0), t), n) for x, share, t, n in drawn]
    params = [math.exp(v) for v in logs]
    likelihood = Likelihood(module._row, rows, exact=exact(rows))
    total, gradient = exact(rows)(params)
    assert total == pytest.approx(likelihood.by_rows(params), rel=1e-9, abs=1e-9)
    by_differences = numeric_gradient(likelihood.by_rows, params, relative_step=1e-7)
    for found, approximate, p in zip(gradient, by_differences, params, strict=True):
        # compared on the logarithmic scale the search uses
        assert found * p == pytest.approx(approximate * p, rel=1e-4, abs=1e-4 * len(rows))
