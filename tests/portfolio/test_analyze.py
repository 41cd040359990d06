"""How `analyze` treats its inputs and what its report offers."""

from __future__ import annotations

import builtins
import json
from typing import Any

import pytest

from crmcore import Customer, Money, Transaction
from crmcore.datasets import generate, load_sample
from crmcore.errors import DuplicateId, InvalidRecord
from crmcore.lifecycle import LifecyclePolicy, LifecycleStage
from crmcore.portfolio import CustomerReport, PortfolioConfig, PortfolioReport, analyze
from tests.conftest import assert_matches_its_schema


def _sale(n: int, cid: str, day: str, amount: str = "100") -> Transaction:
    return Transaction(id=f"T-{n}", customer_id=cid, occurred_at=day, amount=Money(amount, "CNY"))


def test_records_of_customers_not_in_the_list_are_reported_not_analysed() -> None:
    report = analyze(
        [Customer(id="C-1")],
        [_sale(1, "C-1", "2024-01-02"), _sale(2, "C-9", "2024-01-03")],
        as_of="2024-06-01",
    )
    assert [(u.kind, u.record_id, u.customer_id) for u in report.unknown_records] == [
        ("transaction", "T-2", "C-9")
    ]
    assert report.records["transactions"] == 2
    assert [line.historical_value for line in report.customers] == [100]


def test_mappings_are_validated_and_a_bad_one_is_named_by_its_position() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "T-1", "customer_id": "C-1", "occurred_at": "2024-01-02",
         "amount": {"amount": "5", "currency": "CNY"}},
        {"id": "T-2", "customer_id": "C-1", "occurred_at": "2024-01-03",
         "amount": {"amount": "-5", "currency": "CNY"}},
    ]  # fmt: skip
    with pytest.raises(InvalidRecord, match=r"transactions input, line 2: field 'amount"):
        analyze([{"id": "C-1"}], rows, as_of="2024-06-01")


def test_two_customers_with_one_id_are_refused() -> None:
    with pytest.raises(DuplicateId, match="C-1"):
        analyze([Customer(id="C-1"), Customer(id="C-1")], as_of="2024-06-01")


def test_duplicate_record_ids_are_refused_only_when_asked_for() -> None:
    sales = [_sale(1, "C-1", "2024-01-02"), _sale(1, "C-1", "2024-01-05")]
    report = analyze([Customer(id="C-1")], sales, as_of="2024-06-01")
    assert report.customers[0].historical_value == 200
    with pytest.raises(DuplicateId, match="T-1"):
        analyze([Customer(id="C-1")], sales, as_of="2024-06-01", check_ids=True)


def test_records_after_as_of_are_left_out() -> None:
    sales = [_sale(1, "C-1", "2024-01-02"), _sale(2, "C-1", "2024-07-05")]
    (line,) = analyze([Customer(id="C-1")], sales, as_of="2024-06-01").customers
    assert (line.stage, line.historical_value) == (LifecycleStage.FIRST_TIME, 100)


def test_a_policy_that_needs_the_loyalty_index_at_promotion_is_refused() -> None:
    config = PortfolioConfig(lifecycle=LifecyclePolicy(loyal_min_loyalty=50))
    with pytest.raises(ValueError, match="loyal_min_loyalty"):
        analyze([], as_of="2024-06-01", config=config)


def test_an_empty_portfolio_gives_an_empty_report_with_every_count_at_zero() -> None:
    report = analyze([], as_of="2024-06-01")
    assert report.customers == ()
    assert set(report.stages.values()) == {0}
    assert (report.nps, report.csat, report.pareto) == (None, None, None)
    assert report.care_plan.tasks == ()
    assert report.to_dicts() == []


def test_progress_is_reported_per_kind_of_record_with_the_count_so_far() -> None:
    data = generate(customers=3, seed=1)
    calls: list[tuple[str, int]] = []
    analyze(data.customers, data.transactions, as_of="2030-01-01",
            progress=lambda kind, n: calls.append((kind, n)))  # fmt: skip
    assert calls == [
        ("customers", 3),
        ("transactions", len(data.transactions)),
        ("touchpoints", 0),
        ("complaints", 0),
    ]


def test_the_configuration_loads_from_json_and_refuses_unknown_settings() -> None:
    config = PortfolioConfig.model_validate_json(
        json.dumps({"value": {"margin_rate": 0.3}, "columns": {"transactions": {"ref": "id"}}})
    )
    assert config.value.margin_rate == 0.3
    with pytest.raises(ValueError, match="colour"):
        PortfolioConfig.model_validate({"colour": "red"})


@pytest.fixture(scope="module")
def sample_report() -> PortfolioReport:
    data = load_sample()
    return analyze(data.customers, data.transactions, data.touchpoints, data.complaints,
                   as_of="2025-12-31T23:59:59+08:00")  # fmt: skip


def test_the_report_lines_become_plain_dicts_and_dataframes(sample_report: PortfolioReport) -> None:
    rows = sample_report.to_dicts()
    assert len(rows) == 500
    assert isinstance(rows[0]["stage"], str)
    pandas_frame = sample_report.to_pandas()
    polars_frame = sample_report.to_polars()
    assert pandas_frame.shape == polars_frame.shape == (500, len(rows[0]))
    assert pandas_frame["historical_value"].sum() == pytest.approx(
        float(sum(line.historical_value for line in sample_report.customers))
    )


def test_a_missing_dataframe_library_names_the_extra_to_install(
    sample_report: PortfolioReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = builtins.__import__

    def without_polars(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "polars":
            raise ImportError("No module named 'polars'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_polars)
    with pytest.raises(ImportError, match=r"crmcore\[polars\]"):
        sample_report.to_polars()


def test_the_portfolio_aggregates_add_up(sample_report: PortfolioReport) -> None:
    report = sample_report
    assert sum(report.stages.values()) == sum(report.quadrants.values()) == 500
    assert sum(t.count for t in report.tiers) == 500
    assert sum(t.value_share or 0 for t in report.tiers) == pytest.approx(1)
    assert report.nps_ratings > 0 and report.nps is not None
    assert sum(report.sla["resolution"].values()) == report.records["complaints"]
    assert [r.value_at_risk for r in report.at_risk] == sorted(
        (r.value_at_risk for r in report.at_risk), reverse=True
    )
    assert all(report.care_plan.start <= t.due <= report.care_plan.end
               for t in report.care_plan.tasks)  # fmt: skip


def test_the_report_and_its_configuration_match_their_json_schemas(
    sample_report: PortfolioReport,
) -> None:
    assert_matches_its_schema(sample_report)
    assert_matches_its_schema(PortfolioConfig())
    again = PortfolioReport.model_validate_json(sample_report.model_dump_json())
    assert again == sample_report


def test_each_customer_line_equals_a_validated_copy(sample_report: PortfolioReport) -> None:
    for line in sample_report.customers:
        assert CustomerReport.model_validate(line.model_dump()) == line
