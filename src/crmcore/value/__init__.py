"""Customer value: purchase summaries, lifetime value and the models behind it.

* [`rfm_summary`][crmcore.value.rfm.rfm_summary] and
  [`calibration_holdout`][crmcore.value.rfm.calibration_holdout]: the
  frequency / recency / T / monetary table of the customer-base literature;
* [`retention_value`][crmcore.value.retention.retention_value]: lifetime value
  under constant retention;
* [`pyramid`][crmcore.value.pyramid.pyramid]: customers tiered by value;
* [`BetaGeo`][crmcore.value.models.BetaGeo], [`GammaGamma`][crmcore.value.models.GammaGamma]
  and [`lifetime_value`][crmcore.value.models.lifetime_value]: the probabilistic
  models of purchases, P(alive) and spend.

Examples:
    >>> from crmcore import value
    >>> round(value.retention_multiple(0.8, 0.1), 3)
    2.667
"""

from __future__ import annotations

from crmcore.value.models import BetaGeo, GammaGamma, lifetime_value
from crmcore.value.pyramid import TIER_NAMES, Pyramid, Tier, pyramid, tier_counts
from crmcore.value.retention import retention_multiple, retention_value
from crmcore.value.rfm import HoldoutRow, RfmRow, calibration_holdout, rfm_summary

__all__ = [
    "TIER_NAMES",
    "BetaGeo",
    "GammaGamma",
    "HoldoutRow",
    "Pyramid",
    "RfmRow",
    "Tier",
    "calibration_holdout",
    "lifetime_value",
    "pyramid",
    "retention_multiple",
    "retention_value",
    "rfm_summary",
    "tier_counts",
]
