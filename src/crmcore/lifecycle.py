"""The customer lifecycle: seven stages, one checked transition table, a policy, and replay.

A customer's stage is never stored as a field: it is derived from the
customer's history by [`replay`][crmcore.lifecycle.replay], which applies the
purchases (and the events staff recorded) in time order and the policy's
time-driven rules (promotion, demotion, churn) at the moments they fire.
Applications that receive events one at a time use
[`observe`][crmcore.lifecycle.observe] and [`advance`][crmcore.lifecycle.advance]
(or the bare kernel move [`LifecycleState.apply`][crmcore.lifecycle.LifecycleState.apply])
on an immutable [`LifecycleState`][crmcore.lifecycle.LifecycleState].

The moves (``to_mermaid()`` draws them):

| event | moves |
|---|---|
| qualify | potential → target |
| purchase | potential, target → first_time; first_time → repeat; repeat → repeat; loyal → loyal; churned → repeat (a win-back); non_customer → first_time |
| promote | repeat → loyal |
| demote | loyal → repeat |
| churn | first_time, repeat, loyal → churned |
| disqualify | potential, target, churned → non_customer |
| requalify | non_customer → potential |
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from operator import sub
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from crmcore._cache import ByIdentity
from crmcore._machine import StateTable
from crmcore._model import Value, Vocabulary, trusted, tuple_record_schema
from crmcore._types import Id, Label, PositiveDuration, Text, Timestamp, median_span, to_moment
from crmcore.entities import CareTouchpoint, Transaction
from crmcore.entities.enums import ChurnReason, Direction, TransactionKind
from crmcore.errors import OutOfOrder, UsageError
from crmcore.history import CustomerActivity, CustomerHistory, SaleMoment
from crmcore.period import Period

__all__ = [
    "MOVES",
    "LifecycleEvent",
    "LifecyclePolicy",
    "LifecycleStage",
    "LifecycleState",
    "RecordedEvent",
    "Rule",
    "Transition",
    "advance",
    "hiatus_threshold",
    "observe",
    "replay",
    "to_mermaid",
]


class LifecycleStage(Vocabulary):
    """The seven stages of a customer's life with the firm."""

    POTENTIAL = "potential"
    """Has the need, the motive and the means, and has not bought (潜在客户)."""
    TARGET = "target"
    """A potential customer the firm has chosen to develop (目标客户)."""
    FIRST_TIME = "first_time"
    """Has made exactly one purchase occasion (初次购买客户)."""
    REPEAT = "repeat"
    """Has bought on two or more occasions (重复购买客户)."""
    LOYAL = "loyal"
    """Buys repeatedly, continuously and by preference (忠诚客户)."""
    CHURNED = "churned"
    """Was a customer and no longer buys (流失客户)."""
    NON_CUSTOMER = "non_customer"
    """Unrelated to the offer, or hostile; will not buy (非客户)."""

    @property
    def is_buying(self) -> bool:
        """True for the stages of a customer who is still buying: first-time, repeat, loyal.

        Examples:
            >>> LifecycleStage.LOYAL.is_buying, LifecycleStage.CHURNED.is_buying
            (True, False)
        """
        return self in _BUYING


class LifecycleEvent(Vocabulary):
    """What moves a customer from one stage to another."""

    QUALIFY = "qualify"
    PURCHASE = "purchase"
    PROMOTE = "promote"
    DEMOTE = "demote"
    CHURN = "churn"
    DISQUALIFY = "disqualify"
    REQUALIFY = "requalify"


class Rule(Vocabulary):
    """Why a transition happened: the rule (or the recorded fact) behind it."""

    RECORDED = "recorded"
    """An event staff recorded (or an application applied directly)."""
    CONTACT = "contact"
    """The firm contacted a potential customer (an outbound touchpoint): chosen for development."""
    PURCHASE = "purchase"
    """A purchase occasion."""
    WIN_BACK = "win_back"
    """A purchase by a churned customer: the customer was won back."""
    PURCHASE_AFTER_DISQUALIFICATION = "purchase_after_disqualification"
    """A purchase by a contact that had been disqualified (a purchase is a fact)."""
    LOYALTY_CRITERIA = "loyalty_criteria"
    """The policy's promotion criteria held."""
    LOYALTY_LAPSED = "loyalty_lapsed"
    """Too few recent occasions to stay loyal."""
    HIATUS = "hiatus"
    """No purchase for longer than the policy's hiatus threshold."""
    P_ALIVE = "p_alive"
    """The probability that the customer is still active fell below the policy's threshold."""


Stage, Event = LifecycleStage, LifecycleEvent

