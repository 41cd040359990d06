"""Invariants of the satisfaction and loyalty indices, over generated histories."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import Complaint, CustomerHistory, Money, Transaction, summarize
from crmcore import strategies as crm
from crmcore.history import LoyaltyTrail
from crmcore.scoring import (
    IndexResult,
    LoyaltyConfig,
    SatisfactionConfig,
    loyalty,
    satisfaction,
)
from crmcore.scoring.metrics import LOYALTY_METRICS, SATISFACTION_METRICS
from tests.conftest import assert_matches_its_schema

Case = tuple[CustomerHistory, datetime]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A history (any records, or purchase-heavy ones) and a moment inside its span."""
    history = draw(crm.histories(max_transactions=10) | crm.purchase_histories())
    times = [t.occurred_at for t in history.transactions] or [
        datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    ]
    as_of = draw(st.sampled_from(times)) + draw(st.timedeltas(timedelta(0), timedelta(days=400)))
    return history, as_of


def with_records(history: CustomerHistory, *records: Transaction | Complaint) -> CustomerHistory:
    return CustomerHistory(
        customer=history.customer,
        transactions=[*history.transactions, *(r for r in records if isinstance(r, Transaction))],
        touchpoints=history.touchpoints,
        complaints=[*history.complaints, *(r for r in records if isinstance(r, Complaint))],
    )


def currency_of(history: CustomerHistory) -> str:
    return history.transactions[0].amount.currency if history.transactions else "CNY"


def assert_well_formed(result: IndexResult) -> None:
    assert (result.value is None) == (result.reason is not None)
    assert result.value is None or 0 <= result.value <= 100
    assert 0 <= result.coverage <= 1
    for metric in result.metrics.values():
        assert metric.available == (metric.raw is not None) == (metric.score is not None)
        assert metric.score is None or 0 <= metric.score <= 100


@given(cases())
def test_every_value_and_sub_score_is_within_0_and_100_or_none(case: Case) -> None:
    history, as_of = case
    assert_well_formed(satisfaction(history, as_of=as_of))
    assert_well_formed(loyalty(history, as_of=as_of))


# Three schemas validated per example (about 0.08 s): 30 examples.
@settings(max_examples=30)
@given(cases())
def test_summaries_and_results_round_trip_through_json_and_match_their_schemas(case: Case) -> None:
    history, as_of = case
    summary = summarize(history, as_of=as_of)
    for record in (summary, satisfaction(summary, as_of=as_of), loyalty(summary, as_of=as_of)):
        assert type(record).model_validate_json(record.model_dump_json()) == record
        assert_matches_its_schema(record)


@given(
    cases(),
    st.sampled_from(["price", "service", "product_quality"]),
    st.timedeltas(timedelta(0), timedelta(days=300)),
)
def test_adding_a_complaint_never_raises_satisfaction(
    case: Case, category: str, before: timedelta
) -> None:
    history, as_of = case
    extra = Complaint(
        id="K-new",
        customer_id=history.customer_id,
        received_at=as_of - before,
        category=category,
        severity="low",
    )
    old = satisfaction(history, as_of=as_of).value
    new = satisfaction(with_records(history, extra), as_of=as_of).value
    if old is not None and new is not None:
        assert new <= old + 1e-9


@given(cases(), st.decimals(0, 10_000, places=2), st.timedeltas(timedelta(0), timedelta(days=300)))
def test_more_spend_never_lowers_the_purchase_amount_score(
    case: Case, amount: object, before: timedelta
) -> None:
    history, as_of = case
    extra = Transaction(
        id="T-new",
        customer_id=history.customer_id,
        occurred_at=as_of - before,
        amount=Money(amount, currency_of(history)),
    )
    old = satisfaction(history, as_of=as_of).metrics["purchase_amount"].score
    new = satisfaction(with_records(history, extra), as_of=as_of).metrics["purchase_amount"].score
    assert new is not None
    assert old is None or new >= old - 1e-9


