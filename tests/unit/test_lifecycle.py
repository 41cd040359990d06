from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from crmcore import (
    CareTouchpoint,
    ChurnReason,
    ChurnSide,
    Customer,
    CustomerHistory,
    LifecyclePolicy,
    LifecycleStage,
    LifecycleState,
    Money,
    Period,
    Transaction,
)
from crmcore.errors import CrmError, InvalidTransition, OutOfOrder
from crmcore.lifecycle import (
    MOVES,
    LifecycleEvent,
    RecordedEvent,
    Rule,
    advance,
    observe,
    replay,
    to_mermaid,
)
from tests.conftest import CST, make_purchase

START = datetime(2022, 1, 10, 10, tzinfo=CST)
AS_OF = datetime(2026, 1, 1, tzinfo=timezone.utc)


def history_of(*days: int, customer: Customer | None = None, **records: object) -> CustomerHistory:
    """A history with one purchase ``days`` after START for each number given."""
    sales = [make_purchase(f"T-{n}", START + timedelta(days=d)) for n, d in enumerate(days)]
    return CustomerHistory(customer=customer or Customer(id="C-1"), transactions=sales, **records)


def moves(state: LifecycleState) -> list[tuple[str, str, str]]:
    return [(t.event.value, t.to_stage.value, t.rule.value) for t in state.transitions]


# -- the table ---------------------------------------------------------------------------


def test_the_table_holds_exactly_the_moves_of_the_seven_stages() -> None:
    expected = {
        ("qualify", "potential"): "target",
        ("purchase", "potential"): "first_time",
        ("purchase", "target"): "first_time",
        ("purchase", "first_time"): "repeat",
        ("purchase", "repeat"): "repeat",
        ("purchase", "loyal"): "loyal",
        ("purchase", "churned"): "repeat",
        ("purchase", "non_customer"): "first_time",
        ("promote", "repeat"): "loyal",
        ("demote", "loyal"): "repeat",
        ("churn", "first_time"): "churned",
        ("churn", "repeat"): "churned",
        ("churn", "loyal"): "churned",
        ("disqualify", "potential"): "non_customer",
        ("disqualify", "target"): "non_customer",
        ("disqualify", "churned"): "non_customer",
        ("requalify", "non_customer"): "potential",
    }
    assert {(e.value, s.value): t.value for (e, s), t in MOVES.items()} == expected


def test_the_table_cannot_be_changed_by_users() -> None:
    with pytest.raises(TypeError):
        MOVES[(LifecycleEvent.PROMOTE, LifecycleStage.POTENTIAL)] = LifecycleStage.LOYAL  # type: ignore[index]


def test_the_mermaid_diagram_draws_every_move_and_the_initial_stage() -> None:
    diagram = to_mermaid()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> potential\n")
    arrows = re.findall(r"^    (\w+) --> (\w+) : (\w+)$", diagram, re.MULTILINE)
    assert sorted(arrows) == sorted((s.value, t.value, e.value) for (e, s), t in MOVES.items())


def test_buying_stages_are_first_time_repeat_and_loyal() -> None:
    assert [s.value for s in LifecycleStage if s.is_buying] == ["first_time", "repeat", "loyal"]


# -- purchases ---------------------------------------------------------------------------


def test_a_customer_without_purchases_is_potential() -> None:
    state = replay(history_of(), as_of=AS_OF)
    assert state.stage is LifecycleStage.POTENTIAL
    assert state.transitions == ()
    assert state.since is None


def test_the_first_purchase_makes_a_first_time_buyer_caused_by_that_transaction() -> None:
    state = replay(history_of(0), as_of=START + timedelta(days=1))
    assert state.stage is LifecycleStage.FIRST_TIME
    (move,) = state.transitions
    assert (move.from_stage, move.event, move.cause_id, move.at) == (
        LifecycleStage.POTENTIAL,
        LifecycleEvent.PURCHASE,
        "T-0",
        START,
    )
    assert state.since == START


def test_a_second_purchase_occasion_makes_a_repeat_buyer() -> None:
    state = replay(history_of(0, 20), as_of=START + timedelta(days=21))
    assert state.stage is LifecycleStage.REPEAT
    assert state.since == START + timedelta(days=20)
    assert state.occasion_count == 2