_TABLE: StateTable[LifecycleStage, LifecycleEvent] = StateTable.define(
    entity="customer",
    attribute="stage",
    states=LifecycleStage,
    events=LifecycleEvent,
    initial=Stage.POTENTIAL,
    moves=[
        (Event.QUALIFY, [Stage.POTENTIAL], Stage.TARGET),
        (Event.PURCHASE, [Stage.POTENTIAL, Stage.TARGET], Stage.FIRST_TIME),
        (Event.PURCHASE, [Stage.FIRST_TIME, Stage.REPEAT], Stage.REPEAT),
        (Event.PURCHASE, [Stage.LOYAL], Stage.LOYAL),
        (Event.PURCHASE, [Stage.CHURNED], Stage.REPEAT),
        (Event.PURCHASE, [Stage.NON_CUSTOMER], Stage.FIRST_TIME),
        (Event.PROMOTE, [Stage.REPEAT], Stage.LOYAL),
        (Event.DEMOTE, [Stage.LOYAL], Stage.REPEAT),
        (Event.CHURN, [Stage.FIRST_TIME, Stage.REPEAT, Stage.LOYAL], Stage.CHURNED),
        (Event.DISQUALIFY, [Stage.POTENTIAL, Stage.TARGET, Stage.CHURNED], Stage.NON_CUSTOMER),
        (Event.REQUALIFY, [Stage.NON_CUSTOMER], Stage.POTENTIAL),
    ],
    verbs={
        Event.QUALIFY: "qualify",
        Event.PURCHASE: "record a purchase by",
        Event.PROMOTE: "promote",
        Event.DEMOTE: "demote",
        Event.CHURN: "churn",
        Event.DISQUALIFY: "disqualify",
        Event.REQUALIFY: "requalify",
    },
    explanations={
        Stage.POTENTIAL: "no purchase yet",
        Stage.TARGET: "chosen for development, no purchase yet",
        Stage.FIRST_TIME: "one purchase occasion so far",
        Stage.REPEAT: "buying repeatedly",
        Stage.LOYAL: "buying repeatedly by preference",
        Stage.CHURNED: "no longer buying",
        Stage.NON_CUSTOMER: "disqualified",
    },
)

#: The stages of a customer who is still buying: those a churn can leave.
_BUYING = frozenset(source for (event, source) in _TABLE.moves if event is Event.CHURN)

#: Every legal move, ``(event, from stage) -> to stage``, read-only.
MOVES: Mapping[tuple[LifecycleEvent, LifecycleStage], LifecycleStage] = MappingProxyType(
    dict(_TABLE.moves)
)


def to_mermaid() -> str:
    """Draw the lifecycle's transition table as a Mermaid state diagram.

    Examples:
        >>> print(to_mermaid().splitlines()[1])
            [*] --> potential
    """
    return _TABLE.to_mermaid()


class Transition(NamedTuple):
    """One move in a customer's lifecycle: from which stage to which, when, why, and caused by what.

    Transitions are immutable named tuples (cheap to build by the million);
    in JSON each is an object with the fields below.

    Examples:
        >>> from crmcore.lifecycle import LifecycleState
        >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-03-01", cause_id="T-1")
        >>> move = state.transitions[0]
        >>> print(move.from_stage, move.to_stage, move.event, move.rule, move.cause_id)
        potential first_time purchase purchase T-1
    """

    from_stage: LifecycleStage
    """The stage before the move."""
    to_stage: LifecycleStage
    """The stage after the move."""
    event: LifecycleEvent
    """The event that made the move."""
    at: Timestamp
    """When the move happened."""
    rule: Rule
    """Why: the policy rule, or the recorded fact, behind the move."""
    cause_id: Id | None
    """The id of the record that caused the move (``None`` for a time-driven move)."""
    reason: ChurnReason | None
    """Why the customer churned (churn moves only)."""
    detail: Text
    """One sentence explaining the move."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return tuple_record_schema(cls, handler)


class RecordedEvent(Value):
    """A lifecycle event recorded by staff: a qualification, a disqualification, a defection...

    Purchases are not recorded events: they are transactions. A churn event
    for a customer who has already churned records the reason a departure
    interview found: it gives the latest churn that reason, and the stage
    stays ``churned``.

    Examples:
        >>> RecordedEvent(customer_id="C-1", event="churn", at="2024-05-01",
        ...               reason="relocation").reason.side
        <ChurnSide.CUSTOMER: 'customer'>
    """

    customer_id: Id
    event: LifecycleEvent
    at: Timestamp
    id: Id | None = Field(default=None, description="The id of the record, if it has one.")
    reason: ChurnReason | None = Field(
        default=None, description="Why the customer churned; churn events only (default unknown)."
    )
    actor: Label | None = None
    note: Text | None = None

    personal_fields = ("note",)

    @model_validator(mode="after")
    def _fits_the_event(self) -> RecordedEvent:
        if self.event is Event.PURCHASE:
            raise PydanticCustomError(
                "purchase_event", "a purchase is recorded as a transaction, not as an event"
            )
        if self.reason is not None and self.event is not Event.CHURN:
            raise PydanticCustomError("reason_without_churn", "only a churn event takes a reason")
        return self


class LifecyclePolicy(BaseModel):
    """When the time- and data-driven moves happen: promotion, demotion, churn, qualification.

    The defaults: a repeat buyer becomes loyal with at least 4 purchase
    occasions, 3 of them within the last 12 months, and — loyal by preference,
    not only by habit — a loyalty index of at least 60 at that moment (when
    the index has a value); stays loyal while at least 2 occasions fall within
    the last 12 months; churns after a hiatus longer than the larger of 180
    days and 3 times the customer's median gap between occasions, or when a
    supplied probability alive falls below 0.5. A potential customer becomes
    a target when the firm decides so (a recorded ``qualify`` event), or on
    the firm's first outbound contact if ``qualify_on_contact`` is set.

    Examples:
        >>> policy = LifecyclePolicy.model_validate_json('{"loyal_window": "P6M"}')
        >>> policy.loyal_window, policy.loyal_min_occasions
        (Period('P6M'), 4)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="iso8601")

    loyal_min_occasions: int = Field(
        default=4, ge=1, description="Purchase occasions needed, in all, to be promoted to loyal."
    )
    loyal_min_recent: int = Field(
        default=3, ge=1, description="Of those, how many must fall within loyal_window."
    )
    loyal_keep_recent: int = Field(
        default=2,
        ge=1,
        description=(
            "A loyal customer is demoted when fewer occasions than this fall within "
            "loyal_window; below loyal_min_recent it keeps customers from flapping."
        ),
    )
    loyal_window: Period = Field(
        default=Period(years=1),
        description="How long an occasion counts as recent (an ISO 8601 duration such as P12M).",
    )
    churn_min_hiatus: PositiveDuration = Field(
        default=timedelta(days=180),
        description="The shortest hiatus after which a buying customer churns (at most 100 years).",
    )
    churn_gap_multiple: float = Field(
        default=3.0,
        ge=0,
        le=20,
        allow_inf_nan=False,
        description="The hiatus threshold is at least this many median gaps between occasions.",
    )
    churn_p_alive_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="A supplied probability alive below this churns a buying customer.",
    )
    loyal_min_loyalty: float | None = Field(
        default=60.0,
        ge=0,
        le=100,
        description=(
            "Promotion also needs a loyalty index at least this high at that moment (when "
            "the index has a value): loyal by preference, not only by purchases. The "
            "default is the matrix's loyal threshold; None promotes by purchases alone."
        ),
    )
    qualify_on_contact: bool = Field(
        default=False,
        description=(
            "When set, the firm's first outbound contact with a potential customer makes "
            "them a target; otherwise only a recorded qualify event does."
        ),
    )

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> LifecyclePolicy:
        if not self.loyal_keep_recent <= self.loyal_min_recent <= self.loyal_min_occasions:
            raise PydanticCustomError(
                "loyalty_thresholds",
                "loyalty thresholds must satisfy loyal_keep_recent <= loyal_min_recent <= "
                "loyal_min_occasions (got {keep}, {recent}, {occasions})",
                {
                    "keep": self.loyal_keep_recent,
                    "recent": self.loyal_min_recent,
                    "occasions": self.loyal_min_occasions,
                },
            )
        return self


