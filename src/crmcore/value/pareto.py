"""The Pareto/NBD model of purchases and dropout (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys at a Poisson rate λ, gamma(r, α) across
customers; each customer's lifetime is exponential with rate μ, gamma(s, β)
across customers, and can end at any moment (in BG/NBD, only just after a
purchase). The likelihood, P(alive), the expectations and the probability
of n purchases follow Fader, Hardie & Lee's note on deriving the model
(2005), with the Gauss hypergeometric function summed as a series in its
argument, which is in [0, 1) wherever the model uses it.

The fit follows the likelihood's own gradient (BFGS), summing the series
once per distinct (frequency, time) pair. The argument is (α − β) / (α + t)
(or β and α swapped), so at t = 0 it nears 1 as α and β grow apart; above
0.95 the function is summed in 1 − z instead (the connection formula of
Abramowitz & Stegun 15.3.6), except where its second parameter (s + 1, or
r + x) is within 0.05 of a whole number and that formula's two terms cancel.
There, with α and β about 5,000 times apart, the series needs more terms than
it may sum and the likelihood is refused (the search turns back; a
prediction raises `NumericalError`) rather than guessed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import NumericalError, UnitMismatch
from crmcore.value._optimize import digamma
from crmcore.value.fitting import (
    FitReport,
    Likelihood,
    check_purchase_count,
    four,
    maximize,
)
from crmcore.value.models import purchase_summaries
from crmcore.value.rfm import Unit

__all__ = ["ParetoNBD"]

_Positive = Field(gt=0, allow_inf_nan=False)
_NAMES = ("r", "alpha", "s", "beta")
#: The most terms of a 2F1 series summed (a fit that wanders to extreme parameters
#: meets the limit, and the search turns back, instead of summing for minutes).
_MOST_TERMS = 200_000
#: The search keeps every parameter within e^±_LOG_BOUND (1e-4 to 1e4): beyond, the
#: likelihood is flat and slow to sum, and a fit that ends at the bound is refused.
_LOG_BOUND = 9.2


def log_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """Ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, by the series (terms all positive)."""
    if z == 0.0:
        return 0.0
    term = total = 1.0
    for k in range(_MOST_TERMS):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if term <= 1e-16 * total:
            return math.log(total)
        if total > 1e300:  # go on in logarithms' stead: rescale
            scale = math.log(total)
            total, term = 1.0, term / math.exp(scale)
            rest = log_hyp2f1_tail(a, b, c, z, k + 1, term, total)
            return scale + rest
    raise NumericalError(f"2F1({a:g}, {b:g}; {c:g}; {z:g}) did not converge")


def log_hyp2f1_tail(
    a: float, b: float, c: float, z: float, start: int, term: float, total: float
) -> float:
    """The rest of a rescaled 2F1 series, from term ``start`` on (its logarithm)."""
    for k in range(start, _MOST_TERMS):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if term <= 1e-16 * total:
            return math.log(total)
    raise NumericalError(f"2F1({a:g}, {b:g}; {c:g}; {z:g}) did not converge")


def _log_a0_parts(r: float, alpha: float, s: float, beta: float, x: float, t: float) -> float:
    """Ln of one of the two terms of A0 at time t (t_x or T), FHL's note eq. (22)."""
    return _log_a0_part_slopes(r, alpha, s, beta, x, t)[0]


def _log_terms(params: Sequence[float], x: float, t_x: float, t: float) -> tuple[float, float]:
    """Ln of the two addends of the likelihood's bracket: surviving to T, dying in (t_x, T]."""
    r, alpha, s, beta = params
    alive = -(r + x) * math.log(alpha + t) - s * math.log(beta + t)
    if t_x >= t:
        return alive, -math.inf
    first = _log_a0_parts(r, alpha, s, beta, x, t_x)
    second = _log_a0_parts(r, alpha, s, beta, x, t)
    if second >= first:  # equal to working precision: no time to die in
        return alive, -math.inf
    log_a0 = first + math.log1p(-math.exp(second - first))
    return alive, math.log(s / (r + s + x)) + log_a0


def _row(params: Sequence[float], row: tuple[float, ...]) -> float:
    return _log_likelihood(params, *row)


def _log_likelihood(params: Sequence[float], x: float, t_x: float, t: float) -> float:
    r, alpha, s, beta = params
    alive, died = _log_terms(params, x, t_x, t)
    top = max(alive, died)
    bracket = top + math.log(math.exp(alive - top) + math.exp(died - top))
    return math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta) + bracket