def test_purchases_on_the_same_calendar_day_are_one_occasion() -> None:
    morning = make_purchase("T-1", START)
    evening = make_purchase("T-2", START.replace(hour=21))
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=[morning, evening])
    state = replay(history, as_of=START + timedelta(days=1))
    assert state.stage is LifecycleStage.FIRST_TIME
    assert state.occasions == (morning.occurred_at,)
    assert state.last_purchase_at == evening.occurred_at


def test_the_calendar_day_is_that_of_the_timestamp_s_own_time_zone() -> None:
    late_evening = make_purchase("T-1", datetime(2024, 3, 1, 23, 30, tzinfo=CST))
    next_morning = make_purchase("T-2", datetime(2024, 3, 2, 0, 30, tzinfo=CST))
    history = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[late_evening, next_morning]
    )
    assert replay(history, as_of=datetime(2024, 6, 1, tzinfo=CST)).occasion_count == 2


def test_one_instant_on_two_calendar_days_is_two_occasions_and_the_state_still_loads() -> None:
    new_years_eve = make_purchase("T-1", datetime.fromisoformat("2015-12-31T19:00:00-05:00"))
    new_year = make_purchase("T-2", datetime.fromisoformat("2016-01-01T00:00:00+00:00"))
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=[new_years_eve, new_year])
    state = replay(history, as_of=datetime(2016, 1, 2, tzinfo=timezone.utc))
    assert state.occasion_count == 2
    assert LifecycleState.model_validate_json(state.model_dump_json()) == state


def test_refunds_are_not_purchases() -> None:
    refund = Transaction(
        id="T-9",
        customer_id="C-1",
        occurred_at=START + timedelta(days=5),
        kind="refund",
        amount=Money("100", "CNY"),
    )
    history = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[make_purchase("T-0", START), refund]
    )
    state = replay(history, as_of=START + timedelta(days=10))
    assert state.stage is LifecycleStage.FIRST_TIME
    assert state.occasion_count == 1


def test_records_after_as_of_are_not_yet_known() -> None:
    state = replay(history_of(0, 30, 60), as_of=START + timedelta(days=45))
    assert state.occasion_count == 2
    assert state.stage is LifecycleStage.REPEAT


def test_a_potential_customer_is_potential_since_acquisition() -> None:
    acquired = START - timedelta(days=3)
    state = replay(history_of(customer=Customer(id="C-1", acquired_at=acquired)), as_of=AS_OF)
    assert state.since == acquired


# -- promotion and demotion --------------------------------------------------------------


def test_four_occasions_with_three_in_twelve_months_make_a_loyal_customer() -> None:
    state = replay(history_of(0, 30, 60, 90), as_of=START + timedelta(days=91))
    assert state.stage is LifecycleStage.LOYAL
    promotion = state.transitions[-1]
    assert (promotion.event, promotion.rule, promotion.cause_id) == (
        LifecycleEvent.PROMOTE,
        Rule.LOYALTY_CRITERIA,
        "T-3",
    )
    assert promotion.detail.startswith("4 purchase occasions, at least 3 of them within P1Y")


def test_four_occasions_with_only_two_recent_do_not_make_a_loyal_customer() -> None:
    # at day 500 only days 300 and 500 fall within the last twelve months
    state = replay(history_of(0, 100, 300, 500), as_of=START + timedelta(days=501))
    assert state.stage is LifecycleStage.REPEAT


def test_a_loyal_customer_with_two_recent_occasions_stays_loyal() -> None:
    # promoted at day 90; at day 435 only days 90 and 260 are recent
    state = replay(history_of(0, 30, 60, 90, 260), as_of=START + timedelta(days=435))
    assert state.stage is LifecycleStage.LOYAL


def test_a_loyal_customer_is_demoted_when_fewer_than_two_occasions_stay_recent() -> None:
    # promoted at day 210; the second-latest occasion (day 210) stops counting
    # twelve months later, at day 575, before the hiatus threshold (210 days
    # after day 410) is reached
    state = replay(history_of(0, 70, 140, 210, 410), as_of=START + timedelta(days=600))
    assert state.stage is LifecycleStage.REPEAT
    demotion = state.transitions[-1]
    assert (demotion.event, demotion.rule, demotion.cause_id) == (
        LifecycleEvent.DEMOTE,
        Rule.LOYALTY_LAPSED,
        None,
    )
    assert demotion.at == Period(years=1).after(START + timedelta(days=210))


