from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CareTouchpoint, Customer, CustomerHistory, Money, RelationshipLevel, Transaction
from crmcore import strategies as crm
from crmcore.retention import (
    CARE_VARIABLES,
    CHURN_PREVENTION,
    LOYALTY_DRIVERS,
    LOYALTY_STRATEGIES,
    RETENTION_FACTORS,
    RETENTION_METHODS,
    CareRule,
    LevelPolicy,
    PhasePolicy,
    RelationshipPhase,
    cohorts,
    crm_goals,
    practice,
    relationship_funnel,
    relationship_phase,
    suggest_level,
)


def history(cid: str, *days: str, refunds: tuple[str, ...] = ()) -> CustomerHistory:
    sales = [
        Transaction(id=f"T-{n}", customer_id=cid, occurred_at=day, amount=Money("10", "CNY"))
        for n, day in enumerate(days)
    ]
    sales += [
        Transaction(
            id=f"R-{n}", customer_id=cid, occurred_at=day, kind="refund", amount=Money("1", "CNY")
        )
        for n, day in enumerate(refunds)
    ]
    return CustomerHistory(customer=Customer(id=cid), transactions=sales)


def test_customers_are_grouped_by_the_month_of_their_first_purchase() -> None:
    table = cohorts(
        {"A": history("A", "2024-01-31", "2024-03-01"), "B": history("B", "2024-02-01")},
        as_of="2024-03-15",
    )
    assert [(c.start, c.size) for c in table.cohorts] == [
        (date(2024, 1, 1), 1),
        (date(2024, 2, 1), 1),
    ]
    assert table.cohorts[0].active == (1, 0, 1)
    assert table.cohorts[0].surviving == (1, 1, 1)
    assert table.cohorts[0].active_shares == (1.0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("period", "start"),
    [("week", date(2024, 2, 26)), ("quarter", date(2024, 1, 1)), ("year", date(2024, 1, 1))],
)
def test_other_periods_start_on_monday_quarter_and_year_boundaries(
    period: str, start: date
) -> None:
    table = cohorts([history("A", "2024-02-29")], as_of="2024-12-31", period=period)  # type: ignore[arg-type]
    assert table.cohorts[0].start == start


def test_refunds_prospects_and_later_purchases_are_left_out() -> None:
    table = cohorts(
        [history("A", "2024-01-10", "2024-05-01", refunds=("2024-02-01",)), history("P")],
        as_of="2024-03-31",
    )
    (cohort,) = table.cohorts
    assert (cohort.size, cohort.active) == (1, (1, 0, 0))


def test_the_retention_rate_pools_complete_consecutive_periods() -> None:
    customers = [
        history(f"C-{n}", "2024-01-05", *(["2024-02-05"] if n < 3 else [])) for n in range(4)
    ]
    assert cohorts(customers, as_of="2024-03-10").retention_rate == 0.75
    assert cohorts(customers, as_of="2024-02-10").retention_rate is None  # February is still open


def test_an_empty_portfolio_has_no_cohorts_and_an_unknown_period_is_refused() -> None:
    assert cohorts([], as_of="2024-01-01").retention_rate is None
    with pytest.raises(ValueError, match="period must be 'week', 'month', 'quarter' or 'year'"):
        cohorts([], as_of="2024-01-01", period="day")  # type: ignore[arg-type]


# Cohort tables of up to six whole histories (about 0.08 s an example): 30 examples.
@settings(max_examples=30)
@given(
    st.lists(crm.purchase_histories(), max_size=6, unique_by=lambda h: h.customer_id),
    st.sampled_from(["week", "month", "quarter"]),
)
def test_shares_are_proportions_and_survival_never_rises(
    histories: list[CustomerHistory], period: str
) -> None:
    table = cohorts(histories, as_of="2024-01-01", period=period)  # type: ignore[arg-type]
    for cohort in table.cohorts:
        assert all(0 <= s <= 1 for s in (*cohort.active_shares, *cohort.surviving_shares))
        assert list(cohort.surviving) == sorted(cohort.surviving, reverse=True)
        assert cohort.active[0] == cohort.size == cohort.surviving[0]
    assert table.retention_rate is None or 0 <= table.retention_rate <= 1


def test_the_funnel_counts_who_reached_each_level() -> None:
    people = [Customer(id=f"C-{n}", relationship_level=level) for n, level in enumerate(
        ["passerby"] * 50 + ["acquaintance"] * 40 + ["friend"] * 6 + ["confidant"] * 4
    )]  # fmt: skip
    funnel = relationship_funnel(people)
    assert [(f.count, f.reached) for f in funnel.levels] == [(50, 100), (40, 50), (6, 10), (4, 4)]
    assert [f.versus_expected for f in funnel.levels] == ["within"] * 4
    assert relationship_funnel([]).levels[0].versus_expected is None


