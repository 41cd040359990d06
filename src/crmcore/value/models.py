"""Probabilistic customer-base models: BG/NBD for purchases and P(alive), Gamma-Gamma for spend.

Both are fitted by maximum likelihood in pure Python: the log-likelihoods use
``math.lgamma``, identical summary rows are grouped and weighted, and the
parameters are searched on a log scale by a Nelder-Mead simplex. A search that
does not converge raises `ModelFitError` rather than returning parameters.

* **BG/NBD** (Fader, Hardie & Lee 2005): while alive, a customer buys at a
  Poisson rate λ, gamma(r, α) across customers; after each purchase the
  customer dies with probability p, beta(a, b) across customers.
* **Gamma-Gamma** (Fader, Hardie & Lee 2005b): a customer's spend per purchase
  varies around the customer's mean, gamma(p, ν); the means are gamma(q, γ)
  across customers; spend is independent of purchase frequency.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import (
    ModelFitError,
    NumericalError,
    UndefinedPrediction,
    UnitMismatch,
    UnsupportedType,
    UsageError,
)
from crmcore.value._optimize import Minimum, bfgs, digamma, nelder_mead
from crmcore.value.fitting import (
    FitReport,
    Likelihood,
    check_penalizer,
    check_purchase_count,
    extreme,
    four,
    gamma_poisson,
    log_beta,
    standard_errors,
)
from crmcore.value.rfm import RfmRow, Unit

__all__ = ["MONTH", "BetaGeo", "GammaGamma", "lifetime_value"]

_Positive = Field(gt=0, allow_inf_nan=False)
#: BG/NBD's search keeps every parameter within e^±_LOG_BOUND (1e-6 to 1e6); a search
#: that runs there is refused instead of wandering the flat far end of the likelihood.
_LOG_BOUND = 13.8

#: A month in each unit, as lifetimes counts it (30 days, 4.345 weeks).
MONTH: dict[str, float] = {"days": 30.0, "weeks": 4.345, "months": 1.0}

#: How close to 1 the BG/NBD ``a`` must be for the expectation to use its limit at a = 1.
_NEAR_ONE = 1e-8


def purchase_columns(
    first: Iterable[Any], others: Sequence[Sequence[float] | None], names: Sequence[str]
) -> tuple[list[tuple[float, ...]], set[str]]:
    """Rows from equal-length columns, or from `RfmRow`s given alone; and the rows' units."""
    if all(column is None for column in others):
        rows = list(first)
        if not all(isinstance(r, RfmRow) for r in rows):
            raise UnsupportedType(
                f"Give {', '.join(names)} as equal-length sequences, or RfmRow rows."
            )
        picks = {"frequency": 1, "recency": 2, "T": 3, "monetary_value": 4}
        return [tuple(float(r[picks[n]]) for n in names) for r in rows], {r.unit for r in rows}
    columns = [list(first), *[list(c) for c in others if c is not None]]
    if any(c is None for c in others) or len({len(c) for c in columns}) != 1:
        raise UsageError(f"{', '.join(names)} must be sequences of equal length.")
    return [tuple(float(v) for v in row) for row in zip(*columns, strict=True)], set()


def fitted_unit(stated: Unit | None, found: set[str], model: str = "BG/NBD") -> Unit | None:
    """The unit of a fit: the rows' one unit, or the one stated for plain columns.

    Raises:
        UnitMismatch: The rows are in several units, or not in the one stated.
    """
    if len(found) > 1:
        first, second = sorted(found)[:2]
        raise UnitMismatch(f"fit {model} on rows in several units", first, second)
    if found:
        (unit,) = found
        if stated is not None and stated != unit:
            raise UnitMismatch(f"fit {model}", stated, unit)
        return unit  # type: ignore[return-value]  # an RfmRow's unit is a Unit
    return stated


def _limit_series(r: float, b: float, z: float) -> float:
    """Σ_k (r)_k z^k / k! · Σ_{j<k} 1 / (b + j): the derivative of 2F1(r, b; c; z) in c, at c = b.

    The BG/NBD expectation has the factor 1 / (a − 1) in front of a bracket
    that vanishes at a = 1; its limit there is ``b (1 − z)^r`` times this sum.
    """
    term, harmonic, total = 1.0, 0.0, 0.0
    for k in range(200_000):
        harmonic += 1.0 / (b + k)
        term *= (r + k) / (k + 1) * z
        total += term * harmonic
        if term * harmonic <= 1e-16 * total:
            return total
    raise NumericalError(f"the a = 1 series of BG/NBD did not converge at z = {z}")


