from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore import CareTouchpoint, Complaint, Customer, CustomerHistory, Money, Transaction
from crmcore.errors import CurrencyMismatch
from crmcore.value import (
    BAD_CUSTOMER,
    BIG_CUSTOMER_RISKS,
    GOOD_CUSTOMER,
    TARGET_GUIDELINES,
    ProfitabilityPolicy,
    criterion,
    historical_value,
    profitability,
)

AS_OF = "2024-12-31T23:59:59+00:00"


def cny(amount: str) -> Money:
    return Money(amount, "CNY")


def history(*records: object, acquisition: str | None = "40") -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(
            id="C-1", acquisition_cost=None if acquisition is None else cny(acquisition)
        ),
        transactions=[r for r in records if isinstance(r, Transaction)],
        touchpoints=[r for r in records if isinstance(r, CareTouchpoint)],
        complaints=[r for r in records if isinstance(r, Complaint)],
    )


def sale(
    n: int, paid: str, listed: str | None = None, cost: str | None = None, **fields: object
) -> Transaction:
    return Transaction(
        id=f"T-{n}",
        customer_id="C-1",
        occurred_at=f"2024-0{n}-01",
        amount=cny(paid),
        list_amount=None if listed is None else cny(listed),
        cost=None if cost is None else cny(cost),
        **fields,
    )


CALL = CareTouchpoint(
    id="P-1", customer_id="C-1", occurred_at="2024-05-01", stage="post_purchase", channel="phone",
    function="care", direction="outbound", cost=cny("15"),
)  # fmt: skip
COMPLAINT = Complaint(
    id="K-1", customer_id="C-1", received_at="2024-04-02", category="delivery", severity="low",
    handling_cost=cny("25"), compensation=cny("30"),
)  # fmt: skip
REFUND = Transaction(
    id="T-9", customer_id="C-1", occurred_at="2024-06-01", kind="refund", amount=cny("20")
)
FULL = history(sale(1, "200", "250", "120"), sale(2, "100", None, "50"), REFUND, CALL, COMPLAINT)


def test_every_component_is_shown_and_the_profit_adds_up() -> None:
    result = profitability(FULL, as_of=AS_OF)
    assert (result.list_revenue, result.discounts, result.refunds) == (350, 50, 20)
    assert (
        result.cost_of_goods,
        result.care_contacts,
        result.complaint_handling,
        result.compensation,
    ) == (170, 15, 25, 30)
    assert (result.acquisition, result.cost_to_serve) == (40, 50 + 15 + 25 + 30)
    assert result.profit == 350 - 20 - 170 - 120 - 40 == 0
    assert result.profitable and result.currency == "CNY"  # breaking even is not a loss
    costly = history(sale(1, "100", cost="90"), CALL, COMPLAINT)
    assert profitability(costly, as_of=AS_OF).profitable is False


def test_the_historical_value_groups_the_same_money_differently() -> None:
    value = historical_value(FULL, as_of=AS_OF)
    assert (value.revenue, value.contribution, value.retention_costs) == (300, 300 - 20 - 170, 70)
    assert value.value == profitability(FULL, as_of=AS_OF).profit
    assert value.cost_coverage == 1.0


def test_records_after_as_of_do_not_count() -> None:
    assert profitability(FULL, as_of="2024-03-15T00:00:00+00:00").list_revenue == 350


def test_missing_costs_of_goods_are_flagged_or_estimated_from_a_margin_rate() -> None:
    partial = history(sale(1, "200", cost="120"), sale(2, "100"))
    result = profitability(partial, as_of=AS_OF)
    assert result.cost_coverage == 0.5
    assert "cost_of_goods_unknown" in {s.name for s in result.signals}
    estimated = profitability(partial, as_of=AS_OF, margin_rate=0.4)
    assert estimated.cost_of_goods == Decimal("120") + Decimal("60.0")
    assert "cost_of_goods_unknown" not in {s.name for s in estimated.signals}


def test_bad_customer_signals_follow_the_policy() -> None:
    default = profitability(FULL, as_of=AS_OF)
    assert default.signals == ()  # service 70 / 300 = 23 %, discounts 50 / 350 = 14 %
    strict = profitability(FULL, as_of=AS_OF, policy=ProfitabilityPolicy(service_share=0.2))
    (signal,) = strict.signals
    assert (signal.name, signal.good, signal.detail, signal.criterion) == (
        "costly_to_serve",
        False,
        "cost to serve is 23% of revenue",
        "costs_more_than_brings",
    )


def test_a_profit_or_a_loss_is_a_signal_of_the_texts_good_or_bad_customer() -> None:
    good = profitability(history(sale(1, "200", cost="100")), as_of=AS_OF).signals
    assert (good[0].name, good[0].good, good[0].criterion) == ("profitable", True, "profitable")
    costly = history(sale(1, "100", cost="90"), CALL, COMPLAINT)
    bad = {s.name: s for s in profitability(costly, as_of=AS_OF).signals}
    assert (bad["unprofitable"].criterion, bad["unprofitable"].detail) == (
        "costs_more_than_brings",
        "cost 100 more than it brought",
    )
    discounted = profitability(history(sale(1, "50", "100", "20")), as_of=AS_OF).signals
    assert {s.name: s.criterion for s in discounted}["heavy_discounts"] == "profit_risk"


def test_every_signal_a_criterion_names_is_one_profitability_can_raise() -> None:
    raised = {"profitable", "unprofitable", "costly_to_serve", "heavy_discounts", "heavy_refunds",
              "frequent_complaints", "cheap_to_serve", "cost_of_goods_unknown"}  # fmt: skip
    lists = (GOOD_CUSTOMER, BAD_CUSTOMER, BIG_CUSTOMER_RISKS, TARGET_GUIDELINES)
    assert [len(x) for x in lists] == [6, 3, 4, 5]
    named = {signal for group in lists for c in group for signal in c.signals}
    assert named <= raised
    assert criterion("financial_risk").checklist and not criterion("profit_risk").checklist
    with pytest.raises(KeyError, match="No criterion named 'nice'"):
        criterion("nice")


def test_frequent_complaints_and_heavy_refunds_are_flagged() -> None:
    refund = Transaction(
        id="T-8", customer_id="C-1", occurred_at="2024-02-02", kind="refund", amount=cny("90")
    )
    result = profitability(history(sale(1, "100", cost="50"), refund, COMPLAINT), as_of=AS_OF)
    assert {"heavy_refunds", "frequent_complaints"} <= {s.name for s in result.signals}


def test_an_empty_history_is_worth_nothing_in_no_currency() -> None:
    value = historical_value(history(acquisition=None), as_of=AS_OF)
    assert (value.value, value.currency, value.cost_coverage) == (0, None, None)
    assert profitability(history(acquisition=None), as_of=AS_OF).profitable


def test_amounts_in_two_currencies_are_refused() -> None:
    usd = Transaction(
        id="T-5", customer_id="C-1", occurred_at="2024-05-05", amount=Money("5", "USD")
    )
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        profitability(history(sale(1, "10"), usd), as_of=AS_OF)
