"""Retention: cohorts of customers and how many keep buying, and the relationship funnel.

* [`cohorts`][crmcore.retention.cohorts.cohorts]: customers grouped by
  acquisition period, the share still buying in each later period, and the
  retention rate the retention-based lifetime value needs;
* [`relationship_funnel`][crmcore.retention.relationship.relationship_funnel]
  and [`suggest_level`][crmcore.retention.relationship.suggest_level]: how
  close customers are, against the source texts' 100 : 50 : 10 : 3-5.

Examples:
    >>> from crmcore import retention
    >>> retention.cohorts([], as_of="2024-01-31").cohorts
    ()
"""

from __future__ import annotations

from crmcore.retention.cohorts import Cohort, CohortTable, cohorts
from crmcore.retention.relationship import (
    EXPECTED_REACH,
    FunnelLevel,
    LevelPolicy,
    LevelSuggestion,
    RelationshipFunnel,
    relationship_funnel,
    suggest_level,
)

__all__ = [
    "EXPECTED_REACH",
    "Cohort",
    "CohortTable",
    "FunnelLevel",
    "LevelPolicy",
    "LevelSuggestion",
    "RelationshipFunnel",
    "cohorts",
    "relationship_funnel",
    "suggest_level",
]