def purchase_summaries(
    model: str,
    frequency: Iterable[Any],
    recency: Sequence[float] | None,
    T: Sequence[float] | None,  # noqa: N803 - the literature's name
    unit: Unit | None,
) -> tuple[list[tuple[float, ...]], Unit | None]:
    """The (frequency, recency, T) rows a model of repeat purchases is fitted on, and their unit.

    Raises:
        UsageError: The columns differ in length, are empty, or a row is not a
            purchase summary (negative, fractional, recency above T, repeat
            purchases at recency 0).
        UnitMismatch: The rows are in several units, or not in ``unit``.
    """
    rows, units = purchase_columns(frequency, (recency, T), ("frequency", "recency", "T"))
    found = fitted_unit(unit, units, model)
    if not rows:
        raise UsageError(f"Cannot fit {model} on no customers.")
    for n, (x, t_x, t) in enumerate(rows):
        if x < 0 or t_x < 0 or t_x > t or x != int(x) or (x > 0 and t_x == 0):
            raise UsageError(
                f"Cannot fit {model}: row {n} (frequency {x:g}, recency {t_x:g}, T {t:g}) "
                "is not a purchase summary."
            )
    return rows, found


def growth(r: float, b: float, a: float, base: float, t: float) -> float:
    """(c / (a − 1)) · (1 − (base / (base + t))^r · 2F1(r, b; c; z)).

    With c = a + b − 1 and z = t / (base + t). At a = 1 the bracket and
    a − 1 vanish together: there, the limit.
    """
    z = t / (base + t)
    if abs(a - 1.0) <= _NEAR_ONE:
        return b * math.pow(1.0 - z, r) * _limit_series(r, b, z)
    c = a + b - 1
    return (c - math.pow(base / (base + t), r) * _scaled_hyp2f1(r, b, c, z)) / (a - 1)


def _spend_row(params: Sequence[float], row: tuple[float, ...]) -> float:
    """The Gamma-Gamma log-likelihood of a repeat buyer's frequency and mean spend."""
    p, q, v = params
    x, m = row
    px = p * x
    return (
        math.lgamma(px + q)
        - math.lgamma(px)
        - math.lgamma(q)
        + q * math.log(v)
        + (px - 1) * math.log(m)
        + px * math.log(x)
        - (px + q) * math.log(x * m + v)
    )


def _simplex(
    model: str,
    f: Callable[[Sequence[float]], float],
    start: Sequence[float],
    max_iterations: int,
) -> Minimum:
    """Minimise by the simplex, then again from its end with a small simplex, to polish.

    Raises:
        ModelFitError: Either search did not converge, or ended on an infinite value.
    """
    first = nelder_mead(f, start, max_iterations=max_iterations)
    best = nelder_mead(f, first.x, step=0.05, max_iterations=max_iterations)
    if not (first.converged and best.converged) or not math.isfinite(best.value):
        raise ModelFitError(model, best.iterations, "the likelihood search did not converge")
    return best


def _scaled_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """C · 2F1(a, b; c; z) for 0 <= z < 1: finite as c goes to 0 (a + b = 1 in BG/NBD).

    By the series in z, whose terms c (a)_k (b)_k / ((c)_k k!) z^k lose the
    factor c; near z = 1, where that series needs ever more terms (a BG/NBD
    horizon of a thousand years), by the two series in 1 − z of the linear
    transformation (Abramowitz & Stegun 15.3.6), with c Γ(c) = Γ(c + 1),
    unless c − a − b is too close to a whole number for it.
    """
    gap = c - a - b
    if z > _NEAR_UNIT_Z and abs(gap - round(gap)) > 1e-6:
        w = 1.0 - z
        g = math.gamma
        first = g(c + 1) * g(gap) * _reciprocal_gamma(c - a) * _reciprocal_gamma(c - b)
        second = math.pow(w, gap) * g(c + 1) * g(-gap) / (g(a) * g(b))
        return first * _series(a, b, 1 - gap, w) + second * _series(c - a, c - b, 1 + gap, w)
    term = a * b * z  # the first term, c · a b / c · z
    total = c + term
    for k in range(1, 200_000):
        if abs(term) <= 1e-16 * abs(total):
            return total
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
    raise NumericalError(f"2F1({a}, {b}; {c}; {z}) did not converge")


