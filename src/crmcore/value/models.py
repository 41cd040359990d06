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
from typing import Any

from pydantic import Field

from crmcore.entities._base import Value
from crmcore.errors import ModelFitError
from crmcore.value._optimize import Minimum, bfgs, digamma, nelder_mead
from crmcore.value.rfm import RfmRow

__all__ = ["BetaGeo", "GammaGamma", "lifetime_value"]

_Positive = Field(gt=0, allow_inf_nan=False)


def _columns(
    first: Iterable[Any], others: Sequence[Sequence[float] | None], names: Sequence[str]
) -> list[tuple[float, ...]]:
    """Rows from equal-length columns, or from `RfmRow`s given alone."""
    if all(column is None for column in others):
        rows = list(first)
        if not all(isinstance(r, RfmRow) for r in rows):
            raise TypeError(f"Give {', '.join(names)} as equal-length sequences, or RfmRow rows.")
        picks = {"frequency": 1, "recency": 2, "T": 3, "monetary_value": 4}
        return [tuple(float(r[picks[n]]) for n in names) for r in rows]
    columns = [list(first), *[list(c) for c in others if c is not None]]
    if any(c is None for c in others) or len({len(c) for c in columns}) != 1:
        raise ValueError(f"{', '.join(names)} must be sequences of equal length.")
    return [tuple(float(v) for v in row) for row in zip(*columns, strict=True)]


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


def _hyp2f1(a: float, b: float, c: float, z: float) -> float:
    """The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, by its series."""
    term = total = 1.0
    for k in range(200_000):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        if abs(term) <= 1e-16 * abs(total):
            return total
    raise ArithmeticError(f"2F1({a}, {b}; {c}; {z}) did not converge")


class _BetaGeoLikelihood:
    """The mean negative log-likelihood of BG/NBD over grouped rows, with its gradient.

    Parameters are taken on a log scale (r, α, a, b = exp(θ)). Terms that
    depend on the frequency only are computed once per distinct frequency,
    and the logarithms of α + T and α + t_x once per distinct time.
    """

    def __init__(self, rows: Sequence[tuple[float, ...]]) -> None:
        self.count = len(rows)
        self.rows = [(int(x), t_x, t, n) for (x, t_x, t), n in Counter(rows).items()]
        self.by_x = Counter(int(x) for x, _, _ in rows)
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


class BetaGeo(Value):
    """A fitted BG/NBD model: purchase rates gamma(r, α), dropout probabilities beta(a, b).

    Times are in the unit of the data it was fitted on (weeks for the CDNOW
    estimates).

    Examples:
        >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.p_alive(frequency=2, recency=30.43, T=38.86), 3)
        0.727
        >>> model.p_alive(frequency=0, recency=0, T=38.86)
        1.0
    """

    r: float = _Positive
    alpha: float = _Positive
    a: float = _Positive
    b: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="Customers fitted on.")

    @classmethod
    def fit(
        cls,
        frequency: Iterable[Any],
        recency: Sequence[float] | None = None,
        T: Sequence[float] | None = None,  # noqa: N803 - the literature's name
        *,
        max_iterations: int = 20_000,
    ) -> BetaGeo:
        """Fit by maximum likelihood on frequency, recency and T (or on `RfmRow` rows).

        Raises:
            ValueError: The columns differ in length, are empty, or hold
                impossible values (negative, recency above T, repeats in no time).
            ModelFitError: The likelihood search did not converge.
        """
        rows = _columns(frequency, (recency, T), ("frequency", "recency", "T"))
        if not rows:
            raise ValueError("Cannot fit BG/NBD on no customers.")
        for n, (x, t_x, t) in enumerate(rows):
            if x < 0 or t_x < 0 or t_x > t or x != int(x) or (x > 0 and t_x == 0 and t == 0):
                raise ValueError(
                    f"Cannot fit BG/NBD: row {n} (frequency {x:g}, recency {t_x:g}, T {t:g}) "
                    "is not a purchase summary."
                )
        likelihood = _BetaGeoLikelihood(rows)
        best = bfgs(
            likelihood.value_and_gradient, [0.0, 0.0, 0.0, 0.0], max_iterations=max_iterations
        )
        if not best.converged:  # a rougher surface: fall back on the simplex, from there
            best = _simplex("BG/NBD", likelihood.value, best.x, max_iterations)
        r, alpha, a, b = (math.exp(v) for v in best.x)
        return cls(
            r=r, alpha=alpha, a=a, b=b, log_likelihood=-best.value * len(rows), customers=len(rows)
        )

    def p_alive(self, *, frequency: float, recency: float, T: float) -> float:  # noqa: N803
        """The probability that a customer with this history is still alive at T.

        1 for a customer without repeat purchases (the model lets a customer
        die only just after a purchase).
        """
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
    ) -> float:
        """Expected purchases in the next ``t`` time units.

        For a customer with the given history (frequency, recency, T); without
        one, for a new customer over ``(0, t]``.

        Examples:
            >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
            >>> round(model.expected_purchases(39, frequency=2, recency=30.43, T=38.86), 3)
            1.226
        """
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        if frequency is None or recency is None or T is None:
            z = t / (alpha + t)
            hyp = _hyp2f1(r, b, a + b - 1, z)
            return (a + b - 1) / (a - 1) * (1 - math.pow(alpha / (alpha + t), r) * hyp)
        x = frequency
        z = t / (alpha + T + t)
        hyp = _hyp2f1(r + x, b + x, a + b + x - 1, z)
        first = (a + b + x - 1) / (a - 1)
        second = 1 - hyp * math.pow((alpha + T) / (alpha + T + t), r + x)
        odds = (a / (b + x - 1)) * math.pow((alpha + T) / (alpha + recency), r + x) if x else 0.0
        return first * second / (1 + odds)


