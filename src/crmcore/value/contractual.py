"""Contracts and subscriptions: the shifted-beta-geometric model of retention.

Fader & Hardie (2007, "How to project customer retention"): at the end of
each period a customer renews or cancels; a customer cancels with a
probability θ that stays the same from period to period, and θ varies
across customers as beta(a, b). A cohort's retention rate then rises with
its age — the customers likely to leave leave first — which a single
retention rate cannot show, and lifetime value follows from the survival
curve (Fader & Hardie 2010).

With a cohort of n₀ customers of which n_t are still active at the start of
period t + 1 (``survivors`` = n₀, n₁, …, n_T):

* P(T = t) = B(a + 1, b + t − 1) / B(a, b): the chance of cancelling in period t;
* S(t) = B(a, b + t) / B(a, b): of being active after t periods;
* r_t = S(t) / S(t − 1) = (b + t − 1) / (a + b + t − 1): the retention rate of period t;
* ln L = Σ_t (n_{t−1} − n_t) ln P(T = t) + n_T ln S(T).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, ClassVar

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import ModelFitError, NumericalError, UsageError
from crmcore.value._optimize import bfgs, digamma, nelder_mead
from crmcore.value.fitting import FitReport, check_penalizer, log_beta, standard_errors

__all__ = ["ShiftedBetaGeometric"]

_Positive = Field(gt=0, allow_inf_nan=False)


class _Survivors:
    """The negative log-likelihood of sBG over a cohort's survivors, with its gradient."""

    def __init__(self, survivors: Sequence[int], penalizer: float) -> None:
        self.lost = [before - after for before, after in pairwise(survivors)]
        self.left = survivors[-1]
        self.cohort = survivors[0]
        self.penalizer = penalizer

    def total(self, a: float, b: float) -> tuple[float, float, float]:
        """Ln L and its derivatives in a and b."""
        base = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        d_base_a, d_base_b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
        total = d_a = d_b = 0.0
        for t, n in enumerate(self.lost, start=1):
            if n:
                total += n * (
                    math.lgamma(a + 1) + math.lgamma(b + t - 1) - math.lgamma(a + b + t) - base
                )
                d_a += n * (digamma(a + 1) - digamma(a + b + t) - d_base_a)
                d_b += n * (digamma(b + t - 1) - digamma(a + b + t) - d_base_b)
        if self.left:
            t = len(self.lost)
            total += self.left * (
                math.lgamma(a) + math.lgamma(b + t) - math.lgamma(a + b + t) - base
            )
            d_a += self.left * (digamma(a + b) - digamma(a + b + t))
            d_b += self.left * (digamma(b + t) - digamma(a + b + t) - d_base_b)
        return total, d_a, d_b

    def objective(self, theta: Sequence[float]) -> tuple[float, list[float]]:
        """The mean negative log-likelihood plus the penalty, over (ln a, ln b)."""
        a, b = math.exp(theta[0]), math.exp(theta[1])
        total, d_a, d_b = self.total(a, b)
        scale = -1.0 / self.cohort
        penalty = self.penalizer * (a * a + b * b)
        return total * scale + penalty, [
            (d_a * scale + 2 * self.penalizer * a) * a,
            (d_b * scale + 2 * self.penalizer * b) * b,
        ]

    def value(self, theta: Sequence[float]) -> float:
        try:
            return self.objective(theta)[0]
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.inf

    def gradient(self, params: Sequence[float]) -> list[float]:
        """The gradient of −ln L (total, unpenalized) in (a, b) themselves."""
        _, d_a, d_b = self.total(params[0], params[1])
        return [-d_a, -d_b]