def contact(
    n: int,
    day: str,
    channel: str = "phone",
    direction: str = "outbound",
    responded: bool | None = None,
) -> CareTouchpoint:
    return CareTouchpoint(
        id=f"P-{n}", customer_id="C-1", occurred_at=day, stage="post_purchase",
        channel=channel, function="care", direction=direction, responded=responded,
    )  # fmt: skip


def test_a_suggestion_never_changes_the_recorded_level() -> None:
    customer = Customer(id="C-1", relationship_level="confidant")
    s = suggest_level(CustomerHistory(customer=customer), as_of="2024-01-01")
    assert (s.recorded, s.suggested, s.tenure) == (
        RelationshipLevel.CONFIDANT,
        RelationshipLevel.PASSERBY,
        timedelta(0),
    )
    assert customer.relationship_level is RelationshipLevel.CONFIDANT


def test_emails_are_not_personal_and_answered_calls_are_reciprocal() -> None:
    contacts = [
        contact(1, "2024-01-01", "email", "inbound"),
        contact(2, "2024-02-01", responded=True),
        contact(3, "2024-03-01"),
    ]
    s = suggest_level(
        CustomerHistory(customer=Customer(id="C-1"), touchpoints=contacts), as_of="2024-04-01"
    )
    assert (s.personal_contacts, s.reciprocal_contacts, s.suggested) == (
        2,
        2,
        RelationshipLevel.ACQUAINTANCE,
    )


def test_tenure_holds_a_customer_back_until_it_is_long_enough() -> None:
    calls = [contact(n, f"2024-0{n}-01", direction="inbound") for n in range(1, 6)]
    h = CustomerHistory(customer=Customer(id="C-1"), touchpoints=calls)
    assert suggest_level(h, as_of="2024-06-01").suggested is RelationshipLevel.ACQUAINTANCE
    assert suggest_level(h, as_of="2025-02-01").suggested is RelationshipLevel.FRIEND
    lenient = LevelPolicy(friend=(4, 2, timedelta(days=30)))
    assert (
        suggest_level(h, as_of="2024-06-01", policy=lenient).suggested is RelationshipLevel.FRIEND
    )


# -- relationship phases ---------------------------------------------------------------------


def monthly(cid: str, first: date, months: int) -> CustomerHistory:
    days = [(first + timedelta(days=30 * n)).isoformat() for n in range(months)]
    return history(cid, *days)


def test_a_customer_with_few_occasions_is_still_exploring_with_a_low_switching_cost() -> None:
    reading = relationship_phase(history("A", "2024-01-05", "2024-03-05"), as_of="2024-06-30")
    assert (reading.phase, reading.occasions) == (RelationshipPhase.EXPLORATION, 2)
    assert (reading.phase.switching_cost, reading.phase.term) == ("low", "考察期")


def test_a_young_regular_relationship_is_forming_and_an_old_steady_one_stable() -> None:
    young = relationship_phase(monthly("A", date(2024, 3, 1), 6), as_of="2024-09-15")
    assert (young.phase, young.earlier) == (RelationshipPhase.FORMATION, 0)
    steady = relationship_phase(monthly("B", date(2023, 1, 1), 24), as_of="2024-12-31")
    assert (steady.phase, steady.phase.switching_cost) == (RelationshipPhase.STABILITY, "high")


def test_buying_less_than_half_as_often_or_not_at_all_is_a_decline() -> None:
    days = [*(f"2023-{m:02d}-10" for m in range(1, 13)), "2024-02-10", "2024-05-10"]
    reading = relationship_phase(history("A", *days), as_of="2024-12-31")
    assert (reading.phase, reading.recent, reading.earlier) == (RelationshipPhase.DECLINE, 2, 12)
    assert "2 occasion(s) in the last P1Y, against 12" in reading.detail
    lenient = PhasePolicy(decline_ratio=0.1)
    assert relationship_phase(history("A", *days), as_of="2024-12-31", policy=lenient).phase is (
        RelationshipPhase.STABILITY
    )
    silent = relationship_phase(history("B", *days), as_of="2026-01-01")
    assert (silent.phase, silent.recent) == (RelationshipPhase.DECLINE, 0)


def test_a_customer_who_never_bought_has_no_phase_and_later_records_do_not_count() -> None:
    assert relationship_phase(history("A"), as_of="2024-01-01").phase is None
    later = relationship_phase(history("A", "2025-01-01"), as_of="2024-01-01")
    assert (later.phase, later.occasions) == (None, 0)


# -- the texts' lists --------------------------------------------------------------------------


