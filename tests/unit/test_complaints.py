from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from pydantic import ValidationError

from crmcore import Complaint, ComplaintStatus, Money, RecoveryAction
from crmcore import strategies as crm
from crmcore.complaints import (
    HANDLING_STEPS,
    MOVES,
    ComplaintAction,
    ComplaintEvent,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
    apply,
    check_workflow,
    complaint_management_kpis,
    escalate,
    sla_status,
    to_mermaid,
)
from crmcore.datasets import load_sample
from crmcore.errors import InvalidTransition, OutOfOrder, UsageError

RECEIVED = datetime(2024, 5, 2, 9, tzinfo=timezone.utc)


def complaint(severity: str = "high", **fields: object) -> Complaint:
    return Complaint(
        id="K-1",
        customer_id="C-1",
        received_at=RECEIVED,
        category="delivery",
        severity=severity,
        **fields,
    )


def walk(k: Complaint, *events: str, hours: float = 1) -> Complaint:
    """Apply events one hour apart (by default), the first one hour after the last change."""
    for n, event in enumerate(events, start=1):
        at = RECEIVED + timedelta(hours=hours * n)
        k = apply(k, event, at=at, note="explained" if event == "reject" else None)
    return k


# -- the workflow ------------------------------------------------------------------------


def test_the_workflow_holds_exactly_the_moves_of_complaint_handling() -> None:
    expected = {
        ("acknowledge", "received"): "acknowledged",
        ("assess", "acknowledged"): "assessed",
        ("reject", "assessed"): "rejected",
        ("start_resolution", "assessed"): "resolving",
        ("start_resolution", "reopened"): "resolving",
        ("resolve", "resolving"): "resolved",
        ("follow_up", "resolved"): "followed_up",
        ("close", "followed_up"): "closed",
        ("reopen", "resolved"): "reopened",
        ("reopen", "followed_up"): "reopened",
        ("reopen", "closed"): "reopened",
        ("reopen", "rejected"): "reopened",
    }
    assert {(e.value, s.value): t.value for (e, s), t in MOVES.items()} == expected


def test_the_mermaid_diagram_draws_every_move() -> None:
    arrows = re.findall(r"^    (\w+) --> (\w+) : (\w+)$", to_mermaid(), re.MULTILINE)
    assert sorted(arrows) == sorted((s.value, t.value, e.value) for (e, s), t in MOVES.items())


def test_every_status_belongs_to_exactly_one_handling_step() -> None:
    statuses = [s for step in HANDLING_STEPS for s in step.statuses]
    assert sorted(statuses) == sorted(ComplaintStatus)
    assert [step.number for step in HANDLING_STEPS] == [1, 2, 3, 4]


def test_the_iso_10002_activities_map_onto_the_steps_in_order() -> None:
    activities = [a for step in HANDLING_STEPS for a in step.iso_10002]
    assert activities == ["receipt", "acknowledge", "assess", "investigate", "respond", "close"]


def test_a_complaint_goes_through_the_whole_workflow_recording_each_change() -> None:
    done = walk(
        complaint(accepted=True),
        "acknowledge", "assess", "start_resolution", "resolve", "follow_up", "close",
    )  # fmt: skip
    assert done.status is ComplaintStatus.CLOSED
    assert [c.status.value for c in done.status_changes] == [
        "acknowledged",
        "assessed",
        "resolving",
        "resolved",
        "followed_up",
        "closed",
    ]
    assert not done.is_open
    check_workflow(done)


def test_a_change_records_time_actor_and_note() -> None:
    at = RECEIVED + timedelta(minutes=20)
    k = apply(complaint(), "acknowledge", at=at, actor="agent-7", note="customer heard out")
    change = k.status_changes[-1]
    assert (change.at, change.actor, change.note) == (at, "agent-7", "customer heard out")


def test_the_original_complaint_is_left_unchanged() -> None:
    original = complaint()
    apply(original, "acknowledge", at=RECEIVED)
    assert original.status is ComplaintStatus.RECEIVED
    assert original.status_changes == ()


def test_a_complaint_not_accepted_is_reopened_and_resolved_again() -> None:
    k = walk(complaint(), "acknowledge", "assess", "start_resolution", "resolve", "reopen")
    assert k.status is ComplaintStatus.REOPENED
    assert k.is_open
    k = walk(k, "start_resolution", "resolve", hours=10)
    assert k.status is ComplaintStatus.RESOLVED


