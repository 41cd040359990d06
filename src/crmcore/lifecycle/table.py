"""The lifecycle's vocabulary and its one checked transition table: stages, events, rules, moves."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from pydantic import (
    GetCoreSchemaHandler,
)
from pydantic_core import core_schema

from crmcore._machine import StateTable
from crmcore._model import Vocabulary, tuple_record_schema
from crmcore._types import Id, Text, Timestamp
from crmcore.entities.enums import ChurnReason


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
        return self in BUYING


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

TABLE: StateTable[LifecycleStage, LifecycleEvent] = StateTable.define(
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
BUYING = frozenset(source for (event, source) in TABLE.moves if event is Event.CHURN)

#: Every legal move, ``(event, from stage) -> to stage``, read-only.
MOVES: Mapping[tuple[LifecycleEvent, LifecycleStage], LifecycleStage] = MappingProxyType(
    dict(TABLE.moves)
)


def to_mermaid() -> str:
    """Draw the lifecycle's transition table as a Mermaid state diagram.

    Examples:
        >>> print(to_mermaid().splitlines()[1])
            [*] --> potential
    """
    return TABLE.to_mermaid()


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
