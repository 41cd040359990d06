"""Deriving a customer's state from records: `replay`, `observe` and `advance`.

The one module of the lifecycle that reads scoring: by default a repeat buyer
becomes loyal only when the loyalty index of the customer's own records
agrees; the engine takes that index as a function of the moment (``loyalty=``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from crmcore._model import trusted
from crmcore._types import to_moment
from crmcore.entities import Transaction
from crmcore.entities.enums import Direction
from crmcore.errors import UsageError
from crmcore.history import CustomerActivity, CustomerHistory
from crmcore.lifecycle._replay import (
    PURCHASE,
    Record,
    Replay,
    Replayed,
    check_p_alive,
    moment_of,
    no_loyalty,
    replay_order,
)
from crmcore.lifecycle.events import RecordedEvent
from crmcore.lifecycle.policy import DEFAULT_POLICY, LifecyclePolicy
from crmcore.lifecycle.state import LifecycleState
from crmcore.scoring.indices import default_loyalty_source


def _loyalty_of(history: CustomerHistory) -> Callable[[datetime], float | None]:
    """The loyalty index (default configuration) of the history's records up to a moment."""
    source: Callable[[datetime], float | None] | None = None

    def index(at: datetime) -> float | None:
        nonlocal source
        if source is None:  # gathered on the first question: most replays never ask
            source = default_loyalty_source(history)
        return source(at)

    return index


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
        check_p_alive(p_alive)
    customer = history.customer
    cid, acquired = customer.id, customer.acquired_at
    # a customer is potential since acquisition, whatever the moment asked for
    # (the acquisition is not an event a later observation could add)
    run = Replay(cid, policy or DEFAULT_POLICY, acquired)
    if run.policy.loyal_min_loyalty is not None:
        if loyalty is None:
            loyalty = (
                no_loyalty(cid) if isinstance(history, CustomerActivity) else _loyalty_of(history)
            )
        run.loyalty = loyalty
    recorded = sorted(events, key=replay_order) if events else ()
    for event in recorded:
        if event.customer_id != cid:
            raise UsageError(
                f"Cannot replay customer {cid!r} with an event of customer {event.customer_id!r}."
            )
    if recorded:
        records: list[Replayed] = [*history.transactions, *history.touchpoints, *recorded]
        records.sort(key=replay_order)
        for record in records:
            if moment_of(record) > moment:
                break
            run.feed(record)
    else:
        # Without recorded events a customer is potential until the first
        # purchase, so the first outbound contact before it is the only one
        # that can move the stage.
        if run.policy.qualify_on_contact and history.touchpoints:
            first = next((t.occurred_at for t in history.transactions if t.kind is PURCHASE), None)
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
    return trusted(LifecycleState, run.values())


def observe(
    state: LifecycleState,
    record: Record,
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
    if isinstance(record, Transaction) and record.kind is not PURCHASE:
        return state
    if isinstance(record, RecordedEvent):
        name = record.event.value
    else:
        name = "purchase" if isinstance(record, Transaction) else "contact"
    run = Replay.resume(state, policy or DEFAULT_POLICY)
    if loyalty_index is not None:
        run.loyalty = lambda _: loyalty_index
    run.check_order(name, moment_of(record))
    run.feed(record)
    return trusted(LifecycleState, run.values())


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
    check_p_alive(p_alive)
    run = Replay.resume(state, policy or DEFAULT_POLICY)
    run.check_order("the time rules", moment)
    run.elapse(moment)
    if p_alive is not None:
        run.judge_p_alive(p_alive, moment)
    return trusted(LifecycleState, run.values())
