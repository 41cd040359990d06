from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from crmcore import (
    Customer,
    CustomerHistory,
    CustomerSummary,
    LifecyclePolicy,
    Money,
    Transaction,
    summarize,
)
from crmcore.errors import CurrencyMismatch
from crmcore.history import LoyaltyTrail
from crmcore.lifecycle import LifecycleState, observe, replay
from crmcore.period import Period
from crmcore.scoring import (
    IndexResult,
    LoyaltyConfig,
    MetricScore,
    Quadrant,
    QuadrantThresholds,
    SatisfactionConfig,
    ValueAssessment,
    ces,
    compare_offers,
    csat,
    delivered_value,
    disconfirmation,
    loyalty,
    loyalty_source,
    nps,
    quadrant,
    quadrant_counts,
    satisfaction,
)
from crmcore.scoring.metrics import (
    LOYALTY_METRICS,
    PRICE_SENSITIVITY,
    PROMOTION_DEPENDENCE,
    SATISFACTION_METRICS,
    Decay,
    Linear,
    Saturating,
)
from tests.unit.test_summary import AS_OF, complaint, contact, sale, summary_of

# -- scales ------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [Saturating(reference=4), Decay(reference=10)])
def test_a_reference_value_scores_80(scale: Saturating | Decay) -> None:
    assert scale.score(scale.reference) == pytest.approx(80.0)


def test_saturating_scores_rise_towards_100_and_start_at_0() -> None:
    scale = Saturating(reference=4)
    scores = [scale.score(x) for x in (-1, 0, 1, 4, 16, 1000)]
    assert scores[:2] == [0.0, 0.0]
    assert scores == sorted(scores)
    assert scores[-1] < 100


def test_decay_scores_fall_from_100() -> None:
    scale = Decay(reference=10)
    assert scale.score(0) == 100.0
    assert scale.score(5) > scale.score(10) > scale.score(60)


def test_linear_scores_fall_to_0_at_the_reference_and_stay_there() -> None:
    scale = Linear(reference=0.5)
    assert [scale.score(x) for x in (0, 0.25, 0.5, 3)] == [100.0, 50.0, 0.0, 0.0]


def test_the_metrics_are_the_contracted_ones_and_price_sensitivity_is_shared() -> None:
    assert list(SATISFACTION_METRICS) == [
        "reputation",
        "designation",
        "return_rate",
        "complaint_rate",
        "purchase_amount",
        "price_sensitivity",
    ]
    assert list(LOYALTY_METRICS) == [
        "repeat_purchases",
        "selection_time",
        "price_sensitivity",
        "competitor_attitude",
        "quality_tolerance",
        "share_of_wallet",
    ]
    assert SATISFACTION_METRICS["price_sensitivity"] is LOYALTY_METRICS["price_sensitivity"]
    assert SATISFACTION_METRICS["complaint_rate"].better == "lower"


def test_promotion_dependence_is_its_own_metric_outside_the_indices() -> None:
    assert PRICE_SENSITIVITY.reads == "price_elasticity"
    assert PROMOTION_DEPENDENCE not in (*SATISFACTION_METRICS.values(), *LOYALTY_METRICS.values())
    s = summary_of(sale(1, 30, "80", list_amount=Money("100", "CNY")), sale(2, 10, "20"))
    assert PROMOTION_DEPENDENCE.scale.score(s.promotion_dependence) == pytest.approx(0.0)
    assert satisfaction(s, as_of=AS_OF).metrics["price_sensitivity"].available is False


# -- the satisfaction index ---------------------------------------------------------------


def rich_summary() -> CustomerSummary:
    return summary_of(
        sale(
            1,
            300,
            "1000",
            designated=True,
            list_amount=Money("1000", "CNY"),
            product="Longjing",
            quantity=10,
        ),
        sale(2, 200, "200", designated=False, promotion=True),
        # the list price rose 20 % (100 -> 120 a pack); 10 % fewer packs bought
        sale(
            3,
            100,
            "800",
            designated=True,
            list_amount=Money("1080", "CNY"),
            product="Longjing",
            quantity=9,
        ),
        complaint(1, 150),
        contact(1, 50, recommend=8, praise=True),
    )