class ShiftedBetaGeometric(FitReport, Value):
    """A fitted shifted-beta-geometric (sBG) model of contract renewals.

    Each customer cancels at the end of a period with probability θ,
    beta(``a``, ``b``) across customers (mean a / (a + b)). Periods are the
    cohort's (years, months...): every result is per period.

    Examples:
        >>> regular = ShiftedBetaGeometric.fit(
        ...     survivors=[1000, 631, 468, 382, 326, 289, 262, 241])
        >>> round(regular.a, 3), round(regular.b, 3)
        (0.704, 1.182)
        >>> round(regular.retention_rate(8), 3), round(regular.survival(12), 3)
        (0.921, 0.17)
    """

    PARAMETERS: ClassVar[tuple[str, ...]] = ("a", "b")

    a: float = _Positive
    b: float = _Positive
    log_likelihood: float | None = Field(
        default=None, description="The maximised log-likelihood, when fitted."
    )
    customers: int | None = Field(default=None, description="The cohort's size, when fitted.")
    periods: int | None = Field(default=None, description="The periods observed, when fitted.")
    penalizer: float = Field(
        default=0.0, ge=0, allow_inf_nan=False, description="The L2 penalty of the fit."
    )
    standard_errors: tuple[float, float] | None = Field(
        default=None,
        description="The standard errors of a and b (observed information), when they exist.",
    )

    @classmethod
    def fit(
        cls,
        *,
        survivors: Sequence[int],
        penalizer: float = 0.0,
        max_iterations: int = 20_000,
    ) -> ShiftedBetaGeometric:
        """Fit by maximum likelihood on a cohort's survivors per period.

        ``survivors[0]`` is the cohort's size; ``survivors[t]`` how many are
        still active at the start of period t + 1 (after t renewals). With a
        ``penalizer`` c, the fit minimises −ln L / n₀ + c (a² + b²), as
        lifetimes penalizes its fitters.

        Raises:
            UsageError: Fewer than two counts, a negative or non-whole count,
                a cohort of no one, a count above the one before it, or a
                negative ``penalizer``.
            ModelFitError: The likelihood search did not converge (the last
                parameters it held are named).

        Examples:
            >>> high_end = ShiftedBetaGeometric.fit(
            ...     survivors=[1000, 869, 743, 653, 593, 551, 517, 491])
            >>> round(high_end.a, 3), round(high_end.b, 3), high_end.customers
            (0.668, 3.806, 1000)
        """
        counts = _checked(survivors)
        check_penalizer(penalizer)
        likelihood = _Survivors(counts, penalizer)
        best = bfgs(likelihood.objective, [0.0, 0.0], max_iterations=min(500, max_iterations))
        if not best.converged:  # a rougher surface: the simplex, from there
            best = nelder_mead(likelihood.value, best.x, max_iterations=max_iterations)
        a, b = math.exp(best.x[0]), math.exp(best.x[1])
        if not best.converged or not math.isfinite(best.value):
            raise ModelFitError(
                "sBG",
                best.iterations,
                f"the likelihood search did not converge (it stopped at a = {a:.6g}, "
                f"b = {b:.6g}, mean negative log-likelihood {best.value:.6g})",
            )
        errors = standard_errors(likelihood.gradient, [a, b]) if penalizer == 0 else None
        return cls(
            a=a,
            b=b,
            log_likelihood=likelihood.total(a, b)[0],
            customers=counts[0],
            periods=len(counts) - 1,
            penalizer=penalizer,
            standard_errors=None if errors is None else (errors[0], errors[1]),
        )

    # -- the model's curves --------------------------------------------------------

    def churn_probability(self, period: int) -> float:
        """P(T = t): the probability that a new customer cancels at the end of period t.

        Examples:
            >>> round(ShiftedBetaGeometric(a=1, b=1).churn_probability(1), 3)
            0.5
        """
        t = _period(period, 1)
        return math.exp(
            math.lgamma(self.a + 1)
            + math.lgamma(self.b + t - 1)
            - math.lgamma(self.a + self.b + t)
            - log_beta(self.a, self.b)
        )

    def survival(self, period: int) -> float:
        """S(t): the probability that a new customer is still active after t periods.

        Examples:
            >>> ShiftedBetaGeometric(a=1, b=1).survival(0)
            1.0
            >>> round(ShiftedBetaGeometric(a=1, b=1).survival(3), 3)
            0.25
        """
        t = _period(period, 0)
        return math.exp(log_beta(self.a, self.b + t) - log_beta(self.a, self.b))

    def retention_rate(self, period: int) -> float:
        """r_t = S(t) / S(t − 1): the share of the customers active in period t who renew.

        Rises with t: the customers likely to cancel cancel first.

        Examples:
            >>> model = ShiftedBetaGeometric(a=1, b=1)
            >>> model.retention_rate(1), round(model.retention_rate(3), 3)
            (0.5, 0.75)
        """
        t = _period(period, 1)
        return (self.b + t - 1) / (self.a + self.b + t - 1)

    def expected_survivors(self, cohort: int, periods: int) -> list[float]:
        """The expected number of a cohort still active after 0, 1, …, ``periods`` periods.

        Examples:
            >>> [round(n, 1) for n in ShiftedBetaGeometric(a=1, b=1).expected_survivors(1000, 3)]
            [1000.0, 500.0, 333.3, 250.0]
        """
        if cohort < 0:
            raise UsageError(f"A cohort counts 0 customers or more, not {cohort!r}.")
        return [cohort * self.survival(t) for t in range(_period(periods, 0) + 1)]

    # -- lifetimes -------------------------------------------------------------------

    def expected_lifetime(self, discount_rate: float) -> float:
        """The discounted expected lifetime (DEL) of a new customer, in payments.

        Σ_t S(t) / (1 + d)^t over t = 0, 1, …: the first payment (now)
        counted in full, each later one if the customer is still there,
        discounted per period — Fader & Hardie (2010):
        2F1(1, b; a + b; 1 / (1 + d)).

        Raises:
            UsageError: ``discount_rate`` not above 0.
            NumericalError: The sum does not settle (a discount rate too
                close to 0 for the model's slow decline).

        Examples:
            >>> round(ShiftedBetaGeometric(a=1, b=1).expected_lifetime(0.1), 4)
            2.6377
        """
        return self._discounted_from(0, discount_rate)

    def residual_lifetime(self, discount_rate: float, *, renewals: int) -> float:
        """The discounted expected residual lifetime (DERL) of an active customer, in payments.

        For a customer who has renewed ``renewals`` times (n − 1 in Fader &
        Hardie 2010) and has paid for the current period: the expected
        number of payments still to come, the next one (if the customer
        renews) counted in full and each later one discounted by (1 + d)
        per period — B(a, b + n) / B(a, b + n − 1) · 2F1(1, b + n;
        a + b + n; 1 / (1 + d)). A customer who has renewed more is more
        likely to stay: DERL rises with ``renewals``.

        Raises:
            UsageError: ``discount_rate`` not above 0, or ``renewals`` negative.
            NumericalError: The sum does not settle.

        Examples:
            >>> model = ShiftedBetaGeometric(a=1, b=1)
            >>> round(model.residual_lifetime(0.1, renewals=0), 4)
            1.8015
            >>> model.residual_lifetime(0.1, renewals=4) > model.residual_lifetime(0.1, renewals=0)
            True
        """
        n = _period(renewals, 0)
        return self.retention_rate(n + 1) * self._discounted_from(n + 1, discount_rate)

    def lifetime_value(
        self, margin: float, *, discount_rate: float, renewals: int | None = None
    ) -> float:
        """A customer's discounted expected margin: ``margin`` per payment times DEL or DERL.

        A new customer (``renewals`` None): ``margin`` × the expected
        lifetime, the first payment included; an active customer who has
        renewed ``renewals`` times: ``margin`` × the residual lifetime.

        Examples:
            >>> model = ShiftedBetaGeometric(a=1, b=1)
            >>> round(model.lifetime_value(100, discount_rate=0.1), 2)
            263.77
        """
        if renewals is None:
            return margin * self.expected_lifetime(discount_rate)
        return margin * self.residual_lifetime(discount_rate, renewals=renewals)

    def _discounted_from(self, start: int, discount_rate: float) -> float:
        """The sum over k = 0, 1, … of S(start + k) / S(start) · (1 + d)^−k."""
        if not (discount_rate > 0 and math.isfinite(discount_rate)):
            raise UsageError(f"discount_rate must be above 0, not {discount_rate!r}.")
        z = 1.0 / (1.0 + discount_rate)
        a, b = self.a, self.b
        term = total = 1.0
        for k in range(1, 10_000_000):
            term *= (b + start + k - 1) / (a + b + start + k - 1) * z
            total += term
            if term <= 1e-16 * total:
                return total
        raise NumericalError(  # pragma: no cover - needs a discount rate near 1e-7
            f"the discounted lifetime at discount rate {discount_rate} did not settle"
        )

    # -- the fit's accounting --------------------------------------------------------


def _period(value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise UsageError(
            f"A period number must be a whole number of at least {least}, not {value!r}."
        )
    return value


def _checked(survivors: Sequence[int]) -> list[int]:
    counts = list(survivors)
    if len(counts) < 2:
        raise UsageError(
            "Cannot fit sBG on fewer than two counts: give the cohort's size and the "
            "survivors of at least one period."
        )
    for t, count in enumerate(counts):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise UsageError(
                f"survivors[{t}] must be a whole number of customers, 0 or more, not {count!r}."
            )
        if t and count > counts[t - 1]:
            raise UsageError(
                f"survivors[{t}] is {count}, more than the {counts[t - 1]} of the period before: "
                "a cohort only loses customers."
            )
    if counts[0] == 0:
        raise UsageError("Cannot fit sBG on a cohort of no customers (survivors[0] is 0).")
    return counts
