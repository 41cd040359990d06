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

from crmcore import Customer, Money, Transaction, build_histories
from crmcore.datasets import Dataset, generate, load_sample
from crmcore.lifecycle import replay
from crmcore.portfolio import PortfolioConfig, PortfolioReport, ValueSettings, analyze
from crmcore.retention import at_risk, plan_care
from crmcore.scoring import loyalty, quadrant, satisfaction
from crmcore.value import (
    BetaGeo,
    ParetoNBD,
    historical_value,
    profitability,
    pyramid,
    rfm_scores,
    rfm_summary,
)


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


@pytest.fixture(scope="module")
def sample_end() -> tuple[Dataset, datetime]:
    data = load_sample()
    assert data.end is not None
    return data, datetime.combine(data.end, datetime.min.time()).astimezone()


def test_by_default_the_purchase_model_with_the_lower_aic_gives_p_alive(
    sample_end: tuple[Dataset, datetime],
) -> None:
    data, as_of = sample_end
    report = analyze(data.customers, data.transactions, as_of=as_of)
    rows = rfm_summary(data.transactions, observation_end=as_of)
    fits = {"BG/NBD": BetaGeo.fit(rows), "Pareto/NBD": ParetoNBD.fit(rows)}
    aic = {name: model.aic for name, model in fits.items()}
    better = min(aic, key=lambda name: aic[name] or 0.0)
    assert report.model.aic == aic
    assert (report.model.name, report.model.fitted) == (better, fits[better])
    assert report.model.choice is not None
    assert report.model.choice.startswith("the lower AIC of BG/NBD")
    # the report reads back with the model it chose
    assert PortfolioReport.model_validate_json(report.model_dump_json()) == report


@pytest.mark.parametrize(("name", "kind"), [("BG/NBD", BetaGeo), ("Pareto/NBD", ParetoNBD)])
def test_the_configuration_can_name_the_purchase_model(
    sample_end: tuple[Dataset, datetime], name: str, kind: type[Any]
) -> None:
    data, as_of = sample_end
    config = PortfolioConfig.model_validate({"value": {"transaction_model": name}})
    report = analyze(data.customers, data.transactions, as_of=as_of, config=config)
    assert report.model.name == name
    assert isinstance(report.model.fitted, kind)
    assert list(report.model.aic) == [name]
    assert report.model.choice == "named by transaction_model"
    line = next(c for c in report.customers if c.p_alive is not None)
    row = next(
        r for r in rfm_summary(data.transactions, observation_end=as_of)
        if r.customer_id == line.customer_id
    )  # fmt: skip
    alive = report.model.fitted.p_alive(frequency=row.frequency, recency=row.recency, T=row.T)
    assert line.p_alive == alive


def _buyers(rows: list[tuple[int, int, int]], as_of: datetime) -> tuple[list[Any], list[Any]]:
    """Customers whose day summaries are ``rows`` (frequency, recency, T) at ``as_of``."""
    people, sales = [], []
    for n, (x, t_x, t) in enumerate(rows):
        first = as_of - timedelta(days=t)
        people.append(Customer(id=f"C-{n}"))
        for k in range(x + 1):
            day = first + timedelta(days=t_x * k // max(x, 1))
            sales.append(
                Transaction(id=f"T-{n}-{k}", customer_id=f"C-{n}", occurred_at=day,
                            amount=Money("10", "CNY"))
            )  # fmt: skip
    return people, sales


def test_a_model_that_cannot_be_fitted_leaves_the_other_and_says_why() -> None:
    as_of = datetime(2025, 6, 1).astimezone()
    config = PortfolioConfig(value=ValueSettings(min_model_customers=2))
    report = analyze(*_buyers([(1, 31, 137), (0, 0, 410), (0, 0, 389)], as_of), as_of=as_of,
                     config=config)  # fmt: skip
    assert report.model.name == "BG/NBD"
    assert list(report.model.aic) == ["BG/NBD"]
    assert report.model.choice is not None
    assert report.model.choice.startswith("the only model fitted (Pareto/NBD could not be fitted")


def test_when_neither_model_can_be_fitted_the_report_gives_both_reasons() -> None:
    as_of = datetime(2025, 6, 1).astimezone()
    config = PortfolioConfig(value=ValueSettings(min_model_customers=2))
    report = analyze(*_buyers([(2, 582, 722), (2, 43, 225)], as_of), as_of=as_of, config=config)
    assert report.model.fitted is None and report.model.name is None
    assert report.model.reason is not None
    assert "BG/NBD could not be fitted" in report.model.reason
    assert "Pareto/NBD could not be fitted" in report.model.reason


def test_an_unknown_purchase_model_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="transaction_model") as info:
        PortfolioConfig.model_validate({"value": {"transaction_model": "ParetoNBD"}})
    assert "'Pareto/NBD'" in str(info.value)


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