def test_resolving_an_unassessed_complaint_is_refused_with_a_clear_message() -> None:
    k = walk(complaint(), "acknowledge")
    with pytest.raises(
        InvalidTransition,
        match=re.escape(
            "Cannot resolve complaint 'K-1': status is 'acknowledged' (not yet assessed)."
        ),
    ) as caught:
        apply(k, ComplaintEvent.RESOLVE, at=RECEIVED + timedelta(days=1))
    assert (caught.value.entity, caught.value.state, caught.value.event) == (
        "complaint",
        "acknowledged",
        "resolve",
    )


def test_a_rejection_needs_an_explanation() -> None:
    k = walk(complaint(), "acknowledge", "assess")
    with pytest.raises(InvalidTransition, match="a rejection needs an explanation"):
        apply(k, "reject", at=RECEIVED + timedelta(days=1))
    rejected = apply(k, "reject", at=RECEIVED + timedelta(days=1), note="terms of sale explained")
    assert rejected.status is ComplaintStatus.REJECTED
    assert not rejected.is_open


def test_a_complaint_is_closed_only_once_the_customer_accepted_the_outcome() -> None:
    followed_up = walk(complaint(), "acknowledge", "assess", "start_resolution", "resolve",
                       "follow_up")  # fmt: skip
    with pytest.raises(InvalidTransition, match="acceptance of the outcome is not recorded"):
        walk(followed_up, "close", hours=10)


def test_a_complaint_judged_valid_cannot_be_rejected() -> None:
    assessed = walk(complaint(valid=True), "acknowledge", "assess")
    with pytest.raises(InvalidTransition, match="Cannot reject complaint 'K-1'.*recorded as valid"):
        walk(assessed, "reject", hours=10)


def test_a_complaint_judged_not_valid_cannot_be_resolved() -> None:
    assessed = walk(complaint(valid=False), "acknowledge", "assess")
    with pytest.raises(InvalidTransition, match="Cannot start resolving.*recorded as not valid"):
        walk(assessed, "start_resolution", hours=10)


def test_a_complaint_whose_outcome_was_not_accepted_cannot_be_closed() -> None:
    k = walk(
        complaint(accepted=False),
        "acknowledge",
        "assess",
        "start_resolution",
        "resolve",
        "follow_up",
    )
    with pytest.raises(InvalidTransition, match="the customer did not accept the outcome"):
        apply(k, "close", at=RECEIVED + timedelta(days=2))


def test_a_change_before_the_latest_one_is_refused() -> None:
    k = apply(complaint(), "acknowledge", at=RECEIVED + timedelta(hours=2))
    with pytest.raises(OutOfOrder, match="Cannot apply assess at .* to complaint 'K-1'"):
        apply(k, "assess", at=RECEIVED + timedelta(hours=1))


def test_an_unknown_event_is_refused_with_the_list_of_events() -> None:
    with pytest.raises(UsageError, match="Unknown complaint event 'approve': the events are "):
        apply(complaint(), "approve", at=RECEIVED)


# -- escalation --------------------------------------------------------------------------


def test_an_open_complaint_can_be_escalated_once() -> None:
    k = walk(complaint(recovery_actions=["apology"]), "acknowledge", "assess")
    up = escalate(k, at=RECEIVED + timedelta(hours=3))
    assert up.escalated_at == RECEIVED + timedelta(hours=3)
    assert up.status is ComplaintStatus.ASSESSED
    assert up.recovery_actions == (RecoveryAction.APOLOGY, RecoveryAction.ESCALATE_TO_MANAGER)
    with pytest.raises(InvalidTransition, match="already escalated at 2024-05-02T12:00:00"):
        escalate(up, at=RECEIVED + timedelta(hours=4))


def test_a_closed_complaint_cannot_be_escalated() -> None:
    k = walk(complaint(), "acknowledge", "assess", "reject")
    with pytest.raises(
        InvalidTransition,
        match=re.escape(
            "Cannot escalate complaint 'K-1': status is 'rejected' (rejected as not valid)."
        ),
    ):
        escalate(k, at=RECEIVED + timedelta(days=1))


# -- checking recorded histories ---------------------------------------------------------


def test_a_history_that_skips_a_step_is_found() -> None:
    skipped = complaint(status="assessed", status_changes=[{"status": "assessed", "at": RECEIVED}])
    with pytest.raises(
        InvalidTransition, match="Cannot assess complaint 'K-1': status is 'received'"
    ):
        check_workflow(skipped)


def test_a_history_that_returns_to_received_is_found() -> None:
    back = complaint(
        status="received",
        status_changes=[
            {"status": "acknowledged", "at": RECEIVED},
            {"status": "received", "at": RECEIVED},
        ],
    )
    with pytest.raises(InvalidTransition, match="Cannot receive again complaint 'K-1'"):
        check_workflow(back)