def test_the_lists_are_as_long_as_the_texts_give_them_and_names_are_unique() -> None:
    lengths = [len(x) for x in (CHURN_PREVENTION, LOYALTY_DRIVERS, LOYALTY_STRATEGIES,
                                RETENTION_FACTORS, RETENTION_METHODS)]  # fmt: skip
    assert lengths == [6, 5, 8, 4, 5]
    for group in (CHURN_PREVENTION, LOYALTY_DRIVERS, LOYALTY_STRATEGIES, RETENTION_FACTORS,
                  RETENTION_METHODS):  # fmt: skip
        assert len({p.name for p in group}) == len(group)
        assert all(p.term and p.description and p.applies_to for p in group)
    assert [p.name for p in CARE_VARIABLES] == [
        "product_and_service", "communication", "sales_incentives", "public_relations",
    ]  # fmt: skip
    assert {rule.variable for rule in CareRule} <= {p.name for p in CARE_VARIABLES}
    layers = [p.group for p in RETENTION_METHODS]
    assert layers == ["layer 1", "layer 2", "layer 2", "layer 3", "layer 3"]


def test_the_prevention_methods_include_guarantee_personal_service_and_partnership() -> None:
    names = {p.name for p in CHURN_PREVENTION}
    assert {"service_guarantee", "personalised_service", "partnership"} <= names
    assert practice("partnership") is CHURN_PREVENTION[3]
    with pytest.raises(KeyError, match="No practice named 'charm'"):
        practice("charm")


# -- CRM goals ----------------------------------------------------------------------------------


def bought(cid: str, n: int, day: str, amount: str, category: str | None = None) -> Transaction:
    return Transaction(
        id=f"T-{cid}-{n}", customer_id=cid, occurred_at=day, amount=Money(amount, "CNY"),
        category=category,
    )  # fmt: skip


def test_goals_count_more_longer_and_deeper_relationships() -> None:
    people = [
        CustomerHistory(customer=Customer(id="kept"), transactions=[
            bought("kept", 1, "2024-02-01", "100", "tea"), bought("kept", 2, "2025-03-01", "150", "tea"),
            bought("kept", 3, "2025-04-01", "50", "teaware")]),
        CustomerHistory(customer=Customer(id="lost"), transactions=[
            bought("lost", 1, "2024-05-01", "300", "tea")]),
        CustomerHistory(customer=Customer(id="new"), transactions=[
            bought("new", 1, "2025-06-01", "80", "gift")]),
        CustomerHistory(customer=Customer(id="back"), transactions=[
            bought("back", 1, "2022-06-01", "60", "tea"), bought("back", 2, "2025-07-01", "60", "tea")]),
    ]  # fmt: skip
    report = crm_goals(people, as_of="2025-12-31")
    assert report.categories_offered == ("gift", "tea", "teaware")
    assert (report.active, report.previously_active, report.acquired, report.returned) == (
        3,
        2,
        1,
        1,
    )
    assert (report.retained, report.retention_rate) == (1, 0.5)
    assert (report.cross_sold, report.up_sold, report.spend_growth) == (1, 1, 1.0)
    lines = {line.customer_id: line for line in report.customers}
    assert (lines["kept"].categories, lines["kept"].new_categories) == (2, 1)
    assert lines["kept"].category_share == pytest.approx(2 / 3)
    assert (lines["new"].new_categories, lines["new"].spend_growth) == (0, None)  # a first purchase
    assert (lines["lost"].spend, lines["lost"].previous_spend, lines["lost"].spend_growth) == (
        0.0,
        300.0,
        -1.0,
    )


def test_refunds_lower_spend_and_an_empty_portfolio_has_no_rates() -> None:
    refund = Transaction(id="R-1", customer_id="A", occurred_at="2025-05-02", kind="refund",
                         amount=Money("40", "CNY"))  # fmt: skip
    a = CustomerHistory(
        customer=Customer(id="A"), transactions=[bought("A", 1, "2025-05-01", "100"), refund]
    )
    (line,) = crm_goals([a], as_of="2025-12-31").customers
    assert (line.spend, line.categories, line.category_share) == (60.0, 0, None)
    empty = crm_goals([], as_of="2025-12-31")
    assert (empty.retention_rate, empty.median_tenure_days, empty.currency) == (None, None, None)


def test_a_one_time_buyer_silent_for_a_year_is_in_decline_not_exploring() -> None:
    reading = relationship_phase(history("A", "2022-03-01", "2022-05-01"), as_of="2024-06-30")
    assert (reading.phase, reading.occasions, reading.recent) == (RelationshipPhase.DECLINE, 2, 0)
    assert practice("communication").term == "沟通方式"