_DEFAULT_POLICY = LifecyclePolicy()


class LifecycleState(BaseModel):
    """Where a customer stands in the lifecycle, with every move that led there.

    States are immutable: applying an event returns a new state. A state read
    from JSON is checked: its moves must chain from ``potential`` through legal
    moves, in time order, to ``stage``.

    Examples:
        >>> state = LifecycleState.new("C-1")
        >>> state = state.apply("purchase", at="2024-03-01").apply("purchase", at="2024-04-01")
        >>> state.stage, state.since.date(), state.occasion_count
        (<LifecycleStage.REPEAT: 'repeat'>, datetime.date(2024, 4, 1), 2)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    customer_id: Id
    stage: LifecycleStage = LifecycleStage.POTENTIAL
    since: Timestamp | None = Field(
        default=None, description="When the current stage was entered, if known."
    )
    transitions: tuple[Transition, ...] = ()
    occasions: tuple[Timestamp, ...] = Field(
        default=(), description="When each purchase occasion (a calendar day with purchases) began."
    )
    last_purchase_at: Timestamp | None = None
    updated_at: Timestamp | None = Field(
        default=None, description="When the latest event applied to the state happened."
    )

    @model_validator(mode="after")
    def _moves_chain(self) -> LifecycleState:
        stage, previous = _TABLE.initial, None
        for index, move in enumerate(self.transitions):
            legal = _TABLE.moves.get((move.event, move.from_stage)) is move.to_stage
            if move.from_stage is not stage or not legal or (previous and move.at < previous):
                raise PydanticCustomError(
                    "broken_transitions",
                    "transitions[{index}] ({event} from {stage}) does not follow from the "
                    "moves before it",
                    {"index": index, "event": str(move.event), "stage": str(move.from_stage)},
                )
            stage, previous = move.to_stage, move.at
        if stage is not self.stage:
            raise PydanticCustomError(
                "stage_mismatch",
                "stage is {stage} but the transitions lead to {last}",
                {"stage": str(self.stage), "last": str(stage)},
            )
        if any(b < a for a, b in zip(self.occasions, self.occasions[1:], strict=False)):
            raise PydanticCustomError("occasion_order", "occasions must be in time order")
        if self.occasions and (
            self.last_purchase_at is None or self.last_purchase_at < self.occasions[-1]
        ):
            raise PydanticCustomError(
                "last_purchase", "last_purchase_at must not be before the last occasion"
            )
        if self.stage.is_buying and not self.occasions:
            raise PydanticCustomError(
                "buying_without_purchase",
                "a {stage} customer must have purchase occasions",
                {"stage": str(self.stage)},
            )
        latest = max(
            (
                at
                for at in (
                    self.since,
                    previous,
                    self.last_purchase_at,
                    self.occasions[-1] if self.occasions else None,
                )
                if at is not None
            ),
            default=None,
        )
        if self.updated_at is not None and latest is not None and self.updated_at < latest:
            raise PydanticCustomError(
                "updated_before_events",
                "updated_at must not be before since, the last transition or the last purchase",
            )
        return self

    @classmethod
    def new(cls, customer_id: str, *, since: datetime | str | None = None) -> LifecycleState:
        """The state of a customer the firm has just met: ``potential``.

        Examples:
            >>> LifecycleState.new("C-7").stage
            <LifecycleStage.POTENTIAL: 'potential'>
        """
        return cls.model_validate({"customer_id": customer_id, "since": since})

    @property
    def occasion_count(self) -> int:
        """How many purchase occasions the customer has had.

        Examples:
            >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-03-01T09:00:00Z")
            >>> state.apply("purchase", at="2024-03-01T18:00:00Z").occasion_count
            1
        """
        return len(self.occasions)

    @property
    def first_purchase_at(self) -> datetime | None:
        """When the first purchase occasion began, or ``None`` before any purchase.

        Examples:
            >>> LifecycleState.new("C-1").first_purchase_at is None
            True
        """
        return self.occasions[0] if self.occasions else None

    def apply(
        self,
        event: LifecycleEvent | str,
        *,
        at: datetime | str,
        cause_id: str | None = None,
        reason: ChurnReason | str | None = None,
        note: str | None = None,
    ) -> LifecycleState:
        """Apply one event through the transition table, without the policy's time rules.

        A purchase also counts as a purchase occasion (a second purchase on the
        same calendar day does not add one). Use [`observe`][crmcore.lifecycle.observe]
        to let the policy promote, demote and churn as well.

        Args:
            event: The event.
            at: When it happened; not before ``updated_at``.
            cause_id: The id of the record behind the event.
            reason: Why the customer churned (churn only; default ``unknown``).
            note: A sentence for the transition log.

        Raises:
            InvalidTransition: The current stage has no move for the event.
            OutOfOrder: ``at`` is earlier than the latest event applied.
            UsageError: A reason was given for an event other than churn.

        Examples:
            >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-01-05")
            >>> churned = state.apply("churn", at="2024-09-01", reason="relocation")
            >>> print(churned.stage, churned.transitions[-1].reason)
            churned relocation
        """
        kind = LifecycleEvent(event)
        moment = to_moment(at)
        why = None if reason is None else ChurnReason(reason)
        if why is not None and kind is not Event.CHURN:
            raise UsageError(f"Cannot apply {kind} with a churn reason: only churn takes one.")
        run = _Run.resume(self, _DEFAULT_POLICY)
        run.check_order(str(kind), moment)
        if kind is Event.PURCHASE and moment.date() == run.day:
            run.last_purchase_at = run.updated_at = moment
        elif kind is Event.PURCHASE:
            run.occasion(moment, moment.date(), cause_id)
        else:
            run.move(kind, moment, Rule.RECORDED, cause_id, note or f"{kind} recorded", why)
        return run.freeze()


class _Wording:
    """The policy-dependent parts of the transition details, formatted once per policy."""

    def __init__(self, policy: LifecyclePolicy) -> None:
        window = str(policy.loyal_window)
        self.promote = (
            f" purchase occasions, at least {policy.loyal_min_recent} of them within {window}"
            f" (promotion needs {policy.loyal_min_occasions} and {policy.loyal_min_recent})"
        )
        self.demote = f"fewer than {policy.loyal_keep_recent} purchase occasions within {window}"
        self.churn = (
            f"(the larger of {_days(policy.churn_min_hiatus)} and "
            f"{policy.churn_gap_multiple:g} median gaps between occasions)"
        )


#: The wording of a policy, by identity (hashing a model costs more than wording it).
_wording: ByIdentity[LifecyclePolicy, _Wording] = ByIdentity(_Wording)


class _Run:
    """The mutable working copy of one customer's state while events are applied.

    Every rule of the lifecycle lives here, once: replay, observe, advance and
    apply all drive a run. Stage changes go through ``move`` only.
    """

    __slots__ = (
        "customer_id",
        "day",
        "last_purchase_at",
        "log",
        "loyalty",
        "occasions",
        "policy",
        "since",
        "stage",
        "threshold",
        "updated_at",
    )

    def __init__(
        self, customer_id: str, policy: LifecyclePolicy, since: datetime | None = None
    ) -> None:
        self.customer_id = customer_id
        self.policy = policy
        self.stage = _TABLE.initial
        self.since = since
        self.log: list[Transition] = []
        self.occasions: list[datetime] = []
        self.day: date | None = None
        self.last_purchase_at: datetime | None = None
        self.updated_at: datetime | None = None
        # the hiatus threshold and the occasion count it was computed for
        self.threshold: tuple[int, timedelta] = (0, policy.churn_min_hiatus)
        # the loyalty index at a moment, when the policy asks for it and it can be had
        self.loyalty: Callable[[datetime], float | None] | None = None

    @classmethod
    def resume(cls, state: LifecycleState, policy: LifecyclePolicy) -> _Run:
        run = cls(state.customer_id, policy, state.since)
        run.stage = state.stage
        run.log = list(state.transitions)
        run.occasions = list(state.occasions)
        run.day = state.occasions[-1].date() if state.occasions else None
        run.last_purchase_at = state.last_purchase_at
        run.updated_at = state.updated_at
        return run

    def freeze(self) -> LifecycleState:
        return trusted(
            LifecycleState,
            {
                "customer_id": self.customer_id,
                "stage": self.stage,
                "since": self.since,
                "transitions": tuple(self.log),
                "occasions": tuple(self.occasions),
                "last_purchase_at": self.last_purchase_at,
                "updated_at": self.updated_at,
            },
        )

    def check_order(self, what: str, at: datetime) -> None:
        if self.updated_at is not None and at < self.updated_at:
            raise OutOfOrder(
                entity="customer",
                entity_id=self.customer_id,
                event=what,
                at=at,
                latest=self.updated_at,
            )

    def move(
        self,
        event: LifecycleEvent,
        at: datetime,
        rule: Rule,
        cause_id: str | None,
        detail: str,
        reason: ChurnReason | None = None,
    ) -> None:
        """Apply one move of the table and log it (a move to the same stage is not logged)."""
        stage = self.stage
        target = _MOVES_GET((event, stage))
        if target is None:
            raise _TABLE.refusal(stage, event, self.customer_id, _TABLE.explanations[stage])
        if target is not stage:
            if event is _CHURN_EVENT and reason is None:
                reason = ChurnReason.UNKNOWN
            self.log.append(
                _new_transition(
                    Transition, (stage, target, event, at, rule, cause_id, reason, detail)
                )
            )
            self.stage = target
            self.since = at
        if self.updated_at is None or at > self.updated_at:
            self.updated_at = at

    def occasion(self, at: datetime, day: date, cause_id: str | None) -> None:
        """Count a purchase that starts a new occasion (on ``day``), and make the purchase move."""
        occasions = self.occasions
        occasions.append(at)
        self.day = day
        self.last_purchase_at = self.updated_at = at
        stage = self.stage
        if stage in _KEPT_BY_PURCHASE:
            return  # a repeat or loyal customer buying again: nothing to log
        count = len(occasions)
        if stage is _CHURNED:
            rule, detail = Rule.WIN_BACK, f"won back: purchase occasion {count} after churning"
        elif stage is _NON_CUSTOMER:
            rule = Rule.PURCHASE_AFTER_DISQUALIFICATION
            detail = f"purchase occasion {count} by a contact that had been disqualified"
        else:
            rule, detail = Rule.PURCHASE, f"purchase occasion {count}"
        self.move(_PURCHASE_EVENT, at, rule, cause_id, detail)

    def purchases(self, transactions: Sequence[Transaction | SaleMoment], until: datetime) -> None:
        """Apply purchases given in time order, up to ``until``, with the rules due among them.

        This loop is the hot path of a replay. A repeat or loyal customer
        buying again with no rule due (the common case) only counts the
        occasion, on local variables; anything else goes the general way:
        the time rules up to the purchase, the purchase move, the promotion.
        """
        if not transactions:
            return
        # Aware datetimes compare several times faster when they share one tzinfo.
        until = until.astimezone(transactions[0].occurred_at.tzinfo)
        policy = self.policy
        min_hiatus = policy.churn_min_hiatus
        window = policy.loyal_window
        shortest = window.shortest
        keep, min_occasions, min_recent = (
            policy.loyal_keep_recent,
            policy.loyal_min_occasions,
            policy.loyal_min_recent,
        )
        occasions = self.occasions
        count_occasion = occasions.append
        stage, day, last = self.stage, self.day, self.last_purchase_at
        for sale in transactions:
            if sale.kind is not _PURCHASE:
                continue
            at = sale.occurred_at
            if at > until:
                break
            today = at.date()
            if today == day:
                last = at
                continue
            if (
                (stage is _LOYAL and at - occasions[-keep] < shortest)
                or (stage is _REPEAT and len(occasions) + 1 < min_occasions)
            ) and at - last <= min_hiatus:  # type: ignore[operator]
                count_occasion(at)
                day, last = today, at
                continue
            self.day, self.last_purchase_at = day, last
            if last is not None and (self.updated_at is None or last > self.updated_at):
                self.updated_at = last
            if stage in _BUYING and (
                at - last > min_hiatus  # type: ignore[operator]
                or (stage is _LOYAL and at - occasions[-keep] >= shortest)
            ):
                self.elapse(at)
            self.occasion(at, today, sale.id)
            if self.stage is _REPEAT and len(occasions) >= min_occasions:
                began = occasions[-min_recent]
                if at - began < shortest or _still_within(window, began, at):
                    self.promote(at, sale.id)
            stage, day, last = self.stage, self.day, self.last_purchase_at
        self.day, self.last_purchase_at = day, last
        if last is not None and (self.updated_at is None or last > self.updated_at):
            self.updated_at = last

    def promote(self, at: datetime, cause_id: str | None) -> None:
        """Promote a repeat buyer whose occasions meet the criteria, if the loyalty index agrees.

        The index is consulted only when the policy sets ``loyal_min_loyalty``
        and a loyalty source is at hand; an index without a value (too little
        data) does not block the promotion.
        """
        policy = self.policy
        detail = f"{len(self.occasions)}{_wording(policy).promote}"
        if policy.loyal_min_loyalty is not None and self.loyalty is not None:
            score = self.loyalty(at)
            if score is not None:
                if score < policy.loyal_min_loyalty:
                    return
                detail += f"; loyalty index {score:.1f}, at least {policy.loyal_min_loyalty:g}"
        self.move(_PROMOTE_EVENT, at, Rule.LOYALTY_CRITERIA, cause_id, detail)

    def hiatus_threshold(self) -> timedelta:
        """The policy's hiatus threshold for the occasions so far (cached per occasion count)."""
        count, threshold = self.threshold
        if count != len(self.occasions):
            threshold = hiatus_threshold(self.occasions, self.policy)
            self.threshold = (len(self.occasions), threshold)
        return threshold

    def loyalty_lapses(self, until: datetime) -> datetime | None:
        """When, by ``until``, fewer than loyal_keep_recent occasions were recent (or None).

        Never before the customer became loyal: a customer promoted by a
        recorded event with too few recent occasions is demoted at once.
        """
        policy = self.policy
        since = self.since
        assert since is not None  # loyal is only reached by a move
        keep = policy.loyal_keep_recent
        if len(self.occasions) < keep:
            return since
        began = self.occasions[-keep]
        window = policy.loyal_window
        if until - began < window.shortest or _still_within(window, began, until):
            return None
        return max(window.after(began), since)

    def elapse(self, until: datetime) -> None:
        """Apply the time-driven moves (demotion, churn) that fire up to ``until``."""
        if self.stage not in _BUYING:
            return
        policy = self.policy
        last = self.last_purchase_at
        assert last is not None  # a buying stage is only reached by purchasing
        if until.tzinfo is not last.tzinfo:
            until = until.astimezone(last.tzinfo)  # faster comparisons
        while self.stage in _BUYING:
            churn_at = demote_at = None
            hiatus = until - last
            if hiatus > policy.churn_min_hiatus:
                threshold = self.hiatus_threshold()
                if hiatus > threshold:
                    churn_at = last + threshold
            if self.stage is _LOYAL:
                demote_at = self.loyalty_lapses(until)
            if demote_at is not None and (churn_at is None or demote_at <= churn_at):
                detail = _wording(policy).demote
                self.move(Event.DEMOTE, demote_at, Rule.LOYALTY_LAPSED, None, detail)
                continue
            if churn_at is not None:
                detail = (
                    f"no purchase for more than {self.hiatus_threshold() / _DAY:g} days after "
                    f"{last.date().isoformat()} {_wording(policy).churn}"
                )
                self.move(_CHURN_EVENT, churn_at, Rule.HIATUS, None, detail)
            return

    def judge_p_alive(self, p_alive: float, at: datetime) -> None:
        threshold = self.policy.churn_p_alive_threshold
        if self.stage in _BUYING and p_alive < threshold:
            detail = f"probability alive {p_alive:.3f} is below {threshold:g}"
            self.move(_CHURN_EVENT, at, Rule.P_ALIVE, None, detail)

    def contact(self, touchpoint: CareTouchpoint) -> None:
        if touchpoint.direction is not Direction.OUTBOUND:
            return
        at = touchpoint.occurred_at
        self.elapse(at)
        if self.stage is Stage.POTENTIAL and self.policy.qualify_on_contact:
            detail = "the firm contacted the customer: chosen for development"
            self.move(Event.QUALIFY, at, Rule.CONTACT, touchpoint.id, detail)

    def record(self, event: RecordedEvent) -> None:
        self.elapse(event.at)
        if event.event is _CHURN_EVENT and self.stage is _CHURNED and self.log:
            self.explain_churn(event)
            return
        detail = event.note or f"{event.event} recorded"
        self.move(event.event, event.at, Rule.RECORDED, event.id, detail, event.reason)

    def explain_churn(self, event: RecordedEvent) -> None:
        """Give the latest churn the reason a departure interview found (the stage stays).

        Raises:
            InvalidTransition: The event carries no reason, or only ``unknown``.
        """
        if event.reason is None or event.reason is ChurnReason.UNKNOWN:
            raise _TABLE.refusal(
                self.stage, _CHURN_EVENT, self.customer_id, "already churned; give the reason found"
            )
        churn = self.log[-1]
        detail = f"{churn.detail}; reason found on {event.at.date().isoformat()}: {event.reason}"
        if event.note:
            detail += f" ({event.note})"
        self.log[-1] = churn._replace(reason=event.reason, detail=detail)
        if self.updated_at is None or event.at > self.updated_at:
            self.updated_at = event.at

    def feed(self, record: _Replayed) -> None:
        if isinstance(record, (Transaction, SaleMoment)):
            self.purchases((record,), record.occurred_at)
        elif isinstance(record, CareTouchpoint):
            self.contact(record)
        else:
            self.record(record)


