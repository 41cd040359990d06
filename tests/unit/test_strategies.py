from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmcore
from crmcore import CustomerHistory, Money, Transaction
from crmcore import strategies as crm


def test_the_strategies_are_registered_through_the_hypothesis_entry_point() -> None:
    hooks = [e.value for e in importlib.metadata.entry_points(group="hypothesis")]
    assert "crmcore._hypothesis_plugin:register" in hooks


REGISTERED = (
    "from hypothesis.strategies._internal.types import _global_type_lookup as lookup; "
    "from crmcore import Money, Transaction; "
    "assert Money in lookup and Transaction in lookup, 'not registered'"
)


@pytest.mark.parametrize(
    "first_import",
    ["import crmcore.strategies", "import hypothesis", "import crmcore; import hypothesis"],
)
def test_the_strategies_are_registered_whichever_module_a_fresh_process_imports_first(
    first_import: str,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"{first_import}; {REGISTERED}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@given(st.from_type(crmcore.Customer))
def test_from_type_draws_valid_customers(customer: crmcore.Customer) -> None:
    assert crmcore.Customer.model_validate(customer.model_dump()) == customer


@given(st.from_type(Money))
def test_from_type_draws_money(price: Money) -> None:
    assert isinstance(price, Money)


@given(crm.transactions(customer_id="C-7", currency="USD"))
def test_transactions_can_be_pinned_to_a_customer_and_currency(sale: Transaction) -> None:
    assert sale.customer_id == "C-7"
    assert sale.amount.currency == "USD"
    assert sale.list_amount is None or sale.list_amount >= sale.amount


@given(crm.histories(max_transactions=3, max_touchpoints=0, max_complaints=0))
def test_histories_respect_their_size_limits(history: CustomerHistory) -> None:
    assert len(history.transactions) <= 3
    assert history.touchpoints == () and history.complaints == ()
