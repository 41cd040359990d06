"""Customer value: purchase summaries, lifetime value and the models behind it.

* [`rfm_summary`][crmcore.value.rfm.rfm_summary] and
  [`calibration_holdout`][crmcore.value.rfm.calibration_holdout]: the
  frequency / recency / T / monetary table of the customer-base literature;
* [`compare_holdout`][crmcore.value.holdout.compare_holdout]: a fitted model's
  expected holdout purchases against the actual ones, by calibration frequency;
* [`historical_value`][crmcore.value.profit.historical_value] and
  [`profitability`][crmcore.value.profit.profitability]: what a customer has
  brought and cost, component by component;
* [`selection`][crmcore.value.selection]: the marks of good and bad
  customers, big customers' risks and the guidelines for choosing targets;
* [`retention_value`][crmcore.value.retention_clv.retention_value]: lifetime value
  under constant retention;
* [`pyramid`][crmcore.value.pyramid.pyramid]: customers tiered by value;
* [`rfm_scores`][crmcore.value.segments.rfm_scores]: RFM quintile scores and segments;
* [`BetaGeo`][crmcore.value.models.BetaGeo], [`GammaGamma`][crmcore.value.models.GammaGamma]
  and [`lifetime_value`][crmcore.value.models.lifetime_value]: the probabilistic
  models of purchases, P(alive) and spend;
* [`ModifiedBetaGeo`][crmcore.value.modified.ModifiedBetaGeo]: MBG/NBD, whose
  customers may also leave right after their first purchase;
* [`ParetoNBD`][crmcore.value.pareto.ParetoNBD]: Pareto/NBD, the continuous-time
  model whose customers can leave at any moment;
* [`BetaGeoBetaBinom`][crmcore.value.discrete.BetaGeoBetaBinom]: BG/BB, purchases
  at discrete opportunities (yearly appeals, weekly slots);
* [`ShiftedBetaGeometric`][crmcore.value.contractual.ShiftedBetaGeometric]: the
  retention of contracts and subscriptions, and their lifetime value; fitted
  models report each parameter as an [`Estimate`][crmcore.value.fitting.Estimate].

Examples:
    >>> from crmcore import value
    >>> round(value.retention_multiple(0.8, 0.1), 3)
    2.667
"""

from __future__ import annotations

from crmcore.value.contractual import ShiftedBetaGeometric
from crmcore.value.discrete import BetaGeoBetaBinom
from crmcore.value.fitting import Estimate
from crmcore.value.holdout import HoldoutComparison, HoldoutGroup, PurchaseModel, compare_holdout
from crmcore.value.models import BetaGeo, GammaGamma, lifetime_value
from crmcore.value.modified import ModifiedBetaGeo
from crmcore.value.pareto import ParetoNBD
from crmcore.value.profit import (
    HistoricalValue,
    Profitability,
    ProfitabilityPolicy,
    Signal,
    historical_value,
    profitability,
)
from crmcore.value.pyramid import TIER_NAMES, Pyramid, Tier, pyramid, tier_counts
from crmcore.value.retention_clv import retention_multiple, retention_value
from crmcore.value.rfm import HoldoutRow, RfmRow, calibration_holdout, rfm_summary
from crmcore.value.segments import SEGMENT_GRID, RfmScore, RfmSegment, rfm_scores
from crmcore.value.selection import (
    BAD_CUSTOMER,
    BIG_CUSTOMER_RISKS,
    GOOD_CUSTOMER,
    TARGET_GUIDELINES,
    Criterion,
    criterion,
)

__all__ = [
    "BAD_CUSTOMER",
    "BIG_CUSTOMER_RISKS",
    "GOOD_CUSTOMER",
    "SEGMENT_GRID",
    "TARGET_GUIDELINES",
    "TIER_NAMES",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "Criterion",
    "Estimate",
    "GammaGamma",
    "HistoricalValue",
    "HoldoutComparison",
    "HoldoutGroup",
    "HoldoutRow",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "Profitability",
    "ProfitabilityPolicy",
    "PurchaseModel",
    "Pyramid",
    "RfmRow",
    "RfmScore",
    "RfmSegment",
    "ShiftedBetaGeometric",
    "Signal",
    "Tier",
    "calibration_holdout",
    "compare_holdout",
    "criterion",
    "historical_value",
    "lifetime_value",
    "profitability",
    "pyramid",
    "retention_multiple",
    "retention_value",
    "rfm_scores",
    "rfm_summary",
    "tier_counts",
]
