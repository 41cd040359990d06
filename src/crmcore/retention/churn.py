"""Churn and win-back: who is at risk, why customers left, and what to do about those who did.

* [`at_risk`][crmcore.retention.churn.at_risk] ranks the customers still buying
  by value at risk: value × churn risk, the risk taken from P(alive) or the
  purchase hiatus, whichever is higher;
* [`churn_reasons`][crmcore.retention.churn.churn_reasons] counts why customers
  left, by reason and by side (the firm's or the customer's);
* [`win_back_plan`][crmcore.retention.churn.win_back_plan] plans, for each
  churned customer, the action by tier and profitability: visit the valuable
  ones in person and promptly, call or write to the others, let go of those
  not worth keeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from crmcore._model import Value, Vocabulary
from crmcore._types import to_moment
from crmcore.entities.enums import ChurnReason, ChurnSide, CompetitorAttitude
from crmcore.errors import UsageError
from crmcore.history import CustomerHistory
from crmcore.lifecycle import (
    LifecyclePolicy,
    LifecycleStage,
    LifecycleState,
    RecordedEvent,
    hiatus_threshold,
    replay,
)
from crmcore.retention._inputs import (
    Records,
    events_by_customer,
    histories_of,
    tiers_of,
    values_of,
)

__all__ = [
    "VISIT_STEPS",
    "AtRisk",
    "RiskSignal",
    "WinBack",
    "WinBackPolicy",
    "at_risk",
    "churn_reasons",
    "win_back_plan",
]

_DAY = timedelta(days=1)

#: The five steps of visiting a departed customer, the checklist of every visit.
VISIT_STEPS = (
    "remember who the customer is: name, address, history with us",
    "contact the customer as soon as possible",
    "record the customer's view of why they left",
    "agree a remedy the customer accepts",
    "fix the cause, so that others do not leave for it",
)


class RiskSignal(Vocabulary):
    """Which signal gave a customer's churn risk."""

    PROBABILITY_ALIVE = "probability_alive"
    """1 − P(alive) of a fitted purchase model."""
    HIATUS = "hiatus"
    """The time since the last purchase over the lifecycle's hiatus threshold."""


class AtRisk(Value):
    """A customer still buying, the churn risk, and the value that rides on it."""

    customer_id: str
    stage: LifecycleStage
    value: Decimal = Field(
        description="The value that rides on the customer (the historical or a given value)."
    )
    risk: float = Field(description="The churn risk, 0 to 1.")
    value_at_risk: Decimal = Field(
        description="value × risk, to the cent or to the value's finer places "
        "(JSON: a decimal string)."
    )
    ranked_by: RiskSignal = Field(description="The signal the risk comes from.")
    signals: tuple[str, ...] = Field(
        description="What makes the customer look at risk, the ranking signal first."
    )


