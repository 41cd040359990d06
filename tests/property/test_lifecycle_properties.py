"""Invariants of the customer lifecycle, over generated histories."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import (
    CareTouchpoint,
    ChurnReason,
    Customer,
    CustomerHistory,
    LifecycleStage,
    Transaction,
)
from crmcore import strategies as crm
from crmcore.complaints import SlaPolicy
from crmcore.errors import InvalidTransition
from crmcore.history import CustomerActivity, LoyaltyTrail, SaleMoment
from crmcore.lifecycle import (
    MOVES,
    LifecycleEvent,
    LifecyclePolicy,
    LifecycleState,
    RecordedEvent,
    Rule,
    advance,
    observe,
    replay,
)
from crmcore.scoring import LoyaltyConfig, loyalty_source
from tests.conftest import assert_matches_its_schema

POLICY = LifecyclePolicy()
Record = Transaction | CareTouchpoint | RecordedEvent


@st.composite
def cases(draw: st.DrawFn) -> tuple[CustomerHistory, datetime]:
    """A history and a moment to replay it to: anywhere from before it to years after."""
    history = draw(crm.purchase_histories(customer_id="C-1"))
    times = [t.occurred_at for t in history.transactions] or [
        history.customer.acquired_at or datetime.fromisoformat("2020-01-01T00:00:00+00:00")
    ]
    as_of = draw(st.sampled_from(times)) + draw(
        st.timedeltas(timedelta(days=-30), timedelta(days=900))
    )
    return history, as_of


@st.composite
def cases_with_events(draw: st.DrawFn) -> tuple[CustomerHistory, list[RecordedEvent], datetime]:
    """A case with events staff recorded, each legal in the stage it meets (built in time order)."""
    history, as_of = draw(cases())
    events: list[RecordedEvent] = []
    at = as_of - draw(st.timedeltas(timedelta(days=1), timedelta(days=1500)))
    for n in range(draw(st.integers(0, 4))):
        at += draw(st.timedeltas(timedelta(0), timedelta(days=400)))
        if at > as_of:
            break
        stage = replay(history, as_of=at, events=events).stage
        legal = sorted(e for (e, s) in MOVES if s is stage and e is not LifecycleEvent.PURCHASE)
        if legal:
            event = draw(st.sampled_from(legal))
            reason = draw(st.sampled_from(ChurnReason)) if event is LifecycleEvent.CHURN else None
            events.append(
                RecordedEvent(customer_id="C-1", event=event, at=at, id=f"E-{n}", reason=reason)
            )
    return history, events, as_of


@st.composite
def cases_with_any_events(draw: st.DrawFn) -> tuple[CustomerHistory, list[RecordedEvent], datetime]:
    """A case with arbitrary recorded events, legal or not."""
    history, as_of = draw(cases())
    low = (as_of - timedelta(days=1500)).replace(tzinfo=None)
    events = draw(st.lists(crm.recorded_events("C-1", low, as_of.replace(tzinfo=None)), max_size=3))
    return history, events, as_of


def purchase_days_until(history: CustomerHistory, moment: datetime) -> list[datetime]:
    """The start of each purchase occasion up to ``moment``, computed independently."""
    starts: list[datetime] = []
    for sale in history.purchases:
        if sale.occurred_at > moment:
            break
        if not starts or sale.occurred_at.date() != starts[-1].date():
            starts.append(sale.occurred_at)
    return starts


def ordered(history: CustomerHistory, events: list[RecordedEvent]) -> list[Record]:
    """Records in the documented order: time, kind, id, then the event's place in the table."""
    rank = {Transaction: 0, CareTouchpoint: 1, RecordedEvent: 2}
    events_order = list(LifecycleEvent)

    def key(r: Record) -> tuple[object, ...]:
        if isinstance(r, RecordedEvent):
            return (
                r.at,
                2,
                r.id or "",
                events_order.index(r.event),
                r.reason or "",
                r.actor or "",
                r.note or "",
            )
        return (r.occurred_at, rank[type(r)], r.id)

    return sorted([*history.transactions, *history.touchpoints, *events], key=key)


def when(record: Record) -> datetime:
    return record.at if isinstance(record, RecordedEvent) else record.occurred_at


def assert_moves_chain(state: LifecycleState, as_of: datetime) -> None:
    stage, previous = LifecycleStage.POTENTIAL, None
    for move in state.transitions:
        assert move.from_stage is stage
        assert MOVES[(move.event, move.from_stage)] is move.to_stage
        assert move.to_stage is not move.from_stage
        assert previous is None or move.at >= previous
        assert move.at <= as_of
        assert (move.reason is not None) == (move.event is LifecycleEvent.CHURN)
        stage, previous = move.to_stage, move.at
    assert state.stage is stage
    if state.transitions:
        assert state.since == state.transitions[-1].at


