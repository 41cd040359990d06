"""The fast row builders take only rows validation accepts, and build the very same entity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from crmcore import CareTouchpoint, Transaction
from crmcore.io import csv_columns
from crmcore.io._fastrows import row_builder
from crmcore.io.layout import entity_layout, flatten, unflatten
from crmcore.strategies import care_touchpoints, transactions

# Spellings a CSV file may hold, beside the ones crmcore writes: some valid, some not.
ODD_CELLS = ["", " ", "true", "True", "1", "0", "yes", "-1", "11", "5", "1e3", "01", "PT", "P1D",
             "PT90S", "PT1H2M3S", "99.00", "-3.50", "CNY", "cny", "XXX", "refund", "purchase",
             "outbound", "phone", "post_purchase", "care", "2024-05-01", "2024-05-01T10:00:00Z",
             "2024-13-01", " C-1", "C-1", "x" * 201, "a\nb"]  # fmt: skip


def _cells(record: BaseModel, header: Sequence[str]) -> list[str]:
    """The CSV cells crmcore writes for ``record`` (the writer's flattening)."""
    layout = entity_layout(type(record))
    row = flatten(record.model_dump(mode="json"), layout)
    return [row[name] for name in header]


def _validated(entity: type[BaseModel], header: Sequence[str], cells: Sequence[str]) -> Any:
    by_name = {c.name: c for c in entity_layout(entity)}
    data = unflatten(zip(header, cells, strict=True), by_name, lambda text: text)
    assert isinstance(data, dict)
    return entity.model_validate(data)


def _same(fast: BaseModel, slow: BaseModel) -> None:
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump_json() == slow.model_dump_json()


@given(transactions(), st.data())
def test_a_written_transaction_is_built_as_validation_builds_it(
    sale: Transaction, data: st.DataObject
) -> None:
    header = csv_columns(Transaction)
    cells = _cells(sale, header)
    build = row_builder(Transaction, header)
    assert build is not None
    fast = build(cells)
    if fast is not None:  # declined rows are validated the usual way
        _same(fast, _validated(Transaction, header, cells))


@given(care_touchpoints())
def test_a_written_touchpoint_is_built_as_validation_builds_it(contact: CareTouchpoint) -> None:
    header = csv_columns(CareTouchpoint)
    cells = _cells(contact, header)
    build = row_builder(CareTouchpoint, header)
    assert build is not None
    fast = build(cells)
    if fast is not None:
        _same(fast, _validated(CareTouchpoint, header, cells))


@pytest.mark.parametrize("entity", [Transaction, CareTouchpoint])
@given(data=st.data())
def test_a_row_with_odd_cells_is_built_only_if_validation_accepts_it(
    entity: type[BaseModel], data: st.DataObject
) -> None:
    header = csv_columns(entity)
    strategy = transactions() if entity is Transaction else care_touchpoints()
    cells = _cells(data.draw(strategy), header)
    for index in data.draw(st.lists(st.integers(0, len(cells) - 1), max_size=3)):
        cells[index] = data.draw(st.sampled_from(ODD_CELLS))
    build = row_builder(entity, header)
    assert build is not None
    fast = build(cells)
    try:
        slow = _validated(entity, header, cells)
    except ValidationError:
        assert fast is None, "a row validation refuses was built"
        return
    if fast is not None:
        _same(fast, slow)


def test_a_plain_row_is_built_fast_and_equals_the_validated_entity() -> None:
    header = ["id", "customer_id", "occurred_at", "amount", "amount.currency", "selection_time"]
    cells = ["T-1", "C-1", "2024-05-01T10:00:00+08:00", "12.30", "CNY", "PT2M41S"]
    build = row_builder(Transaction, header)
    assert build is not None
    sale = build(cells)
    assert sale is not None
    _same(sale, _validated(Transaction, header, cells))


def test_a_row_breaking_a_rule_is_declined_for_validation_to_report() -> None:
    header = ["id", "customer_id", "occurred_at", "amount", "amount.currency"]
    build = row_builder(Transaction, header)
    assert build is not None
    assert build(["T-1", "C-1", "2024-05-01T10:00:00+08:00", "-12.30", "CNY"]) is None
    assert build(["T-1", "", "2024-05-01T10:00:00+08:00", "12.30", "CNY"]) is None


def test_entities_without_a_fast_builder_get_none() -> None:
    from crmcore import Customer

    assert row_builder(Customer, ["id"]) is None