class GammaGamma(Value):
    """A fitted Gamma-Gamma model of spend per purchase: parameters p, q and γ.

    Examples:
        >>> model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> round(model.expected_spend(frequency=2, monetary_value=30.0), 2)
        30.94
    """

    p: float = _Positive
    q: float = _Positive
    gamma: float = _Positive
    log_likelihood: float | None = None
    customers: int | None = None

    @classmethod
    def fit(
        cls,
        frequency: Iterable[Any],
        monetary_value: Sequence[float] | None = None,
        *,
        max_iterations: int = 20_000,
    ) -> GammaGamma:
        """Fit by maximum likelihood on the repeat buyers' frequency and mean spend.

        Customers without a repeat purchase carry no spend information and are
        left out; so are `RfmRow` rows with frequency 0.

        Raises:
            ValueError: No repeat buyer, unequal columns, or a spend of 0 or less.
            ModelFitError: The likelihood search did not converge.
        """
        if monetary_value is None:
            rows = _columns(frequency, (None,), ("frequency", "monetary_value"))
        else:
            rows = _columns(frequency, (monetary_value,), ("frequency", "monetary_value"))
        buyers = [(x, m) for x, m in rows if x > 0]
        if not buyers:
            raise ValueError("Cannot fit Gamma-Gamma: no customer has a repeat purchase.")
        for n, (_, m) in enumerate(buyers):
            if m <= 0:
                raise ValueError(f"Cannot fit Gamma-Gamma: repeat buyer {n} spent {m:g}.")
        data = list(Counter(buyers).items())

        def negative_log_likelihood(theta: Sequence[float]) -> float:
            try:
                p, q, v = (math.exp(t) for t in theta)
            except OverflowError:
                return math.inf
            total = 0.0
            for (x, m), weight in data:
                px = p * x
                total += weight * (
                    math.lgamma(px + q)
                    - math.lgamma(px)
                    - math.lgamma(q)
                    + q * math.log(v)
                    + (px - 1) * math.log(m)
                    + px * math.log(x)
                    - (px + q) * math.log(x * m + v)
                )
            return -total / len(buyers)

        best = _simplex("Gamma-Gamma", negative_log_likelihood, (0.0, 0.0, 0.0), max_iterations)
        p, q, gamma = (math.exp(v) for v in best.x)
        return cls(
            p=p, q=q, gamma=gamma, log_likelihood=-best.value * len(buyers), customers=len(buyers)
        )

    def expected_spend(self, *, frequency: float, monetary_value: float) -> float:
        """The expected spend per purchase of a customer, given the repeat purchases' mean.

        Without a repeat purchase, the population mean ``p γ / (q − 1)``.
        """
        p, q, gamma = self.p, self.q, self.gamma
        return p * (gamma + frequency * monetary_value) / (p * frequency + q - 1)


def lifetime_value(
    purchases: BetaGeo,
    spend: GammaGamma,
    *,
    frequency: float,
    recency: float,
    T: float,  # noqa: N803
    monetary_value: float,
    periods: int = 12,
    period_length: float = 4.345,
    discount_rate: float = 0.01,
    margin: float = 1.0,
) -> float:
    """Discounted expected margin of a customer over the next ``periods`` periods.

    Each period's expected purchases (from the BG/NBD model) times the expected
    spend per purchase (Gamma-Gamma) times ``margin``, discounted at
    ``discount_rate`` per period: Σ_k ΔE[purchases]_k · spend · margin / (1 + d)^k.
    ``period_length`` is a period in the models' time unit (4.345 weeks a
    month, the default; 30 for days).

    Raises:
        ValueError: ``periods`` below 1, or a non-positive period length.

    Examples:
        >>> bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> gg = GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> round(lifetime_value(bg, gg, frequency=2, recency=30.43, T=38.86,
        ...                      monetary_value=30.0, periods=12), 2)
        45.52
    """
    if periods < 1 or period_length <= 0:
        raise ValueError("periods must be 1 or more and period_length above 0.")
    history = {"frequency": frequency, "recency": recency, "T": T}
    value_per_purchase = spend.expected_spend(frequency=frequency, monetary_value=monetary_value)
    total, before = 0.0, 0.0
    for k in range(1, periods + 1):
        upto = purchases.expected_purchases(k * period_length, **history)
        total += (upto - before) * value_per_purchase * margin / (1 + discount_rate) ** k
        before = upto
    return total
