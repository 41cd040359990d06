"""Scores a CRM manager can trust and explain.

* [`satisfaction`][crmcore.scoring.indices.satisfaction] and
  [`loyalty`][crmcore.scoring.indices.loyalty]: six-metric indices from a
  customer's summary, with every metric's raw input, sub-score and weight;
* [`delivered_value`][crmcore.scoring.delivered.delivered_value]: Kotler's
  customer delivered value, offers compared, expectation against perception;
* [`nps`][crmcore.scoring.surveys.nps], [`csat`][crmcore.scoring.surveys.csat],
  [`ces`][crmcore.scoring.surveys.ces]: survey measures;
* [`quadrant`][crmcore.scoring.matrix.quadrant]: the satisfaction-loyalty matrix.

Examples:
    >>> from crmcore import scoring
    >>> scoring.quadrant(75.0, 80.0).action
    'reward and keep: loyalty benefits, care, recognition'
"""

from __future__ import annotations

from crmcore.scoring import metrics
from crmcore.scoring.delivered import (
    DeliveredValue,
    Disconfirmation,
    OfferComparison,
    ValueAssessment,
    compare_offers,
    delivered_value,
    disconfirmation,
)
from crmcore.scoring.indices import (
    IndexConfig,
    IndexResult,
    LoyaltyConfig,
    MetricScore,
    SatisfactionConfig,
    loyalty,
    loyalty_source,
    satisfaction,
)
from crmcore.scoring.matrix import Quadrant, QuadrantThresholds, quadrant, quadrant_counts
from crmcore.scoring.surveys import ces, csat, nps

__all__ = [
    "DeliveredValue",
    "Disconfirmation",
    "IndexConfig",
    "IndexResult",
    "LoyaltyConfig",
    "MetricScore",
    "OfferComparison",
    "Quadrant",
    "QuadrantThresholds",
    "SatisfactionConfig",
    "ValueAssessment",
    "ces",
    "compare_offers",
    "csat",
    "delivered_value",
    "disconfirmation",
    "loyalty",
    "loyalty_source",
    "metrics",
    "nps",
    "quadrant",
    "quadrant_counts",
    "satisfaction",
]
