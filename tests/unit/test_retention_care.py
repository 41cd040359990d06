from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CareTouchpoint, Complaint, Customer, CustomerHistory, Money, Transaction
from crmcore import strategies as crm
from crmcore.errors import CurrencyMismatch
from crmcore.lifecycle import LifecycleState, RecordedEvent, replay
from crmcore.retention import CarePolicy, CareRule, care_kpis, plan_care


def sale(cid: str, n: int, day: str) -> Transaction:
    return Transaction(
        id=f"T-{cid}-{n}", customer_id=cid, occurred_at=day, amount=Money("50", "CNY")
    )


def touch(cid: str, n: int, day: str, **fields: object) -> CareTouchpoint:
    base: dict[str, object] = {
        "stage": "post_purchase", "channel": "phone", "function": "care", "direction": "outbound"
    }  # fmt: skip
    return CareTouchpoint(id=f"P-{cid}-{n}", customer_id=cid, occurred_at=day, **(base | fields))


def customer_with(cid: str = "C-1", *records: object, **fields: object) -> CustomerHistory:
    return CustomerHistory(
        customer=Customer(id=cid, **fields),
        transactions=[r for r in records if isinstance(r, Transaction)],
        touchpoints=[r for r in records if isinstance(r, CareTouchpoint)],
        complaints=[r for r in records if isinstance(r, Complaint)],
    )


NO_LIMIT = CarePolicy(max_per_week=None)


# -- greetings -----------------------------------------------------------------------------


def test_birthdays_and_important_dates_recur_every_year() -> None:
    history = customer_with(
        "C-1",
        birthday="1985-07-14",
        important_dates=[{"label": "founding day", "date": "2010-09-01"}],
    )
    plan = plan_care([history], start="2024-01-01", end="2025-12-31", policy=NO_LIMIT, tiers={})
    greetings = [(t.due.isoformat(), t.purpose) for t in plan.tasks if t.rule is CareRule.GREETING]
    assert greetings == [
        ("2024-07-14", "birthday greeting"),
        ("2024-09-01", "founding day greeting"),
        ("2025-07-14", "birthday greeting"),
        ("2025-09-01", "founding day greeting"),
    ]


def test_a_29_february_birthday_falls_on_28_february_in_common_years() -> None:
    history = customer_with("C-1", birthday="1992-02-29")
    plan = plan_care([history], start="2023-01-01", end="2024-12-31", tiers={})
    assert [t.due for t in plan.tasks] == [date(2023, 2, 28), date(2024, 2, 29)]


# -- follow-ups ------------------------------------------------------------------------------


def test_a_purchase_is_followed_up_a_week_later_once_per_day() -> None:
    history = customer_with(
        "C-1",
        sale("C-1", 1, "2024-03-01T10:00:00+08:00"),
        sale("C-1", 2, "2024-03-01T18:00:00+08:00"),
    )
    plan = plan_care([history], start="2024-03-01", end="2024-03-31", tiers={})
    follow_ups = [t for t in plan.tasks if t.rule is CareRule.PURCHASE_FOLLOW_UP]
    assert [(t.due, t.source_id) for t in follow_ups] == [(date(2024, 3, 8), "T-C-1-1")]


def test_a_resolved_complaint_is_followed_up_three_days_later() -> None:
    complaint = Complaint(
        id="K-1", customer_id="C-1", received_at="2024-03-01", category="delivery", severity="low",
        status="resolved", status_changes=[
            {"status": "acknowledged", "at": "2024-03-01T01:00:00Z"},
            {"status": "assessed", "at": "2024-03-01T02:00:00Z"},
            {"status": "resolving", "at": "2024-03-01T03:00:00Z"},
            {"status": "resolved", "at": "2024-03-04T09:00:00Z"},
        ],
    )  # fmt: skip
    plan = plan_care(
        [customer_with("C-1", complaint)], start="2024-03-01", end="2024-03-31", tiers={}
    )
    (task,) = plan.tasks
    assert (task.due, task.rule, task.priority, task.source_id) == (
        date(2024, 3, 7),
        CareRule.COMPLAINT_FOLLOW_UP,
        2,
        "K-1",
    )


def test_rules_can_be_switched_off() -> None:
    history = customer_with("C-1", sale("C-1", 1, "2024-03-01"), birthday="1980-03-10")
    quiet = CarePolicy(
        greetings=False,
        purchase_follow_up_days=None,
        order_check_days=None,
        prospect_days=None,
        cadence_days=None,
        win_back=False,
    )
    assert plan_care([history], start="2024-03-01", end="2024-03-31", policy=quiet).tasks == ()


