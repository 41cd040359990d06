"""The state-machine kernel refuses a badly made table when it is defined."""

from __future__ import annotations

from enum import Enum

import pytest

from crmcore._machine import StateTable
from crmcore.errors import ConfigurationError, InvalidTransition


class Light(Enum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


class Press(Enum):
    SWITCH = "switch"
    SMASH = "smash"


def table(
    moves: list[tuple[Press, list[Light], Light]], **overrides: object
) -> StateTable[Light, Press]:
    fields: dict[str, object] = {
        "entity": "lamp",
        "attribute": "light",
        "states": Light,
        "events": Press,
        "initial": Light.OFF,
        "moves": moves,
        "verbs": {Press.SWITCH: "switch", Press.SMASH: "smash"},
        "explanations": {Light.OFF: "dark", Light.ON: "lit", Light.BROKEN: "in pieces"},
    }
    return StateTable.define(**(fields | overrides))  # type: ignore[arg-type]


GOOD = [
    (Press.SWITCH, [Light.OFF], Light.ON),
    (Press.SWITCH, [Light.ON], Light.OFF),
    (Press.SMASH, [Light.OFF, Light.ON], Light.BROKEN),
]


def test_a_good_table_moves_and_refuses_by_its_moves() -> None:
    lamp = table(GOOD)
    assert lamp.target(Light.OFF, Press.SWITCH, "L-1") is Light.ON
    with pytest.raises(
        InvalidTransition, match=r"^Cannot switch lamp 'L-1': light is 'broken' \(in pieces\)\.$"
    ):
        lamp.target(Light.BROKEN, Press.SWITCH, "L-1")


def test_a_move_listed_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="switch from off twice"):
        table([*GOOD, (Press.SWITCH, [Light.OFF], Light.BROKEN)])


def test_an_unreachable_state_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"unreachable states \['broken'\]"):
        table([*GOOD[:2], (Press.SMASH, [Light.BROKEN], Light.OFF)])


def test_an_event_without_moves_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"unused events \['smash'\]"):
        table(
            GOOD[:2],
            states=[Light.OFF, Light.ON],
            explanations={Light.OFF: "dark", Light.ON: "lit"},
        )


def test_an_initial_state_outside_the_states_is_refused() -> None:
    moves = [(Press.SWITCH, [Light.ON], Light.BROKEN), (Press.SMASH, [Light.ON], Light.BROKEN)]
    with pytest.raises(ConfigurationError, match="bad initial state"):
        table(moves, states=[Light.ON, Light.BROKEN], initial=Light.OFF)


def test_a_state_without_wording_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no wording"):
        table(GOOD, explanations={Light.OFF: "dark", Light.ON: "lit"})
