from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.history import CustomerHistory
from crmcore.money import Money


def json_schemas() -> dict[str, dict[str, Any]]:
    """Return the JSON Schema of every entity, of `CustomerHistory` and of `Money`.

    Keys are the class names. The schemas describe the JSON form that
    ``model_dump_json()`` writes and ``model_validate_json()`` reads.

    Examples:
        >>> import crmcore
        >>> sorted(crmcore.json_schemas())
        ['CareTouchpoint', 'Complaint', 'Customer', 'CustomerHistory', 'Money', 'Transaction']
        >>> crmcore.json_schemas()["Money"]["required"]
        ['amount', 'currency']
    """
    schemas: dict[str, dict[str, Any]] = {
        model.__name__: model.model_json_schema()
        for model in (Customer, Transaction, CareTouchpoint, Complaint, CustomerHistory)
    }
    schemas["Money"] = TypeAdapter(Money).json_schema()
    return schemas