class ParetoNBD(FitReport, Value):
    """A fitted Pareto/NBD model: purchase rates gamma(r, α), dropout rates gamma(s, β).

    Rates are per ``unit``, the unit of the summary it was fitted on (weeks
    for the CDNOW estimates); α and β are in that unit too.

    Examples:
        >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669, unit="weeks")
        >>> round(model.p_alive(frequency=2, recency=30.43, T=38.86), 3)
        0.869
        >>> model.p_alive(frequency=0, recency=0, T=38.86) < 1
        True
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    r: float = _Positive
    alpha: float = _Positive
    s: float = _Positive
    beta: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="Customers fitted on.")
    unit: Unit | None = Field(
        default=None, description="The time unit of recency, T, α and β (None: not stated)."
    )
    penalizer: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="The L2 penalty of the fit."
    )
    standard_errors: tuple[float, float, float, float] | None = Field(
        default=None,
        description="The standard errors of r, α, s, β (observed information), when they exist.",
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
    ) -> ParetoNBD:
        """Fit by maximum likelihood on frequency, recency and T (or on `RfmRow` rows).

        Raises:
            UsageError: The columns differ in length, are empty, or hold
                impossible values; a negative ``penalizer``.
            UnitMismatch: The rows are in several units, or not in ``unit``.
            ModelFitError: The likelihood search did not converge (the last
                parameters it held are named).

        Examples:
            >>> import math, random
            >>> rng = random.Random(1)  # 400 customers drawn from r 0.6, α 10, s 0.6, β 12
            >>> rows = []
            >>> for _ in range(400):
            ...     rate, death = rng.gammavariate(0.6, 1 / 10), rng.gammavariate(0.6, 1 / 12)
            ...     end, at, weeks = min(rng.expovariate(death), 39), 0.0, set()
            ...     while (at := at + rng.expovariate(rate)) < end:
            ...         weeks.add(math.ceil(at))  # repeat purchases, counted by week
            ...     rows.append((len(weeks), max(weeks, default=0), 39))
            >>> model = ParetoNBD.fit(*zip(*rows), unit="weeks")
            >>> model.customers, round(model.r, 2), round(model.s, 2)
            (400, 0.76, 0.8)
        """
        rows, unit_found = purchase_summaries("Pareto/NBD", frequency, recency, T, unit)
        weighted = list(Counter(rows).items())
        likelihood = Likelihood(
            _row, weighted, penalizer, bound=_LOG_BOUND, exact=_ParetoLikelihood(weighted)
        )
        # the time scales start where a rate of one purchase per mean lifetime puts them
        scale = sum(t * n for (_, _, t), n in weighted) / (
            likelihood.customers + sum(x * n for (x, _, _), n in weighted)
        )
        scale = min(max(scale, 1e-3), 1e3)  # well inside the parameters' bound
        start = [1.0, scale, 1.0, scale]
        params, errors = maximize("Pareto/NBD", _NAMES, likelihood, max_iterations, start)
        r, alpha, s, beta = params
        return cls(
            r=r,
            alpha=alpha,
            s=s,
            beta=beta,
            log_likelihood=likelihood.total(params),
            customers=likelihood.customers,
            unit=unit_found,
            penalizer=penalizer,
            standard_errors=None if errors is None else four(errors),
        )

    @property
    def _params(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.s, self.beta)

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

        Below 1 even without repeat purchases: a Pareto/NBD customer can
        leave at any moment.

        Raises:
            UnitMismatch: ``unit`` is not the model's unit.

        Examples:
            >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> model.p_alive(frequency=3, recency=20, T=20)
            1.0
        """
        self._check_unit("compute P(alive)", unit)
        alive, died = _log_terms(self._params, frequency, recency, T)
        if died == -math.inf:
            return 1.0
        return 1.0 / (1.0 + math.exp(died - alive))

    def expected_purchases(
        self,
        t: float,
        *,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        unit: Unit | None = None,
    ) -> float:
        """The expected purchases in the next ``t`` units of a customer with this history.

        Raises:
            UnitMismatch: ``unit`` is not the model's unit.

        Examples:
            >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> round(model.expected_purchases(39, frequency=2, recency=30.43, T=38.86), 3)
            1.455
        """
        self._check_unit("predict purchases", unit)
        r, alpha, s, beta = self._params
        rate = (r + frequency) / (alpha + T)
        return (
            rate
            * _lifetime_share(s, beta + T, t)
            * self.p_alive(frequency=frequency, recency=recency, T=T)
        )

    def expected_purchases_new(self, t: float) -> float:
        """The expected purchases of a new customer in their first ``t`` units.

        Examples:
            >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> round(model.expected_purchases_new(39), 3)
            1.213
        """
        return self.r / self.alpha * _lifetime_share(self.s, self.beta, t)

    def probability_of_purchases(self, n: int, t: float) -> float:
        """P(X(t) = n): the probability that a new customer buys ``n`` times in ``t`` units.

        Fader, Hardie & Lee's note (2005): the chance of n purchases by a
        customer alive throughout, plus the chance of n before dying within t.

        Examples:
            >>> model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
            >>> round(model.probability_of_purchases(0, 39), 3)
            0.594
        """
        check_purchase_count(n, t)
        r, alpha, s, beta = self._params
        log_first = (
            math.lgamma(r + n)
            - math.lgamma(r)
            - math.lgamma(n + 1)
            + r * math.log(alpha / (alpha + t))
            + n * math.log(t / (alpha + t))
            + s * math.log(beta / (beta + t))
        )
        log_b = (
            r * math.log(alpha)
            + s * math.log(beta)
            + math.lgamma(r + n)
            + math.lgamma(s + 1)
            - math.lgamma(r + s + n + 1)
            - (math.lgamma(r) + math.lgamma(s) - math.lgamma(r + s))
        )
        total = r + s
        if alpha >= beta:
            b1 = log_hyp2f1(total, s + 1, total + n + 1, (alpha - beta) / alpha) - total * math.log(
                alpha
            )
        else:
            b1 = log_hyp2f1(total, r + n, total + n + 1, (beta - alpha) / beta) - total * math.log(
                beta
            )
        bracket = math.exp(b1)
        for i in range(n + 1):
            weight = (
                math.lgamma(total + i) - math.lgamma(total) - math.lgamma(i + 1) + i * math.log(t)
            )
            if alpha >= beta:
                b2 = log_hyp2f1(total + i, s + 1, total + n + 1, (alpha - beta) / (alpha + t)) - (
                    total + i
                ) * math.log(alpha + t)
            else:
                b2 = log_hyp2f1(total + i, r + n, total + n + 1, (beta - alpha) / (beta + t)) - (
                    total + i
                ) * math.log(beta + t)
            bracket -= math.exp(weight + b2)
        return math.exp(log_first) + math.exp(log_b) * bracket


