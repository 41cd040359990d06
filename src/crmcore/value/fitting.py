"""What every fitted customer-value model reports beside its parameters.

Maximum-likelihood fits share their accounting: the standard errors of the
parameters from the observed information (the Hessian of the negative
log-likelihood at the optimum), Wald intervals, and the information
criteria that compare models fitted on the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from crmcore.errors import ModelFitError, NumericalError, UsageError
from crmcore.value._optimize import bfgs, nelder_mead

__all__ = [
    "Estimate",
    "FitReport",
    "Likelihood",
    "akaike",
    "bayesian",
    "check_penalizer",
    "check_purchase_count",
    "estimates",
    "four",
    "gamma_poisson",
    "log_beta",
    "maximize",
    "numeric_gradient",
    "standard_errors",
]

#: The two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959963984540054


class Estimate(NamedTuple):
    """One fitted parameter: its value, standard error and 95% Wald interval.

    The interval is ``value ± 1.96 · standard_error`` on the parameter's own
    scale (as lifetimes reports it); ``None`` when the standard error could
    not be had.
    """

    name: str
    value: float
    standard_error: float | None
    lower_95: float | None
    upper_95: float | None

    @classmethod
    def of(cls, name: str, value: float, standard_error: float | None) -> Estimate:
        """The estimate of ``value`` with its interval.

        Examples:
            >>> Estimate.of("a", 0.7, 0.05).lower_95
            0.6020018007729973
        """
        if standard_error is None:
            return cls(name, value, None, None, None)
        spread = Z_95 * standard_error
        return cls(name, value, standard_error, value - spread, value + spread)


class FitReport:
    """The accounting of a fitted model: information criteria and the estimates' table.

    Mixed into each model class, which declares its ``PARAMETERS`` (names
    of its fields, in order) and the fields ``log_likelihood``,
    ``customers`` and ``standard_errors``.
    """

    PARAMETERS: ClassVar[tuple[str, ...]]

    if TYPE_CHECKING:
        log_likelihood: float | None
        customers: int | None
        standard_errors: tuple[float, ...] | None

    @property
    def aic(self) -> float | None:
        """Akaike's information criterion of the fit (``None`` when not fitted).

        Examples:
            >>> from crmcore.value import ShiftedBetaGeometric
            >>> ShiftedBetaGeometric(a=0.7, b=1.2).aic is None
            True
        """
        if self.log_likelihood is None:
            return None
        return akaike(self.log_likelihood, len(self.PARAMETERS))

    @property
    def bic(self) -> float | None:
        """The Bayesian information criterion of the fit, over the customers fitted on."""
        if self.log_likelihood is None or not self.customers:
            return None
        return bayesian(self.log_likelihood, len(self.PARAMETERS), self.customers)

    def summary(self) -> tuple[Estimate, ...]:
        """Each parameter with its standard error and 95% interval (``None`` without them).

        Examples:
            >>> from crmcore.value import ShiftedBetaGeometric
            >>> fitted = ShiftedBetaGeometric.fit(survivors=[1000, 631, 468, 382])
            >>> [(e.name, e.lower_95 < e.value < e.upper_95) for e in fitted.summary()]
            [('a', True), ('b', True)]
        """
        values = [getattr(self, name) for name in self.PARAMETERS]
        return estimates(self.PARAMETERS, values, self.standard_errors)


def estimates(
    names: Sequence[str], values: Sequence[float], errors: Sequence[float] | None
) -> tuple[Estimate, ...]:
    """The estimates of a model's parameters, with their standard errors when known.

    Examples:
        >>> [e.standard_error for e in estimates(["a", "b"], [1.0, 2.0], None)]
        [None, None]
    """
    known: Sequence[float | None] = errors if errors is not None else [None] * len(names)
    return tuple(
        Estimate.of(name, value, error)
        for name, value, error in zip(names, values, known, strict=True)
    )


class Likelihood:
    """A model's log-likelihood over weighted rows, as the optimizer and the standard errors use it.

    ``row`` gives the log-likelihood of one row at the parameters; rows
    that repeat are counted once with their weight. The optimizer works on
    the parameters' logarithms and minimises the mean negative
    log-likelihood plus ``penalizer`` times the sum of the squared parameters.

    ``exact``, when a model has it, gives the total log-likelihood and its
    gradient in the parameters in one pass; the search and the standard
    errors then use that gradient instead of differences.
    """

    def __init__(
        self,
        row: Callable[[Sequence[float], tuple[float, ...]], float],
        rows: Sequence[tuple[tuple[float, ...], int]],
        penalizer: float = 0.0,
        *,
        bound: float = math.inf,
        exact: Callable[[Sequence[float]], tuple[float, list[float]]] | None = None,
    ) -> None:
        check_penalizer(penalizer)
        self.row = row
        self.exact = exact
        self.rows = sorted(rows)  # sums that do not depend on the rows' order
        self.customers = sum(weight for _, weight in rows)
        self.penalizer = penalizer
        self.bound = bound  # how far from 0 a parameter's logarithm may go

    def total(self, params: Sequence[float]) -> float:
        """The log-likelihood of all the rows (the model's one pass, when it has one)."""
        if self.exact is not None:
            return self.exact(params)[0]
        return sum(weight * self.row(params, row) for row, weight in self.rows)

    def by_rows(self, params: Sequence[float]) -> float:
        """The log-likelihood of all the rows, row by row (what ``exact`` must agree with)."""
        return sum(weight * self.row(params, row) for row, weight in self.rows)

    def value(self, theta: Sequence[float]) -> float:
        """The penalized mean negative log-likelihood at the parameters' logarithms."""
        if any(abs(v) > self.bound for v in theta):
            return math.inf
        try:
            params = [math.exp(v) for v in theta]
            penalty = self.penalizer * sum(p * p for p in params)
            return -self.total(params) / self.customers + penalty
        except (OverflowError, ValueError, ZeroDivisionError, NumericalError):
            return math.inf

    def objective(self, theta: Sequence[float]) -> tuple[float, list[float]]:
        """The value and its gradient (the model's own, else by differences), for BFGS."""
        if self.exact is None:
            return self.value(theta), numeric_gradient(self.value, theta)
        inf = (math.inf, [0.0] * len(theta))
        if any(abs(v) > self.bound for v in theta):
            return inf
        try:
            params = [math.exp(v) for v in theta]
            total, gradient = self.exact(params)
        except (OverflowError, ValueError, ZeroDivisionError, NumericalError):
            return inf
        scale = -1.0 / self.customers
        return total * scale + self.penalizer * sum(p * p for p in params), [
            (g * scale + 2 * self.penalizer * p) * p for g, p in zip(gradient, params, strict=True)
        ]

    def gradient(self, params: Sequence[float]) -> list[float]:
        """The gradient of the total negative log-likelihood in the parameters themselves."""
        if self.exact is not None:
            return [-g for g in self.exact(params)[1]]
        return numeric_gradient(lambda p: -self.total(p), params)


def log_beta(x: float, y: float) -> float:
    """Ln B(x, y), the logarithm of the beta function.

    Examples:
        >>> round(math.exp(log_beta(2.0, 3.0)), 6)
        0.083333
    """
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


def check_purchase_count(n: int, t: float) -> None:
    """Refuse a number of purchases that is not a whole number, or a horizon not above 0.

    Raises:
        UsageError: ``n`` is negative or not an integer, or ``t`` is not above 0.

    Examples:
        >>> check_purchase_count(3, 52.0)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise UsageError(f"n must be a whole number of purchases, 0 or more, not {n!r}.")
    if not t > 0:
        raise UsageError(f"t must be above 0, not {t!r}.")


def gamma_poisson(r: float, alpha: float, t: float, j: int) -> float:
    """The chance of j purchases in t at a Poisson rate that is gamma(r, α) across customers.

    The negative binomial Γ(r + j) / (Γ(r) j!) (α / (α + t))^r (t / (α + t))^j.

    Examples:
        >>> round(gamma_poisson(1.0, 1.0, 1.0, 0), 3)
        0.5
    """
    return math.exp(
        math.lgamma(r + j)
        - math.lgamma(r)
        - math.lgamma(j + 1)
        + r * math.log(alpha / (alpha + t))
        + j * math.log(t / (alpha + t))
    )


def check_penalizer(penalizer: float) -> None:
    """Refuse a penalty that is negative or not a number.

    Raises:
        UsageError: ``penalizer`` is below 0, infinite or NaN.

    Examples:
        >>> check_penalizer(0.1)
    """
    if not (penalizer >= 0 and math.isfinite(penalizer)):
        raise UsageError(f"penalizer must be 0 or more, not {penalizer!r}.")


def maximize(
    model: str,
    names: Sequence[str],
    likelihood: Likelihood,
    max_iterations: int,
    start: Sequence[float] | None = None,
) -> tuple[list[float], list[float] | None]:
    """The maximum-likelihood parameters, and their standard errors (unpenalized fits only).

    BFGS from ``start`` (default: all parameters at 1), then, on a rougher surface, the simplex
    from where it stopped (not when BFGS ran to the bound of the parameters:
    the fit is refused at once).

    Raises:
        ModelFitError: The search did not converge, or ended at the bound of
            the parameters (the customers do not tell them apart); the
            message names where it stopped.
    """
    best = bfgs(
        likelihood.objective,
        [0.0] * len(names) if start is None else [math.log(p) for p in start],
        max_iterations=min(500, max_iterations),
        gradient_tolerance=1e-7,
        stall_tolerance=1e-5,
        bound=likelihood.bound,
    )
    if not best.converged and not _at_bound(best.x, likelihood.bound):
        best = nelder_mead(likelihood.value, best.x, max_iterations=max_iterations)
    params = [math.exp(v) for v in best.x]
    held = ", ".join(f"{name} = {p:.6g}" for name, p in zip(names, params, strict=True))
    if _at_bound(best.x, likelihood.bound):
        raise extreme(model, best.iterations, names, params)
    if not best.converged or not math.isfinite(best.value):
        raise ModelFitError(
            model,
            best.iterations,
            f"the likelihood search did not converge (it stopped at {held}, mean negative "
            f"log-likelihood {best.value:.6g})",
        )
    errors = standard_errors(likelihood.gradient, params) if not likelihood.penalizer else None
    return params, errors


def _at_bound(theta: Sequence[float], bound: float) -> bool:
    """Whether a search ended at the bound of the parameters' logarithms."""
    return any(abs(v) > bound - 0.1 for v in theta)


def extreme(
    model: str, iterations: int, names: Sequence[str], params: Sequence[float]
) -> ModelFitError:
    """The refusal of a fit whose search ran to the bound of the parameters.

    Examples:
        >>> print(extreme("BG/NBD", 12, ["r", "alpha"], [0.5, 1e6]))  # doctest: +ELLIPSIS
        Cannot fit BG/NBD: the likelihood keeps growing towards extreme parameters (r = 0.5, ...
    """
    held = ", ".join(f"{name} = {p:.6g}" for name, p in zip(names, params, strict=True))
    return ModelFitError(
        model,
        iterations,
        f"the likelihood keeps growing towards extreme parameters ({held}): these "
        "customers do not tell the model's parameters apart (too few, or too alike)",
    )


def four(values: Sequence[float]) -> tuple[float, float, float, float]:
    """The four standard errors of a four-parameter model, as its field holds them."""
    first, second, third, fourth = values
    return (first, second, third, fourth)


def akaike(log_likelihood: float, parameters: int) -> float:
    """Akaike's information criterion, 2k − 2 ln L (lower is better).

    Examples:
        >>> akaike(-100.0, 2)
        204.0
    """
    return 2 * parameters - 2 * log_likelihood


def bayesian(log_likelihood: float, parameters: int, observations: int) -> float:
    """The Bayesian information criterion, k ln n − 2 ln L (lower is better).

    Examples:
        >>> round(bayesian(-100.0, 2, 1000), 3)
        213.816
    """
    return parameters * math.log(observations) - 2 * log_likelihood


def numeric_gradient(
    f: Callable[[Sequence[float]], float], at: Sequence[float], relative_step: float = 1e-6
) -> list[float]:
    """The gradient of ``f`` at ``at``, by central differences.

    For likelihoods whose analytic gradient is long to write: each
    component costs two evaluations.

    Examples:
        >>> [round(g, 6) for g in numeric_gradient(lambda x: x[0] ** 2 + 3 * x[1], [2.0, 1.0])]
        [4.0, 3.0]
    """
    gradient = []
    for j in range(len(at)):
        step = relative_step * max(abs(at[j]), 1.0)
        up, down = list(at), list(at)
        up[j] += step
        down[j] -= step
        gradient.append((f(up) - f(down)) / (2 * step))
    return gradient


def standard_errors(
    gradient: Callable[[Sequence[float]], Sequence[float]], at: Sequence[float]
) -> list[float] | None:
    """The standard errors of a maximum-likelihood estimate, from the observed information.

    ``gradient`` gives the gradient of the (total, unpenalized) negative
    log-likelihood in the parameters' own scale; its Jacobian at ``at``,
    by central differences, is the observed information, whose inverse is
    the estimates' covariance. ``None`` when that matrix is not positive
    definite (the optimum is on a ridge, or not a maximum).

    Examples:
        >>> # the negative log-likelihood of n = 100 draws of a normal mean, unit variance
        >>> [round(e, 6) for e in standard_errors(lambda x: [100 * (x[0] - 2.0)], [2.0])]
        [0.1]
    """
    n = len(at)
    information = [[0.0] * n for _ in range(n)]
    for j in range(n):
        step = 1e-5 * max(abs(at[j]), 1e-3)
        up, down = list(at), list(at)
        up[j] += step
        down[j] -= step
        ahead, behind = gradient(up), gradient(down)
        for i in range(n):
            information[i][j] = (ahead[i] - behind[i]) / (2 * step)
    symmetric = [[(information[i][j] + information[j][i]) / 2 for j in range(n)] for i in range(n)]
    try:
        covariance = _inverse(symmetric)
    except NumericalError:
        return None
    variances = [covariance[i][i] for i in range(n)]
    if not all(math.isfinite(v) and v > 0 for v in variances):
        return None
    return [math.sqrt(v) for v in variances]


def _inverse(matrix: list[list[float]]) -> list[list[float]]:
    """The inverse of a small square matrix, by Gauss-Jordan elimination with pivoting.

    Raises:
        NumericalError: The matrix is singular (to working precision).
    """
    n = len(matrix)
    work = [[*row, *(float(i == j) for j in range(n))] for i, row in enumerate(matrix)]
    scale = max((abs(v) for row in matrix for v in row), default=0.0)
    for column in range(n):
        pivot = max(range(column, n), key=lambda r: abs(work[r][column]))
        if abs(work[pivot][column]) <= 1e-12 * scale or scale == 0.0:
            raise NumericalError("the information matrix is singular")
        work[column], work[pivot] = work[pivot], work[column]
        head = work[column][column]
        work[column] = [v / head for v in work[column]]
        for row in range(n):
            if row != column:
                factor = work[row][column]
                if factor:
                    work[row] = [
                        v - factor * p for v, p in zip(work[row], work[column], strict=True)
                    ]
    return [row[n:] for row in work]