_PURCHASE = TransactionKind.PURCHASE
# Module-level names for the hot loop (an enum member read through its class is slower).
_PURCHASE_EVENT, _PROMOTE_EVENT, _CHURN_EVENT = Event.PURCHASE, Event.PROMOTE, Event.CHURN
_FIRST_TIME, _REPEAT, _LOYAL = Stage.FIRST_TIME, Stage.REPEAT, Stage.LOYAL
_CHURNED, _NON_CUSTOMER = Stage.CHURNED, Stage.NON_CUSTOMER
_MOVES_GET = _TABLE.moves.get
_DAY = timedelta(days=1)
_new_transition = tuple.__new__  # a Transition without the Python-level __new__ of NamedTuple
#: The stages a purchase leaves unchanged (the table's self-moves).
_KEPT_BY_PURCHASE = frozenset(
    s for (e, s), t in _TABLE.moves.items() if e is _PURCHASE_EVENT and s is t
)


def hiatus_threshold(
    occasions: Sequence[datetime], policy: LifecyclePolicy | None = None
) -> timedelta:
    """How long a customer with these purchase occasions may go without buying before churning.

    The larger of ``churn_min_hiatus`` and ``churn_gap_multiple`` times the
    median gap between consecutive occasions (``churn_min_hiatus`` with fewer
    than two occasions).

    Examples:
        >>> from datetime import datetime, timezone
        >>> days = [datetime(2024, m, 1, tzinfo=timezone.utc) for m in (1, 4, 7, 10)]
        >>> hiatus_threshold(days).days
        273
    """
    rules = policy or _DEFAULT_POLICY
    gaps: list[timedelta] = list(map(sub, occasions[1:], occasions[:-1]))
    if not gaps:
        return rules.churn_min_hiatus
    return max(rules.churn_min_hiatus, median_span(gaps) * rules.churn_gap_multiple)