def at_risk(
    histories: Mapping[str, Records] | Iterable[Records],
    *,
    as_of: datetime | str,
    values: Mapping[str, float] | None = None,
    p_alive: Mapping[str, float] | None = None,
    policy: LifecyclePolicy | None = None,
    limit: int | None = None,
    states: Mapping[str, LifecycleState] | None = None,
) -> list[AtRisk]:
    """Rank the customers still buying (first-time, repeat, loyal) by value at risk.

    Two signals measure the risk: the hiatus — the time since the last
    purchase over the lifecycle's hiatus threshold, at most 1 — and, when
    ``p_alive`` gives one for the customer (from a fitted `BetaGeo` or `ParetoNBD`),
    1 − P(alive). The risk is the higher of the two, and ``ranked_by`` says
    which: a model alone would never rank a one-time buyer (BG/NBD holds
    them alive until a repeat purchase), however long the silence. Stages
    come from the lifecycle replay with that P(alive), so a customer the
    model churns is not listed. The value is ``values`` (a predicted
    lifetime value, say) or else the historical value. Highest value at
    risk first, ties by customer id. A customer whose state as of ``as_of``
    is in ``states`` (replayed already, with the same policy) is not
    replayed again. A customer may come as its `CustomerActivity` (the
    moments of its transactions, without amounts): then ``values`` must give
    its value, and ``states`` its state unless the policy promotes by the
    occasions alone (no ``loyal_min_loyalty``).

    Raises:
        UsageError: A state in ``states`` is not as of ``as_of``, or an activity
            lacks its value or its state.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> def history(cid, *days):
        ...     return CustomerHistory(customer=Customer(id=cid), transactions=[
        ...         Transaction(id=f"T-{n}", customer_id=cid, occurred_at=day,
        ...                     amount=Money("100", "CNY")) for n, day in enumerate(days)])
        >>> ranked = at_risk([history("A", "2024-01-01", "2024-02-01"),
        ...                   history("B", "2024-04-01", "2024-05-01")], as_of="2024-06-01")
        >>> [(r.customer_id, round(r.risk, 2), r.signals[0]) for r in ranked]
        [('A', 0.67, 'no purchase for 121 days of 180'), ('B', 0.17, 'no purchase for 31 days of 180')]
        >>> ranked = at_risk([history("C", "2024-01-01")], as_of="2024-06-01", p_alive={"C": 1.0})
        >>> ranked[0].ranked_by, round(ranked[0].risk, 2)
        (<RiskSignal.HIATUS: 'hiatus'>, 0.84)
    """  # noqa: E501
    moment = to_moment(as_of)
    rules = policy or LifecyclePolicy()
    records = histories_of(histories)
    worth = values_of(records, moment, values)
    ranked = []
    for history in records:
        alive = None if p_alive is None else p_alive.get(history.customer_id)
        state = known_state(states, history.customer_id, moment, "rank")
        if state is None:
            state = replay(history, as_of=moment, policy=rules, p_alive=alive)
        if not state.stage.is_buying or state.last_purchase_at is None:
            continue
        hiatus = moment - state.last_purchase_at
        threshold = hiatus_threshold(state.occasions, rules)
        signals = [f"no purchase for {hiatus // _DAY} days of {threshold // _DAY}"]
        risk, ranked_by = min(hiatus / threshold, 1.0), RiskSignal.HIATUS
        if alive is not None:
            model_signal = f"probability alive {alive:.2f}"
            if 1.0 - alive >= risk:
                risk, ranked_by = 1.0 - alive, RiskSignal.PROBABILITY_ALIVE
                signals.insert(0, model_signal)
            else:
                signals.append(model_signal)
        open_complaints = sum(
            1 for k in history.complaints if k.received_at <= moment and k.is_open
        )
        if open_complaints:
            signals.append(f"{open_complaints} open complaint(s)")
        attitude = _latest_attitude(history, moment)
        if attitude in (CompetitorAttitude.INTERESTED, CompetitorAttitude.SWITCHING):
            signals.append(f"attitude to competing brands: {attitude.value}")
        value = Decimal(repr(worth[history.customer_id]))
        exponent = value.as_tuple().exponent
        places = min(exponent, -2) if isinstance(exponent, int) else -2  # cents at least
        ranked.append(
            AtRisk(
                customer_id=history.customer_id,
                stage=state.stage,
                value=value,
                risk=risk,
                value_at_risk=(value * Decimal(repr(risk))).quantize(Decimal(1).scaleb(places)),
                ranked_by=ranked_by,
                signals=tuple(signals),
            )
        )
    ranked.sort(key=lambda r: (-r.value_at_risk, r.customer_id))
    return ranked if limit is None else ranked[:limit]


def _latest_attitude(history: Records, moment: datetime) -> CompetitorAttitude | None:
    attitude = None
    for contact in history.touchpoints:
        if contact.occurred_at > moment:
            break
        if contact.feedback is not None and contact.feedback.competitor_attitude is not None:
            attitude = contact.feedback.competitor_attitude
    return attitude


def churn_reasons(
    histories: Mapping[str, CustomerHistory] | Iterable[CustomerHistory],
    *,
    as_of: datetime | str,
    events: Iterable[RecordedEvent] = (),
) -> dict[str, Counter[str]]:
    """Why customers left: the reason of each customer's latest churn, by reason and by side.

    Churns found by a hiatus or a low probability alive count as ``unknown``
    until a departure interview records the reason (a churn event with a
    reason, see `RecordedEvent`).

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> from crmcore.lifecycle import RecordedEvent
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2023-01-01",
        ...                    amount=Money("10", "CNY"))
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
        >>> found = RecordedEvent(customer_id="C-1", event="churn", at="2023-09-01",
        ...                       reason="careless_service")
        >>> counts = churn_reasons([history], as_of="2024-01-01", events=[found])
        >>> dict(counts["reason"]), dict(counts["side"])
        ({'careless_service': 1}, {'firm': 1})
    """
    moment = to_moment(as_of)
    by_customer = events_by_customer(events)
    reasons: Counter[str] = Counter()
    sides: Counter[str] = Counter()
    for history in histories_of(histories):
        state = replay(history, as_of=moment, events=by_customer.get(history.customer_id, ()))
        if state.stage is not LifecycleStage.CHURNED:
            continue
        reason = state.transitions[-1].reason or ChurnReason.UNKNOWN
        reasons[reason.value] += 1
        sides[reason.side.value] += 1
    return {"reason": reasons, "side": sides}