def _lifetime_share(s: float, base: float, t: float) -> float:
    """E[min(lifetime, t)]-like factor: base / (s − 1) · (1 − (base / (base + t))^(s − 1)).

    The expected time alive within the next t units of a customer whose
    dropout rate is gamma(s, base); its limit base · ln((base + t) / base) at s = 1.
    """
    if abs(s - 1.0) < 1e-10:
        return base * math.log((base + t) / base)
    return base / (s - 1) * (1 - math.pow(base / (base + t), s - 1))


class _Series:
    """2F1(a, b; a + 1; z) at one (a, b) for any z in [0, 1), with its derivatives.

    By Euler's transformation 2F1(a, b; a + 1; z) = (1 − z)^(1 − b) G, with
    G = 2F1(1, a + 1 − b; a + 1; z) = Σ c_k z^k, whose coefficients fall at
    every step (c_k = c_(k−1) (a + k − b) / (a + k), below 1): the sum stops
    when even a geometric tail at ratio z would not change it. The
    coefficients, and those of G's derivatives in a and b, do not depend on
    z: they are worked out once, as far as the largest z needs them.
    """

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b
        # per k from 1: (c_k, d c_k / da, d c_k / db), with c = a + 1 moving with a
        self.terms: list[tuple[float, float, float]] = []
        self._last = (1.0, 0.0, 0.0)  # c_0 and its logarithmic derivatives' sums

    def _extend(self) -> None:
        k = len(self.terms)
        if k >= _MOST_TERMS:
            a, b = self.a, self.b
            raise NumericalError(f"2F1({a:g}, {b:g}; {a + 1:g}; z) did not converge")
        low = self.a + 1.0 - self.b + k
        high = self.a + 1.0 + k
        c, by_a, by_b = self._last
        by_a += self.b / (low * high)
        by_b -= 1.0 / low
        c *= low / high
        self._last = (c, by_a, by_b)
        self.terms.append((c, c * by_a, c * by_b))

    def at(self, z: float, *, near_one: bool = True) -> tuple[float, float, float, float]:
        """Ln 2F1(a, b; a + 1; z) and its derivatives in a, b, z (``near_one``: may use 1 − z)."""
        a, b = self.a, self.b
        if z == 0.0:
            return 0.0, 0.0, 0.0, a * b / (a + 1)
        if near_one and z > _NEAR_ONE and (b < 0.5 or abs(b - round(b)) > _NEAR_WHOLE):
            near = _log_hyp2f1_near_one(a, b, z)
            if near is not None:
                return near
        enough = 1e-16 * (1.0 - z) / z
        total, slope_a, slope_b, slope_z = 1.0, 0.0, 0.0, 0.0
        power, k, terms = 1.0, 0, self.terms
        while True:
            if k == len(terms):
                self._extend()
            c, c_a, c_b = terms[k]
            power *= z
            term = c * power
            total += term
            slope_a += c_a * power
            slope_b += c_b * power
            k += 1
            slope_z += k * term
            if term <= enough * total:
                break
        log_rest = math.log1p(-z)
        return (
            (1.0 - b) * log_rest + math.log(total),
            slope_a / total,
            slope_b / total - log_rest,
            slope_z / (z * total) - (1.0 - b) / (1.0 - z),
        )


