"""A Nelder-Mead minimiser, enough for the few-parameter likelihoods of the value models."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Minimum:
    """Where a minimisation ended."""

    x: tuple[float, ...]
    value: float
    iterations: int
    converged: bool


def nelder_mead(
    f: Callable[[Sequence[float]], float],
    start: Sequence[float],
    *,
    step: float = 0.5,
    x_tolerance: float = 1e-10,
    f_tolerance: float = 1e-12,
    max_iterations: int = 20_000,
) -> Minimum:
    """Minimise ``f`` from ``start`` with the adaptive Nelder-Mead simplex method.

    Converged when the simplex is smaller than ``x_tolerance`` in every
    coordinate and its values differ by less than ``f_tolerance`` (relative to
    the best value). A non-finite value counts as +infinity, so the simplex
    moves away from it.
    """
    n = len(start)
    # adaptive coefficients (Gao & Han 2012) behave better as n grows
    alpha, gamma, rho, sigma = 1.0, 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n

    def value(x: Sequence[float]) -> float:
        y = f(x)
        return y if math.isfinite(y) else math.inf

    simplex = [list(start)]
    for i in range(n):
        point = list(start)
        point[i] += step
        simplex.append(point)
    values = [value(p) for p in simplex]
    for iteration in range(1, max_iterations + 1):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        best, worst = values[0], values[-1]
        size = max(abs(p[i] - simplex[0][i]) for p in simplex[1:] for i in range(n))
        if size <= x_tolerance and abs(worst - best) <= f_tolerance * max(1.0, abs(best)):
            return Minimum(tuple(simplex[0]), best, iteration, True)
        centroid = [sum(p[i] for p in simplex[:-1]) / n for i in range(n)]
        reflected = [c + alpha * (c - w) for c, w in zip(centroid, simplex[-1], strict=True)]
        f_reflected = value(reflected)
        if f_reflected < best:
            expanded = [c + gamma * (r - c) for c, r in zip(centroid, reflected, strict=True)]
            f_expanded = value(expanded)
            if f_expanded < f_reflected:
                simplex[-1], values[-1] = expanded, f_expanded
            else:
                simplex[-1], values[-1] = reflected, f_reflected
            continue
        if f_reflected < values[-2]:
            simplex[-1], values[-1] = reflected, f_reflected
            continue
        if f_reflected < worst:  # outside contraction
            contracted = [c + rho * (r - c) for c, r in zip(centroid, reflected, strict=True)]
            f_contracted = value(contracted)
            if f_contracted <= f_reflected:
                simplex[-1], values[-1] = contracted, f_contracted
                continue
        else:  # inside contraction
            contracted = [c + rho * (w - c) for c, w in zip(centroid, simplex[-1], strict=True)]
            f_contracted = value(contracted)
            if f_contracted < worst:
                simplex[-1], values[-1] = contracted, f_contracted
                continue
        for j in range(1, n + 1):  # shrink towards the best point
            simplex[j] = [b + sigma * (p - b) for b, p in zip(simplex[0], simplex[j], strict=True)]
            values[j] = value(simplex[j])
    best_index = min(range(n + 1), key=values.__getitem__)
    return Minimum(tuple(simplex[best_index]), values[best_index], max_iterations, False)