def test_the_worked_example_scores_as_the_formulas_say() -> None:
    result = satisfaction(rich_summary(), as_of=AS_OF)
    raws = {name: m.raw for name, m in result.metrics.items()}
    assert raws == pytest.approx(
        {
            "reputation": (0.5 + 1) / 2,  # a passive's rating (8) and praise
            "designation": 2 / 3,
            "return_rate": 2,
            "complaint_rate": 1 / 3,
            "purchase_amount": 2000.0,
            "price_sensitivity": (1 - 9 / 10) / (120 / 100 - 1),
        }
    )
    expected_scores = {
        "reputation": 75.0,
        "designation": 100 * 2 / 3,
        "return_rate": 100 * 2 / (2 + 1),  # k = 4 x 20 / 80 = 1
        "complaint_rate": 100 * (0.5 - 1 / 3) / 0.5,
        "purchase_amount": 100 * 2000 / (2000 + 500),  # k = 2000 x 20 / 80 = 500
        "price_sensitivity": 50.0,
    }
    assert {n: m.score for n, m in result.metrics.items()} == pytest.approx(expected_scores)
    assert result.value == pytest.approx(sum(expected_scores.values()) / 6)
    assert (result.coverage, result.reason, result.index) == (1.0, None, "satisfaction")


def test_a_metric_without_data_is_left_out_and_the_weights_renormalised() -> None:
    s = summary_of(sale(1, 100, "2000"), sale(2, 50, "2000"), contact(1, 10, recommend=10))
    result = satisfaction(s, as_of=AS_OF)
    assert [n for n, m in result.metrics.items() if not m.available] == [
        "designation",
        "price_sensitivity",
    ]
    missing = result.metrics["designation"]
    assert (missing.raw, missing.score, missing.weight) == (None, None, 1.0)
    available = [m.score for m in result.metrics.values() if m.available]
    assert result.value == pytest.approx(sum(available) / 4)
    assert result.coverage == pytest.approx(4 / 6)


def test_too_few_metrics_give_no_value_with_the_reason() -> None:
    result = satisfaction(summary_of(contact(1, 10, recommend=9)), as_of=AS_OF)
    assert result.value is None
    assert result.reason == "only 1 of 6 metrics have data (reputation); at least 3 are needed"


def test_min_metrics_is_configurable() -> None:
    config = SatisfactionConfig(min_metrics=1)
    assert (
        satisfaction(summary_of(contact(1, 10, recommend=8)), as_of=AS_OF, config=config).value
        == 50.0  # a passive
    )


def test_all_weight_on_one_available_metric_returns_its_score() -> None:
    config = SatisfactionConfig(
        weights=dict.fromkeys(SATISFACTION_METRICS, 0.0) | {"purchase_amount": 3.0},
        min_metrics=1,
    )
    result = satisfaction(rich_summary(), as_of=AS_OF, config=config)
    assert result.value == result.metrics["purchase_amount"].score


def test_weights_change_the_value_and_references_move_the_anchor() -> None:
    plain = satisfaction(rich_summary(), as_of=AS_OF)
    tilted = satisfaction(
        rich_summary(), as_of=AS_OF, config=SatisfactionConfig(weights={"reputation": 5})
    )
    assert tilted.value > plain.value  # reputation scores above the average
    strict = SatisfactionConfig(references={"purchase_amount": 8000})
    assert satisfaction(rich_summary(), as_of=AS_OF, config=strict).metrics[
        "purchase_amount"
    ].score == pytest.approx(100 * 2000 / (2000 + 2000))


def test_a_customer_with_complaints_but_no_purchase_has_no_complaint_rate() -> None:
    # the rate is a share of purchases: without one in the window there is nothing to share
    result = satisfaction(summary_of(complaint(1, 10)), as_of=AS_OF)
    assert not result.metrics["complaint_rate"].available


def test_half_the_purchases_followed_by_a_complaint_score_0_on_the_default_scale() -> None:
    s = summary_of(sale(1, 100), complaint(1, 90), sale(2, 50))
    assert satisfaction(s, as_of=AS_OF).metrics["complaint_rate"].score == 0.0