#: Above this z, `_Series` sums 2F1 in 1 − z (`_log_hyp2f1_near_one`), unless b is
#: within _NEAR_WHOLE of a whole number from 1, where that form's two terms nearly cancel.
_NEAR_ONE = 0.95
_NEAR_WHOLE = 0.05


def _log_hyp2f1_near_one(a: float, b: float, z: float) -> tuple[float, float, float, float] | None:
    """Ln 2F1(a, b; a + 1; z) near z = 1, and its derivatives in a, b and z.

    2F1(a, b; a + 1; z) = a z^−a B_z(a, 1 − b), and splitting the incomplete
    beta function at 1 (Abramowitz & Stegun 15.3.6 for this case) gives

        Γ(a + 1) Γ(1 − b) / Γ(a + 1 − b) · z^−a  +  a / (b − 1) · w^(1 − b) S(w),

    with w = 1 − z and S(w) = 2F1(1, a + 1 − b; 2 − b; w), a series in the
    small w. None when the two terms cancel more than four digits, or S
    does not settle: the caller then sums the series in z.
    """
    w = 1.0 - z
    low, base = a + 1.0 - b, 2.0 - b  # S's upper and lower parameters
    # S and its derivatives, each term's logarithmic derivatives summed beside it
    term = total = 1.0
    by_a = by_b = 0.0
    s_a = s_b = s_w = 0.0
    for k in range(_MOST_TERMS):
        by_a += 1.0 / (low + k)
        by_b += 1.0 / (base + k) - 1.0 / (low + k)
        term *= (low + k) / (base + k) * w
        total += term
        s_a += term * by_a
        s_b += term * by_b
        s_w += term * (k + 1)
        if abs(term) <= 1e-17 * abs(total):
            break
    else:
        return None
    if total == 0.0:
        return None
    gamma_sign = 1.0 if b < 1.0 or math.floor(1.0 - b) % 2 == 0 else -1.0
    log_first = math.lgamma(a + 1.0) + math.lgamma(1.0 - b) - math.lgamma(low) - a * math.log(z)
    log_second = math.log(a / abs(b - 1.0)) + (1.0 - b) * math.log(w) + math.log(abs(total))
    second_sign = math.copysign(1.0, (b - 1.0) * total)
    psi_rest = digamma(1.0 - b) if b < 1.0 else digamma(b) + math.pi / math.tan(math.pi * b)
    first_slopes = (
        digamma(a + 1.0) - digamma(low) - math.log(z),
        digamma(low) - psi_rest,
        -a / z,
    )
    second_slopes = (
        1.0 / a + s_a / total,
        -1.0 / (b - 1.0) - math.log(w) + s_b / total,
        (b - 1.0) / w - s_w / (w * total),
    )
    top = max(log_first, log_second)
    first = gamma_sign * math.exp(log_first - top)
    second = second_sign * math.exp(log_second - top)
    value = first + second
    if not value > 1e-4 * (abs(first) + abs(second)):
        return None
    f_a, f_b, f_z = (
        (first * one + second * two) / value
        for one, two in zip(first_slopes, second_slopes, strict=True)
    )
    return top + math.log(value), f_a, f_b, f_z


