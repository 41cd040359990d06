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


def digamma(x: float) -> float:
    """The digamma function ψ(x) = d ln Γ(x) / dx, for x > 0.

    Shifts x above 10 by ψ(x) = ψ(x + 1) − 1/x, then sums the asymptotic series;
    accurate to about 1e-12.
    """
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inverse = 1.0 / x
    square = inverse * inverse
    series = square * (
        1 / 12 - square * (1 / 120 - square * (1 / 252 - square * (1 / 240 - square / 132)))
    )
    return result + math.log(x) - 0.5 * inverse - series


def bfgs(
    f: Callable[[Sequence[float]], tuple[float, list[float]]],
    start: Sequence[float],
    *,
    gradient_tolerance: float = 1e-9,
    stall_tolerance: float = 1e-6,
    max_iterations: int = 500,
    bound: float = math.inf,
) -> Minimum:
    """Minimise ``f``, which returns its value and gradient, by BFGS with backtracking.

    Converged when every gradient component is below ``gradient_tolerance``,
    or, once rounding stops further progress (no step lowers the value any
    more), when they are below ``stall_tolerance``. With a ``bound`` on the
    coordinates (``f`` infinite beyond it), the search gives up, not
    converged, once it stands at the bound and still points outwards.
    """
    n = len(start)
    x = list(start)
    value, gradient = f(x)
    inverse = [[float(i == j) for j in range(n)] for i in range(n)]
    for iteration in range(1, max_iterations + 1):
        if max(abs(g) for g in gradient) <= gradient_tolerance:
            return Minimum(tuple(x), value, iteration, True)
        direction = [-sum(inverse[i][j] * gradient[j] for j in range(n)) for i in range(n)]
        slope = sum(d * g for d, g in zip(direction, gradient, strict=True))
        if slope >= 0:  # not a descent direction: start again from steepest descent
            inverse = [[float(i == j) for j in range(n)] for i in range(n)]
            direction = [-g for g in gradient]
            slope = -sum(g * g for g in gradient)
        if any(abs(xi) > bound - 0.1 and xi * di > 0 for xi, di in zip(x, direction, strict=True)):
            return Minimum(tuple(x), value, iteration, False)
        step = 1.0
        for _ in range(60):
            trial = [xi + step * di for xi, di in zip(x, direction, strict=True)]
            try:
                trial_value, trial_gradient = f(trial)
            except (OverflowError, ValueError, ZeroDivisionError):
                trial_value, trial_gradient = math.inf, gradient
            if math.isfinite(trial_value) and trial_value <= value + 1e-4 * step * slope:
                break
            step /= 2
        else:
            stalled = max(abs(g) for g in gradient) <= stall_tolerance
            return Minimum(tuple(x), value, iteration, stalled)
        if trial_value >= value and max(abs(g) for g in trial_gradient) <= stall_tolerance:
            return Minimum(tuple(trial), trial_value, iteration, True)
        s = [t - xi for t, xi in zip(trial, x, strict=True)]
        y = [tg - g for tg, g in zip(trial_gradient, gradient, strict=True)]
        x, value, gradient = trial, trial_value, trial_gradient
        sy = sum(a * b for a, b in zip(s, y, strict=True))
        if sy > 1e-12:
            hy = [sum(inverse[i][j] * y[j] for j in range(n)) for i in range(n)]
            yhy = sum(a * b for a, b in zip(y, hy, strict=True))
            for i in range(n):
                for j in range(n):
                    inverse[i][j] += (sy + yhy) * s[i] * s[j] / (sy * sy) - (
                        hy[i] * s[j] + s[i] * hy[j]
                    ) / sy
    return Minimum(tuple(x), value, max_iterations, False)