def test_a_history_is_summarized_on_the_fly() -> None:
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale(1, 10)])
    assert satisfaction(history, as_of=AS_OF) == satisfaction(summary_of(sale(1, 10)), as_of=AS_OF)


def test_a_summary_for_another_moment_or_window_is_refused() -> None:
    with pytest.raises(ValueError, match="the summary is as of 2025-12-31T23:00:00"):
        satisfaction(rich_summary(), as_of=AS_OF - timedelta(days=1))
    with pytest.raises(ValueError, match="over P6M: the summary is as of .* over P1Y"):
        satisfaction(rich_summary(), as_of=AS_OF, config=SatisfactionConfig(window="P6M"))


def test_a_result_round_trips_through_json_with_metrics_as_objects() -> None:
    result = satisfaction(rich_summary(), as_of=AS_OF)
    dumped = result.model_dump(mode="json")
    assert dumped["metrics"]["return_rate"] == {
        "raw": 2,
        "score": pytest.approx(200 / 3),
        "weight": 1.0,
        "available": True,
    }
    assert IndexResult.model_validate_json(result.model_dump_json()) == result
    assert isinstance(IndexResult.model_validate(dumped).metrics["reputation"], MetricScore)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weights": {"loyalty": 1}}, "weights name unknown metrics loyalty"),
        (
            {"weights": {"reputation": -1}},
            "weight of reputation must be a finite number of 0 or more",
        ),
        (
            {"weights": dict.fromkeys(SATISFACTION_METRICS, 0)},
            "at least one weight must be above 0",
        ),
        ({"references": {"reputation": 3}}, "metric reputation has no reference value"),
        ({"references": {"purchase_amount": 0}}, "must be a finite number above 0"),
        ({"references": {"complaint_rate": 2}}, "complaint_rate must be at most 1"),
        ({"min_metrics": 7}, "min_metrics must be at most 6"),
        ({"window": "a year"}, "is not a period"),
    ],
)
def test_an_invalid_configuration_is_refused_clearly(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SatisfactionConfig.model_validate(fields)


# -- the loyalty index -------------------------------------------------------------------


def test_the_loyalty_index_reads_its_six_metrics() -> None:
    s = summary_of(
        sale(1, 900, selection_time=timedelta(minutes=30)),
        sale(
            2,
            200,
            "600",
            selection_time=timedelta(minutes=5),
            promotion=True,
            product="Gaiwan",
            list_amount=Money("600", "CNY"),
        ),
        complaint(1, 150, "product_quality", accepted=True),
        # dearer than before, bought as much: not price sensitive, whatever the promotions
        sale(
            3,
            100,
            "900",
            selection_time=timedelta(minutes=10),
            promotion=True,
            product="Gaiwan",
            list_amount=Money("900", "CNY"),
        ),
        contact(1, 50, competitor_attitude="rejects"),
        wallet=Money("6000", "CNY"),
    )
    result = loyalty(s, as_of=AS_OF)
    raws = {n: m.raw for n, m in result.metrics.items()}
    assert raws == pytest.approx(
        {
            "repeat_purchases": 2,
            "selection_time": 7.5,
            "price_sensitivity": 0.0,
            "competitor_attitude": "rejects",
            "quality_tolerance": 1.0,
            "share_of_wallet": 0.25,
        }
    )
    assert result.metrics["competitor_attitude"].score == 100.0
    assert result.metrics["selection_time"].score == pytest.approx(100 * 40 / (7.5 + 40))


def test_attitude_scores_are_configurable_and_keep_their_other_defaults() -> None:
    config = LoyaltyConfig(attitude_scores={"interested": 40})
    result = loyalty(
        summary_of(contact(1, 5, competitor_attitude="interested")), as_of=AS_OF, config=config
    )
    assert result.metrics["competitor_attitude"].score == 40.0
    assert config.attitude_scores["switching"] == 0.0
    with pytest.raises(ValidationError, match="score of attitude rejects must be from 0 to 100"):
        LoyaltyConfig(attitude_scores={"rejects": 120})


# -- the lifecycle link ------------------------------------------------------------------


def loyal_history(**customer: object) -> CustomerHistory:
    """Four monthly purchases: loyal by the occasions, whatever the loyalty index says."""
    slow = timedelta(minutes=60)
    return CustomerHistory(
        customer=Customer(id="C-1", **customer),
        transactions=[sale(n, 100 - 20 * n, selection_time=slow) for n in range(4)],
        touchpoints=[contact(1, 200, competitor_attitude="switching")],
    )


def test_a_loyalty_threshold_can_hold_back_a_promotion() -> None:
    history = loyal_history(wallet=Money("100000", "CNY"))
    index = loyalty(history, as_of=AS_OF).value
    assert index is not None and index < 40
    by_habit = LifecyclePolicy(loyal_min_loyalty=None)
    assert replay(history, as_of=AS_OF, policy=by_habit).stage == "loyal"
    assert replay(history, as_of=AS_OF).stage == "repeat"  # 60 by default
    assert (
        replay(history, as_of=AS_OF, policy=LifecyclePolicy(loyal_min_loyalty=40)).stage == "repeat"
    )
    promoted = replay(history, as_of=AS_OF, policy=LifecyclePolicy(loyal_min_loyalty=10))
    assert promoted.stage == "loyal"
    assert "; loyalty index" in promoted.transitions[-1].detail


def test_a_loyalty_source_that_can_have_no_value_never_summarizes() -> None:
    bought = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[sale(n, 100 - 20 * n) for n in range(5)]
    )
    trail = LoyaltyTrail.of(bought, LoyaltyConfig().window)
    assert trail.readable() == {"repeat_occasions_total"}
    assert loyalty_source(trail)(AS_OF) is None
    rich = LoyaltyTrail.of(loyal_history(wallet=Money("5000", "CNY")), LoyaltyConfig().window)
    assert rich.readable() == {
        "repeat_occasions_total", "share_of_wallet", "selection_minutes", "attitude",
    }  # fmt: skip
    assert loyalty_source(rich)(AS_OF) == loyalty(loyal_history(wallet=Money("5000", "CNY")),
                                                  as_of=AS_OF).value  # fmt: skip
    with pytest.raises(ValueError, match="from a trail over P6M"):
        loyalty_source(LoyaltyTrail.of(bought, Period.parse("P6M")))


