"""How well a fitted purchase model foretold the holdout period: expected against actual purchases.

Fit a model on the calibration summaries of
[`calibration_holdout`][crmcore.value.rfm.calibration_holdout], then ask it,
customer by customer, how many purchases to expect over the holdout period
given the calibration history, and set that beside what the customer did.
The comparison groups customers by their calibration frequency (the chart
of Fader, Hardie & Lee 2005, figure 4, and of lifetimes'
``plot_calibration_purchases_vs_holdout_purchases``); the last group holds
that frequency and every higher one, so no customer is left out. Fit each
candidate model on the same rows and compare their totals and mean errors.

BG/NBD, MBG/NBD and Pareto/NBD answer in continuous time; the BG/BB model
counts discrete opportunities instead and is compared on its own patterns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import UsageError
from crmcore.value.rfm import HoldoutRow, Unit

__all__ = ["HoldoutComparison", "HoldoutGroup", "PurchaseModel", "compare_holdout"]


class PurchaseModel(Protocol):
    """A fitted model that expects purchases: `BetaGeo`, `ParetoNBD` or `ModifiedBetaGeo`."""

    def expected_purchases(
        self,
        t: float,
        *,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803 - the literature's name
        unit: Unit | None = None,
    ) -> float:
        """The expected purchases in the next ``t`` units of a customer with this history."""

    def p_alive(
        self,
        *,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        unit: Unit | None = None,
    ) -> float:
        """The probability that a customer with this history is still alive."""

    @property
    def unit(self) -> Unit | None:
        """The unit of time of the fit."""


class HoldoutGroup(Value):
    """The customers of one calibration frequency: their mean actual and expected purchases."""

    frequency: int = Field(description="The calibration frequency (repeat purchase periods).")
    and_more: bool = Field(description="True for the last group: this frequency or more.")
    customers: int
    actual: float = Field(description="Mean purchase periods in the holdout.")
    expected: float = Field(description="Mean purchase periods the model expected.")


class HoldoutComparison(Value):
    """A model's expected holdout purchases against the actual ones, in all and by frequency."""

    model: str = Field(description="The model's class name.")
    customers: int
    actual: float = Field(description="Purchase periods in the holdout, all customers.")
    expected: float = Field(description="Purchase periods the model expected, all customers.")
    mean_absolute_error: float = Field(
        description="The mean over customers of |expected − actual|."
    )
    groups: tuple[HoldoutGroup, ...] = Field(description="By calibration frequency, lowest first.")


def compare_holdout(
    model: PurchaseModel, rows: Sequence[HoldoutRow], *, max_frequency: int = 7
) -> HoldoutComparison:
    """Compare a model's expected holdout purchases with the actual ones.

    Args:
        model: A purchase model fitted on the rows' calibration columns.
        rows: The rows of `calibration_holdout`.
        max_frequency: The last group's calibration frequency: customers with
            this many repeat periods or more share it (at least 1).

    Raises:
        UsageError: No rows, or ``max_frequency`` below 1.
        UnitMismatch: The rows are in another unit than the model's.

    Examples:
        >>> from datetime import date
        >>> from crmcore.datasets import load_sample
        >>> from crmcore.value import BetaGeo, calibration_holdout
        >>> sample = load_sample()
        >>> rows = calibration_holdout(sample.transactions, calibration_end=date(2025, 6, 30),
        ...                            observation_end=date(2025, 12, 31), unit="weeks")
        >>> model = BetaGeo.fit([r.frequency_cal for r in rows], [r.recency_cal for r in rows],
        ...                     [r.T_cal for r in rows], unit="weeks")
        >>> comparison = compare_holdout(model, rows)
        >>> comparison.customers == len(rows), comparison.actual == sum(
        ...     r.frequency_holdout for r in rows)
        (True, True)
        >>> first = comparison.groups[0]
        >>> first.frequency, first.and_more
        (0, False)
    """
    if not rows:
        raise UsageError("Cannot compare a model with the holdout of no customers.")
    if isinstance(max_frequency, bool) or not isinstance(max_frequency, int) or max_frequency < 1:
        raise UsageError(f"max_frequency must be a whole number from 1, not {max_frequency!r}.")
    sums: dict[int, list[float]] = {}  # group -> [customers, actual, expected]
    actual = expected = error = 0.0
    for row in rows:
        foretold = model.expected_purchases(
            row.duration_holdout,
            frequency=row.frequency_cal,
            recency=row.recency_cal,
            T=row.T_cal,
            unit=row.unit,
        )
        done = float(row.frequency_holdout)
        actual += done
        expected += foretold
        error += abs(foretold - done)
        group = sums.setdefault(min(row.frequency_cal, max_frequency), [0.0, 0.0, 0.0])
        group[0] += 1
        group[1] += done
        group[2] += foretold
    return HoldoutComparison(
        model=type(model).__name__,
        customers=len(rows),
        actual=actual,
        expected=expected,
        mean_absolute_error=error / len(rows),
        groups=tuple(
            HoldoutGroup(
                frequency=frequency,
                and_more=frequency == max_frequency,
                customers=int(count),
                actual=done / count,
                expected=foretold / count,
            )
            for frequency, (count, done, foretold) in sorted(sums.items())
        ),
    )
