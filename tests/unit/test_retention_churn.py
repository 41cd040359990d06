from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore import (
    CareTouchpoint,
    ChurnReason,
    Complaint,
    Customer,
    CustomerHistory,
    LifecycleStage,
    Money,
    Transaction,
)
from crmcore.entities.enums import ChurnSide
from crmcore.errors import InvalidTransition
from crmcore.lifecycle import LifecyclePolicy, RecordedEvent, replay
from crmcore.retention import (
    VISIT_STEPS,
    RiskSignal,
    WinBackPolicy,
    at_risk,
    churn_reasons,
    win_back_plan,
)

AS_OF = "2024-06-01T00:00:00+00:00"


def history(
    cid: str, *days: str, amount: str = "100", cost: str | None = None, **records: object
) -> CustomerHistory:
    sales = [
        Transaction(
            id=f"T-{n}", customer_id=cid, occurred_at=day, amount=Money(amount, "CNY"),
            cost=None if cost is None else Money(cost, "CNY"),
        )
        for n, day in enumerate(days)
    ]  # fmt: skip
    return CustomerHistory(customer=Customer(id=cid), transactions=sales, **records)


def interview(cid: str, day: str, reason: str, note: str | None = None) -> RecordedEvent:
    return RecordedEvent(customer_id=cid, event="churn", at=day, reason=reason, note=note)


# -- departure interviews ------------------------------------------------------------------


def test_a_departure_interview_gives_the_latest_churn_its_reason() -> None:
    quiet = history("A", "2023-01-01", "2023-02-01")
    state = replay(
        quiet, as_of=AS_OF, events=[interview("A", "2023-10-01", "relocation", "moved away")]
    )
    churn = state.transitions[-1]
    assert state.stage is LifecycleStage.CHURNED
    assert (churn.rule, churn.reason) == ("hiatus", ChurnReason.RELOCATION)
    assert churn.detail.endswith("; reason found on 2023-10-01: relocation (moved away)")
    assert state.updated_at is not None and state.updated_at.date().isoformat() == "2023-10-01"


def test_an_interview_without_a_reason_is_refused() -> None:
    event = RecordedEvent(customer_id="A", event="churn", at="2023-10-01")
    with pytest.raises(InvalidTransition, match="already churned; give the reason found"):
        replay(history("A", "2023-01-01"), as_of=AS_OF, events=[event])


# -- at risk ----------------------------------------------------------------------------------


def test_customers_still_buying_are_ranked_by_value_at_risk() -> None:
    ranked = at_risk(
        [history("big", "2024-01-01", "2024-02-01", amount="1000"), history("small", "2024-01-01", "2024-02-01"),
         history("gone", "2022-01-01")],
        as_of=AS_OF,
    )  # fmt: skip
    assert [r.customer_id for r in ranked] == ["big", "small"]
    assert ranked[0].risk == ranked[1].risk == pytest.approx(121 / 180)
    assert ranked[0].value_at_risk == Decimal("1344.44")  # 2,000 x 121/180, to the cent


def test_a_probability_alive_above_the_hiatus_risk_ranks_and_values_can_be_given() -> None:
    (ranked,) = at_risk(
        [history("A", "2024-05-01")], as_of=AS_OF, p_alive={"A": 0.75}, values={"A": 40.0}
    )
    assert (ranked.risk, ranked.value_at_risk, ranked.ranked_by, ranked.signals[:2]) == (
        0.25,
        Decimal("10.00"),
        RiskSignal.PROBABILITY_ALIVE,
        ("probability alive 0.75", "no purchase for 31 days of 180"),
    )


def test_a_silent_one_time_buyer_is_at_risk_though_the_model_holds_him_alive() -> None:
    # BG/NBD gives every customer without a repeat purchase P(alive) = 1
    (ranked,) = at_risk([history("A", "2023-12-15")], as_of=AS_OF, p_alive={"A": 1.0})
    assert ranked.risk == pytest.approx(169 / 180)
    assert ranked.ranked_by is RiskSignal.HIATUS
    assert ranked.signals[:2] == ("no purchase for 169 days of 180", "probability alive 1.00")


def test_a_customer_the_model_churns_is_not_listed_as_still_buying() -> None:
    assert at_risk([history("A", "2024-05-01")], as_of=AS_OF, p_alive={"A": 0.25}) == []


def test_states_replayed_already_are_used_instead_of_replaying_again() -> None:
    regular = history("A", "2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01")
    by_habit = replay(regular, as_of=AS_OF, policy=LifecyclePolicy(loyal_min_loyalty=None))
    (ranked,) = at_risk([regular], as_of=AS_OF, states={"A": by_habit})
    assert (by_habit.stage, ranked.stage) == (LifecycleStage.LOYAL, LifecycleStage.LOYAL)
    too_late = replay(regular, as_of="2024-09-01T00:00:00+00:00")
    with pytest.raises(ValueError, match="with a state updated at"):
        at_risk([regular], as_of="2024-03-15T00:00:00+00:00", states={"A": too_late})


