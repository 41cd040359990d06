"""Discrete-time purchases: the beta-geometric/beta-binomial (BG/BB) model.

Fader, Hardie & Shang (2010, "Customer-base analysis in a discrete-time
noncontractual setting"): some businesses give their customers a fixed
chance to buy in each period — a yearly appeal for donations, an annual
event, a weekly delivery slot. Over ``n`` such opportunities a customer
has a pattern of yes and no; the model reads it from the frequency ``x``
(how many yeses), the recency ``t_x`` (the opportunity of the last yes, 0
for none) and ``n``:

* while alive, a customer buys at each opportunity with probability p,
  beta(α, β) across customers;
* at the start of each opportunity a living customer dies with probability
  θ, beta(γ, δ) across customers.

The likelihood of (x, t_x, n) is
B(α + x, β + n − x) / B(α, β) · B(γ, δ + n) / B(γ, δ) +
Σ_{i=0}^{n−t_x−1} B(α + x, β + t_x − x + i) / B(α, β) · B(γ + 1, δ + t_x + i) / B(γ, δ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import UsageError
from crmcore.value.fitting import (
    FitReport,
    Likelihood,
    log_beta,
    maximize,
)

__all__ = ["BetaGeoBetaBinom"]

_Positive = Field(gt=0, allow_inf_nan=False)
_NAMES = ("alpha", "beta", "gamma", "delta")


def _log_sum(logs: Sequence[float]) -> float:
    top = max(logs)
    return top + math.log(sum(math.exp(v - top) for v in logs))


def _log_likelihood(params: Sequence[float], x: int, t_x: int, n: int) -> float:
    """Ln L(α, β, γ, δ | x, t_x, n)."""
    alpha, beta, gamma, delta = params
    purchase, death = log_beta(alpha, beta), log_beta(gamma, delta)
    terms = [log_beta(alpha + x, beta + n - x) - purchase + log_beta(gamma, delta + n) - death]
    for i in range(n - t_x):
        terms.append(
            log_beta(alpha + x, beta + t_x - x + i)
            - purchase
            + log_beta(gamma + 1, delta + t_x + i)
            - death
        )
    return _log_sum(terms)


def _row(params: Sequence[float], row: tuple[float, ...]) -> float:
    x, t_x, n = row
    return _log_likelihood(params, int(x), int(t_x), int(n))


class BetaGeoBetaBinom(FitReport, Value):
    """A fitted BG/BB model: purchase probabilities beta(α, β), death probabilities beta(γ, δ).

    Everything is per transaction opportunity (period): a customer described
    by (``frequency``, ``recency``, ``n_periods``) bought at ``frequency`` of
    ``n_periods`` opportunities, the last at opportunity ``recency``.

    Examples:
        >>> model = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> round(model.p_alive(frequency=3, recency=4, n_periods=6), 3)
        0.439
        >>> round(model.expected_purchases_new(6), 3)
        2.22
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")

    alpha: float = _Positive
    beta: float = _Positive
    gamma: float = _Positive
    delta: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="Customers fitted on.")
    penalizer: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="The L2 penalty of the fit."
    )
    standard_errors: tuple[float, float, float, float] | None = Field(
        default=None,
        description="The standard errors of α, β, γ, δ (observed information), when they exist.",
    )

    @classmethod
    def fit(
        cls,
        frequency: Sequence[int],
        recency: Sequence[int],
        n_periods: Sequence[int],
        weights: Sequence[int] | None = None,
        *,
        penalizer: float = 0.0,
        max_iterations: int = 20_000,
    ) -> BetaGeoBetaBinom:
        """Fit by maximum likelihood on (frequency, recency, n) patterns, each with its count.

        One row per customer, or one per distinct pattern with the number of
        customers who share it in ``weights``. With a ``penalizer`` c, the fit
        minimises −ln L / customers + c (α² + β² + γ² + δ²).

        Raises:
            UsageError: The columns differ in length or are empty; a row is
                not a pattern of opportunities (frequency above recency,
                recency above n, a purchase with recency 0, a negative or
                non-whole value); a weight below 1; a negative ``penalizer``.
            ModelFitError: The likelihood search did not converge (the last
                parameters it held are named).

        Examples:
            >>> model = BetaGeoBetaBinom.fit(
            ...     frequency=[0, 1, 1, 1, 2, 2, 3], recency=[0, 1, 2, 3, 2, 3, 3],
            ...     n_periods=[3] * 7, weights=[352, 129, 55, 42, 91, 106, 226])
            >>> model.customers, round(model.alpha, 2), round(model.gamma, 2)
            (1001, 1.21, 0.65)
        """
        rows = _patterns(frequency, recency, n_periods, weights)
        patterns = [((x, t_x, n), weight) for x, t_x, n, weight in rows]
        likelihood = Likelihood(_row, patterns, penalizer)
        params, errors = maximize("BG/BB", _NAMES, likelihood, max_iterations)
        alpha, beta, gamma, delta = params
        return cls(
            alpha=alpha,
            beta=beta,
            gamma=gamma,
            delta=delta,
            log_likelihood=likelihood.total(params),
            customers=likelihood.customers,
            penalizer=penalizer,
            standard_errors=None
            if errors is None
            else (errors[0], errors[1], errors[2], errors[3]),
        )

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return (self.alpha, self.beta, self.gamma, self.delta)

    def _alive_through(self, period: int) -> float:
        """P(alive at opportunity ``period``) for a new customer: B(γ, δ + t) / B(γ, δ)."""
        return math.exp(
            log_beta(self.gamma, self.delta + period) - log_beta(self.gamma, self.delta)
        )

    def p_alive(self, *, frequency: int, recency: int, n_periods: int) -> float:
        """The probability that a customer with this pattern is alive at the next opportunity.

        Examples:
            >>> model = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
            >>> model.p_alive(frequency=6, recency=6, n_periods=6) > model.p_alive(
            ...     frequency=1, recency=1, n_periods=6)
            True
        """
        x, t_x, n = _pattern(frequency, recency, n_periods)
        alpha, beta, gamma, delta = self._params
        alive = (
            log_beta(alpha + x, beta + n - x)
            - log_beta(alpha, beta)
            + log_beta(gamma, delta + n + 1)
            - log_beta(gamma, delta)
        )
        return min(1.0, math.exp(alive - _log_likelihood(self._params, x, t_x, n)))

    def expected_purchases(
        self, future_periods: int, *, frequency: int, recency: int, n_periods: int
    ) -> float:
        """The expected purchases of a customer with this pattern in the next opportunities.

        (1/L) · B(α + x + 1, β + n − x) / B(α, β) · Σ_{t=n+1}^{n+n*} B(γ, δ + t) / B(γ, δ).

        Examples:
            >>> model = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
            >>> round(model.expected_purchases(5, frequency=6, recency=6, n_periods=6), 3)
            3.752
        """
        x, t_x, n = _pattern(frequency, recency, n_periods)
        ahead = _count(future_periods)
        alpha, beta = self.alpha, self.beta
        buys = log_beta(alpha + x + 1, beta + n - x) - log_beta(alpha, beta)
        weight = math.exp(buys - _log_likelihood(self._params, x, t_x, n))
        return weight * sum(self._alive_through(t) for t in range(n + 1, n + ahead + 1))

    def expected_purchases_new(self, periods: int) -> float:
        """The expected purchases of a new customer in their first ``periods`` opportunities.

        α / (α + β) · Σ_{t=1}^{n} B(γ, δ + t) / B(γ, δ).

        Examples:
            >>> even = BetaGeoBetaBinom(alpha=1, beta=1, gamma=1, delta=1)
            >>> round(even.expected_purchases_new(1), 6)
            0.25
        """
        n = _count(periods)
        share = self.alpha / (self.alpha + self.beta)
        return share * sum(self._alive_through(t) for t in range(1, n + 1))


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"A number of periods must be a whole number, 0 or more, not {value!r}.")
    return value