@given(cases(), st.integers(1, 300))
def test_another_purchase_occasion_never_lowers_return_rate_or_repeat_purchases(
    case: Case, days: int
) -> None:
    history, as_of = case
    extra = Transaction(
        id="T-new",
        customer_id=history.customer_id,
        occurred_at=as_of - timedelta(days=days),
        amount=Money(1, currency_of(history)),
    )
    richer = with_records(history, extra)
    for index, name in ((satisfaction, "return_rate"), (loyalty, "repeat_purchases")):
        old = index(history, as_of=as_of).metrics[name].score
        new = index(richer, as_of=as_of).metrics[name].score
        assert new is not None
        assert old is None or new >= old - 1e-9


@given(cases(), st.data())
def test_all_weight_on_one_available_metric_gives_its_sub_score(
    case: Case, data: st.DataObject
) -> None:
    history, as_of = case
    for index, config_type, metrics in (
        (satisfaction, SatisfactionConfig, SATISFACTION_METRICS),
        (loyalty, LoyaltyConfig, LOYALTY_METRICS),
    ):
        result = index(history, as_of=as_of)  # type: ignore[operator]
        available = [n for n, m in result.metrics.items() if m.available]
        if not available:
            continue
        chosen = data.draw(st.sampled_from(available))
        config = config_type(weights=dict.fromkeys(metrics, 0.0) | {chosen: 2.5}, min_metrics=1)
        value = index(history, as_of=as_of, config=config).value  # type: ignore[operator]
        assert value == pytest.approx(result.metrics[chosen].score, rel=1e-12)  # float rounding


# Two summaries and four indices per example: 30 examples.
@settings(max_examples=30)
@given(cases(), st.randoms(use_true_random=False))
def test_the_order_of_the_records_does_not_matter(case: Case, rng: random.Random) -> None:
    history, as_of = case
    shuffled = {}
    for kind in ("transactions", "touchpoints", "complaints"):
        records = list(getattr(history, kind))
        rng.shuffle(records)
        shuffled[kind] = records
    again = CustomerHistory(customer=history.customer, **shuffled)
    assert satisfaction(again, as_of=as_of) == satisfaction(history, as_of=as_of)
    assert loyalty(again, as_of=as_of) == loyalty(history, as_of=as_of)


@given(cases())
def test_scoring_a_summary_equals_scoring_the_history(case: Case) -> None:
    history, as_of = case
    summary = summarize(history, as_of=as_of)
    assert satisfaction(summary, as_of=as_of) == satisfaction(history, as_of=as_of)
    assert loyalty(summary, as_of=as_of) == loyalty(history, as_of=as_of)


LOYALTY_READS = (
    "occasions_total",
    "occasions",
    "repeat_occasions",
    "first_purchase_at",
    "last_purchase_at",
    "spend",
    "refunds",
    "selections",
    "selection_time",
    "price_rises",
    "price_elasticity",
    "competitor_attitude",
    "quality_complaints",
    "quality_tolerated",
    "share_of_wallet",
)


@given(cases())
def test_the_loyalty_trail_summarizes_a_moment_as_summarize_does(case: Case) -> None:
    history, as_of = case
    trail = LoyaltyTrail(history.customer, LoyaltyConfig().window)
    for record in reversed(history.transactions):  # any order
        trail.sale(record)
    for complaint in history.complaints:
        trail.complaint(complaint)
    for contact in history.touchpoints:
        trail.contact(contact)
    got, expected = trail.summary(as_of), summarize(history, as_of=as_of)
    assert type(got).model_validate(dict(got)) == got  # built without validation, yet valid
    for name in LOYALTY_READS:
        value, wanted = getattr(got, name), getattr(expected, name)
        if isinstance(wanted, float):
            assert value == pytest.approx(wanted, rel=1e-12), name
        else:
            assert value == wanted, name
    assert loyalty(got, as_of=as_of) == loyalty(expected, as_of=as_of)


@given(crm.histories())
def test_a_trail_knows_what_it_can_read_before_it_reads_the_records(
    history: CustomerHistory,
) -> None:
    window = LoyaltyConfig().window
    unread = LoyaltyTrail.of(history, window)
    read = LoyaltyTrail.of(history, window)
    read.summary(datetime(2030, 1, 1, tzinfo=timezone.utc))  # reads every record
    assert unread.readable() == read.readable()
