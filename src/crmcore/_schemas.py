from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from crmcore.complaints import SlaPolicy
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.history import CustomerHistory, CustomerSummary
from crmcore.lifecycle import LifecyclePolicy, LifecycleState, RecordedEvent
from crmcore.money import Money
from crmcore.portfolio import PortfolioConfig, PortfolioReport
from crmcore.scoring import IndexResult, LoyaltyConfig, SatisfactionConfig


def json_schemas() -> dict[str, dict[str, Any]]:
    """Return the JSON Schema of every entity, of the other records and of the configurations.

    Keys are the class names: the four entities, `CustomerHistory`, `Money`,
    the lifecycle's `LifecycleState` and `RecordedEvent`, `CustomerSummary`
    and `IndexResult`, and the configurations `LifecyclePolicy`, `SlaPolicy`,
    `SatisfactionConfig` and `LoyaltyConfig`, and a portfolio analysis'
    `PortfolioConfig` and `PortfolioReport`. The schemas describe the
    JSON form that ``model_dump_json()`` writes and ``model_validate_json()``
    reads.

    Examples:
        >>> import crmcore
        >>> sorted(crmcore.json_schemas())  # doctest: +NORMALIZE_WHITESPACE
        ['CareTouchpoint', 'Complaint', 'Customer', 'CustomerHistory', 'CustomerSummary',
         'IndexResult', 'LifecyclePolicy', 'LifecycleState', 'LoyaltyConfig', 'Money',
         'PortfolioConfig', 'PortfolioReport', 'RecordedEvent', 'SatisfactionConfig',
         'SlaPolicy', 'Transaction']
        >>> crmcore.json_schemas()["Money"]["required"]
        ['amount', 'currency']
    """
    schemas: dict[str, dict[str, Any]] = {
        model.__name__: model.model_json_schema()
        for model in (
            Customer,
            Transaction,
            CareTouchpoint,
            Complaint,
            CustomerHistory,
            LifecycleState,
            RecordedEvent,
            LifecyclePolicy,
            SlaPolicy,
            CustomerSummary,
            IndexResult,
            SatisfactionConfig,
            PortfolioConfig,
            PortfolioReport,
            LoyaltyConfig,
        )
    }
    schemas["Money"] = TypeAdapter(Money).json_schema()
    return schemas
