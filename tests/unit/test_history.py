from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from crmcore import (
    CareTouchpoint,
    Complaint,
    Customer,
    CustomerHistory,
    Money,
    Transaction,
    build_histories,
)
from crmcore.errors import DuplicateId, UnknownCustomer
from tests.conftest import CST, make_purchase

DAY = datetime(2024, 3, 1, 12, tzinfo=CST)


def test_records_are_kept_in_time_order_whatever_the_input_order(alice: Customer) -> None:
    late = make_purchase("T-1", DAY + timedelta(days=2))
    early = make_purchase("T-2", DAY)
    history = CustomerHistory(customer=alice, transactions=[late, early])
    assert [t.id for t in history.transactions] == ["T-2", "T-1"]


def test_records_at_the_same_time_are_ordered_by_id(alice: Customer) -> None:
    history = CustomerHistory(
        customer=alice, transactions=[make_purchase("T-b", DAY), make_purchase("T-a", DAY)]
    )
    assert [t.id for t in history.transactions] == ["T-a", "T-b"]


def test_time_order_compares_instants_across_offsets(alice: Customer) -> None:
    utc_first = make_purchase("T-2", datetime.fromisoformat("2024-03-01T03:00:00+00:00"))
    cst_later = make_purchase("T-1", datetime.fromisoformat("2024-03-01T12:00:00+08:00"))
    history = CustomerHistory(customer=alice, transactions=[cst_later, utc_first])
    assert [t.id for t in history.transactions] == ["T-2", "T-1"]


def test_a_record_of_another_customer_is_rejected_naming_both_ids(alice: Customer) -> None:
    stranger = make_purchase("T-9", DAY, customer_id="C-2")
    with pytest.raises(
        ValidationError,
        match="transaction 'T-9' belongs to customer 'C-2', not to this history's customer 'C-1'",
    ):
        CustomerHistory(customer=alice, transactions=[stranger])


def test_a_complaint_of_another_customer_is_rejected(alice: Customer) -> None:
    other = Complaint(
        id="K-1", customer_id="C-7", received_at=DAY, category="price", severity="low"
    )
    with pytest.raises(ValidationError, match="complaint 'K-1' belongs to customer 'C-7'"):
        CustomerHistory(customer=alice, complaints=[other])


def test_duplicate_ids_are_rejected(alice: Customer) -> None:
    twice = [make_purchase("T-1", DAY), make_purchase("T-1", DAY + timedelta(days=1))]
    with pytest.raises(ValidationError, match="transaction id 'T-1' appears more than once"):
        CustomerHistory(customer=alice, transactions=twice)


def test_the_same_id_may_be_used_by_records_of_different_kinds(alice: Customer) -> None:
    contact = CareTouchpoint(
        id="X-1",
        customer_id="C-1",
        occurred_at=DAY,
        stage="purchase",
        channel="web",
        function="transaction",
        direction="inbound",
    )
    history = CustomerHistory(
        customer=alice, transactions=[make_purchase("X-1", DAY)], touchpoints=[contact]
    )
    assert history.touchpoints[0].id == history.transactions[0].id


def test_purchases_and_refunds_are_split(alice: Customer) -> None:
    refund = Transaction(
        id="T-2",
        customer_id="C-1",
        occurred_at=DAY + timedelta(days=3),
        kind="refund",
        amount=Money("10", "CNY"),
        refund_of="T-1",
    )
    history = CustomerHistory(customer=alice, transactions=[refund, make_purchase("T-1", DAY)])
    assert [t.id for t in history.purchases] == ["T-1"]
    assert [t.id for t in history.refunds] == ["T-2"]
    assert history.customer_id == "C-1"


def test_histories_are_frozen(alice: Customer) -> None:
    history = CustomerHistory(customer=alice)
    with pytest.raises(ValidationError, match="frozen"):
        history.transactions = ()  # type: ignore[misc]


def test_build_histories_groups_by_customer_and_keeps_customer_order() -> None:
    people = [Customer(id="C-2"), Customer(id="C-1")]
    sales = [
        make_purchase("T-1", DAY),
        make_purchase("T-2", DAY, customer_id="C-2"),
        make_purchase("T-3", DAY - timedelta(days=1)),
    ]
    histories = build_histories(people, sales)
    assert list(histories) == ["C-2", "C-1"]
    assert [t.id for t in histories["C-1"].transactions] == ["T-3", "T-1"]


def test_build_histories_gives_customers_without_records_an_empty_history() -> None:
    histories = build_histories([Customer(id="C-1")])
    assert histories["C-1"].transactions == ()


def test_build_histories_of_nothing_is_empty() -> None:
    assert build_histories([]) == {}


def test_build_histories_reports_records_of_unknown_customers() -> None:
    with pytest.raises(
        UnknownCustomer, match="Cannot attach transaction 'T-1' to customer 'C-404'"
    ) as info:
        build_histories([Customer(id="C-1")], [make_purchase("T-1", DAY, customer_id="C-404")])
    assert info.value.customer_id == "C-404"


def test_build_histories_rejects_duplicate_customers_and_record_ids() -> None:
    with pytest.raises(DuplicateId, match="Cannot accept customer 'C-1'"):
        build_histories([Customer(id="C-1"), Customer(id="C-1")])
    people = [Customer(id="C-1"), Customer(id="C-2")]
    clash = [make_purchase("T-1", DAY), make_purchase("T-1", DAY, customer_id="C-2")]
    with pytest.raises(DuplicateId, match="transaction 'T-1'"):
        build_histories(people, clash)


def test_history_errors_never_echo_the_customer_record() -> None:
    data = {
        "customer": {"id": "C-1", "name": "Alice Zhang"},
        "transactions": [make_purchase("T-1", DAY, customer_id="C-2")],
    }
    with pytest.raises(ValidationError) as info:
        CustomerHistory.model_validate(data)
    assert "Alice" not in str(info.value)
