"""The small state-machine kernel behind the customer lifecycle and the complaint workflow.

A machine is data: a table of moves ``(event, source) -> target`` checked when
it is defined. Applying a move is one dictionary lookup; an illegal move
raises `InvalidTransition` naming the entity, its state and the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

from crmcore.errors import ConfigurationError, InvalidTransition, UsageError

S = TypeVar("S", bound=Enum)
E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class StateTable(Generic[S, E]):
    """A checked transition table.

    Attributes:
        entity: What the machine's states belong to, for messages (``"customer"``).
        attribute: What the state is called, for messages (``"stage"``, ``"status"``).
        states: Every state, in display order.
        initial: The state every entity starts in.
        moves: ``(event, source) -> target`` for every legal move.
        verbs: How each event reads in a message (``"churn"`` in "Cannot churn ...").
        explanations: A short description of each state, for messages.
    """

    entity: str
    attribute: str
    states: tuple[S, ...]
    initial: S
    moves: Mapping[tuple[E, S], S]
    verbs: Mapping[E, str]
    explanations: Mapping[S, str]
    _events: tuple[E, ...] = field(default=(), repr=False)

    @classmethod
    def define(
        cls,
        *,
        entity: str,
        attribute: str,
        states: Iterable[S],
        events: Iterable[E],
        initial: S,
        moves: Iterable[tuple[E, Iterable[S], S]],
        verbs: Mapping[E, str],
        explanations: Mapping[S, str],
    ) -> StateTable[S, E]:
        """Build a table from ``(event, sources, target)`` rows and check it.

        Raises:
            ConfigurationError: A move is listed twice, a state or event is unknown or
                unused, or a state cannot be reached from the initial state.
        """
        all_states, all_events = tuple(states), tuple(events)
        table: dict[tuple[E, S], S] = {}
        for event, sources, target in moves:
            for source in sources:
                if (event, source) in table:
                    raise ConfigurationError(
                        f"{entity} table: {event.value} from {source.value} twice"
                    )
                if source not in all_states or target not in all_states:
                    raise ConfigurationError(f"{entity} table: {event.value} uses an unknown state")
                table[(event, source)] = target
        unused = [e.value for e in all_events if not any(k[0] is e for k in table)]
        if initial not in all_states or unused:
            raise ConfigurationError(f"{entity} table: bad initial state or unused events {unused}")
        reached, frontier = {initial}, [initial]
        while frontier:
            state = frontier.pop()
            for (_, source), target in table.items():
                if source is state and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        unreachable = [s.value for s in all_states if s not in reached]
        if unreachable:
            raise ConfigurationError(f"{entity} table: unreachable states {unreachable}")
        worded = {*explanations, *verbs}
        missing = [x.value for x in (*all_states, *all_events) if x not in worded]
        if missing:
            raise ConfigurationError(f"{entity} table: no wording for {missing}")
        return cls(entity, attribute, all_states, initial, table, verbs, explanations, all_events)

    @property
    def events(self) -> tuple[E, ...]:
        """Every event, in definition order."""
        return self._events

    def event(self, value: E | str) -> E:
        """The event named ``value`` (or ``value`` itself, when an event).

        Raises:
            UsageError: No event has that name; the message lists the events.
        """
        kind = type(self._events[0])
        try:
            return kind(value)
        except ValueError:
            names = ", ".join(str(e.value) for e in self._events)
            raise UsageError(
                f"Unknown {self.entity} event {value!r}: the events are {names}."
            ) from None

    def target(self, state: S, event: E, entity_id: str) -> S:
        """The state ``event`` moves an entity in ``state`` to.

        Raises:
            InvalidTransition: The table has no such move.
        """
        target = self.moves.get((event, state))
        if target is None:
            raise self.refusal(state, event, entity_id, self.explanations[state])
        return target

    def refusal(self, state: S, event: E, entity_id: str, why: str) -> InvalidTransition:
        """The error for refusing ``event`` in ``state``, with ``why`` in parentheses."""
        return InvalidTransition(
            entity=self.entity,
            entity_id=entity_id,
            attribute=self.attribute,
            state=str(state.value),
            event=str(event.value),
            verb=self.verbs[event],
            why=why,
        )

    def to_mermaid(self) -> str:
        """The table as a Mermaid state diagram, one arrow per move."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for event in self._events:
            for state in self.states:
                target = self.moves.get((event, state))
                if target is not None:
                    lines.append(f"    {state.value} --> {target.value} : {event.value}")
        return "\n".join(lines) + "\n"
