"""Invariants of the entities, checked on data drawn by crmcore's own strategies."""

from __future__ import annotations

import io
import json
import random
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from crmcore import (
    CareTouchpoint,
    Complaint,
    Customer,
    CustomerHistory,
    Money,
    Transaction,
    json_schemas,
)
from crmcore import strategies as crm
from crmcore.entities import PERSONAL_FIELDS
from crmcore.io import read_csv, read_jsonl, write_csv, write_jsonl

SCHEMAS = json_schemas()
ENTITIES = (Customer, Transaction, CareTouchpoint, Complaint, CustomerHistory)


def conforms(model: type[BaseModel], record: BaseModel) -> None:
    jsonschema.validate(
        json.loads(record.model_dump_json()),
        SCHEMAS[model.__name__],
        cls=jsonschema.Draft202012Validator,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@given(st.sampled_from(ENTITIES).flatmap(lambda m: st.tuples(st.just(m), st.from_type(m))))
def test_every_entity_round_trips_through_json(drawn: tuple[type[BaseModel], Any]) -> None:
    model, record = drawn
    assert model.model_validate_json(record.model_dump_json()) == record


# JSON Schema validation is the cost (about 0.07 s an example): 30 examples, over 6 entities.
@settings(max_examples=30)
@given(st.sampled_from(ENTITIES).flatmap(lambda m: st.tuples(st.just(m), st.from_type(m))))
def test_every_entity_matches_its_json_schema(drawn: tuple[type[BaseModel], Any]) -> None:
    model, record = drawn
    conforms(model, record)


@given(crm.money())
def test_money_matches_its_json_schema(price: Money) -> None:
    jsonschema.validate(
        {"amount": format(price.amount, "f"), "currency": price.currency}, SCHEMAS["Money"]
    )


@given(crm.histories())
def test_history_records_are_in_time_order_and_belong_to_the_customer(
    history: CustomerHistory,
) -> None:
    for records, when in (
        (history.transactions, "occurred_at"),
        (history.touchpoints, "occurred_at"),
        (history.complaints, "received_at"),
    ):
        keys = [(getattr(r, when), r.id) for r in records]
        assert keys == sorted(keys)
        assert {r.customer_id for r in records} <= {history.customer.id}
        assert len({r.id for r in records}) == len(records)


@given(crm.histories(), st.randoms(use_true_random=False))
def test_the_input_order_of_records_does_not_matter(
    history: CustomerHistory, rnd: random.Random
) -> None:
    shuffled = {
        name: list(getattr(history, name)) for name in ("transactions", "touchpoints", "complaints")
    }
    for records in shuffled.values():
        rnd.shuffle(records)
    assert CustomerHistory(customer=history.customer, **shuffled) == history


@given(crm.customers())
def test_personal_data_is_masked_in_repr(customer: Customer) -> None:
    text = repr(customer)
    for name in PERSONAL_FIELDS:
        value = getattr(customer, name)
        shown = "None" if value is None else "()" if value == () else "'***'"
        assert f"{name}={shown}" in text


@given(crm.customers())
def test_anonymized_customers_hold_no_personal_data(customer: Customer) -> None:
    erased = customer.anonymized()
    assert all(getattr(erased, name) in (None, ()) for name in PERSONAL_FIELDS)
    assert erased.segment == customer.segment and erased.wallet == customer.wallet


@given(st.lists(crm.money("EUR", min_amount=-(10**6)), max_size=20))
def test_money_sums_equal_decimal_sums(prices: list[Money]) -> None:
    assert sum(prices, Money.zero("EUR")).amount == sum((p.amount for p in prices), Decimal(0))


@given(crm.money(min_amount=-1000), crm.money(min_amount=-1000), crm.money(min_amount=-1000))
def test_money_addition_is_commutative_and_associative(a: Money, b: Money, c: Money) -> None:
    assert a + b == b + a
    assert (a + b) + c == a + (b + c)
    assert a + b - b == a


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
@example(0.1 + 0.2)
def test_floats_are_read_by_their_shortest_repr_if_it_holds_at_most_15_digits(
    value: float,
) -> None:
    shortest = Decimal(repr(value))
    exponent = shortest.as_tuple().exponent
    if len(shortest.normalize().as_tuple().digits) > 15:
        with pytest.raises(ValidationError, match="a float with more than 15 significant digits"):
            Money(value, "CNY")
    elif isinstance(exponent, int) and exponent < -18:
        with pytest.raises(ValidationError, match="at most 18 decimal places"):
            Money(value, "CNY")
    else:
        assert Money(value, "CNY").amount == shortest


@given(st.decimals(min_value=-(10**15), max_value=10**15, places=2, allow_nan=False))
def test_every_decimal_of_at_most_15_digits_survives_the_trip_through_a_float(
    amount: Decimal,
) -> None:
    assume(len(amount.normalize().as_tuple().digits) <= 15)
    assert Money(float(amount), "CNY").amount == amount


RECORDS = (Customer, Transaction, CareTouchpoint, Complaint)


@given(
    st.sampled_from(RECORDS).flatmap(
        lambda m: st.tuples(st.just(m), st.lists(st.from_type(m), max_size=5))
    )
)
def test_records_round_trip_through_csv_and_jsonl(drawn: tuple[type[BaseModel], list[Any]]) -> None:
    model, records = drawn
    table = io.StringIO()
    write_csv(table, records, entity=model)
    assert list(read_csv(io.StringIO(table.getvalue()), model)) == records
    lines = io.StringIO()
    write_jsonl(lines, records)
    assert list(read_jsonl(io.StringIO(lines.getvalue()), model)) == records