@pytest.mark.parametrize(
    ("records", "read"),
    [
        ([], set()),
        ([sale(1, 30, "10", kind="refund", selection_time=timedelta(minutes=5))], set()),
        (
            [
                sale(1, 30, list_amount=Money("120", "CNY"), product="tea"),
                sale(2, 20, list_amount=Money("120", "CNY"), product="tea"),
                sale(3, 10),
            ],
            {"repeat_occasions_total", "price_elasticity"},
        ),
        (
            [
                sale(1, 30, list_amount=Money("120", "CNY"), product="tea"),
                sale(2, 10, list_amount=Money("120", "CNY")),  # no product: not priced
            ],
            {"repeat_occasions_total"},
        ),
        (
            [
                sale(1, 30, list_amount=Money("120", "CNY"), product="tea"),
                sale(2, 20, "10", kind="refund", list_amount=Money("120", "CNY"), product="tea"),
                sale(3, 10, selection_time=timedelta(minutes=5)),
            ],
            {"repeat_occasions_total", "selection_minutes"},
        ),
    ],
)
def test_a_trail_reads_selection_times_and_list_prices_of_purchases_only(
    records: list[Transaction], read: set[str]
) -> None:
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=records)
    unread = LoyaltyTrail.of(history, LoyaltyConfig().window)
    assert unread.readable() == read
    unread.summary(AS_OF)  # reads the records
    assert unread.readable() == read