def test_care_during_the_purchase_checks_the_order_the_next_day() -> None:
    history = customer_with("C-1", sale("C-1", 1, "2024-03-04T10:00:00+08:00"))
    plan = plan_care([history], start="2024-03-01", end="2024-03-31", policy=NO_LIMIT, tiers={})
    stages = [(t.due, t.rule, t.purchase_stage.value, t.channel.value) for t in plan.tasks]
    assert stages == [
        (date(2024, 3, 5), CareRule.ORDER_CHECK, "purchase", "sms"),
        (date(2024, 3, 11), CareRule.PURCHASE_FOLLOW_UP, "post_purchase", "phone"),
    ]


def test_care_before_the_purchase_informs_target_customers_not_every_prospect() -> None:
    chosen = RecordedEvent(customer_id="C-1", event="qualify", at="2024-01-10")
    people = [customer_with("C-1", touch("C-1", 1, "2024-02-15")), customer_with("C-2")]
    plan = plan_care(people, start="2024-03-01", end="2024-04-30", tiers={}, events=[chosen])
    tasks = [(t.customer_id, t.due, t.rule, t.purchase_stage.value) for t in plan.tasks]
    assert tasks == [
        ("C-1", date(2024, 3, 16), CareRule.PROSPECT_CONTACT, "pre_purchase"),
        ("C-1", date(2024, 4, 15), CareRule.PROSPECT_CONTACT, "pre_purchase"),
    ]
    assert plan_care(people, start="2024-03-01", end="2024-04-30", tiers={}).tasks == ()


def test_a_configuration_naming_some_priorities_keeps_the_others() -> None:
    policy = CarePolicy.model_validate_json('{"priorities": {"greeting": 1}}')
    assert policy.priorities[CareRule.GREETING] == 1
    assert policy.priorities[CareRule.ORDER_CHECK] == 4


# -- regular contact and win-back ----------------------------------------------------------


def test_a_top_customer_not_contacted_for_a_month_gets_a_visit_then_one_every_cadence() -> None:
    history = customer_with(
        "C-1",
        sale("C-1", 1, "2024-01-02"),
        sale("C-1", 2, "2024-01-20"),
        touch("C-1", 1, "2024-02-01"),
    )
    plan = plan_care(
        [history], start="2024-03-01", end="2024-04-30", policy=NO_LIMIT, tiers={"C-1": 1}
    )
    regular = [(t.due, t.channel.value) for t in plan.tasks if t.rule is CareRule.REGULAR_CONTACT]
    assert regular == [(date(2024, 3, 2), "visit"), (date(2024, 4, 1), "visit")]


def test_a_churned_customer_worth_keeping_gets_a_win_back_task_at_once() -> None:
    history = customer_with("C-1", sale("C-1", 1, "2022-01-02"))
    (task,) = plan_care([history], start="2024-03-01", end="2024-03-31", tiers={"C-1": 2}).tasks
    assert (task.due, task.rule, task.channel.value, task.priority) == (
        date(2024, 3, 1),
        CareRule.WIN_BACK,
        "visit",
        1,
    )


def test_states_given_are_used_instead_of_replaying_and_must_not_be_later_than_the_start() -> None:
    churned = customer_with("C-1", sale("C-1", 1, "2022-01-02"))
    state = replay(churned, as_of="2024-03-01T00:00:00+00:00")
    given = plan_care([churned], start="2024-03-01", end="2024-03-31", tiers={"C-1": 2},
                      states={"C-1": state})  # fmt: skip
    assert given == plan_care([churned], start="2024-03-01", end="2024-03-31", tiers={"C-1": 2})
    # a state says what the customer is: one still buying gets no win-back task
    buying = LifecycleState.new("C-1").apply("purchase", at="2024-02-20")
    held = plan_care([churned], start="2024-03-01", end="2024-03-31", tiers={"C-1": 2},
                     states={"C-1": buying})  # fmt: skip
    assert CareRule.WIN_BACK not in {t.rule for t in held.tasks}
    later = LifecycleState.new("C-1").apply("purchase", at="2024-03-05")
    with pytest.raises(ValueError, match="Cannot plan the care of customer 'C-1' as of"):
        plan_care([churned], start="2024-03-01", end="2024-03-31", states={"C-1": later})


# -- throttling and order ------------------------------------------------------------------


def test_throttling_keeps_the_most_urgent_contact_of_the_week_and_lists_the_rest() -> None:
    history = customer_with("C-1", sale("C-1", 1, "2024-02-26"), birthday="1980-03-05")
    plan = plan_care([history], start="2024-03-04", end="2024-03-10", tiers={})
    assert [t.rule for t in plan.tasks] == [CareRule.PURCHASE_FOLLOW_UP]
    assert [t.rule for t in plan.throttled] == [CareRule.GREETING]


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="end must not be before start"):
        plan_care([], start="2024-03-02", end="2024-03-01")