def _still_within(window: Period, began: datetime, at: datetime) -> bool:
    """Whether an occasion that began at ``began`` still counts as recent at ``at``."""
    elapsed = at - began
    if elapsed < window.shortest:
        return True
    if elapsed >= window.longest:
        return False
    return window.after(began) > at


def _days(span: timedelta) -> str:
    days = span / _DAY
    return "1 day" if days == 1 else f"{days:g} days"


def _loyalty_of(history: CustomerHistory) -> Callable[[datetime], float | None]:
    """The loyalty index (default configuration) of the history's records up to a moment."""
    from crmcore.scoring.indices import default_loyalty_source  # scoring builds on history

    source: Callable[[datetime], float | None] | None = None

    def index(at: datetime) -> float | None:
        nonlocal source
        if source is None:  # gathered on the first question: most replays never ask
            source = default_loyalty_source(history)
        return source(at)

    return index


def _no_loyalty(cid: str) -> Callable[[datetime], float | None]:
    """What an activity (no amounts) answers when a promotion asks for the loyalty index."""

    def index(at: datetime) -> float | None:
        raise UsageError(
            f"Cannot replay the activity of customer {cid!r} past {at.isoformat()}: the policy "
            "asks for the loyalty index there (loyal_min_loyalty), and an activity has no "
            "amounts; give loyalty= to replay it, or states= to rank it or plan its care."
        )

    return index


