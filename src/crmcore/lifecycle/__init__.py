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

from crmcore.lifecycle.derive import advance, observe, replay
from crmcore.lifecycle.events import RecordedEvent
from crmcore.lifecycle.policy import LifecyclePolicy, hiatus_threshold
from crmcore.lifecycle.state import LifecycleState
from crmcore.lifecycle.table import (
    MOVES,
    LifecycleEvent,
    LifecycleStage,
    Rule,
    Transition,
    to_mermaid,
)

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