def test_a_window_in_months_follows_the_calendar() -> None:
    start = datetime(2024, 2, 29, 10, tzinfo=CST)
    days = (-60, -30, -10, 0, 100)
    sales = [make_purchase(f"T-{n}", start + timedelta(days=d)) for n, d in enumerate(days)]
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=sales)
    patient = LifecyclePolicy(churn_min_hiatus=timedelta(days=400))
    state = replay(history, as_of=datetime(2025, 6, 1, tzinfo=CST), policy=patient)
    demotion = next(t for t in state.transitions if t.event is LifecycleEvent.DEMOTE)
    assert demotion.at == datetime(2025, 2, 28, 10, tzinfo=CST)


def test_a_won_back_customer_is_promoted_again_once_the_criteria_hold_again() -> None:
    state = replay(history_of(0, 30, 60, 90, 600, 620, 640), as_of=START + timedelta(days=641))
    assert moves(state)[-3:] == [
        ("churn", "churned", "hiatus"),
        ("purchase", "repeat", "win_back"),
        ("promote", "loyal", "loyalty_criteria"),
    ]
    assert state.transitions[-1].cause_id == "T-6"


def test_a_customer_promoted_by_hand_is_still_subject_to_the_demotion_rule() -> None:
    policy = LifecyclePolicy(loyal_keep_recent=3)
    promoted = event("promote", 40, id="E-1", note="key account, promoted by the manager")
    state = replay(
        history_of(0, 30), as_of=START + timedelta(days=50), events=[promoted], policy=policy
    )
    assert moves(state)[-2:] == [
        ("promote", "loyal", "recorded"),
        ("demote", "repeat", "loyalty_lapsed"),
    ]
    assert state.transitions[-1].at == state.transitions[-2].at == START + timedelta(days=40)


# -- churn -------------------------------------------------------------------------------


def test_a_buyer_churns_after_180_days_without_a_purchase() -> None:
    state = replay(history_of(0, 20), as_of=START + timedelta(days=300))
    assert state.stage is LifecycleStage.CHURNED
    churn = state.transitions[-1]
    assert churn.at == START + timedelta(days=20 + 180)
    assert (churn.rule, churn.reason, churn.cause_id) == (Rule.HIATUS, ChurnReason.UNKNOWN, None)


def test_exactly_the_threshold_is_not_yet_a_churn() -> None:
    state = replay(history_of(0, 20), as_of=START + timedelta(days=200))
    assert state.stage is LifecycleStage.REPEAT


def test_a_slow_buyer_churns_only_after_three_median_gaps() -> None:
    state = replay(history_of(0, 100, 200, 300), as_of=START + timedelta(days=700))
    churn = state.transitions[-1]
    assert churn.event is LifecycleEvent.CHURN
    assert churn.at == START + timedelta(days=300 + 3 * 100)
    assert "more than 300 days" in churn.detail


def test_a_year_of_silence_shows_a_churn_then_a_win_back() -> None:
    state = replay(history_of(0, 30, 400), as_of=START + timedelta(days=401))
    assert moves(state) == [
        ("purchase", "first_time", "purchase"),
        ("purchase", "repeat", "purchase"),
        ("churn", "churned", "hiatus"),
        ("purchase", "repeat", "win_back"),
    ]
    assert state.transitions[2].at == START + timedelta(days=30 + 180)


def test_a_probability_alive_below_the_threshold_churns_at_as_of() -> None:
    as_of = START + timedelta(days=40)
    state = replay(history_of(0, 30), as_of=as_of, p_alive=0.2)
    churn = state.transitions[-1]
    assert (churn.event, churn.rule, churn.at) == (LifecycleEvent.CHURN, Rule.P_ALIVE, as_of)
    assert "0.200 is below 0.5" in churn.detail


def test_a_probability_alive_above_the_threshold_changes_nothing() -> None:
    state = replay(history_of(0, 30), as_of=START + timedelta(days=40), p_alive=0.9)
    assert state.stage is LifecycleStage.REPEAT


@pytest.mark.parametrize("p_alive", [-0.1, 1.5, float("nan")])
def test_a_probability_alive_outside_zero_to_one_is_refused(p_alive: float) -> None:
    with pytest.raises(ValueError, match="p_alive must be a probability between 0 and 1"):
        replay(history_of(0), as_of=AS_OF, p_alive=p_alive)


