"""The entities document themselves: every field described, a signature a reader can read."""

from __future__ import annotations

import inspect
import pydoc

import pytest
from pydantic import BaseModel

from crmcore import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.entities import Feedback, ImportantDate, StatusChange
from crmcore.portfolio import CustomerReport

ENTITIES = [Customer, ImportantDate, Transaction, CareTouchpoint, Feedback, Complaint, StatusChange]


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.__name__)
def test_every_field_of_every_entity_has_a_description(entity: type[BaseModel]) -> None:
    undescribed = [name for name, f in entity.model_fields.items() if not f.description]
    assert undescribed == []
    schema = entity.model_json_schema()
    assert all("description" in field for field in schema["properties"].values())


@pytest.mark.parametrize("entity", [*ENTITIES, CustomerReport], ids=lambda e: e.__name__)
def test_the_signature_shows_plain_types_and_defaults(entity: type[BaseModel]) -> None:
    text = str(inspect.signature(entity))
    assert "Annotated" not in text and "Validator" not in text and "FieldInfo" not in text
    assert list(inspect.signature(entity).parameters) == list(entity.model_fields)


def test_help_on_a_customer_is_readable() -> None:
    signature = str(inspect.signature(Customer))
    assert len(signature) < 700
    assert "name: str | None = None" in signature
    assert "kind: CustomerKind = CustomerKind.INDIVIDUAL" in signature
    assert "acquired_at: datetime | None = None" in signature
    page = pydoc.render_doc(Customer, renderer=pydoc.plaintext)
    assert "Customer(*, id: str, kind: CustomerKind" in page


def test_the_signature_shows_each_fields_real_default() -> None:
    sale = inspect.signature(Transaction).parameters
    assert sale["quantity"].default == Transaction.model_fields["quantity"].default == 1
    assert sale["amount"].default is inspect.Parameter.empty
    person = inspect.signature(Customer).parameters
    assert repr(person["segment"].default) == repr(Customer(id="C-1").segment) == "{}"
    assert repr(person["important_dates"].default) == "()"


def test_the_signature_never_calls_a_factory_with_effects() -> None:
    from pydantic import Field

    from crmcore._model import Value

    calls: list[int] = []

    def counted() -> int:
        calls.append(1)
        return len(calls)

    class Counted(Value):
        n: int = Field(default_factory=counted)

    assert calls == []
    assert str(inspect.signature(Counted)) == "(*, n: int = <factory>)"