@given(cases())
def test_moves_chain_from_potential_through_legal_moves_in_time_order(
    case: tuple[CustomerHistory, datetime],
) -> None:
    history, as_of = case
    assert_moves_chain(replay(history, as_of=as_of), as_of)


@given(cases_with_events())
def test_with_recorded_events_moves_still_chain_in_time_order(
    case: tuple[CustomerHistory, list[RecordedEvent], datetime],
) -> None:
    history, events, as_of = case
    state = replay(history, as_of=as_of, events=events)
    assert_moves_chain(state, as_of)
    recorded = [t for t in state.transitions if t.rule is Rule.RECORDED]
    assert [t.cause_id for t in recorded] == [e.id for e in events]


@given(cases())
def test_potential_or_target_means_no_purchase_yet(case: tuple[CustomerHistory, datetime]) -> None:
    history, as_of = case
    state = replay(history, as_of=as_of)
    bought = bool(purchase_days_until(history, as_of))
    assert (state.stage in (LifecycleStage.POTENTIAL, LifecycleStage.TARGET)) == (not bought)
    assert state.occasions == tuple(purchase_days_until(history, as_of))


@given(cases())
def test_a_first_time_buyer_has_exactly_one_occasion_since_the_last_churn(
    case: tuple[CustomerHistory, datetime],
) -> None:
    history, as_of = case
    state = replay(history, as_of=as_of)
    if state.stage is LifecycleStage.FIRST_TIME:
        churns = [t.at for t in state.transitions if t.event is LifecycleEvent.CHURN]
        since = churns[-1] if churns else None
        assert len([o for o in state.occasions if since is None or o > since]) == 1


@given(cases())
def test_a_promotion_happens_only_when_the_criteria_hold(
    case: tuple[CustomerHistory, datetime],
) -> None:
    history, as_of = case
    window = relativedelta(months=12)
    for move in replay(history, as_of=as_of).transitions:
        occasions = purchase_days_until(history, move.at)
        recent = [o for o in occasions if o + window > move.at]
        if move.event is LifecycleEvent.PROMOTE:
            assert move.rule is Rule.LOYALTY_CRITERIA
            assert len(occasions) >= POLICY.loyal_min_occasions
            assert len(recent) >= POLICY.loyal_min_recent
        if move.event is LifecycleEvent.DEMOTE:
            assert len(recent) < POLICY.loyal_keep_recent


@given(cases())
def test_a_hiatus_churn_comes_exactly_the_threshold_after_the_last_purchase(
    case: tuple[CustomerHistory, datetime],
) -> None:
    history, as_of = case
    for move in replay(history, as_of=as_of).transitions:
        if move.rule is Rule.HIATUS:
            last = max(s.occurred_at for s in history.purchases if s.occurred_at <= move.at)
            assert move.at - last >= POLICY.churn_min_hiatus
            assert not any(last < s.occurred_at <= move.at for s in history.purchases)


@given(cases(), st.randoms(use_true_random=False))
def test_the_order_records_are_given_in_does_not_matter(
    case: tuple[CustomerHistory, datetime], rng: random.Random
) -> None:
    history, as_of = case
    sales, contacts = list(history.transactions), list(history.touchpoints)
    rng.shuffle(sales)
    rng.shuffle(contacts)
    shuffled = CustomerHistory(customer=history.customer, transactions=sales, touchpoints=contacts)
    assert replay(shuffled, as_of=as_of) == replay(history, as_of=as_of)


@given(cases_with_any_events(), st.randoms(use_true_random=False))
def test_the_order_recorded_events_are_given_in_does_not_matter(
    case: tuple[CustomerHistory, list[RecordedEvent], datetime], rng: random.Random
) -> None:
    history, events, as_of = case
    shuffled = list(events)
    rng.shuffle(shuffled)
    try:
        expected = replay(history, as_of=as_of, events=events)
    except InvalidTransition:  # the same illegal event is met whatever the order
        with pytest.raises(InvalidTransition, match="'C-1'"):
            replay(history, as_of=as_of, events=shuffled)
        return
    assert replay(history, as_of=as_of, events=shuffled) == expected