def test_a_probability_alive_does_not_churn_someone_who_never_bought() -> None:
    assert replay(history_of(), as_of=AS_OF, p_alive=0.01).stage is LifecycleStage.POTENTIAL


# -- contacts and recorded events --------------------------------------------------------


def contact(id: str, when: datetime, direction: str = "outbound") -> CareTouchpoint:
    return CareTouchpoint(
        id=id,
        customer_id="C-1",
        occurred_at=when,
        stage="pre_purchase",
        channel="phone",
        function="information",
        direction=direction,
    )


def test_an_outbound_contact_makes_a_potential_customer_a_target_when_the_policy_says_so() -> None:
    call = contact("P-1", START - timedelta(days=5))
    policy = LifecyclePolicy(qualify_on_contact=True)
    state = replay(
        history_of(0, touchpoints=[call]), as_of=START + timedelta(days=1), policy=policy
    )
    assert moves(state)[0] == ("qualify", "target", "contact")
    assert state.transitions[0].cause_id == "P-1"
    assert state.transitions[1].from_stage is LifecycleStage.TARGET


def test_an_inbound_contact_does_not_qualify() -> None:
    call = contact("P-1", START - timedelta(days=5), direction="inbound")
    policy = LifecyclePolicy(qualify_on_contact=True)
    state = replay(history_of(touchpoints=[call]), as_of=START, policy=policy)
    assert state.stage is LifecycleStage.POTENTIAL


def test_the_firm_chooses_its_targets_a_contact_alone_does_not_qualify_by_default() -> None:
    call = contact("P-1", START - timedelta(days=5))
    state = replay(history_of(touchpoints=[call]), as_of=START)
    assert state.stage is LifecycleStage.POTENTIAL
    chosen = event("qualify", -4, actor="sales")
    state = replay(history_of(touchpoints=[call]), as_of=START, events=[chosen])
    assert (state.stage, state.transitions[0].rule) == (LifecycleStage.TARGET, Rule.RECORDED)


def event(kind: str, days: float, **fields: object) -> RecordedEvent:
    return RecordedEvent(customer_id="C-1", event=kind, at=START + timedelta(days=days), **fields)


def test_a_disqualified_contact_who_buys_becomes_a_first_time_buyer_and_the_log_says_so() -> None:
    state = replay(
        history_of(10), as_of=START + timedelta(days=11), events=[event("disqualify", 1, id="E-1")]
    )
    assert moves(state) == [
        ("disqualify", "non_customer", "recorded"),
        ("purchase", "first_time", "purchase_after_disqualification"),
    ]
    assert state.transitions[0].cause_id == "E-1"
    assert "had been disqualified" in state.transitions[1].detail


def test_a_requalified_contact_is_potential_again() -> None:
    events = [event("disqualify", 1), event("requalify", 5, note="moved to our region")]
    state = replay(history_of(), as_of=AS_OF, events=events)
    assert state.stage is LifecycleStage.POTENTIAL
    assert state.transitions[-1].detail == "moved to our region"


def test_a_recorded_defection_churns_with_its_reason() -> None:
    state = replay(
        history_of(0, 5),
        as_of=START + timedelta(days=20),
        events=[event("churn", 15, reason="relocation")],
    )
    churn = state.transitions[-1]
    assert (churn.rule, churn.reason) == (Rule.RECORDED, ChurnReason.RELOCATION)
    assert churn.reason.side is ChurnSide.CUSTOMER


def test_a_recorded_event_of_another_customer_is_refused() -> None:
    other = RecordedEvent(customer_id="C-2", event="qualify", at=START)
    with pytest.raises(
        ValueError, match="Cannot replay customer 'C-1' with an event of customer 'C-2'"
    ):
        replay(history_of(), as_of=AS_OF, events=[other])


def test_an_illegal_recorded_event_stops_the_replay_naming_customer_stage_and_event() -> None:
    with pytest.raises(InvalidTransition) as caught:
        replay(history_of(0), as_of=AS_OF, events=[event("qualify", 3)])
    error = caught.value
    assert (error.entity_id, error.state, error.event) == ("C-1", "first_time", "qualify")
    assert str(error) == (
        "Cannot qualify customer 'C-1': stage is 'first_time' (one purchase occasion so far)."
    )