def _reciprocal_gamma(x: float) -> float:
    """1 / Γ(x), which is 0 at the poles of Γ (0, −1, −2, ...)."""
    if x <= 0 and x == math.floor(x):
        return 0.0
    return 1.0 / math.gamma(x)


#: Above this argument the BG/NBD 2F1 is computed from 1 − z.
_NEAR_UNIT_Z = 0.9


def _series(a: float, b: float, c: float, z: float) -> float:
    """The Gauss series of 2F1(a, b; c; z), for |z| < 1."""
    term = total = 1.0
    for k in range(200_000):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) <= 1e-16 * abs(total):
            return total
    raise NumericalError(f"2F1({a}, {b}; {c}; {z}) did not converge")


class _BetaGeoLikelihood:
    """The mean negative log-likelihood of BG/NBD over grouped rows, with its gradient.

    Parameters are taken on a log scale (r, α, a, b = exp(θ)). Terms that
    depend on the frequency only are computed once per distinct frequency,
    and the logarithms of α + T and α + t_x once per distinct time.
    """

    def __init__(self, rows: Sequence[tuple[float, ...]]) -> None:
        # sorted, so that the sums do not depend on the rows' order (nor the fit on partitions)
        self.count = len(rows)
        self.rows = [(int(x), t_x, t, n) for (x, t_x, t), n in sorted(Counter(rows).items())]
        self.by_x = dict(sorted(Counter(int(x) for x, _, _ in rows).items()))
        self.times = sorted({t for _, t_x, t, _ in self.rows for t in (t_x, t)})

    def value(self, theta: Sequence[float]) -> float:
        try:
            return self.value_and_gradient(theta)[0]
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.inf

    def value_and_gradient(self, theta: Sequence[float]) -> tuple[float, list[float]]:
        r, alpha, a, b = (math.exp(v) for v in theta)
        logs = {t: math.log(alpha + t) for t in self.times}
        total = self.count * (
            math.lgamma(a + b) - math.lgamma(b) - math.lgamma(r) + r * math.log(alpha)
        )
        d_r = self.count * (math.log(alpha) - digamma(r))
        d_alpha = self.count * r / alpha
        d_a = self.count * digamma(a + b)
        d_b = self.count * (digamma(a + b) - digamma(b))
        for x, n in self.by_x.items():
            total += n * (math.lgamma(r + x) + math.lgamma(b + x) - math.lgamma(a + b + x))
            d_r += n * digamma(r + x)
            d_a -= n * digamma(a + b + x)
            d_b += n * (digamma(b + x) - digamma(a + b + x))
        log_a = math.log(a)
        for x, t_x, t, n in self.rows:
            log_t = logs[t]
            a3 = -(r + x) * log_t
            if x:
                log_tx = logs[t_x]
                a4 = log_a - math.log(b + x - 1) - (r + x) * log_tx
                top = a3 if a3 > a4 else a4
                e3, e4 = math.exp(a3 - top), math.exp(a4 - top)
                total += n * (top + math.log(e3 + e4))
                w = e4 / (e3 + e4)
                d_r -= n * ((1 - w) * log_t + w * log_tx)
                d_alpha -= n * (r + x) * ((1 - w) / (alpha + t) + w / (alpha + t_x))
                d_a += n * w / a
                d_b -= n * w / (b + x - 1)
            else:
                total += n * a3
                d_r -= n * log_t
                d_alpha -= n * (r + x) / (alpha + t)
        scale = -1.0 / self.count
        return total * scale, [
            d_r * r * scale,
            d_alpha * alpha * scale,
            d_a * a * scale,
            d_b * b * scale,
        ]


