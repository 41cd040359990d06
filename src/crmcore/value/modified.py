"""The MBG/NBD model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008).

BG/NBD lets a customer die only just after a repeat purchase, so a customer
who never came back is certainly alive. MBG/NBD lets a customer die also
at the start, just after the first purchase: while alive, a customer buys
at a Poisson rate λ, gamma(r, α) across customers; at the start and after
each purchase the customer dies with probability p, beta(a, b) across
customers.

ln L = ln Γ(r + x) − ln Γ(r) + r ln α + ln B(a, b + x + 1) − ln B(a, b)
− (r + x) ln(α + T) + ln(1 + a / (b + x) · ((α + T) / (α + t_x))^(r + x)).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import UnitMismatch, UsageError
from crmcore.value._optimize import digamma
from crmcore.value.fitting import (
    FitReport,
    Likelihood,
    check_purchase_count,
    four,
    gamma_poisson,
    log_beta,
    maximize,
)
from crmcore.value.models import growth, purchase_summaries
from crmcore.value.rfm import Unit

__all__ = ["ModifiedBetaGeo"]

_Positive = Field(gt=0, allow_inf_nan=False)
_NAMES = ("r", "alpha", "a", "b")
#: The search keeps every parameter within e^±_LOG_BOUND (1e-6 to 1e6), as BG/NBD's.
_LOG_BOUND = 13.8


def _log_odds_dead(params: Sequence[float], x: float, t_x: float, t: float) -> float:
    """Ln of a / (b + x) · ((α + T) / (α + t_x))^(r + x): dead against alive, given the history."""
    r, alpha, a, b = params
    return math.log(a / (b + x)) + (r + x) * math.log((alpha + t) / (alpha + t_x))


def _row(params: Sequence[float], row: tuple[float, ...]) -> float:
    return _log_likelihood(params, *row)


def _log_likelihood(params: Sequence[float], x: float, t_x: float, t: float) -> float:
    r, alpha, a, b = params
    odds = _log_odds_dead(params, x, t_x, t)
    both = odds + math.log1p(math.exp(-odds)) if odds > 0 else math.log1p(math.exp(odds))
    return (
        math.lgamma(r + x)
        - math.lgamma(r)
        + r * math.log(alpha)
        + log_beta(a, b + x + 1)
        - log_beta(a, b)
        - (r + x) * math.log(alpha + t)
        + both
    )


class _ModifiedLikelihood:
    """The MBG/NBD log-likelihood of weighted rows and its gradient, in one pass.

    The terms of a frequency (the gamma and beta functions) are computed once
    per distinct frequency, the logarithms of α + t once per distinct time.
    """

    def __init__(self, rows: Sequence[tuple[tuple[float, ...], int]]) -> None:
        self.rows = sorted(rows)
        weights: Counter[float] = Counter()
        for (x, _, _), weight in self.rows:
            weights[x] += weight
        self.by_x = sorted(weights.items())
        self.times = sorted({t for (_, t_x, t), _ in self.rows for t in (t_x, t)})
        self.customers = sum(weights.values())

    def __call__(self, params: Sequence[float]) -> tuple[float, list[float]]:
        r, alpha, a, b = params
        n = self.customers
        total = n * (r * math.log(alpha) - math.lgamma(r) - log_beta(a, b))
        ab = digamma(a + b)
        g_r = n * (math.log(alpha) - digamma(r))
        g_alpha = n * r / alpha
        g_a = n * (ab - digamma(a))
        g_b = n * (ab - digamma(b))
        for x, weight in self.by_x:
            total += weight * (math.lgamma(r + x) + log_beta(a, b + x + 1))
            g_r += weight * digamma(r + x)
            last = digamma(a + b + x + 1)
            g_a += weight * (digamma(a) - last)
            g_b += weight * (digamma(b + x + 1) - last)
        logs = {t: math.log(alpha + t) for t in self.times}
        log_a = math.log(a)
        for (x, t_x, t), weight in self.rows:
            rx = r + x
            log_t, log_tx = logs[t], logs[t_x]
            alive = -rx * log_t
            dead = log_a - math.log(b + x) - rx * log_tx
            if dead > alive:
                share = 1.0 / (1.0 + math.exp(alive - dead))  # of dying after the last purchase
                total += weight * (dead - math.log(share))
            else:
                rest = math.exp(dead - alive)
                share = rest / (1.0 + rest)
                total += weight * (alive + math.log1p(rest))
            stay = 1.0 - share
            g_r -= weight * (stay * log_t + share * log_tx)
            g_alpha -= weight * rx * (stay / (alpha + t) + share / (alpha + t_x))
            g_a += weight * share / a
            g_b -= weight * share / (b + x)
        return total, [g_r, g_alpha, g_a, g_b]


class ModifiedBetaGeo(FitReport, Value):
    """A fitted MBG/NBD model: purchase rates gamma(r, α), dropout probabilities beta(a, b).

    Rates are per ``unit``, the unit of the summary it was fitted on.

    Examples:
        >>> model = ModifiedBetaGeo(r=0.525, alpha=6.18, a=0.891, b=1.614, unit="weeks")
        >>> model.p_alive(frequency=0, recency=0, T=38.86) < 1  # may have left at once
        True
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    r: float = _Positive
    alpha: float = _Positive
    a: float = _Positive
    b: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="Customers fitted on.")
    unit: Unit | None = Field(
        default=None, description="The time unit of recency, T and α (None: not stated)."
    )
    penalizer: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="The L2 penalty of the fit."
    )
    standard_errors: tuple[float, float, float, float] | None = Field(
        default=None,
        description="The standard errors of r, α, a, b (observed information), when they exist.",
    )

    @classmethod
    def fit(
        cls,
        frequency: Iterable[Any],
        recency: Sequence[float] | None = None,
        T: Sequence[float] | None = None,  # noqa: N803 - the literature's name
        *,
        unit: Unit | None = None,
        penalizer: float = 0.0,
        max_iterations: int = 20_000,
    ) -> ModifiedBetaGeo:
        """Fit by maximum likelihood on frequency, recency and T (or on `RfmRow` rows).

        Raises:
            UsageError: The columns differ in length, are empty, or hold
                impossible values; a negative ``penalizer``.
            UnitMismatch: The rows are in several units, or not in ``unit``.
            ModelFitError: The likelihood search did not converge (the last
                parameters it held are named).

        Examples:
            >>> from datetime import date
            >>> from crmcore.datasets import load_sample
            >>> from crmcore.value import rfm_summary
            >>> rows = rfm_summary(load_sample().transactions, observation_end=date(2025, 1, 1),
            ...                    unit="weeks")
            >>> model = ModifiedBetaGeo.fit(rows)
            >>> model.unit, model.customers == len(rows)
            ('weeks', True)
        """
        rows, unit_found = purchase_summaries("MBG/NBD", frequency, recency, T, unit)
        weighted = list(Counter(rows).items())
        likelihood = Likelihood(
            _row, weighted, penalizer, bound=_LOG_BOUND, exact=_ModifiedLikelihood(weighted)
        )
        params, errors = maximize("MBG/NBD", _NAMES, likelihood, max_iterations)
        r, alpha, a, b = params
        return cls(
            r=r,
            alpha=alpha,
            a=a,
            b=b,
            log_likelihood=likelihood.total(params),
            customers=likelihood.customers,
            unit=unit_found,
            penalizer=penalizer,
            standard_errors=None if errors is None else four(errors),
        )

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.a, self.b)

    def _check_unit(self, operation: str, unit: str | None) -> None:
        if unit is not None and self.unit is not None and unit != self.unit:
            raise UnitMismatch(operation, self.unit, unit)

    def p_alive(
        self,
        *,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        unit: Unit | None = None,
    ) -> float:
        """The probability that a customer with this history is still alive at T.

        Raises:
            UnitMismatch: ``unit`` is not the model's unit.

        Examples:
            >>> model = ModifiedBetaGeo(r=0.525, alpha=6.18, a=0.891, b=1.614)
            >>> round(model.p_alive(frequency=2, recency=30.43, T=38.86), 3)
            0.706
        """
        self._check_unit("compute P(alive)", unit)
        odds = _log_odds_dead(self._params, frequency, recency, T)
        return 0.0 if odds > 700 else 1.0 / (1.0 + math.exp(odds))

    def expected_purchases(
        self,
        t: float,
        *,
        frequency: float | None = None,
        recency: float | None = None,
        T: float | None = None,  # noqa: N803
        unit: Unit | None = None,
    ) -> float:
        """The expected repeat purchases in the next ``t`` units, of a customer or a new one.

        Without a history, of a new customer in their first ``t`` units:
        b / (a − 1) · (1 − (α / (α + t))^r · 2F1(r, b + 1; a + b; t / (α + t))).

        Raises:
            UsageError: Only part of a history was given.
            UnitMismatch: ``unit`` is not the model's unit.

        Examples:
            >>> model = ModifiedBetaGeo(r=0.525, alpha=6.18, a=0.891, b=1.614)
            >>> round(model.expected_purchases(39), 3)
            1.183
        """
        self._check_unit("predict purchases", unit)
        r, alpha, a, b = self._params
        given = [v is None for v in (frequency, recency, T)]
        if all(given):
            return b / (a + b) * growth(r, b + 1, a, alpha, t)
        if any(given):
            raise UsageError("Give frequency, recency and T together, or none of them.")
        assert frequency is not None
        assert recency is not None
        assert T is not None
        grown = growth(r + frequency, b + frequency + 1, a, alpha + T, t)
        return grown * self.p_alive(frequency=frequency, recency=recency, T=T)

    def probability_of_purchases(self, n: int, t: float) -> float:
        """P(N(t) = n): the probability that a new customer buys ``n`` more times in ``t`` units.

        Examples:
            >>> model = ModifiedBetaGeo(r=0.525, alpha=6.18, a=0.891, b=1.614)
            >>> round(model.probability_of_purchases(0, 39), 3)
            0.582
        """
        check_purchase_count(n, t)
        r, alpha, a, b = self._params

        def poisson_gamma(j: int) -> float:
            return gamma_poisson(r, alpha, t, j)

        alive = math.exp(log_beta(a, b + n + 1) - log_beta(a, b)) * poisson_gamma(n)
        below = sum(poisson_gamma(j) for j in range(n))
        died = math.exp(log_beta(a + 1, b + n) - log_beta(a, b)) * (1 - below)
        return alive + died