def _check_p_alive(p_alive: float | None) -> None:
    if p_alive is not None and not 0 <= p_alive <= 1:
        raise UsageError(f"p_alive must be a probability between 0 and 1, not {p_alive!r}.")


_Record = Transaction | CareTouchpoint | RecordedEvent
_Replayed = Transaction | SaleMoment | CareTouchpoint | RecordedEvent
_RANK: dict[type[Any], int] = {
    Transaction: 0,
    SaleMoment: 0,
    CareTouchpoint: 1,
    RecordedEvent: 2,
}


def _when(record: _Replayed) -> datetime:
    return record.at if isinstance(record, RecordedEvent) else record.occurred_at


_EVENT_ORDER = {event: n for n, event in enumerate(LifecycleEvent)}


def _order(record: _Replayed) -> tuple[Any, ...]:
    """The order records are applied in: time, kind of record, id, then event and fields.

    Recorded events whose ids do not tell them apart go in the order of
    `LifecycleEvent`, then by their other fields, so input order never matters.
    """
    key = (_when(record), _RANK[type(record)], record.id or "")
    if isinstance(record, RecordedEvent):
        extra = (record.reason or "", record.actor or "", record.note or "")
        return (*key, _EVENT_ORDER[record.event], *extra)
    return key


def replay(
    history: CustomerHistory | CustomerActivity,
    *,
    as_of: datetime | str,
    policy: LifecyclePolicy | None = None,
    events: Iterable[RecordedEvent] = (),
    p_alive: float | None = None,
    loyalty: Callable[[datetime], float | None] | None = None,
) -> LifecycleState:
    """Derive a customer's lifecycle state from the history, as of a moment.

    Purchases (refunds are not purchases), outbound contacts and recorded
    events are applied in time order (at equal times: transactions, then
    touchpoints, then recorded events, each by id; recorded events with equal
    ids in the order of `LifecycleEvent`), whatever order they are given in;
    records after ``as_of`` are left out. Between them, and finally
    at ``as_of``, the policy's time rules fire at the moments they are due:
    a customer who went quiet for a year in 2022 and bought again in 2023
    shows a churn in 2022 and a win-back in 2023. Before the first move the
    customer is potential since ``acquired_at`` (when recorded).

    Args:
        history: The customer's records, or its activity (`CustomerActivity`:
            the moments of its transactions, without amounts).
        as_of: The moment the state is wanted for.
        policy: When promotion, demotion, churn and qualification happen
            (default `LifecyclePolicy()`).
        events: Events staff recorded for this customer (qualifications,
            disqualifications, defections...).
        p_alive: The probability, as of ``as_of``, that the customer is still
            active (from a fitted model); below the policy's threshold a
            buying customer churns at ``as_of``.
        loyalty: The customer's loyalty index at a moment (``None`` without
            a value), asked when a repeat buyer meets the purchase criteria of
            promotion and the policy sets ``loyal_min_loyalty``. By default,
            the [loyalty index][crmcore.scoring.indices.loyalty] (default
            configuration) of the history's records up to that moment.

    Raises:
        InvalidTransition: A recorded event is not legal in the stage reached.
        UsageError: An event belongs to another customer, ``p_alive`` is not
            a probability, or an activity without ``loyalty`` reaches a promotion
            for which the policy asks for the loyalty index.

    Examples:
        >>> from datetime import datetime, timezone
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> def sale(n, day):
        ...     return Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                        amount=Money("20", "CNY"))
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[
        ...     sale(1, "2022-01-10"), sale(2, "2022-02-10"), sale(3, "2023-03-01")])
        >>> state = replay(history, as_of=datetime(2023, 6, 1, tzinfo=timezone.utc))
        >>> for move in state.transitions:
        ...     print(move.at.date(), move.event, move.to_stage, move.rule)
        2022-01-10 purchase first_time purchase
        2022-02-10 purchase repeat purchase
        2022-08-09 churn churned hiatus
        2023-03-01 purchase repeat win_back
    """
    moment = as_of if isinstance(as_of, datetime) and as_of.utcoffset() is not None else None
    if moment is None:
        moment = to_moment(as_of)
    if p_alive is not None:
        _check_p_alive(p_alive)
    customer = history.customer
    cid, acquired = customer.id, customer.acquired_at
    # a customer is potential since acquisition, whatever the moment asked for
    # (the acquisition is not an event a later observation could add)
    run = _Run(cid, policy or _DEFAULT_POLICY, acquired)
    if run.policy.loyal_min_loyalty is not None:
        if loyalty is None:
            loyalty = (
                _no_loyalty(cid) if isinstance(history, CustomerActivity) else _loyalty_of(history)
            )
        run.loyalty = loyalty
    recorded = sorted(events, key=_order) if events else ()
    for event in recorded:
        if event.customer_id != cid:
            raise UsageError(
                f"Cannot replay customer {cid!r} with an event of customer {event.customer_id!r}."
            )
    if recorded:
        records: list[_Replayed] = [*history.transactions, *history.touchpoints, *recorded]
        records.sort(key=_order)
        for record in records:
            if _when(record) > moment:
                break
            run.feed(record)
    else:
        # Without recorded events a customer is potential until the first
        # purchase, so the first outbound contact before it is the only one
        # that can move the stage.
        if run.policy.qualify_on_contact and history.touchpoints:
            first = next((t.occurred_at for t in history.transactions if t.kind is _PURCHASE), None)
            for touchpoint in history.touchpoints:
                at = touchpoint.occurred_at
                if at > moment or (first is not None and at >= first):
                    break
                if touchpoint.direction is Direction.OUTBOUND:
                    run.contact(touchpoint)
                    break
        run.purchases(history.transactions, moment)
    run.elapse(moment)
    if p_alive is not None:
        run.judge_p_alive(p_alive, moment)
    return run.freeze()


