"""Retention: who is at risk, why customers left and how to win them back; cohorts; relationships.

* [`plan_care`][crmcore.retention.care.plan_care] and
  [`care_kpis`][crmcore.retention.care.care_kpis]: the care contacts due in a
  period, and care measured in numbers;
* [`at_risk`][crmcore.retention.churn.at_risk],
  [`churn_reasons`][crmcore.retention.churn.churn_reasons] and
  [`win_back_plan`][crmcore.retention.churn.win_back_plan]: churn and win-back;
* [`cohorts`][crmcore.retention.cohorts.cohorts]: customers grouped by
  acquisition period, the share still buying in each later period, and the
  retention rate the retention-based lifetime value needs;
* [`relationship_funnel`][crmcore.retention.relationship.relationship_funnel]
  and [`suggest_level`][crmcore.retention.relationship.suggest_level]: how
  close customers are, against the source texts' 100 : 50 : 10 : 3-5;
  [`relationship_phase`][crmcore.retention.relationship.relationship_phase]:
  how far the relationship has come (exploration to decline);
* [`crm_goals`][crmcore.retention.goals.crm_goals]: more customers, longer
  and deeper relationships, per customer and for the portfolio;
* [`practices`][crmcore.retention.practices]: the methods, strategies,
  drivers and factors the texts list, as data.

Examples:
    >>> from crmcore import retention
    >>> retention.cohorts([], as_of="2024-01-31").cohorts
    ()
"""

from __future__ import annotations

from crmcore.retention.care import (
    CareKpis,
    CarePlan,
    CarePolicy,
    CareRule,
    CareTask,
    care_kpis,
    plan_care,
)
from crmcore.retention.churn import (
    VISIT_STEPS,
    AtRisk,
    RiskSignal,
    WinBack,
    WinBackPolicy,
    at_risk,
    churn_reasons,
    win_back_plan,
)
from crmcore.retention.cohorts import Cohort, CohortTable, cohorts
from crmcore.retention.goals import CustomerGoals, GoalReport, crm_goals
from crmcore.retention.practices import (
    CARE_VARIABLES,
    CHURN_PREVENTION,
    LOYALTY_DRIVERS,
    LOYALTY_STRATEGIES,
    RETENTION_FACTORS,
    RETENTION_METHODS,
    Practice,
    practice,
)
from crmcore.retention.relationship import (
    EXPECTED_REACH,
    FunnelLevel,
    LevelPolicy,
    LevelSuggestion,
    PhasePolicy,
    PhaseReading,
    RelationshipFunnel,
    RelationshipPhase,
    relationship_funnel,
    relationship_phase,
    suggest_level,
)

__all__ = [
    "CARE_VARIABLES",
    "CHURN_PREVENTION",
    "EXPECTED_REACH",
    "LOYALTY_DRIVERS",
    "LOYALTY_STRATEGIES",
    "RETENTION_FACTORS",
    "RETENTION_METHODS",
    "VISIT_STEPS",
    "AtRisk",
    "CareKpis",
    "CarePlan",
    "CarePolicy",
    "CareRule",
    "CareTask",
    "Cohort",
    "CohortTable",
    "CustomerGoals",
    "FunnelLevel",
    "GoalReport",
    "LevelPolicy",
    "LevelSuggestion",
    "PhasePolicy",
    "PhaseReading",
    "Practice",
    "RelationshipFunnel",
    "RelationshipPhase",
    "RiskSignal",
    "WinBack",
    "WinBackPolicy",
    "at_risk",
    "care_kpis",
    "churn_reasons",
    "cohorts",
    "crm_goals",
    "plan_care",
    "practice",
    "relationship_funnel",
    "relationship_phase",
    "suggest_level",
    "win_back_plan",
]