def test_amounts_in_another_currency_outside_the_window_do_not_stop_a_replay() -> None:
    slow = timedelta(hours=5)
    dollars = sale(9, 1500, currency="USD")
    yuan = [sale(n, 100 - 20 * n, selection_time=slow) for n in range(5)]
    history = CustomerHistory(
        customer=Customer(id="C-1", wallet=Money("100000", "CNY")), transactions=[dollars, *yuan]
    )
    trail = LoyaltyTrail.of(history, LoyaltyConfig().window)
    assert trail.summary(AS_OF).spend == summarize(history, as_of=AS_OF).spend
    assert replay(history, as_of=AS_OF).stage == "repeat"  # held back by a low index
    mixed = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[sale(8, 30, currency="USD"), *yuan]
    )
    with pytest.raises(CurrencyMismatch):
        summarize(mixed, as_of=AS_OF)
    with pytest.raises(CurrencyMismatch, match="CNY.*USD"):
        LoyaltyTrail.of(mixed, LoyaltyConfig().window).summary(AS_OF)


def test_replay_asks_the_given_loyalty_source_at_the_moment_of_promotion() -> None:
    history = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[sale(n, 100 - 20 * n) for n in range(5)]
    )
    asked: list[datetime] = []

    def index(at: datetime) -> float:
        asked.append(at)
        return 59.0 if len(asked) == 1 else 61.0

    state = replay(history, as_of=AS_OF, loyalty=index)
    promotion = state.transitions[-1]
    assert (state.stage, promotion.at) == ("loyal", asked[-1])
    assert len(asked) == 2  # held back at the fourth occasion, promoted at the fifth
    assert promotion.detail.endswith("; loyalty index 61.0, at least 60")


def test_a_loyalty_index_without_value_does_not_hold_back_a_promotion() -> None:
    history = CustomerHistory(
        customer=Customer(id="C-1"), transactions=[sale(n, 100 - 20 * n) for n in range(4)]
    )
    assert loyalty(history, as_of=AS_OF).value is None
    state = replay(history, as_of=AS_OF, policy=LifecyclePolicy(loyal_min_loyalty=90))
    assert state.stage == "loyal"
    assert "loyalty index" not in state.transitions[-1].detail


def test_observe_takes_the_loyalty_index_from_the_caller() -> None:
    strict = LifecyclePolicy(loyal_min_loyalty=70)
    state = LifecycleState.new("C-1")
    for record in loyal_history().transactions[:-1]:
        state = observe(state, record, policy=strict)
    held = observe(state, loyal_history().transactions[-1], policy=strict, loyalty_index=50.0)
    promoted = observe(state, loyal_history().transactions[-1], policy=strict, loyalty_index=75.0)
    assert (held.stage, promoted.stage) == ("repeat", "loyal")
    assert promoted.transitions[-1].detail.endswith("; loyalty index 75.0, at least 70")


# -- survey measures ---------------------------------------------------------------------


def test_nps_of_each_rating_once_is_minus_45_45() -> None:
    assert nps(range(11)) == pytest.approx(100 * (2 - 7) / 11)
    assert nps([10, 9, 8, 7]) == 50.0


def test_csat_and_ces() -> None:
    assert csat([5, 4, 4, 2, 1]) == 60.0
    assert ces([1, 2, 3, 4, 5, 6, 7]) == 4.0


@pytest.mark.parametrize("measure", [nps, csat, ces])
def test_no_ratings_give_no_score(measure: object) -> None:
    assert measure([]) is None  # type: ignore[operator]


