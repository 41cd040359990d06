"""The complaint workflow, the handling steps it implements, and service-level targets.

A complaint moves ``received → acknowledged → assessed → resolving → resolved →
followed_up → closed``; an assessed complaint that is not valid is
``rejected`` (with an explanation), and a customer who does not accept the
outcome ``reopen``s it, sending it back to ``resolving``. The moves are one
checked table (``to_mermaid()`` draws it); [`apply`][crmcore.complaints.apply]
makes a move and records who made it, when and why, and an illegal move raises
`InvalidTransition`. Escalation to a manager is not a status: it is possible
from any open status and recorded in ``escalated_at`` by
[`escalate`][crmcore.complaints.escalate].

[`sla_status`][crmcore.complaints.sla_status] measures a complaint against an
[`SlaPolicy`][crmcore.complaints.SlaPolicy]: time to first response and time
to resolution, by severity, in calendar time.

Complaint management has two more measures than the system itself: trained
staff and prevention. Staff record them as
[`ComplaintAction`][crmcore.complaints.ComplaintAction]s, and
[`complaint_management_kpis`][crmcore.complaints.complaint_management_kpis]
measures all three for a period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from crmcore._machine import StateTable
from crmcore._model import Value, Vocabulary
from crmcore._types import (
    DerivedTimestamp,
    Id,
    NonNegativeMoney,
    PositiveDuration,
    Text,
    Timestamp,
    to_moment,
)
from crmcore.entities import Complaint, StatusChange
from crmcore.entities.complaint import outcome_problem
from crmcore.entities.enums import (
    ComplaintCategory,
    ComplaintStatus,
    RecoveryAction,
    Severity,
)
from crmcore.errors import CurrencyMismatch, InvalidTransition, OutOfOrder, UsageError
from crmcore.period import Period, day_of
from crmcore.tabular import Table, Tabular, figures_table

__all__ = [
    "HANDLING_STEPS",
    "MOVES",
    "ActionEffect",
    "ComplaintAction",
    "ComplaintEvent",
    "ComplaintManagementKpis",
    "HandlingStep",
    "ManagementMeasure",
    "SlaClock",
    "SlaPolicy",
    "SlaReport",
    "SlaStatus",
    "SlaTarget",
    "apply",
    "check_workflow",
    "complaint_management_kpis",
    "escalate",
    "sla_status",
    "to_mermaid",
]

Status = ComplaintStatus


class ComplaintEvent(Vocabulary):
    """What moves a complaint from one status to the next."""

    ACKNOWLEDGE = "acknowledge"
    ASSESS = "assess"
    REJECT = "reject"
    START_RESOLUTION = "start_resolution"
    RESOLVE = "resolve"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"
    REOPEN = "reopen"


Event = ComplaintEvent

_TABLE: StateTable[ComplaintStatus, ComplaintEvent] = StateTable.define(
    entity="complaint",
    attribute="status",
    states=ComplaintStatus,
    events=ComplaintEvent,
    initial=Status.RECEIVED,
    moves=[
        (Event.ACKNOWLEDGE, [Status.RECEIVED], Status.ACKNOWLEDGED),
        (Event.ASSESS, [Status.ACKNOWLEDGED], Status.ASSESSED),
        (Event.REJECT, [Status.ASSESSED], Status.REJECTED),
        (Event.START_RESOLUTION, [Status.ASSESSED, Status.REOPENED], Status.RESOLVING),
        (Event.RESOLVE, [Status.RESOLVING], Status.RESOLVED),
        (Event.FOLLOW_UP, [Status.RESOLVED], Status.FOLLOWED_UP),
        (Event.CLOSE, [Status.FOLLOWED_UP], Status.CLOSED),
        (
            Event.REOPEN,
            [Status.RESOLVED, Status.FOLLOWED_UP, Status.CLOSED, Status.REJECTED],
            Status.REOPENED,
        ),
    ],
    verbs={
        Event.ACKNOWLEDGE: "acknowledge",
        Event.ASSESS: "assess",
        Event.REJECT: "reject",
        Event.START_RESOLUTION: "start resolving",
        Event.RESOLVE: "resolve",
        Event.FOLLOW_UP: "follow up",
        Event.CLOSE: "close",
        Event.REOPEN: "reopen",
    },
    explanations={
        Status.RECEIVED: "not yet acknowledged",
        Status.ACKNOWLEDGED: "not yet assessed",
        Status.ASSESSED: "awaiting a decision",
        Status.RESOLVING: "a solution is being carried out",
        Status.RESOLVED: "awaiting follow-up",
        Status.FOLLOWED_UP: "awaiting closure",
        Status.CLOSED: "closed",
        Status.REJECTED: "rejected as not valid",
        Status.REOPENED: "the customer did not accept the outcome",
    },
)

#: Every legal move, ``(event, from status) -> to status``, read-only.
MOVES: Mapping[tuple[ComplaintEvent, ComplaintStatus], ComplaintStatus] = MappingProxyType(
    dict(_TABLE.moves)
)

#: The one event that leads to each status (``received`` is where every complaint starts).
_EVENT_FOR: dict[ComplaintStatus, ComplaintEvent] = {
    target: event for (event, _), target in _TABLE.moves.items()
}


def to_mermaid() -> str:
    """Draw the complaint workflow as a Mermaid state diagram.

    Examples:
        >>> "assessed --> rejected : reject" in to_mermaid()
        True
    """
    return _TABLE.to_mermaid()


class HandlingStep(Value):
    """One of the four handling steps, with the statuses and ISO 10002 activities it covers."""

    number: int
    name: str
    statuses: tuple[ComplaintStatus, ...]
    iso_10002: tuple[str, ...]


#: The four handling steps of complaint handling, mapped onto the workflow's
#: statuses and onto the activities of ISO 10002. Every status belongs to one step.
HANDLING_STEPS: tuple[HandlingStep, ...] = (
    HandlingStep(
        number=1,
        name="let the customer vent: listen and acknowledge",
        statuses=(Status.RECEIVED, Status.ACKNOWLEDGED),
        iso_10002=("receipt", "acknowledge"),
    ),
    HandlingStep(
        number=2,
        name="record the key points and judge whether the complaint is valid",
        statuses=(Status.ASSESSED, Status.REJECTED),
        iso_10002=("assess",),
    ),
    HandlingStep(
        number=3,
        name="propose and carry out a solution the customer accepts",
        statuses=(Status.RESOLVING, Status.RESOLVED, Status.REOPENED),
        iso_10002=("investigate", "respond"),
    ),
    HandlingStep(
        number=4,
        name="follow up",
        statuses=(Status.FOLLOWED_UP, Status.CLOSED),
        iso_10002=("close",),
    ),
)


def _latest(complaint: Complaint) -> datetime:
    changes = complaint.status_changes
    return changes[-1].at if changes else complaint.received_at


def _in_order(complaint: Complaint, what: str, at: datetime) -> None:
    latest = _latest(complaint)
    if at < latest:
        raise OutOfOrder(
            entity="complaint", entity_id=complaint.id, event=what, at=at, latest=latest
        )


def apply(
    complaint: Complaint,
    event: ComplaintEvent | str,
    *,
    at: datetime | str,
    actor: str | None = None,
    note: str | None = None,
) -> Complaint:
    """Move a complaint to its next status, recording when, by whom and why.

    Guards beyond the table: a rejection needs an explanation (``note``) and
    a complaint not recorded as valid (``valid`` is not ``True``); only a
    complaint not recorded as invalid is resolved; and a complaint is closed
    only once the customer accepted the outcome (``accepted`` is ``True``;
    when they did not, reopen it instead).

    Args:
        complaint: The complaint.
        event: The event (``"acknowledge"``, ``"resolve"``...).
        at: When it happened; not before the latest status change.
        actor: Who made the change.
        note: Why, or what was done.

    Raises:
        InvalidTransition: The move is not allowed from the current status.
        OutOfOrder: ``at`` is earlier than the latest status change.
        UsageError: An unknown event (the message lists the events).

    Examples:
        >>> from crmcore import Complaint
        >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02T09:00:00+08:00",
        ...               category="delivery", severity="high")
        >>> k = apply(k, "acknowledge", at="2024-05-02T09:20:00+08:00", actor="agent-7")
        >>> print(k.status, k.status_changes[-1].actor)
        acknowledged agent-7
        >>> apply(k, "resolve", at="2024-05-02T10:00:00+08:00")
        Traceback (most recent call last):
        ...
        crmcore.errors.InvalidTransition: Cannot resolve complaint 'K-1': status is 'acknowledged' (not yet assessed).
    """  # noqa: E501
    kind = _TABLE.event(event)
    moment = to_moment(at, "at")
    _in_order(complaint, kind.value, moment)
    status = complaint.status
    target = _TABLE.target(status, kind, complaint.id)
    if kind is Event.REJECT and not note:
        raise _TABLE.refusal(status, kind, complaint.id, "a rejection needs an explanation")
    if kind is Event.CLOSE and complaint.accepted is False:
        raise _TABLE.refusal(status, kind, complaint.id, "the customer did not accept the outcome")
    problem = outcome_problem(target, complaint.valid, complaint.accepted)
    if problem is not None:
        raise _TABLE.refusal(status, kind, complaint.id, problem)
    change = StatusChange(status=target, at=moment, actor=actor, note=note)
    return complaint.model_copy(
        update={"status": target, "status_changes": (*complaint.status_changes, change)}
    )


def escalate(complaint: Complaint, *, at: datetime | str) -> Complaint:
    """Escalate an open complaint to a manager: records ``escalated_at`` and the recovery action.

    Raises:
        InvalidTransition: The complaint is closed or rejected, or already escalated.
        OutOfOrder: ``at`` is earlier than the latest status change.

    Examples:
        >>> from crmcore import Complaint
        >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02",
        ...               category="staff", severity="critical")
        >>> up = escalate(k, at="2024-05-02T01:00:00+00:00")
        >>> up.escalated_at.hour, up.recovery_actions
        (1, (<RecoveryAction.ESCALATE_TO_MANAGER: 'escalate_to_manager'>,))
    """
    moment = to_moment(at, "at")
    _in_order(complaint, "escalate", moment)
    why = None
    if not complaint.is_open:
        why = _TABLE.explanations[complaint.status]
    elif complaint.escalated_at is not None:
        why = f"already escalated at {complaint.escalated_at.isoformat()}"
    if why is not None:
        raise InvalidTransition(
            entity="complaint",
            entity_id=complaint.id,
            attribute="status",
            state=complaint.status.value,
            event="escalate",
            verb="escalate",
            why=why,
        )
    actions = complaint.recovery_actions
    if RecoveryAction.ESCALATE_TO_MANAGER not in actions:
        actions = (*actions, RecoveryAction.ESCALATE_TO_MANAGER)
    return complaint.model_copy(update={"escalated_at": moment, "recovery_actions": actions})


def check_workflow(complaint: Complaint) -> None:
    """Check that a complaint's recorded status changes follow the workflow.

    Complaints imported from other systems may skip steps; this finds the
    first change the workflow does not allow (only the table is checked, not
    the guards of [`apply`][crmcore.complaints.apply]).

    Raises:
        InvalidTransition: A status change is not a legal move from the status before it.

    Examples:
        >>> from crmcore import Complaint
        >>> skipped = Complaint(id="K-3", customer_id="C-1", received_at="2024-05-02",
        ...                     category="price", severity="low", status="resolved",
        ...                     status_changes=[{"status": "resolved", "at": "2024-05-03"}])
        >>> check_workflow(skipped)
        Traceback (most recent call last):
        ...
        crmcore.errors.InvalidTransition: Cannot resolve complaint 'K-3': status is 'received' (not yet acknowledged).
    """  # noqa: E501
    status = _TABLE.initial
    for change in complaint.status_changes:
        event = _EVENT_FOR.get(change.status)
        if event is None:  # a move back to "received": no event leads there
            raise InvalidTransition(
                entity="complaint",
                entity_id=complaint.id,
                attribute="status",
                state=status.value,
                event="receive",
                verb="receive again",
                why=_TABLE.explanations[status],
            )
        status = _TABLE.target(status, event, complaint.id)


class SlaStatus(Vocabulary):
    """Where a complaint stands against one service-level target."""

    IN_PROGRESS = "in_progress"
    """The clock runs and less than the at-risk share of the target has elapsed."""
    AT_RISK = "at_risk"
    """The clock runs and at least the at-risk share of the target has elapsed."""
    MET = "met"
    """The clock stopped within the target."""
    BREACHED = "breached"
    """The target passed before the clock stopped; stays breached once the clock stops."""


class SlaTarget(Value):
    """The targets for one severity: time to first response and time to resolution.

    Examples:
        >>> SlaTarget(first_response="PT4H", resolution="P3D").resolution.days
        3
    """

    first_response: PositiveDuration = Field(
        description="From receipt to the first status change (at most 100 years)."
    )
    resolution: PositiveDuration = Field(
        description="From receipt to resolution or rejection (at most 100 years)."
    )

    @model_validator(mode="after")
    def _resolution_after_response(self) -> SlaTarget:
        if self.resolution < self.first_response:
            raise PydanticCustomError(
                "sla_order", "the resolution target must not be shorter than the first response"
            )
        return self


_DEFAULT_TARGETS = {
    Severity.LOW: SlaTarget(first_response=timedelta(hours=48), resolution=timedelta(days=14)),
    Severity.MEDIUM: SlaTarget(first_response=timedelta(hours=24), resolution=timedelta(days=7)),
    Severity.HIGH: SlaTarget(first_response=timedelta(hours=4), resolution=timedelta(days=3)),
    Severity.CRITICAL: SlaTarget(first_response=timedelta(hours=1), resolution=timedelta(days=1)),
}


class SlaPolicy(BaseModel):
    """Service-level targets per severity, and when a running clock counts as at risk.

    The defaults (calendar time, not business hours):

    | severity | first response | resolution |
    |---|---|---|
    | low | 48 hours | 14 days |
    | medium | 24 hours | 7 days |
    | high | 4 hours | 3 days |
    | critical | 1 hour | 1 day |

    A running clock is at risk once 80 % of its target has elapsed.

    Examples:
        >>> policy = SlaPolicy.model_validate_json('{"at_risk_ratio": 0.75}')
        >>> policy.targets["critical"].first_response
        datetime.timedelta(seconds=3600)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="iso8601")

    targets: dict[Severity, SlaTarget] = Field(
        default_factory=lambda: dict(_DEFAULT_TARGETS),
        description="The targets of every severity.",
    )
    at_risk_ratio: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="The share of a target after which a running clock is at risk.",
    )

    @model_validator(mode="after")
    def _every_severity(self) -> SlaPolicy:
        missing = [s.value for s in Severity if s not in self.targets]
        if missing:
            raise PydanticCustomError(
                "sla_missing_severity",
                "targets must cover every severity; missing: {missing}",
                {"missing": ", ".join(missing)},
            )
        return self