portfolios = st.lists(
    crm.histories(max_transactions=6, max_touchpoints=3, max_complaints=2),
    max_size=4,
    unique_by=lambda h: h.customer_id,
)
windows = st.tuples(st.dates(date(2016, 1, 1), date(2030, 1, 1)), st.integers(0, 120))


# Each example plans a portfolio of up to four whole histories (about 0.1 s): 30 examples.
@settings(max_examples=30)
@given(portfolios, windows, st.integers(1, 3))
def test_the_plan_is_sorted_within_the_period_and_under_the_weekly_limit(
    histories: list[CustomerHistory], window: tuple[date, int], limit: int
) -> None:
    first, days = window
    last = first + timedelta(days=days)
    plan = plan_care(histories, start=first, end=last, policy=CarePolicy(max_per_week=limit))
    assert all(first <= t.due <= last for t in (*plan.tasks, *plan.throttled))
    keys = [(t.due, t.priority, t.customer_id, t.rule.value) for t in plan.tasks]
    assert keys == sorted(keys)
    weekly: dict[tuple[str, int], int] = {}
    for task in plan.tasks:
        week = (task.customer_id, (task.due.toordinal() - 1) // 7)
        weekly[week] = weekly.get(week, 0) + 1
    assert max(weekly.values(), default=0) <= limit
    assert (
        plan_care(
            list(reversed(histories)), start=first, end=last, policy=CarePolicy(max_per_week=limit)
        )
        == plan
    )


# -- care KPIs ---------------------------------------------------------------------------------


def test_care_is_measured_in_numbers() -> None:
    a = customer_with(
        "A",
        sale("A", 1, "2024-01-05"),
        touch("A", 1, "2024-02-01", feedback={"satisfaction": 2}),
        touch(
            "A", 2, "2024-03-05", responded=True, cost=Money("12", "CNY"), feedback={"recommend": 8}
        ),
        touch(
            "A",
            3,
            "2024-03-20",
            channel="email",
            function="information",
            responded=False,
            cost=Money("2", "CNY"),
        ),
        touch("A", 4, "2024-04-10", direction="inbound", feedback={"satisfaction": 4}),
    )
    b = customer_with("B", sale("B", 1, "2024-02-20"))
    kpis = care_kpis({"A": a, "B": b}, start="2024-03-01", end="2024-03-31", tiers={"A": 1, "B": 3})
    assert (kpis.customers, kpis.contacts, kpis.coverage, kpis.contacts_per_customer) == (
        2,
        2,
        0.5,
        1.0,
    )
    assert kpis.coverage_by_tier == {1: 1.0, 3: 0.0}
    assert kpis.coverage_by_stage == {"first_time": 0.5}
    assert (kpis.by_channel, kpis.by_function) == (
        {"email": 1, "phone": 1},
        {"care": 1, "information": 1},
    )
    assert (kpis.response_rate, kpis.mean_recommend, kpis.mean_satisfaction) == (0.5, 8.0, None)
    assert (kpis.satisfaction_change, kpis.satisfaction_pairs) == (2.0, 2)
    assert (kpis.cost, kpis.currency, kpis.cost_per_contact) == (Decimal("14"), "CNY", Decimal("7"))
    assert (kpis.retained, kpis.cost_per_retained) == (2, Decimal("7"))


def test_care_is_measured_by_purchase_stage_too() -> None:
    a = customer_with(
        "A",
        touch("A", 1, "2024-03-02", stage="pre_purchase", feedback={"satisfaction": 3}),
        touch("A", 2, "2024-03-03", stage="purchase", feedback={"satisfaction": 5}),
        touch("A", 3, "2024-03-04", feedback={"satisfaction": 4}),
        touch("A", 4, "2024-03-05", feedback={"satisfaction": 2}),
    )
    kpis = care_kpis([a], start="2024-03-01", end="2024-03-31")
    assert kpis.by_purchase_stage == {"post_purchase": 2, "pre_purchase": 1, "purchase": 1}
    assert kpis.satisfaction_by_purchase_stage == {
        "post_purchase": 3.0,
        "pre_purchase": 3.0,
        "purchase": 5.0,
    }


def test_without_customers_or_data_the_measures_are_none() -> None:
    kpis = care_kpis([], start="2024-03-01", end="2024-03-31")
    assert (kpis.coverage, kpis.contacts_per_customer, kpis.response_rate, kpis.cost) == (
        None,
        None,
        None,
        None,
    )


def test_contact_costs_in_two_currencies_are_refused() -> None:
    history = customer_with(
        "A",
        touch("A", 1, "2024-03-02", cost=Money("1", "CNY")),
        touch("A", 2, "2024-03-03", cost=Money("1", "USD")),
    )
    with pytest.raises(CurrencyMismatch):
        care_kpis([history], start="2024-03-01", end="2024-03-31")