class BetaGeo(FitReport, Value):
    """A fitted BG/NBD model: purchase rates gamma(r, α), dropout probabilities beta(a, b).

    Rates are per ``unit``, the unit of the summary it was fitted on (weeks
    for the CDNOW estimates); α is in that unit too. A model built from
    published parameters may leave the unit out, but then `lifetime_value`
    needs the period length in its unit. Predictions given a ``unit`` other
    than the model's raise `UnitMismatch`.

    Examples:
        >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> round(model.p_alive(frequency=2, recency=30.43, T=38.86, unit="weeks"), 3)
        0.727
        >>> model.p_alive(frequency=0, recency=0, T=38.86)
        1.0
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
        default=None,
        description="The time unit of recency, T and α (None: not stated).",
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
    ) -> BetaGeo:
        """Fit by maximum likelihood on frequency, recency and T (or on `RfmRow` rows).

        The fitted model records the rows' unit; for plain columns, give it as
        ``unit`` (a model without one can predict, but not value customers by
        the month). With a ``penalizer`` c, the fit minimises −ln L / n +
        c (r² + α² + a² + b²), as lifetimes' ``penalizer_coef`` does, and
        reports no standard errors.

        Raises:
            UsageError: The columns differ in length, are empty, or hold
                impossible values (negative, recency above T, repeats in no
                time); a negative ``penalizer``.
            UnitMismatch: The rows are in several units, or not in ``unit``.
            ModelFitError: The likelihood search did not converge.

        Examples:
            >>> from datetime import date
            >>> from crmcore.value import rfm_summary
            >>> from crmcore.datasets import load_sample
            >>> sample = load_sample()
            >>> rows = rfm_summary(sample.transactions, observation_end=date(2025, 1, 1),
            ...                    unit="weeks")
            >>> model = BetaGeo.fit(rows)
            >>> model.unit, model.customers == len(rows)
            ('weeks', True)
        """
        rows, units = purchase_columns(frequency, (recency, T), ("frequency", "recency", "T"))
        unit_found = fitted_unit(unit, units)
        if not rows:
            raise UsageError("Cannot fit BG/NBD on no customers.")
        for n, (x, t_x, t) in enumerate(rows):
            if x < 0 or t_x < 0 or t_x > t or x != int(x) or (x > 0 and t_x == 0 and t == 0):
                raise UsageError(
                    f"Cannot fit BG/NBD: row {n} (frequency {x:g}, recency {t_x:g}, T {t:g}) "
                    "is not a purchase summary."
                )
        check_penalizer(penalizer)
        likelihood = _BetaGeoLikelihood(rows)

        def objective(theta: Sequence[float]) -> tuple[float, list[float]]:
            if any(abs(v) > _LOG_BOUND for v in theta):
                return math.inf, [0.0] * len(theta)
            value, gradient = likelihood.value_and_gradient(theta)
            if not penalizer:
                return value, gradient
            params = [math.exp(v) for v in theta]
            return value + penalizer * sum(p * p for p in params), [
                g + 2 * penalizer * p * p for g, p in zip(gradient, params, strict=True)
            ]

        def penalized(theta: Sequence[float]) -> float:
            value = likelihood.value(theta)
            return value + penalizer * sum(math.exp(2 * v) for v in theta)

        best = bfgs(
            objective, [0.0, 0.0, 0.0, 0.0], max_iterations=max_iterations, bound=_LOG_BOUND
        )
        params = [math.exp(v) for v in best.x]
        if not best.converged and any(abs(v) > _LOG_BOUND - 0.1 for v in best.x):
            raise extreme("BG/NBD", best.iterations, BetaGeo.PARAMETERS, params)
        if not best.converged:  # a rougher surface: fall back on the simplex, from there
            best = _simplex("BG/NBD", penalized, best.x, max_iterations)
            params = [math.exp(v) for v in best.x]
        errors = None
        if not penalizer:

            def gradient(natural: Sequence[float]) -> list[float]:
                # the mean's gradient in ln p, as the total's gradient in p
                logs = [math.log(p) for p in natural]
                _, in_logs = likelihood.value_and_gradient(logs)
                return [g / p * len(rows) for g, p in zip(in_logs, natural, strict=True)]

            errors = standard_errors(gradient, params)
        r, alpha, a, b = params
        return cls(
            r=r,
            alpha=alpha,
            a=a,
            b=b,
            log_likelihood=-likelihood.value(best.x) * len(rows),
            customers=len(rows),
            unit=unit_found,
            penalizer=penalizer,
            standard_errors=None if errors is None else four(errors),
        )

    def probability_of_purchases(self, n: int, t: float) -> float:
        """P(X(t) = n): the probability that a new customer makes ``n`` repeat purchases in t.

        Fader, Hardie & Lee (2005), eq. (8).

        Examples:
            >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> round(model.probability_of_purchases(0, 39), 3)
            0.574
        """
        check_purchase_count(n, t)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_b = log_beta(a, b)

        def poisson_gamma(j: int) -> float:
            return gamma_poisson(r, alpha, t, j)

        def beta_ratio(x: float, y: float) -> float:
            return math.exp(log_beta(x, y) - log_b)

        alive = beta_ratio(a, b + n) * poisson_gamma(n)
        if n == 0:
            return alive
        below = sum(poisson_gamma(j) for j in range(n))
        return alive + beta_ratio(a + 1, b + n - 1) * (1 - below)

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

        1 for a customer without repeat purchases (the model lets a customer
        die only just after a purchase). ``unit`` states the unit of recency
        and T (the row's ``unit``); it must be the model's.

        Raises:
            UnitMismatch: ``unit`` is not the model's unit.
        """
        self._check_unit("compute P(alive)", unit)
        if frequency == 0:
            return 1.0
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_odds = (r + frequency) * math.log((alpha + T) / (alpha + recency)) + math.log(
            a / (b + frequency - 1)
        )
        if log_odds > 700:
            return 0.0
        return 1.0 / (1.0 + math.exp(log_odds))

    def expected_purchases(
        self,
        t: float,
        *,
        frequency: float | None = None,
        recency: float | None = None,
        T: float | None = None,  # noqa: N803
        unit: Unit | None = None,
    ) -> float:
        """Expected purchases in the next ``t`` time units (of the model's unit).

        For a customer with the given history (frequency, recency, T); without
        one, for a new customer over ``(0, t]``. At ``a = 1`` exactly, where the
        closed form reads 0 / 0, the value is its limit. ``unit`` states the
        unit of ``t``, recency and T; it must be the model's.

        Raises:
            UnitMismatch: ``unit`` is not the model's unit.

        Examples:
            >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> round(model.expected_purchases(39, frequency=2, recency=30.43, T=38.86), 3)
            1.226
        """
        self._check_unit("predict purchases", unit)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if frequency is None or recency is None or T is None:
            return growth(r, b, a, alpha, t)
        x = frequency
        grown = growth(r + x, b + x, a, alpha + T, t)
        odds = (a / (b + x - 1)) * math.pow((alpha + T) / (alpha + recency), r + x) if x else 0.0
        return grown / (1 + odds)


