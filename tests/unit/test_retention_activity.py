"""The at-risk ranking and the care plan read a customer's activity as they read its history."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from crmcore import build_histories
from crmcore.datasets import generate
from crmcore.history import CustomerActivity, CustomerHistory
from crmcore.lifecycle import LifecyclePolicy, LifecycleState, replay
from crmcore.retention import CarePolicy, at_risk, plan_care
from crmcore.value import historical_value

AS_OF = datetime(2025, 9, 30, 23, 59, tzinfo=timezone.utc)
OPENING = datetime(2025, 10, 1, tzinfo=timezone.utc)
#: Promotion by the occasions alone: an activity, without amounts, replays under it.
BY_OCCASIONS = LifecyclePolicy(loyal_min_loyalty=None)


@pytest.fixture(scope="module")
def histories() -> list[CustomerHistory]:
    data = generate(customers=60, seed=17)
    found = build_histories(data.customers, data.transactions, data.touchpoints, data.complaints)
    return list(found.values())


def values_of(histories: list[CustomerHistory]) -> dict[str, float]:
    return {h.customer_id: float(historical_value(h, as_of=AS_OF).value) for h in histories}


def states_of(histories: list[CustomerHistory], moment: datetime) -> dict[str, LifecycleState]:
    """The states of the histories under the default policy, replayed beforehand."""
    return {h.customer_id: replay(h, as_of=moment) for h in histories}


def test_at_risk_ranks_activities_as_it_ranks_their_histories(
    histories: list[CustomerHistory],
) -> None:
    values = values_of(histories)
    activities = [CustomerActivity.of(h) for h in histories]
    ranked = at_risk(histories, as_of=AS_OF, values=values, policy=BY_OCCASIONS)
    assert ranked  # the portfolio has customers still buying
    assert at_risk(activities, as_of=AS_OF, values=values, policy=BY_OCCASIONS) == ranked


def test_at_risk_ranks_activities_with_states_replayed_from_their_histories(
    histories: list[CustomerHistory],
) -> None:
    values, states = values_of(histories), states_of(histories, AS_OF)
    activities = [CustomerActivity.of(h) for h in histories]
    ranked = at_risk(histories, as_of=AS_OF, values=values)
    assert at_risk(activities, as_of=AS_OF, values=values, states=states) == ranked


@pytest.mark.parametrize("policy", [CarePolicy(), CarePolicy(win_back=False, greetings=False)])
def test_the_care_plan_of_activities_is_the_plan_of_their_histories(
    histories: list[CustomerHistory], policy: CarePolicy
) -> None:
    values = values_of(histories)
    tiers = {h.customer_id: 1 + n % 4 for n, h in enumerate(histories)}
    activities = [CustomerActivity.of(h) for h in histories]
    start, end = date(2025, 10, 1), date(2025, 12, 31)
    plan = plan_care(histories, start=start, end=end, policy=policy, tiers=tiers, values=values)
    assert plan.tasks
    states = states_of(histories, OPENING)
    again = plan_care(activities, start=start, end=end, policy=policy, tiers=tiers, values=values,
                      states=states)  # fmt: skip
    assert again == plan
    alike = plan_care(activities, start=start, end=end, policy=policy, tiers=tiers,
                      values=values, lifecycle=BY_OCCASIONS)  # fmt: skip
    assert alike == plan_care(histories, start=start, end=end, policy=policy, tiers=tiers,
                              values=values, lifecycle=BY_OCCASIONS)  # fmt: skip


def test_an_activity_without_values_cannot_be_valued(histories: list[CustomerHistory]) -> None:
    activity = CustomerActivity.of(histories[0])
    with pytest.raises(ValueError, match="from an activity, which has no amounts: give values="):
        at_risk([activity], as_of=AS_OF)
