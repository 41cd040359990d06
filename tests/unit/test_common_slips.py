"""Common slips of a new user get a message that says what to do instead."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crmcore import Customer, CustomerHistory, Transaction
from crmcore.errors import UnsupportedType, UsageError
from crmcore.lifecycle import LifecycleState
from crmcore.scoring import loyalty, satisfaction


@pytest.mark.parametrize("amount", [12.5, 12, "12.50"])
def test_an_amount_without_a_currency_says_money_needs_both(amount: object) -> None:
    with pytest.raises(ValidationError, match="money needs an amount and a currency") as info:
        Transaction(id="T-1", customer_id="C-1", occurred_at="2025-01-01", amount=amount)
    assert "Money('12.50', 'CNY')" in str(info.value)
    assert info.value.errors()[0]["loc"] == ("amount",)


def test_a_json_amount_without_a_currency_says_the_same() -> None:
    text = '{"id": "T-1", "customer_id": "C-1", "occurred_at": "2025-01-01", "amount": 12.5}'
    with pytest.raises(ValidationError, match=r"not a bare number \(12.5\)"):
        Transaction.model_validate_json(text)


@pytest.mark.parametrize("index", [satisfaction, loyalty])
def test_an_index_of_a_bare_customer_says_what_it_takes(index: object) -> None:
    with pytest.raises(UnsupportedType, match="of a Customer: it takes the customer's") as info:
        index(Customer(id="C-1"), as_of="2025-01-01")  # type: ignore[operator]
    assert "CustomerHistory" in str(info.value) and "CustomerSummary" in str(info.value)


def test_an_unknown_lifecycle_event_lists_the_events() -> None:
    with pytest.raises(UsageError, match="Unknown customer event 'buy': the events are") as info:
        LifecycleState.new("C-1").apply("buy", at="2024-01-05")
    assert "purchase" in str(info.value)


def test_a_naive_as_of_is_refused_under_the_parameter_s_name() -> None:
    history = CustomerHistory(customer=Customer(id="C-1"))
    with pytest.raises(ValidationError, match="timezone-aware") as info:
        satisfaction(history, as_of="2025-01-01T00:00")
    assert info.value.title == "as_of"
    assert "function-before" not in str(info.value)


def test_a_naive_moment_of_an_event_is_refused_under_at() -> None:
    with pytest.raises(ValidationError, match="timezone-aware") as info:
        LifecycleState.new("C-1").apply("purchase", at="2024-01-05T10:00")
    assert info.value.title == "at"