class _ParetoLikelihood:
    """The Pareto/NBD log-likelihood of weighted rows with its gradient, in one pass.

    The two 2F1 terms of A0 depend on a row's frequency and one of its times
    only, so each distinct (frequency, time) pair is summed once per call;
    the terms of a frequency, or of a time, once per distinct one.
    """

    def __init__(self, rows: Sequence[tuple[tuple[float, ...], int]]) -> None:
        self.rows = sorted(rows)
        self.pairs = sorted({(x, t) for (x, t_x, t), _ in self.rows for t in (t_x, t)})
        weights: Counter[float] = Counter()
        for (x, _, _), weight in self.rows:
            weights[x] += weight
        self.by_x = sorted(weights.items())
        self.times = sorted({t for (_, _, t), _ in self.rows})
        self.customers = sum(weights.values())

    def __call__(self, params: Sequence[float]) -> tuple[float, list[float]]:
        r, alpha, s, beta = params
        sums = {x: _series(r, alpha, s, beta, x) for x, _ in self.by_x}
        parts = {
            (x, t): _log_a0_part_slopes(r, alpha, s, beta, x, t, sums[x]) for x, t in self.pairs
        }
        lgamma_r, digamma_r = math.lgamma(r), digamma(r)
        log_alpha, log_beta_ = math.log(alpha), math.log(beta)
        n = self.customers
        total = n * (r * log_alpha + s * log_beta_ - lgamma_r)
        g_r = n * (log_alpha - digamma_r)
        g_alpha, g_s, g_beta = n * r / alpha, n * log_beta_, n * s / beta
        for x, weight in self.by_x:
            total += weight * math.lgamma(r + x)
            g_r += weight * digamma(r + x)
        ends = {t: (math.log(alpha + t), math.log(beta + t)) for t in self.times}
        for (x, t_x, t), weight in self.rows:
            log_at, log_bt = ends[t]
            rx = r + x
            alive = -rx * log_at - s * log_bt
            a_r, a_alpha, a_s, a_beta = -log_at, -rx / (alpha + t), -log_bt, -s / (beta + t)
            first, (f_r, f_alpha, f_s, f_beta) = parts[(x, t_x)]
            second, (h_r, h_alpha, h_s, h_beta) = parts[(x, t)]
            if t_x >= t or second >= first:
                total += weight * alive
                g_r += weight * a_r
                g_alpha += weight * a_alpha
                g_s += weight * a_s
                g_beta += weight * a_beta
                continue
            w = math.exp(second - first)
            keep = 1.0 / (1.0 - w)
            inverse = 1.0 / (rx + s)
            died = math.log(s * inverse) + first + math.log1p(-w)
            # the weight of dying in (t_x, T] in the bracket, and the bracket's logarithm
            if died > alive:
                share = 1.0 / (1.0 + math.exp(alive - died))
                bracket = died - math.log(share)
            else:
                rest = math.exp(died - alive)
                share = rest / (1.0 + rest)
                bracket = alive + math.log1p(rest)
            total += weight * bracket
            stay = weight * (1.0 - share)
            go = weight * share
            g_r += stay * a_r + go * ((f_r - w * h_r) * keep - inverse)
            g_alpha += stay * a_alpha + go * (f_alpha - w * h_alpha) * keep
            g_s += stay * a_s + go * ((f_s - w * h_s) * keep + 1.0 / s - inverse)
            g_beta += stay * a_beta + go * (f_beta - w * h_beta) * keep
        return total, [g_r, g_alpha, g_s, g_beta]


def _series(r: float, alpha: float, s: float, beta: float, x: float) -> _Series:
    """The 2F1 of A0 at a frequency: b = s + 1 when α ≥ β, else r + x."""
    return _Series(r + s + x, s + 1 if alpha >= beta else r + x)


def _log_a0_part_slopes(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: float,
    t: float,
    series: _Series | None = None,
) -> tuple[float, tuple[float, float, float, float]]:
    """`_log_a0_parts` and its gradient in (r, α, s, β); ``series``: `_series` of x."""
    total = r + s + x
    sums = series or _series(r, alpha, s, beta, x)
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        value, f_a, f_b, f_z = sums.at(z)
        log_m = math.log(alpha + t)
        return value - total * log_m, (
            f_a - log_m,
            f_z * (beta + t) / (alpha + t) ** 2 - total / (alpha + t),
            f_a + f_b - log_m,
            -f_z / (alpha + t),
        )
    z = (beta - alpha) / (beta + t)
    value, f_a, f_b, f_z = sums.at(z)
    log_m = math.log(beta + t)
    return value - total * log_m, (
        f_a + f_b - log_m,
        -f_z / (beta + t),
        f_a - log_m,
        f_z * (alpha + t) / (beta + t) ** 2 - total / (beta + t),
    )
