"""A customer's lifecycle state: the stage, since when, and the log of every move."""

from __future__ import annotations

from datetime import datetime

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crmcore._model import trusted
from crmcore._types import Id, Timestamp, to_moment
from crmcore.entities.enums import ChurnReason
from crmcore.errors import UsageError
from crmcore.lifecycle._replay import Replay
from crmcore.lifecycle.policy import DEFAULT_POLICY
from crmcore.lifecycle.table import (
    TABLE,
    Event,
    LifecycleEvent,
    LifecycleStage,
    Rule,
    Transition,
)


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
        stage, previous = TABLE.initial, None
        for index, move in enumerate(self.transitions):
            legal = TABLE.moves.get((move.event, move.from_stage)) is move.to_stage
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
            UsageError: An unknown event (the message lists the events), or a
                reason given for an event other than churn.

        Examples:
            >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-01-05")
            >>> churned = state.apply("churn", at="2024-09-01", reason="relocation")
            >>> print(churned.stage, churned.transitions[-1].reason)
            churned relocation
        """
        kind = TABLE.event(event)
        moment = to_moment(at, "at")
        why = None if reason is None else ChurnReason(reason)
        if why is not None and kind is not Event.CHURN:
            raise UsageError(f"Cannot apply {kind} with a churn reason: only churn takes one.")
        run = Replay.resume(self, DEFAULT_POLICY)
        run.check_order(str(kind), moment)
        if kind is Event.PURCHASE and moment.date() == run.day:
            run.last_purchase_at = run.updated_at = moment
        elif kind is Event.PURCHASE:
            run.occasion(moment, moment.date(), cause_id)
        else:
            run.move(kind, moment, Rule.RECORDED, cause_id, note or f"{kind} recorded", why)
        return trusted(LifecycleState, run.values())