class WinBackPolicy(BaseModel):
    """The action for each pyramid tier (1 is the top); whether to let unprofitable ones go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actions: dict[int, str] = Field(
        default_factory=lambda: {
            1: "personal visit by a manager, promptly",
            2: "personal visit by a manager, promptly",
            3: "call and a tailored offer",
            4: "low-cost automated offer",
        },
        description="The action by tier number.",
    )
    let_go_unprofitable: bool = Field(
        default=True, description="Customers whose historical value is negative are let go."
    )


class WinBack(Value):
    """The plan for one churned customer."""

    customer_id: str
    tier: int | None
    value: float
    reason: ChurnReason
    action: str
    priority: int = Field(description="1 first; the order to work the plan in.")
    steps: tuple[str, ...]


def known_state(
    states: Mapping[str, LifecycleState] | None, cid: str, moment: datetime, doing: str
) -> LifecycleState | None:
    """The state given for a customer, if any, checked to be no later than ``moment``.

    Raises:
        UsageError: The state was updated after ``moment``.

    Examples:
        >>> from datetime import datetime, timezone
        >>> state = LifecycleState.new("C-1").apply("purchase", at="2024-01-05")
        >>> moment = datetime(2024, 2, 1, tzinfo=timezone.utc)
        >>> known_state({"C-1": state}, "C-1", moment, "rank").stage.value
        'first_time'
        >>> known_state({"C-1": state}, "C-2", moment, "rank") is None
        True
    """
    state = None if states is None else states.get(cid)
    if state is not None and state.updated_at is not None and state.updated_at > moment:
        raise UsageError(
            f"Cannot {doing} customer {cid!r} as of {moment.isoformat()} "
            f"with a state updated at {state.updated_at.isoformat()}."
        )
    return state


def win_back_plan(
    histories: Mapping[str, Records] | Iterable[Records],
    *,
    as_of: datetime | str,
    tiers: Mapping[str, int] | None = None,
    events: Iterable[RecordedEvent] = (),
    policy: WinBackPolicy | None = None,
    values: Mapping[str, float] | None = None,
    lifecycle: LifecyclePolicy | None = None,
    states: Mapping[str, LifecycleState] | None = None,
) -> list[WinBack]:
    """Plan the win-back of churned customers by tier and profitability.

    Tiers are ``tiers`` (customer → tier number) or the customer pyramid over
    the values of all the customers given: ``values``, or else their
    historical values. Stages follow ``lifecycle`` (default `LifecyclePolicy()`).
    A churned customer who went bankrupt, or whose value is negative
    (``let_go_unprofitable``), is let go; the
    others get their tier's action, the five visit steps, and — when the
    reason is on the firm's side — a step to treat it. Highest tier and value
    first. A customer whose state as of ``as_of`` is in ``states`` (replayed
    already, with the same policy and events) is not replayed again.

    Raises:
        UsageError: A state in ``states`` was updated after ``as_of``.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2023-01-01",
        ...                    amount=Money("500", "CNY"))
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
        >>> (plan,) = win_back_plan([history], as_of="2024-01-01", tiers={"C-1": 1})
        >>> plan.action, len(plan.steps)
        ('personal visit by a manager, promptly', 5)
    """
    moment = to_moment(as_of)
    rules = policy or WinBackPolicy()
    records = histories_of(histories)
    worth = values_of(records, moment, values)
    levels = tiers_of(tiers, worth)
    by_customer = events_by_customer(events)
    plans = []
    for history in records:
        cid = history.customer_id
        state = known_state(states, cid, moment, "plan the win-back of")
        if state is None:
            state = replay(history, as_of=moment, events=by_customer.get(cid, ()), policy=lifecycle)
        if state.stage is not LifecycleStage.CHURNED:
            continue
        reason = state.transitions[-1].reason or ChurnReason.UNKNOWN
        tier = levels.get(cid)
        value = worth[cid]
        bottom = rules.actions[max(rules.actions)]
        steps: tuple[str, ...]
        if reason is ChurnReason.BANKRUPTCY:
            action, steps = "let go: the customer went bankrupt", ()
        elif rules.let_go_unprofitable and value < 0:
            action, steps = "let go: the customer cost more than he brought", ()
        else:
            action = bottom if tier is None else rules.actions.get(tier, bottom)
            steps = VISIT_STEPS
            if reason.side is ChurnSide.FIRM:
                steps = (*steps, f"treat the cause on our side: {reason.value.replace('_', ' ')}")
        plans.append((tier, value, cid, reason, action, steps))
    plans.sort(key=lambda p: (p[0] if p[0] is not None else 99, -p[1], p[2]))
    return [
        WinBack(
            customer_id=cid,
            tier=tier,
            value=value,
            reason=reason,
            action=action,
            priority=n,
            steps=steps,
        )
        for n, (tier, value, cid, reason, action, steps) in enumerate(plans, start=1)
    ]