def test_at_equal_times_transactions_come_before_recorded_events() -> None:
    state = replay(history_of(0), as_of=START + timedelta(days=1), events=[event("churn", 0)])
    assert [t.event.value for t in state.transitions] == ["purchase", "churn"]


def test_a_purchase_is_not_a_recorded_event() -> None:
    with pytest.raises(ValidationError, match="a purchase is recorded as a transaction"):
        event("purchase", 0)


def test_only_a_churn_event_takes_a_reason() -> None:
    with pytest.raises(ValidationError, match="only a churn event takes a reason"):
        event("qualify", 0, reason="relocation")


# -- the kernel: apply -------------------------------------------------------------------


def test_churning_a_potential_customer_is_refused_with_the_documented_message() -> None:
    with pytest.raises(
        InvalidTransition,
        match=re.escape("Cannot churn customer 'C-42': stage is 'potential' (no purchase yet)."),
    ) as caught:
        LifecycleState.new("C-42").apply("churn", at=START)
    assert isinstance(caught.value, CrmError)
    assert caught.value.code == "invalid_transition"


def test_apply_returns_a_new_state_and_leaves_the_old_one_unchanged() -> None:
    before = LifecycleState.new("C-1")
    after = before.apply("qualify", at=START)
    assert (before.stage, after.stage) == (LifecycleStage.POTENTIAL, LifecycleStage.TARGET)
    with pytest.raises(ValidationError):
        after.stage = LifecycleStage.LOYAL  # type: ignore[misc]


def test_apply_does_not_run_the_policy() -> None:
    state = LifecycleState.new("C-1")
    for days in (0, 30, 60, 90):
        state = state.apply("purchase", at=START + timedelta(days=days))
    assert state.stage is LifecycleStage.REPEAT


def test_a_churn_applied_without_reason_has_an_unknown_reason() -> None:
    state = LifecycleState.new("C-1").apply("purchase", at=START).apply("churn", at=START)
    assert state.transitions[-1].reason is ChurnReason.UNKNOWN


def test_a_reason_on_another_event_than_churn_is_refused() -> None:
    with pytest.raises(ValueError, match="only churn takes one"):
        LifecycleState.new("C-1").apply("qualify", at=START, reason="relocation")


def test_an_event_before_the_latest_one_is_refused_not_reordered() -> None:
    state = LifecycleState.new("C-1").apply("purchase", at=START)
    with pytest.raises(OutOfOrder) as caught:
        state.apply("purchase", at=START - timedelta(days=1))
    assert caught.value.code == "out_of_order"
    assert (caught.value.entity_id, caught.value.latest) == ("C-1", START)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        LifecycleState.new("C-1").apply("qualify", at=datetime(2024, 1, 1))


# -- incremental use ---------------------------------------------------------------------


def test_observing_records_one_by_one_then_advancing_equals_replaying() -> None:
    history = history_of(0, 30, 60, 90, 400, 410)
    state = LifecycleState.new("C-1")
    for sale in history.transactions:
        state = observe(state, sale)
    assert advance(state, as_of=AS_OF) == replay(history, as_of=AS_OF)


def test_observing_a_refund_changes_nothing() -> None:
    state = LifecycleState.new("C-1").apply("purchase", at=START)
    refund = Transaction(
        id="T-9", customer_id="C-1", occurred_at=START, kind="refund", amount=Money("1", "CNY")
    )
    assert observe(state, refund) is state


def test_observing_an_earlier_purchase_is_refused() -> None:
    state = observe(LifecycleState.new("C-1"), make_purchase("T-2", START))
    with pytest.raises(OutOfOrder, match="Cannot apply purchase at 2022-01-09"):
        observe(state, make_purchase("T-1", START - timedelta(days=1)))


def test_observing_a_record_of_another_customer_is_refused() -> None:
    with pytest.raises(ValueError, match="customer 'C-2' to customer 'C-1'"):
        observe(LifecycleState.new("C-1"), make_purchase("T-1", START, customer_id="C-2"))


def test_advancing_to_an_earlier_moment_is_refused() -> None:
    state = LifecycleState.new("C-1").apply("purchase", at=START)
    with pytest.raises(OutOfOrder, match="Cannot apply the time rules"):
        advance(state, as_of=START - timedelta(hours=1))


# -- the state as data -------------------------------------------------------------------


