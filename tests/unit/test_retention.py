from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CareTouchpoint, Customer, CustomerHistory, Money, RelationshipLevel, Transaction
from crmcore import strategies as crm
from crmcore.retention import LevelPolicy, cohorts, relationship_funnel, suggest_level


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