def observe(
    state: LifecycleState,
    record: _Record,
    *,
    policy: LifecyclePolicy | None = None,
    loyalty_index: float | None = None,
) -> LifecycleState:
    """Apply one record to a state: the time rules due before it, then the record itself.

    Transactions (purchases; refunds change nothing), touchpoints (an outbound
    contact qualifies a potential customer when the policy's
    ``qualify_on_contact`` is set) and recorded events are accepted.
    Feeding a customer's records one by one in time order, then calling
    [`advance`][crmcore.lifecycle.advance], gives the same state as
    [`replay`][crmcore.lifecycle.replay] — given, when the policy sets
    ``loyal_min_loyalty`` (it does by default), the customer's loyalty index
    as of each record as ``loyalty_index``, which ``replay`` computes from
    the history. Without it, promotion goes by the occasions alone.

    Raises:
        OutOfOrder: The record is dated before the latest event applied.
        InvalidTransition: A recorded event is not legal in the current stage.
        UsageError: The record belongs to another customer.

    Examples:
        >>> from crmcore import Money, Transaction
        >>> state = LifecycleState.new("C-1")
        >>> for n, day in enumerate(["2024-01-02", "2024-02-02", "2024-03-02", "2024-04-02"]):
        ...     sale = Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                        amount=Money("9", "CNY"))
        ...     state = observe(state, sale)
        >>> print(state.stage, state.transitions[-1].rule)
        loyal loyalty_criteria
    """
    if record.customer_id != state.customer_id:
        raise UsageError(
            f"Cannot apply a record of customer {record.customer_id!r} to customer "
            f"{state.customer_id!r}."
        )
    if isinstance(record, Transaction) and record.kind is not _PURCHASE:
        return state
    if isinstance(record, RecordedEvent):
        name = record.event.value
    else:
        name = "purchase" if isinstance(record, Transaction) else "contact"
    run = _Run.resume(state, policy or _DEFAULT_POLICY)
    if loyalty_index is not None:
        run.loyalty = lambda _: loyalty_index
    run.check_order(name, _when(record))
    run.feed(record)
    return run.freeze()


def advance(
    state: LifecycleState,
    *,
    as_of: datetime | str,
    policy: LifecyclePolicy | None = None,
    p_alive: float | None = None,
) -> LifecycleState:
    """Apply the time rules that are due by ``as_of`` (demotion, churn; P(alive) if given).

    Raises:
        OutOfOrder: ``as_of`` is earlier than the latest event applied.
        UsageError: ``p_alive`` is not a probability.

    Examples:
        >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-01-05")
        >>> later = advance(state, as_of="2025-01-01")
        >>> print(later.stage, later.since.date(), later.transitions[-1].rule)
        churned 2024-07-03 hiatus
    """
    moment = to_moment(as_of)
    _check_p_alive(p_alive)
    run = _Run.resume(state, policy or _DEFAULT_POLICY)
    run.check_order("the time rules", moment)
    run.elapse(moment)
    if p_alive is not None:
        run.judge_p_alive(p_alive, moment)
    return run.freeze()
