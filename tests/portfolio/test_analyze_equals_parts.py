"""A portfolio analysis says per customer what the per-history functions say, record for record.

`analyze` keeps only running totals while records stream past; these tests
hold it to the functions that read whole histories.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, build_histories
from crmcore.datasets import Dataset, generate, load_sample
from crmcore.lifecycle import replay
from crmcore.portfolio import PortfolioConfig, PortfolioReport, ValueSettings, analyze
from crmcore.retention import at_risk, plan_care
from crmcore.scoring import loyalty, quadrant, satisfaction
from crmcore.value import historical_value, profitability, pyramid, rfm_scores, rfm_summary


def _shuffled(records: tuple[Any, ...], seed: int) -> list[Any]:
    mixed = list(records)
    random.Random(seed).shuffle(mixed)
    return mixed


def _check(data: Dataset, as_of: datetime, config: PortfolioConfig, seed: int) -> PortfolioReport:
    people = _shuffled(data.customers, seed)
    report = analyze(
        people,
        _shuffled(data.transactions, seed),
        iter(_shuffled(data.touchpoints, seed)),
        (k for k in _shuffled(data.complaints, seed)),
        as_of=as_of,
        config=config,
    )
    # the analysis leaves out records dated after as_of, and customers acquired after it
    known = {c.id for c in data.customers if c.acquired_at is None or c.acquired_at <= as_of}
    histories = build_histories(
        [c for c in data.customers if c.id in known],
        [t for t in data.transactions if t.occurred_at <= as_of and t.customer_id in known],
        [p for p in data.touchpoints if p.occurred_at <= as_of and p.customer_id in known],
        [k for k in data.complaints if k.received_at <= as_of and k.customer_id in known],
    )
    values = {cid: float(historical_value(h, as_of=as_of).value) for cid, h in histories.items()}
    alive: dict[str, float] = {}
    rows = rfm_summary(data.transactions, observation_end=as_of)
    model = report.model.fitted
    if model is not None:
        alive = {r.customer_id: model.p_alive(frequency=r.frequency, recency=r.recency, T=r.T)
                 for r in rows}  # fmt: skip
    scores = {s.customer_id: s for s in rfm_scores(rows)}
    tiered = pyramid(values)
    tiers = tiered.tiers
    first = as_of.date()
    plan = plan_care(
        histories,
        start=first,
        end=first + timedelta(days=config.care_days - 1),
        policy=config.care,
        values=values,
        lifecycle=config.lifecycle,
    )
    lines = {line.customer_id: line for line in report.customers}
    assert list(lines) == [c.id for c in people if c.id in known]  # the customer list's order
    for cid, history in histories.items():
        line = lines[cid]
        state = replay(history, as_of=as_of, policy=config.lifecycle, p_alive=alive.get(cid))
        assert (line.stage, line.stage_since) == (state.stage, state.since), cid
        happy, loyal = satisfaction(history, as_of=as_of), loyalty(history, as_of=as_of)
        assert (line.satisfaction, line.satisfaction_coverage) == (happy.value, happy.coverage)
        assert (line.loyalty, line.loyalty_coverage) == (loyal.value, loyal.coverage)
        assert line.quadrant is quadrant(happy, loyal)
        value = historical_value(history, as_of=as_of)
        assert line.gross_value == value.revenue - value.refunds
        assert line.contribution == value.contribution
        assert line.net_value == value.value == profitability(history, as_of=as_of).profit
        assert line.tier == tiers.get(cid)
        assert line.tier_group == tiered.group_of(cid)
        score = scores.get(cid)
        assert line.rfm_code == (None if score is None else score.code)
        assert line.p_alive == alive.get(cid)
    ranked = at_risk(histories, as_of=as_of, values=values, p_alive=alive or None)
    # the generated portfolios are in one currency: one section holds every customer
    if histories:
        (section,) = report.currencies
        assert section.customers == len(histories)
        assert section.at_risk == tuple(ranked[: config.top_at_risk])
        assert section.tiers == pyramid(values).levels
    else:
        assert report.currencies == ()
    assert report.care_plan == plan
    for cid, line in lines.items():
        due = [t for t in plan.tasks if t.customer_id == cid]
        assert line.next_care_due == (due[0].due if due else None)
    return report


def test_the_sample_portfolio_analysis_equals_the_per_history_functions() -> None:
    data = load_sample()
    assert data.end is not None
    as_of = datetime.combine(data.end, datetime.min.time()).astimezone()
    report = _check(data, as_of, PortfolioConfig(), seed=1)
    assert report.model.fitted is not None


@given(
    size=st.integers(min_value=0, max_value=25),
    seed=st.integers(min_value=0, max_value=10_000),
    days_before_end=st.integers(min_value=-30, max_value=400),
)
def test_a_generated_portfolio_in_any_order_is_analysed_as_its_histories(
    size: int, seed: int, days_before_end: int
) -> None:
    data = generate(customers=size, seed=seed)
    end = data.end or datetime(2025, 1, 1).date()
    as_of = datetime.combine(end - timedelta(days=days_before_end), datetime.min.time())
    config = PortfolioConfig(value=ValueSettings(fit_model=False))
    _check(data, as_of.astimezone(), config, seed)


@pytest.mark.parametrize("fit", [True, False])
def test_the_model_report_says_why_no_model_was_fitted(fit: bool) -> None:
    data = generate(customers=5, seed=2)
    config = PortfolioConfig(value=ValueSettings(fit_model=fit))
    report = analyze(data.customers, data.transactions, as_of="2030-01-01", config=config)
    assert report.model.fitted is None
    assert report.model.reason is not None
    assert ("min_model_customers" in report.model.reason) is fit


def _renamed(record: Any, prefix: str, currency: str) -> Any:
    """A record of another customer base: ids prefixed, every amount in ``currency``."""
    update: dict[str, Any] = {"id": prefix + record.id}
    if hasattr(record, "customer_id"):
        update["customer_id"] = prefix + record.customer_id
    for name, value in record:
        if isinstance(value, Money):
            update[name] = Money(value.amount, currency)
    return record.model_copy(update=update)


@pytest.mark.parametrize("seed", [3, 4])
def test_a_portfolio_in_two_currencies_is_analysed_as_each_currency_alone(seed: int) -> None:
    yuan = generate(customers=20, seed=seed)
    yen_base = generate(customers=15, seed=seed + 100)
    yen = Dataset(*(tuple(_renamed(r, "J", "JPY") for r in part) for part in
                    (yen_base.customers, yen_base.transactions, yen_base.touchpoints,
                     yen_base.complaints)), start=yen_base.start, end=yen_base.end)  # fmt: skip
    as_of = datetime(2025, 6, 30).astimezone()
    config = PortfolioConfig(value=ValueSettings(fit_model=False))  # one model would span both

    def run(*parts: Dataset) -> PortfolioReport:
        return analyze(*(sum((getattr(p, kind) for p in parts), ()) for kind in
                         ("customers", "transactions", "touchpoints", "complaints")),
                       as_of=as_of, config=config)  # fmt: skip

    both, alone = run(yuan, yen), [run(yuan), run(yen)]
    assert both.customers == alone[0].customers + alone[1].customers
    assert both.currencies == alone[0].currencies + alone[1].currencies
    assert [c.currency for c in both.currencies] == ["CNY", "JPY"]
    assert both.care_plan.tasks == tuple(
        sorted(alone[0].care_plan.tasks + alone[1].care_plan.tasks,
               key=lambda t: (t.due, t.priority, t.customer_id, t.rule.value))
    )  # fmt: skip