def test_every_complaint_of_the_sample_follows_the_workflow() -> None:
    sample = load_sample()
    for k in sample.complaints:
        check_workflow(k)
    assert {k.status for k in sample.complaints} >= {
        ComplaintStatus.CLOSED,
        ComplaintStatus.REJECTED,
    }


@given(crm.complaints())
def test_generated_complaints_follow_the_workflow(k: Complaint) -> None:
    check_workflow(k)


@given(crm.complaints())
def test_replaying_a_complaint_s_changes_through_apply_rebuilds_it(k: Complaint) -> None:
    rebuilt = k.model_copy(update={"status": ComplaintStatus.RECEIVED, "status_changes": ()})
    events = {target: event for (event, _), target in MOVES.items()}
    for change in k.status_changes:
        rebuilt = apply(
            rebuilt, events[change.status], at=change.at, actor=change.actor, note=change.note
        )
    assert rebuilt == k


# -- service levels ----------------------------------------------------------------------


def test_a_fast_first_response_is_met_and_a_running_resolution_is_in_progress() -> None:
    k = apply(complaint(), "acknowledge", at=RECEIVED + timedelta(hours=1))
    report = sla_status(k, as_of=RECEIVED + timedelta(hours=30))
    assert report.first_response.status is SlaStatus.MET
    assert report.first_response.elapsed == timedelta(hours=1)
    assert report.first_response.remaining == timedelta(hours=3)
    assert report.first_response.stopped_at == RECEIVED + timedelta(hours=1)
    assert report.resolution.status is SlaStatus.IN_PROGRESS
    assert report.resolution.due_at == RECEIVED + timedelta(days=3)
    assert report.resolution.remaining == timedelta(hours=42)
    assert not report.breached


def test_a_clock_at_80_percent_of_its_target_is_at_risk() -> None:
    report = sla_status(complaint(), as_of=RECEIVED + timedelta(hours=3, minutes=12))
    assert report.first_response.status is SlaStatus.AT_RISK
    assert (
        sla_status(
            complaint(), as_of=RECEIVED + timedelta(hours=3, minutes=11)
        ).first_response.status
        is SlaStatus.IN_PROGRESS
    )


def test_a_clock_is_still_in_time_at_its_due_moment_and_breached_after() -> None:
    due = RECEIVED + timedelta(hours=4)
    assert sla_status(complaint(), as_of=due).first_response.status is SlaStatus.AT_RISK
    late = sla_status(complaint(), as_of=due + timedelta(seconds=1))
    assert late.first_response.status is SlaStatus.BREACHED
    assert late.first_response.remaining == timedelta(seconds=-1)
    assert late.breached


def test_a_breach_stays_a_breach_after_the_complaint_is_resolved() -> None:
    k = walk(complaint(), "acknowledge", "assess", "start_resolution", hours=1)
    k = apply(k, "resolve", at=RECEIVED + timedelta(days=5))
    report = sla_status(k, as_of=RECEIVED + timedelta(days=6))
    assert report.resolution.status is SlaStatus.BREACHED
    assert report.resolution.elapsed == timedelta(days=5)
    assert report.resolution.remaining == timedelta(days=-2)


def test_a_rejection_stops_the_resolution_clock() -> None:
    k = walk(complaint(), "acknowledge", "assess", "reject")
    assert sla_status(k, as_of=RECEIVED + timedelta(days=30)).resolution.status is SlaStatus.MET


def test_changes_after_as_of_are_not_yet_known() -> None:
    k = apply(complaint(), "acknowledge", at=RECEIVED + timedelta(hours=2))
    report = sla_status(k, as_of=RECEIVED + timedelta(hours=1))
    assert report.first_response.status is SlaStatus.IN_PROGRESS
    assert report.first_response.stopped_at is None


def test_an_sla_check_before_receipt_is_refused() -> None:
    with pytest.raises(OutOfOrder, match="it is earlier than its receipt"):
        sla_status(complaint(), as_of=RECEIVED - timedelta(minutes=1))


def test_targets_depend_on_severity() -> None:
    as_of = RECEIVED + timedelta(hours=2)
    statuses = {
        s: sla_status(complaint(s), as_of=as_of).first_response.status for s in ("low", "critical")
    }
    assert statuses == {"low": SlaStatus.IN_PROGRESS, "critical": SlaStatus.BREACHED}