def test_the_win_back_plan_uses_the_states_given_instead_of_replaying() -> None:
    lapsed = history("A", "2022-01-01")
    state = replay(lapsed, as_of=AS_OF)
    assert win_back_plan([lapsed], as_of=AS_OF, states={"A": state}) == win_back_plan(
        [lapsed], as_of=AS_OF
    )
    still_buying = replay(history("A", "2024-05-01"), as_of=AS_OF)
    assert win_back_plan([lapsed], as_of=AS_OF, states={"A": still_buying}) == []
    with pytest.raises(ValueError, match="Cannot plan the win-back of customer 'A'"):
        win_back_plan([lapsed], as_of="2022-03-01T00:00:00+00:00", states={"A": state})


def test_open_complaints_and_a_wandering_eye_are_signals() -> None:
    complaint = Complaint(
        id="K-1", customer_id="A", received_at="2024-05-05", category="delivery", severity="low"
    )
    call = CareTouchpoint(
        id="P-1", customer_id="A", occurred_at="2024-05-10", stage="post_purchase", channel="phone",
        function="intelligence", direction="outbound", feedback={"competitor_attitude": "switching"},
    )  # fmt: skip
    (ranked,) = at_risk(
        [history("A", "2024-05-01", complaints=[complaint], touchpoints=[call])], as_of=AS_OF
    )
    assert ranked.signals[1:] == ("1 open complaint(s)", "attitude to competing brands: switching")


def test_limit_keeps_the_top_of_the_ranking() -> None:
    histories = [history(f"C-{n}", "2024-05-01", amount=str(10 * (n + 1))) for n in range(5)]
    assert [r.customer_id for r in at_risk(histories, as_of=AS_OF, limit=2)] == ["C-4", "C-3"]


# -- churn reasons and win-back ----------------------------------------------------------------------


def test_churn_reasons_count_by_reason_and_side() -> None:
    histories = [history(c, "2022-01-01") for c in ("A", "B", "C")]
    events = [
        interview("A", "2023-01-01", "careless_service"),
        interview("B", "2023-01-01", "relocation"),
    ]
    counts = churn_reasons(histories, as_of=AS_OF, events=events)
    assert counts["reason"] == {"careless_service": 1, "relocation": 1, "unknown": 1}
    assert counts["side"] == {"firm": 1, "customer": 1, "unknown": 1}


def test_the_win_back_plan_differs_by_tier_and_lets_unprofitable_customers_go() -> None:
    histories = [
        history("top", "2022-01-01", amount="900"),
        history("low", "2022-01-01", amount="50"),
        history("loss", "2022-01-01", amount="50", cost="80"),
        history("active", "2024-05-01"),
    ]
    plans = win_back_plan(
        histories, as_of=AS_OF, tiers={"top": 1, "low": 4, "loss": 4},
        events=[interview("top", "2023-01-01", "complaint_mishandled")],
    )  # fmt: skip
    assert [(p.customer_id, p.priority) for p in plans] == [("top", 1), ("low", 2), ("loss", 3)]
    assert plans[0].action == "personal visit by a manager, promptly"
    assert plans[0].steps == (*VISIT_STEPS, "treat the cause on our side: complaint mishandled")
    assert plans[1].action == "low-cost automated offer" and plans[1].steps == VISIT_STEPS
    assert plans[2].action.startswith("let go") and plans[2].steps == ()


def test_a_bankrupt_customer_is_let_go_a_declining_one_is_visited() -> None:
    histories = [history(c, "2022-01-01", amount="900") for c in ("gone", "smaller")]
    events = [
        interview("gone", "2023-01-01", "bankruptcy"),
        interview("smaller", "2023-01-01", "decline"),
    ]
    plans = {p.customer_id: p for p in win_back_plan(histories, as_of=AS_OF, events=events)}
    assert (plans["gone"].action, plans["gone"].steps) == ("let go: the customer went bankrupt", ())
    assert plans["smaller"].steps == VISIT_STEPS
    assert ChurnReason.BANKRUPTCY.side is ChurnReason.DECLINE.side is ChurnSide.CUSTOMER
    assert ChurnReason.WEAK_INFLUENCE.side is ChurnSide.FIRM


def test_without_tiers_the_pyramid_decides_and_the_policy_can_keep_everyone() -> None:
    histories = [history(f"C-{n}", "2022-01-01", amount=str(100 * (n + 1))) for n in range(4)]
    plans = win_back_plan(histories, as_of=AS_OF)
    assert {p.tier for p in plans} <= {1, 2, 3, 4} and plans[0].customer_id == "C-3"
    keep = WinBackPolicy(let_go_unprofitable=False)
    loss = history("loss", "2022-01-01", amount="50", cost="80")
    (plan,) = win_back_plan([loss], as_of=AS_OF, tiers={"loss": 2}, policy=keep)
    assert plan.action == "personal visit by a manager, promptly"