class GammaGamma(FitReport, Value):
    """A fitted Gamma-Gamma model of spend per purchase: parameters p, q and γ.

    Examples:
        >>> model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> round(model.expected_spend(frequency=2, monetary_value=30.0), 2)
        30.94
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    p: float = _Positive
    q: float = _Positive
    gamma: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="Repeat buyers fitted on.")
    penalizer: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="The L2 penalty of the fit."
    )
    standard_errors: tuple[float, float, float] | None = Field(
        default=None,
        description="The standard errors of p, q, γ (observed information), when they exist.",
    )

    @classmethod
    def fit(
        cls,
        frequency: Iterable[Any],
        monetary_value: Sequence[float] | None = None,
        *,
        penalizer: float = 0.0,
        max_iterations: int = 20_000,
    ) -> GammaGamma:
        """Fit by maximum likelihood on the repeat buyers' frequency and mean spend.

        Customers without a repeat purchase carry no spend information and are
        left out; so are `RfmRow` rows with frequency 0. With a ``penalizer``
        c, the fit minimises −ln L / n + c (p² + q² + γ²) and reports no
        standard errors.

        Raises:
            UsageError: No repeat buyer, unequal columns, a spend of 0 or
                less, or a negative ``penalizer``.
            ModelFitError: The likelihood search did not converge.

        Examples:
            >>> from datetime import date
            >>> from crmcore.datasets import load_sample
            >>> from crmcore.value import rfm_summary
            >>> rows = rfm_summary(load_sample().transactions, observation_end=date(2025, 1, 1),
            ...                    unit="weeks")
            >>> model = GammaGamma.fit(rows)
            >>> model.customers == sum(1 for row in rows if row.frequency > 0)
            True
            >>> [e.name for e in model.summary()]
            ['p', 'q', 'gamma']
        """
        if monetary_value is None:
            rows, _ = purchase_columns(frequency, (None,), ("frequency", "monetary_value"))
        else:
            rows, _ = purchase_columns(
                frequency, (monetary_value,), ("frequency", "monetary_value")
            )
        buyers = [(x, m) for x, m in rows if x > 0]
        if not buyers:
            raise UsageError("Cannot fit Gamma-Gamma: no customer has a repeat purchase.")
        for n, (_, m) in enumerate(buyers):
            if m <= 0:
                raise UsageError(f"Cannot fit Gamma-Gamma: repeat buyer {n} spent {m:g}.")
        likelihood = Likelihood(_spend_row, list(Counter(buyers).items()), penalizer)
        best = _simplex("Gamma-Gamma", likelihood.value, (0.0, 0.0, 0.0), max_iterations)
        p, q, gamma = (math.exp(v) for v in best.x)
        errors = standard_errors(likelihood.gradient, [p, q, gamma]) if not penalizer else None
        return cls(
            p=p,
            q=q,
            gamma=gamma,
            log_likelihood=likelihood.total([p, q, gamma]),
            customers=likelihood.customers,
            penalizer=penalizer,
            standard_errors=None if errors is None else (errors[0], errors[1], errors[2]),
        )

    def expected_spend(self, *, frequency: float, monetary_value: float) -> float:
        """The expected spend per purchase of a customer, given the repeat purchases' mean.

        ``p (γ + x m̄) / (p x + q − 1)``; without a repeat purchase, the
        population mean ``p γ / (q − 1)``. Both are means of an inverse gamma
        and exist only where the denominator is above 0: for every customer
        when ``q > 1``, and for none without a repeat purchase when ``q ≤ 1``
        (a fit can end there when spend varies little between customers).

        Raises:
            UndefinedPrediction: ``p x + q ≤ 1``: the mean does not exist.

        Examples:
            >>> GammaGamma(p=6.25, q=0.9, gamma=15.44).expected_spend(frequency=0,
            ...                                                      monetary_value=0)
            Traceback (most recent call last):
            ...
            crmcore.errors.UndefinedPrediction: Cannot predict the expected spend of a customer with 0 repeat purchases with Gamma-Gamma: the population mean p γ / (q − 1) exists only for q > 1, and q is 0.9.
        """  # noqa: E501
        p, q, gamma = self.p, self.q, self.gamma
        denominator = p * frequency + q - 1
        if denominator <= 0:
            why = (
                f"the population mean p γ / (q − 1) exists only for q > 1, and q is {q:g}"
                if frequency == 0
                else f"the mean exists only for p x + q > 1, and p x + q is {denominator + 1:g}"
            )
            raise UndefinedPrediction(
                "Gamma-Gamma",
                f"the expected spend of a customer with {frequency:g} repeat purchases",
                why,
            )
        return p * (gamma + frequency * monetary_value) / denominator


def lifetime_value(
    purchases: BetaGeo,
    spend: GammaGamma,
    *,
    frequency: float,
    recency: float,
    T: float,  # noqa: N803
    monetary_value: float,
    unit: Unit | None = None,
    periods: int = 12,
    period_length: float | None = None,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> float:
    """Discounted expected margin of a customer over the next ``periods`` months.

    Each period's expected purchases (from the BG/NBD model) times the expected
    spend per purchase (Gamma-Gamma) times ``margin``, discounted at
    ``discount_rate`` per period: Σ_k ΔE[purchases]_k · spend · margin / (1 + d)^k.

    A period is a month unless ``period_length`` says otherwise, in the
    model's unit: 30 days, 4.345 weeks or 1 month (`MONTH`, lifetimes'
    lengths). ``unit`` states the unit of recency and T (the row's ``unit``);
    it must be the model's.

    Raises:
        UsageError: ``periods`` below 1, or a non-positive period length.
        UnitMismatch: ``unit`` is not the model's unit, or neither the model
            nor ``unit`` states a unit and no ``period_length`` is given.
        UndefinedPrediction: The Gamma-Gamma mean does not exist for the customer.

    Examples:
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> round(lifetime_value(bg, gg, frequency=2, recency=30.43, T=38.86,
        ...                      monetary_value=30.0, periods=12), 2)
        45.52
    """
    purchases._check_unit("value a customer", unit)
    if period_length is None:
        known = purchases.unit or unit
        if known is None:
            raise UnitMismatch("value a customer by the month", None, None)
        period_length = MONTH[known]
    if periods < 1 or period_length <= 0:
        raise UsageError("periods must be 1 or more and period_length above 0.")
    value_per_purchase = spend.expected_spend(frequency=frequency, monetary_value=monetary_value)
    total, before = 0.0, 0.0
    for k in range(1, periods + 1):
        upto = purchases.expected_purchases(
            k * period_length, frequency=frequency, recency=recency, T=T
        )
        total += (upto - before) * value_per_purchase * margin / (1 + discount_rate) ** k
        before = upto
    return total