def test_a_custom_policy_loads_from_json_and_applies() -> None:
    policy = SlaPolicy.model_validate_json(
        '{"at_risk_ratio": 0.5, "targets": {'
        '"low": {"first_response": "P1D", "resolution": "P10D"},'
        '"medium": {"first_response": "PT8H", "resolution": "P5D"},'
        '"high": {"first_response": "PT2H", "resolution": "P2D"},'
        '"critical": {"first_response": "PT30M", "resolution": "PT12H"}}}'
    )
    report = sla_status(complaint(), as_of=RECEIVED + timedelta(hours=1), policy=policy)
    assert report.first_response.status is SlaStatus.AT_RISK
    assert report.first_response.target == timedelta(hours=2)


def test_the_default_targets_are_the_documented_ones() -> None:
    hours = {
        s.value: (t.first_response / timedelta(hours=1), t.resolution / timedelta(days=1))
        for s, t in SlaPolicy().targets.items()
    }
    assert hours == {"low": (48, 14), "medium": (24, 7), "high": (4, 3), "critical": (1, 1)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"targets": {"low": {"first_response": "PT1H", "resolution": "P1D"}}},
            "missing: medium, high, critical",
        ),
        ({"at_risk_ratio": 0}, "greater than 0"),
        ({"at_risk_ratio": 1.2}, "less than or equal to 1"),
    ],
)
def test_an_invalid_sla_policy_is_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SlaPolicy.model_validate(data)


def test_a_resolution_target_shorter_than_the_first_response_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be shorter than the first response"):
        SlaTarget(first_response="P2D", resolution="P1D")


# -- complaint management: system, training, prevention -----------------------------------


def received(n: int, day: str, category: str = "delivery", **fields: object) -> Complaint:
    return Complaint(
        id=f"K-{n}", customer_id="C-1", received_at=day, category=category, severity="low",
        **fields,
    )  # fmt: skip


def test_an_action_is_a_training_or_a_prevention_and_only_a_training_has_staff() -> None:
    with pytest.raises(ValidationError, match="the complaint workflow itself"):
        ComplaintAction(id="A-1", measure="system", at="2024-03-01")
    with pytest.raises(ValidationError, match="only a training has staff"):
        ComplaintAction(id="A-1", measure="prevention", at="2024-03-01", staff=3)


def test_management_is_measured_by_its_three_measures() -> None:
    answered = received(
        1, "2024-02-10T09:00:00+00:00",
        status="acknowledged", status_changes=[{"status": "acknowledged", "at": "2024-02-10T10:00:00+00:00"}],
    )  # fmt: skip
    late = received(
        2, "2024-03-05T09:00:00+00:00", "staff",
        status="acknowledged", status_changes=[{"status": "acknowledged", "at": "2024-03-09T09:00:00+00:00"}],
    )  # fmt: skip
    later = [received(3, "2024-05-20", "staff"), received(4, "2023-12-20", "staff")]
    actions = [
        ComplaintAction(id="A-1", measure="training", at="2024-04-01", category="staff", staff=12,
                        cost=Money("800", "CNY")),
        ComplaintAction(id="A-2", measure="prevention", at="2024-04-15", cost=Money("200", "CNY")),
        ComplaintAction(id="A-3", measure="prevention", at="2025-03-01"),  # after the period
    ]  # fmt: skip
    kpis = complaint_management_kpis(
        [answered, late, *later], actions, start="2024-01-01", end="2024-12-31"
    )
    assert (kpis.complaints, kpis.by_category) == (3, {"delivery": 1, "staff": 2})
    assert kpis.first_response_met == 0.5  # one acknowledged in time, one too late
    assert kpis.resolution_met is None  # no clock stopped
    assert (kpis.trainings, kpis.staff_trained, kpis.preventions) == (1, 12, 1)
    assert (kpis.cost, kpis.currency) == (Decimal("1000"), "CNY")
    training, prevention = kpis.effects
    assert (training.before, training.after, training.change, training.complete) == (
        1, 1, 0.0, True,
    )  # fmt: skip
    assert (prevention.category, prevention.before, prevention.after) == (None, 2, 1)


def test_an_empty_period_has_no_shares_and_end_before_start_is_refused() -> None:
    kpis = complaint_management_kpis([], [], start="2024-01-01", end="2024-01-31")
    assert (kpis.complaints, kpis.first_response_met, kpis.cost, kpis.effects) == (
        0,
        None,
        None,
        (),
    )
    with pytest.raises(ValueError, match="end must not be before start"):
        complaint_management_kpis([], [], start="2024-02-01", end="2024-01-31")