class SlaClock(Value):
    """One target's clock: its status, when it is (or was) due, elapsed and remaining time.

    ``remaining`` is negative when the target was missed: it then tells by how
    much. Once the clock has stopped, ``elapsed`` and ``remaining`` are frozen at
    the moment it stopped.
    """

    status: SlaStatus
    target: timedelta
    due_at: DerivedTimestamp
    stopped_at: Timestamp | None = Field(
        default=None, description="When the clock stopped (first response, or resolution)."
    )
    elapsed: timedelta
    remaining: timedelta


class SlaReport(Value):
    """A complaint measured against its severity's targets, as of a moment."""

    complaint_id: str
    severity: Severity
    as_of: Timestamp
    first_response: SlaClock
    resolution: SlaClock

    @property
    def breached(self) -> bool:
        """True when either target was missed.

        Examples:
            >>> from crmcore import Complaint
            >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02",
            ...               category="price", severity="critical")
            >>> sla_status(k, as_of="2024-05-02T02:00:00+00:00").breached
            True
        """
        return SlaStatus.BREACHED in (self.first_response.status, self.resolution.status)


#: The statuses that stop the resolution clock: the outcome is decided.
_SETTLED = frozenset({Status.RESOLVED, Status.FOLLOWED_UP, Status.CLOSED, Status.REJECTED})