@given(cases_with_events(), st.data())
def test_replaying_part_then_observing_the_rest_equals_replaying_all(
    case: tuple[CustomerHistory, list[RecordedEvent], datetime], data: st.DataObject
) -> None:
    history, events, as_of = case
    try:
        whole = replay(history, as_of=as_of, events=events)
    except InvalidTransition:
        return
    records = [r for r in ordered(history, events) if when(r) <= as_of]
    cut = data.draw(st.integers(0, len(records)))
    t1 = (
        when(records[cut - 1])
        if cut
        else min([when(r) for r in records] + [as_of]) - timedelta(days=1)
    )
    t1 = min(t1, as_of)
    state = replay(history, as_of=t1, events=[e for e in events if e.at <= t1])
    for record in records:
        if when(record) > t1:
            state = observe(state, record)
    assert advance(state, as_of=as_of) == whole


@given(cases())
def test_observing_everything_from_the_start_equals_replaying(
    case: tuple[CustomerHistory, datetime],
) -> None:
    history, as_of = case
    # replay asks for the loyalty index at each promotion; observe is given it
    index = loyalty_source(LoyaltyTrail.of(history, LoyaltyConfig().window))
    state = LifecycleState.new("C-1", since=history.customer.acquired_at)
    for record in ordered(history, []):
        if when(record) <= as_of:
            state = observe(state, record, loyalty_index=index(when(record)))
    assert advance(state, as_of=as_of) == replay(history, as_of=as_of)
    by_habit = LifecyclePolicy(loyal_min_loyalty=None)
    state = LifecycleState.new("C-1", since=history.customer.acquired_at)
    for record in ordered(history, []):
        if when(record) <= as_of:
            state = observe(state, record, policy=by_habit)
    assert advance(state, as_of=as_of, policy=by_habit) == replay(
        history, as_of=as_of, policy=by_habit
    )


# Each example replays the history once per record (quadratic in its size): 40 suffice.
@settings(max_examples=40)
@given(cases())
def test_the_fast_replay_equals_the_general_one_record_by_record(
    case: tuple[CustomerHistory, datetime],
) -> None:
    """Replay's hot loop skips the time rules where none is due; applying them before every
    record (advance to its moment, then observe it) gives the same state after each record."""
    history, as_of = case
    by_habit = LifecyclePolicy(loyal_min_loyalty=None)
    state = LifecycleState.new("C-1", since=history.customer.acquired_at)
    records = [r for r in ordered(history, []) if when(r) <= as_of]
    for n, record in enumerate(records):
        at = when(record)
        state = observe(advance(state, as_of=at, policy=by_habit), record, policy=by_habit)
        if n + 1 == len(records) or when(records[n + 1]) > at:  # every record of the moment
            assert state == replay(history, as_of=at, policy=by_habit)
    assert advance(state, as_of=as_of, policy=by_habit) == replay(
        history, as_of=as_of, policy=by_habit
    )


@given(cases_with_events())
def test_a_replayed_state_survives_json_and_matches_its_schema(
    case: tuple[CustomerHistory, list[RecordedEvent], datetime],
) -> None:
    history, events, as_of = case
    state = replay(history, as_of=as_of, events=events)
    assert LifecycleState.model_validate_json(state.model_dump_json()) == state
    for record in (state, *events):
        assert_matches_its_schema(record)


def test_the_default_policies_match_their_schemas() -> None:
    assert_matches_its_schema(LifecyclePolicy())
    assert_matches_its_schema(SlaPolicy())


@given(case=cases(), loyalty_value=st.one_of(st.none(), st.floats(0, 100)))
def test_replaying_a_customers_activity_gives_the_state_of_replaying_its_history(
    case: tuple[CustomerHistory, datetime], loyalty_value: float | None
) -> None:
    history, as_of = case

    def loyalty(_: datetime) -> float | None:
        return loyalty_value

    activity = CustomerActivity.of(history)
    for policy in (LifecyclePolicy(loyal_min_loyalty=None), POLICY):
        whole = replay(history, as_of=as_of, policy=policy, loyalty=loyalty)
        assert replay(activity, as_of=as_of, policy=policy, loyalty=loyalty) == whole


def test_an_activity_cannot_be_promoted_where_the_policy_asks_for_a_loyalty_index() -> None:
    days = ("2024-01-02", "2024-02-02", "2024-03-02", "2024-04-02")
    moments = tuple(SaleMoment(f"T-{n}", datetime.fromisoformat(d + "T10:00:00+00:00"))
                    for n, d in enumerate(days))  # fmt: skip
    activity = CustomerActivity(Customer(id="C-1"), moments)
    assert replay(activity, as_of="2024-03-03", policy=POLICY).stage is LifecycleStage.REPEAT
    with pytest.raises(ValueError, match="an activity has no amounts; give loyalty= to replay"):
        replay(activity, as_of="2024-05-01", policy=POLICY)