def _pattern(frequency: object, recency: object, n_periods: object) -> tuple[int, int, int]:
    """(x, t_x, n) checked to be a pattern of purchases over n opportunities."""
    values = []
    for name, value in (("frequency", frequency), ("recency", recency), ("n_periods", n_periods)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise UsageError(f"{name} must be a whole number, 0 or more, not {value!r}.")
        values.append(value)
    x, t_x, n = values
    if x > t_x or t_x > n or (x > 0) != (t_x > 0):
        raise UsageError(
            f"frequency {x}, recency {t_x} and n_periods {n} are not a pattern of purchases: "
            "a customer buys at most once an opportunity, the last time at opportunity "
            "recency (0 for never), at most n_periods."
        )
    return x, t_x, n


def _patterns(
    frequency: Sequence[int],
    recency: Sequence[int],
    n_periods: Sequence[int],
    weights: Sequence[int] | None,
) -> list[tuple[int, int, int, int]]:
    columns = [list(frequency), list(recency), list(n_periods)]
    counts = [1] * len(columns[0]) if weights is None else list(weights)
    if len({len(c) for c in (*columns, counts)}) != 1:
        raise UsageError("frequency, recency, n_periods and weights must be of equal length.")
    if not counts:
        raise UsageError("Cannot fit BG/BB on no customers.")
    rows = []
    for row, (x, t_x, n, w) in enumerate(zip(*columns, counts, strict=True)):
        try:
            pattern = _pattern(x, t_x, n)
        except UsageError as exc:
            raise UsageError(f"Cannot fit BG/BB: row {row}: {exc}") from None
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise UsageError(f"Cannot fit BG/BB: row {row}: a weight counts customers, not {w!r}.")
        rows.append((*pattern, w))
    return rows