def _clock(
    received: datetime, target: timedelta, stopped: datetime | None, as_of: datetime, ratio: float
) -> SlaClock:
    due = received + target
    elapsed = (stopped or as_of) - received
    if stopped is not None:
        status = SlaStatus.MET if stopped <= due else SlaStatus.BREACHED
    elif as_of > due:
        status = SlaStatus.BREACHED
    elif elapsed >= target * ratio:
        status = SlaStatus.AT_RISK
    else:
        status = SlaStatus.IN_PROGRESS
    return SlaClock(
        status=status,
        target=target,
        due_at=due,
        stopped_at=stopped,
        elapsed=elapsed,
        remaining=target - elapsed,
    )


def sla_status(
    complaint: Complaint, *, as_of: datetime | str, policy: SlaPolicy | None = None
) -> SlaReport:
    """Measure a complaint against the targets of its severity, as of a moment.

    The first-response clock stops at the first status change after receipt
    (normally ``acknowledged``); the resolution clock stops at the first change
    to ``resolved``, ``followed_up``, ``closed`` or ``rejected``. Changes after
    ``as_of`` are not yet known. A target missed stays ``breached`` after the
    clock stops, and reopening a complaint does not restart its clocks.

    Raises:
        OutOfOrder: ``as_of`` is before the complaint was received.

    Examples:
        >>> from crmcore import Complaint
        >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02T09:00:00+00:00",
        ...               category="delivery", severity="high", status="acknowledged",
        ...               status_changes=[{"status": "acknowledged",
        ...                                "at": "2024-05-02T10:00:00+00:00"}])
        >>> report = sla_status(k, as_of="2024-05-04T20:00:00+00:00")
        >>> print(report.first_response.status, report.resolution.status)
        met at_risk
        >>> report.resolution.remaining
        datetime.timedelta(seconds=46800)
    """
    moment = to_moment(as_of)
    received = complaint.received_at
    if moment < received:
        raise OutOfOrder(
            entity="complaint",
            entity_id=complaint.id,
            event="an SLA check",
            at=moment,
            latest=received,
            latest_what="its receipt",
        )
    known = [c for c in complaint.status_changes if c.at <= moment]
    responded = known[0].at if known else None
    resolved = next((c.at for c in known if c.status in _SETTLED), None)
    targets = (policy or _DEFAULT_POLICY).targets[complaint.severity]
    ratio = (policy or _DEFAULT_POLICY).at_risk_ratio
    return SlaReport(
        complaint_id=complaint.id,
        severity=complaint.severity,
        as_of=moment,
        first_response=_clock(received, targets.first_response, responded, moment, ratio),
        resolution=_clock(received, targets.resolution, resolved, moment, ratio),
    )