@pytest.mark.parametrize(
    ("measure", "ratings", "message"),
    [
        (nps, [9, 11], r"rating 1 is 11, not a whole number from 0 to 10"),
        (csat, [0], r"rating 0 is 0, not a whole number from 1 to 5"),
        (ces, [4, 4.5], r"rating 1 is 4.5"),
        (nps, [True], r"rating 0 is True"),
    ],
)
def test_a_rating_off_the_scale_is_refused_naming_its_position(
    measure: object, ratings: list[object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        measure(ratings)  # type: ignore[operator]


# -- the matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sat", "loy", "expected"),
    [
        (60, 60, Quadrant.SATISFIED_LOYAL),
        (90, 10, Quadrant.SATISFIED_NOT_LOYAL),
        (10, 90, Quadrant.DISSATISFIED_LOYAL),
        (59.9, 59.9, Quadrant.DISSATISFIED_NOT_LOYAL),
        (None, 80, Quadrant.UNKNOWN),
    ],
)
def test_a_customer_falls_in_one_quadrant(
    sat: float | None, loy: float, expected: Quadrant
) -> None:
    assert quadrant(sat, loy) is expected


def test_every_quadrant_has_a_reading_and_an_action() -> None:
    assert all(q.reading and q.action for q in Quadrant)
    assert "captive" in Quadrant.DISSATISFIED_LOYAL.reading


def test_thresholds_are_configurable_and_results_are_accepted() -> None:
    result = satisfaction(rich_summary(), as_of=AS_OF)
    assert result.value is not None
    low = QuadrantThresholds(satisfaction=result.value - 1, loyalty=0)
    assert quadrant(result, 0.0, thresholds=low) is Quadrant.SATISFIED_LOYAL
    assert quadrant(loyalty(summary_of(), as_of=AS_OF), 50.0) is Quadrant.UNKNOWN


def test_counts_list_every_quadrant() -> None:
    counts = quadrant_counts([(80, 80), (80, 80), (20, 20)])
    assert counts == {
        Quadrant.SATISFIED_LOYAL: 2,
        Quadrant.SATISFIED_NOT_LOYAL: 0,
        Quadrant.DISSATISFIED_LOYAL: 0,
        Quadrant.DISSATISFIED_NOT_LOYAL: 1,
        Quadrant.UNKNOWN: 0,
    }


# -- delivered value ---------------------------------------------------------------------


def offer(**parts: float) -> ValueAssessment:
    base = dict.fromkeys(
        ("product", "service", "personnel", "image", "monetary", "time", "mental", "physical"), 1.0
    )
    return ValueAssessment(**(base | parts))


def test_delivered_value_is_total_value_less_total_cost() -> None:
    result = delivered_value(offer(product=9, monetary=3))
    assert (result.total_value, result.total_cost, result.delivered_value) == (12.0, 6.0, 6.0)
    assert result.ratio == 2.0


def test_a_costless_offer_has_no_ratio() -> None:
    free = ValueAssessment(
        product=5, service=0, personnel=0, image=0, monetary=0, time=0, mental=0, physical=0
    )
    assert delivered_value(free).ratio is None


def test_an_assessment_needs_non_negative_finite_components() -> None:
    with pytest.raises(ValidationError, match="time"):
        offer(time=-1)
    with pytest.raises(ValidationError, match="product"):
        offer(product=float("inf"))


def test_offers_are_ranked_and_the_gap_to_the_best_rival_explained() -> None:
    comparison = compare_offers(offer(service=5), {"b": offer(product=3), "a": offer(monetary=0.5)})
    assert comparison.ranking == (("ours", 4.0), ("b", 2.0), ("a", 0.5))
    assert (comparison.our_rank, comparison.best_competitor) == (1, "b")
    assert comparison.gaps["service"] == 4.0 and comparison.gaps["product"] == -2.0


def test_comparing_needs_distinctly_named_competitors() -> None:
    with pytest.raises(ValueError, match="no competitor"):
        compare_offers(offer(), {})
    with pytest.raises(ValueError, match="named 'ours', like ours"):
        compare_offers(offer(), {"ours": offer()})


def test_perception_beating_expectation_satisfies() -> None:
    expected = offer(product=5)
    result = disconfirmation(expected, offer(product=6, mental=2))
    assert result.gaps["product"] == 1.0 and result.gaps["mental"] == -1.0
    assert (result.overall, result.satisfied) == (0.0, True)
    assert not disconfirmation(expected, offer(product=4)).satisfied


def test_two_histories_that_differ_only_in_record_order_score_alike() -> None:
    records = [sale(1, 30), sale(2, 20, designated=True), sale(3, 10, promotion=True)]
    forward = CustomerHistory(customer=Customer(id="C-1"), transactions=records)
    backward = CustomerHistory(customer=Customer(id="C-1"), transactions=records[::-1])
    assert satisfaction(forward, as_of=AS_OF) == satisfaction(backward, as_of=AS_OF)