def test_a_state_round_trips_through_json() -> None:
    state = replay(history_of(0, 30, 400), as_of=AS_OF)
    assert LifecycleState.model_validate_json(state.model_dump_json()) == state


def test_a_transition_is_an_object_in_json() -> None:
    state = replay(history_of(0), as_of=START)
    dumped = state.model_dump(mode="json")["transitions"][0]
    assert dumped["from_stage"] == "potential"
    assert dumped["cause_id"] == "T-0"
    schema = LifecycleState.model_json_schema()
    assert schema["$defs"]["Transition"]["type"] == "object"
    assert "detail" in schema["$defs"]["Transition"]["required"]


def test_a_state_built_by_replay_equals_its_validated_copy() -> None:
    state = replay(history_of(0, 30, 60, 90, 500), as_of=AS_OF)
    assert LifecycleState.model_validate(state.model_dump()) == state
    assert state.model_fields_set == set(LifecycleState.model_fields)


def test_a_state_whose_moves_do_not_chain_is_refused() -> None:
    data = replay(history_of(0, 30), as_of=START + timedelta(days=31)).model_dump()
    data["transitions"] = data["transitions"][1:]
    with pytest.raises(ValidationError, match=r"transitions\[0\] \(purchase from first_time\)"):
        LifecycleState.model_validate(data)


def test_a_state_whose_stage_differs_from_its_moves_is_refused() -> None:
    data = replay(history_of(0), as_of=START).model_dump() | {"stage": "loyal"}
    with pytest.raises(
        ValidationError, match="stage is loyal but the transitions lead to first_time"
    ):
        LifecycleState.model_validate(data)


def test_a_buying_state_without_occasions_is_refused() -> None:
    data = replay(history_of(0), as_of=START).model_dump() | {"occasions": ()}
    with pytest.raises(ValidationError, match="must have purchase occasions"):
        LifecycleState.model_validate(data)


def test_a_state_updated_before_its_own_events_is_refused() -> None:
    data = replay(history_of(0, 30), as_of=START + timedelta(days=31)).model_dump()
    with pytest.raises(ValidationError, match="updated_at must not be before since"):
        LifecycleState.model_validate(data | {"updated_at": START})
    assert LifecycleState.model_validate(data | {"updated_at": START + timedelta(days=30)})


# -- the policy --------------------------------------------------------------------------


def test_the_policy_defaults_are_the_documented_ones() -> None:
    policy = LifecyclePolicy()
    assert (policy.loyal_min_occasions, policy.loyal_min_recent, policy.loyal_keep_recent) == (
        4,
        3,
        2,
    )
    assert policy.loyal_window == Period(months=12)
    assert policy.churn_min_hiatus == timedelta(days=180)
    assert policy.churn_gap_multiple == 3
    assert policy.churn_p_alive_threshold == 0.5
    assert policy.loyal_min_loyalty == 60
    assert policy.qualify_on_contact is False


def test_a_policy_loads_from_json_with_iso_durations() -> None:
    policy = LifecyclePolicy.model_validate_json(
        '{"loyal_window": "P6M", "churn_min_hiatus": "P90D", "churn_gap_multiple": 2}'
    )
    assert (policy.loyal_window, policy.churn_min_hiatus) == (Period(months=6), timedelta(days=90))
    assert LifecyclePolicy.model_validate_json(policy.model_dump_json()) == policy


def test_a_stricter_policy_changes_the_outcome() -> None:
    policy = LifecyclePolicy(churn_min_hiatus=timedelta(days=60), churn_gap_multiple=0)
    state = replay(history_of(0, 30), as_of=START + timedelta(days=100), policy=policy)
    assert state.transitions[-1].at == START + timedelta(days=90)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"loyal_keep_recent": 4}, "loyal_keep_recent <= loyal_min_recent <= loyal_min_occasions"),
        ({"loyal_min_recent": 5}, "got 2, 5, 4"),
        ({"churn_min_hiatus": "P0D"}, "churn_min_hiatus"),
        ({"churn_gap_multiple": -1}, "greater than or equal to 0"),
        ({"churn_p_alive_threshold": 1}, "less than 1"),
        ({"loyal_window": "twelve months"}, "is not a period"),
        ({"loyalty": 3}, "Extra inputs are not permitted"),
    ],
)
def test_an_invalid_policy_is_refused_naming_the_problem(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        LifecyclePolicy.model_validate(fields)