_DEFAULT_POLICY = SlaPolicy()


class ManagementMeasure(Vocabulary):
    """The three measures of complaint management the texts name, besides handling each case."""

    SYSTEM = "system"
    """A complete complaint system (完善的投诉系统): the workflow and its service levels."""
    TRAINING = "training"
    """Front-line staff trained to receive and settle complaints (培训员工)."""
    PREVENTION = "prevention"
    """Causes removed so that complaints do not arise (预防)."""


class ComplaintAction(Value):
    """A complaint-management action staff recorded: a training session or a prevention measure.

    ``category`` is the kind of complaint it addresses (``None``: all of
    them); ``staff`` how many people a training reached.

    Examples:
        >>> ComplaintAction(id="A-1", measure="training", at="2024-03-01", category="staff",
        ...                 staff=12).measure.value
        'training'
    """

    id: Id
    measure: ManagementMeasure
    at: Timestamp
    category: ComplaintCategory | None = None
    staff: int | None = Field(default=None, ge=1, description="People trained (a training).")
    cost: NonNegativeMoney | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _a_recorded_action(self) -> ComplaintAction:
        if self.measure is ManagementMeasure.SYSTEM:
            raise PydanticCustomError(
                "system_action",
                "measure system is the complaint workflow itself; record a training or a "
                "prevention",
            )
        if self.staff is not None and self.measure is not ManagementMeasure.TRAINING:
            raise PydanticCustomError("staff_without_training", "only a training has staff")
        return self


