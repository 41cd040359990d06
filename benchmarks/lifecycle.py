"""Replay a million purchase events through crmcore's lifecycle and through two peers.

Usage: python benchmarks/lifecycle.py [--customers 100000] [--events 1000000] [--runs 3]

The event stream: ``--events`` purchases spread over ``--customers`` customers
(each event goes to a customer drawn at random, so counts are about Poisson),
each customer buying at their own pace from a start between 2023 and mid-2025
until at most the end of 2025, timestamps in UTC+08:00, the state wanted as of
1 January 2026. The same stream, customer by customer in time order, goes through:

* crmcore ``replay()`` - the whole history per customer, with the default
  policy's time rules (hiatus churn, promotion, demotion) applied as it goes;
* crmcore ``observe()`` - the same, one event at a time on immutable states
  (the incremental use of an application), then ``advance()`` to the end;
* ``transitions`` - one shared ``Machine``; each customer's model is added,
  sent its ``purchase`` triggers, and removed;
* ``python-statemachine`` - one state machine instance per customer, sent
  its ``purchase`` events.

The peers apply the bare purchase moves of the same table; they evaluate no
policy. Prints the median events per second over ``--runs`` and the ratios.
Install the peers with ``python -m pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from crmcore import Customer, CustomerHistory, Money, Transaction
from crmcore.lifecycle import MOVES, LifecycleStage, LifecycleState, advance, observe, replay

# The peers get crmcore's own transition table: the same moves, built from the same data.
STAGES = [stage.value for stage in LifecycleStage]
TABLE = [(event.value, source.value, target.value) for (event, source), target in MOVES.items()]


def stream(customers: int, events: int, seed: int = 2026) -> list[CustomerHistory]:
    """The benchmark's histories: validated entities, as a user's would be."""
    rng = random.Random(seed)
    counts = [0] * customers
    for _ in range(events):
        counts[rng.randrange(customers)] += 1
    zone = timezone(timedelta(hours=8))
    origin = datetime(2023, 1, 1, 9, tzinfo=zone)
    end = datetime(2025, 12, 31, 21, tzinfo=zone)
    price = Money("88.00", "CNY")
    histories = []
    for n, count in enumerate(counts):
        cid = f"C-{n:06d}"
        start = origin + timedelta(days=365 * 2.5 * rng.random())
        pace = 60 * rng.lognormvariate(0, 0.7)  # this customer's mean days between purchases
        times = [start]
        for _ in range(count - 1):
            times.append(times[-1] + timedelta(days=rng.expovariate(1 / pace)))
        if times[-1] > end:  # squeeze a history that runs past the end into the period
            scale = (end - start) / (times[-1] - start)
            times = [start + (t - start) * scale for t in times]
        sales = [
            Transaction(id=f"T-{n:06d}-{k}", customer_id=cid, occurred_at=at, amount=price)
            for k, at in enumerate(times[:count])
        ]
        histories.append(CustomerHistory(customer=Customer(id=cid), transactions=sales))
    return histories


def run_crmcore_replay(histories: list[CustomerHistory], as_of: datetime) -> int:
    loyal = 0
    for history in histories:
        loyal += replay(history, as_of=as_of).stage == "loyal"
    return loyal


def run_crmcore_observe(histories: list[CustomerHistory], as_of: datetime) -> int:
    loyal = 0
    for history in histories:
        state = LifecycleState.new(history.customer_id)
        for sale in history.transactions:
            state = observe(state, sale)
        loyal += advance(state, as_of=as_of).stage == "loyal"
    return loyal


def run_transitions(histories: list[CustomerHistory], as_of: datetime) -> int:
    from transitions import Machine

    machine = Machine(
        model=None,
        states=STAGES,
        transitions=[
            {"trigger": event, "source": source, "dest": target} for event, source, target in TABLE
        ],
        initial="potential",
        auto_transitions=False,
    )

    class Model:
        state: str

    repeat = 0
    for history in histories:
        model = Model()
        machine.add_model(model)
        for sale in history.transactions:
            if sale.kind == "purchase":
                model.purchase()  # type: ignore[attr-defined]
        repeat += model.state == "repeat"
        machine.remove_model(model)
    return repeat


def run_python_statemachine(histories: list[CustomerHistory], as_of: datetime) -> int:
    from statemachine import State, StateMachine

    # python-statemachine builds a machine class from class attributes.
    states = {name: State(initial=name == "potential") for name in STAGES}
    events: dict[str, Any] = {}
    for event, source, target in TABLE:
        move = states[source].to(states[target])
        events[event] = move if event not in events else events[event] | move
    lifecycle = type("Lifecycle", (StateMachine,), {**states, **events})

    repeat = 0
    for history in histories:
        machine = lifecycle()
        for sale in history.transactions:
            if sale.kind == "purchase":
                machine.send("purchase")
        repeat += machine.current_state_value == "repeat"
    return repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--without-python-statemachine",
        action="store_true",
        help="leave out the slowest peer (minutes on a million events)",
    )
    args = parser.parse_args()

    start = time.perf_counter()
    histories = stream(args.customers, args.events)
    as_of = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))
    print(
        f"stream: {args.events:,} purchases of {args.customers:,} customers, built and "
        f"validated in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    contenders: list[tuple[str, Callable[[list[CustomerHistory], datetime], int]]] = [
        ("crmcore replay", run_crmcore_replay),
        ("crmcore observe", run_crmcore_observe),
        ("transitions", run_transitions),
        ("python-statemachine", run_python_statemachine),
    ]
    if args.without_python_statemachine:
        contenders.pop()
    rates: dict[str, float] = {}
    for name, contender in contenders:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            contender(histories, as_of)
            times.append(time.perf_counter() - start)
        rates[name] = args.events / statistics.median(times)
        print(f"{name:<22} {rates[name]:>12,.0f} events/s", file=sys.stderr)

    slowest = rates.get("python-statemachine")
    print(f"{'':<22} {'events/s':>12} {'vs transitions':>15} {'vs python-statemachine':>23}")
    for name, rate in rates.items():
        versus = "" if slowest is None else f"{rate / slowest:>22.1f}x"
        print(f"{name:<22} {rate:>12,.0f} {rate / rates['transitions']:>14.1f}x {versus}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