class ActionEffect(Value):
    """Complaints of the action's kind received in equal periods before and after it."""

    action_id: str
    measure: ManagementMeasure
    category: ComplaintCategory | None
    at: Timestamp
    before: int = Field(description="Complaints in the horizon before the action.")
    after: int = Field(description="Complaints in the horizon after it.")
    change: float | None = Field(
        description="after ÷ before − 1 (−0.25: a quarter fewer); None without complaints before."
    )
    complete: bool = Field(description="Whether the horizon after the action has passed.")


class ComplaintManagementKpis(Value, Tabular):
    """Complaint management in numbers for a period: the system, the training, the prevention."""

    start: date
    end: date
    complaints: int = Field(description="Complaints received in the period.")
    by_category: dict[str, int]
    first_response_met: float | None = Field(
        description="Of the period's complaints whose first-response clock stopped, the share "
        "in time."
    )
    resolution_met: float | None = Field(
        description="Of those whose resolution clock stopped, the share in time."
    )
    trainings: int
    staff_trained: int
    preventions: int
    cost: Decimal | None = Field(description="The recorded cost of the period's actions.")
    currency: str | None
    effects: tuple[ActionEffect, ...] = Field(
        description="For each action in the period, its kind of complaints before and after."
    )

    def table(self) -> Table:
        """The KPIs as a long table, one row per figure and category (`figures_table`).

        The ``effects`` are records of their own: ``Table.of("effects", kpis.effects)``.

        Examples:
            >>> from datetime import date
            >>> kpis = complaint_management_kpis(
            ...     [], [], start=date(2025, 1, 1), end=date(2025, 3, 31)
            ... )
            >>> kpis.table().column("figure")[:4]
            ['complaints', 'by_category', 'first_response_met', 'resolution_met']
        """
        return figures_table("complaint_kpis", self)


def complaint_management_kpis(
    complaints: Iterable[Complaint],
    actions: Iterable[ComplaintAction],
    *,
    start: date | datetime | str,
    end: date | datetime | str,
    horizon: Period | str = "P90D",
    sla: SlaPolicy | None = None,
) -> ComplaintManagementKpis:
    """Measure complaint management from ``start`` to ``end`` (both days included, in UTC).

    The system by the share of complaints answered and settled within their
    service levels (among those whose clock stopped by ``end``); training
    and prevention by the actions recorded in the period, their cost, and
    each action's effect: the complaints of its category (all, without one)
    received in the ``horizon`` before it against the same length after it.

    Raises:
        UsageError: ``end`` before ``start``.
        CurrencyMismatch: Action costs in more than one currency.

    Examples:
        >>> from crmcore import Complaint
        >>> def k(n, day):
        ...     return Complaint(id=f"K-{n}", customer_id="C-1", received_at=day,
        ...                      category="delivery", severity="low")
        >>> fix = ComplaintAction(id="A-1", measure="prevention", at="2024-04-01",
        ...                       category="delivery")
        >>> kpis = complaint_management_kpis(
        ...     [k(1, "2024-02-10"), k(2, "2024-03-05"), k(3, "2024-05-20")], [fix],
        ...     start="2024-01-01", end="2024-12-31")
        >>> [(e.before, e.after, e.change) for e in kpis.effects]
        [(2, 1, -0.5)]
    """
    first, last = day_of(start), day_of(end)
    if last < first:
        raise UsageError("end must not be before start.")
    opening = datetime.combine(first, time(), tzinfo=timezone.utc)
    closing = datetime.combine(last, time.max, tzinfo=timezone.utc)
    span = horizon if isinstance(horizon, Period) else Period.parse(horizon)
    policy = sla or _DEFAULT_POLICY
    received = sorted(complaints, key=lambda c: (c.received_at, c.id))
    inside = [c for c in received if opening <= c.received_at <= closing]
    by_category = Counter(c.category.value for c in inside)
    stopped = {"first_response": [0, 0], "resolution": [0, 0]}
    for complaint in inside:
        report = sla_status(complaint, as_of=closing, policy=policy)
        for name in stopped:
            clock: SlaClock = getattr(report, name)
            if clock.stopped_at is not None:
                stopped[name][0] += 1
                stopped[name][1] += clock.status is SlaStatus.MET
    done = sorted((a for a in actions if opening <= a.at <= closing), key=lambda a: (a.at, a.id))
    cost, currency, costed = Decimal(0), None, False
    effects = []
    for action in done:
        if action.cost is not None:
            if currency is None:
                currency = action.cost.currency
            elif action.cost.currency != currency:
                raise CurrencyMismatch("add", currency, action.cost.currency)
            cost, costed = cost + action.cost.amount, True
        kind = [c for c in received if action.category in (None, c.category)]
        since, until = span.before(action.at), span.after(action.at)
        before = sum(1 for c in kind if since <= c.received_at < action.at)
        after = sum(1 for c in kind if action.at <= c.received_at < until)
        effects.append(
            ActionEffect(
                action_id=action.id,
                measure=action.measure,
                category=action.category,
                at=action.at,
                before=before,
                after=after,
                change=after / before - 1 if before else None,
                complete=until <= closing,
            )
        )
    return ComplaintManagementKpis(
        start=first,
        end=last,
        complaints=len(inside),
        by_category=dict(sorted(by_category.items())),
        first_response_met=_share(stopped["first_response"]),
        resolution_met=_share(stopped["resolution"]),
        trainings=sum(1 for a in done if a.measure is ManagementMeasure.TRAINING),
        staff_trained=sum(a.staff or 0 for a in done),
        preventions=sum(1 for a in done if a.measure is ManagementMeasure.PREVENTION),
        cost=cost if costed else None,
        currency=currency,
        effects=tuple(effects),
    )


def _share(counts: list[int]) -> float | None:
    stopped, met = counts
    return met / stopped if stopped else None
