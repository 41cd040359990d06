"""Every tabular result becomes a pandas or polars dataframe by one convention."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    CareTouchpoint,
    Complaint,
    Customer,
    CustomerHistory,
    Money,
    Transaction,
    build_histories,
)
from crmcore.datasets import generate
from crmcore.errors import UsageError
from crmcore.portfolio import PortfolioReport, analyze
from crmcore.retention import CareKpis, care_kpis, cohorts
from crmcore.tabular import Column, Table, figures_table, mapping_table
from crmcore.value import RfmRow, pyramid, rfm_summary

PANDAS_TYPES = {
    "text": "string",
    "integer": "Int64",
    "number": "Float64",
    "boolean": "boolean",
    "timestamp": "datetime64[us, UTC]",
    "date": "date32[day][pyarrow]",
    "duration": "timedelta64[us]",
}
POLARS_TYPES = {
    "text": pl.String,
    "integer": pl.Int64,
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "timestamp": pl.Datetime("us", "UTC"),
    "date": pl.Date,
    "duration": pl.Duration("us"),
}


@pytest.fixture(scope="module")
def report() -> PortfolioReport:
    data = generate(customers=60, seed=11)
    return analyze(
        data.customers, data.transactions, data.touchpoints, data.complaints, as_of=data.end
    )


def assert_typed_as_declared(table: Table) -> None:
    pandas_frame = table.to_pandas()
    polars_frame = table.to_polars()
    assert list(pandas_frame.columns) == list(polars_frame.columns) == list(table.names)
    assert len(pandas_frame) == len(polars_frame) == len(table)
    for column in table.columns:
        pandas_type = str(pandas_frame[column.name].dtype)
        polars_type = polars_frame.schema[column.name]
        if column.type == "decimal":
            assert pandas_type.startswith("decimal128(38, ")
            assert isinstance(polars_type, pl.Decimal)
        else:
            assert pandas_type == PANDAS_TYPES[column.type], column.name
            assert polars_type == POLARS_TYPES[column.type], column.name
        assert pandas_type != "object"


def test_every_section_of_the_report_is_typed_alike_in_pandas_and_polars(
    report: PortfolioReport,
) -> None:
    tables = report.tables()
    assert set(tables) == {
        "customers",
        "records",
        "rejected",
        "stages",
        "currencies",
        "tiers",
        "pareto",
        "quadrants",
        "feedback",
        "sla",
        "at_risk",
        "care_plan",
        "model",
    }
    for table in tables.values():
        assert_typed_as_declared(table)


def test_the_sections_hold_the_reports_figures(report: PortfolioReport) -> None:
    assert sum(report.table("stages").column("customers")) == len(report.customers)
    (group,) = report.currencies
    tiers = report.table("tiers")
    assert tiers.column("value") == [tier.value for tier in group.tiers]
    assert set(tiers.column("currency")) == {group.currency}
    pareto = report.table("pareto")
    assert pareto.column("value_share")[-1] == pytest.approx(1.0)
    assert pareto.column("customer_share")[-1] == 1.0
    care = report.table("care_plan")
    assert len(care) == len(report.care_plan.tasks) + len(report.care_plan.throttled)
    assert care.column("held_back").count(True) == len(report.care_plan.throttled)
    model = report.table("model")
    assert set(model.column("parameter")) >= {"r", "alpha", "AIC"}


def test_the_care_plan_converts_to_polars_whatever_its_first_rows_hold(
    report: PortfolioReport,
) -> None:
    frame = report.to_polars("care_plan")
    sources = [task.source_id for task in (*report.care_plan.tasks, *report.care_plan.throttled)]
    assert frame["source_id"].to_list() == sources
    assert any(s is None for s in sources) and any(s is not None for s in sources)


def test_an_unknown_section_lists_the_sections(report: PortfolioReport) -> None:
    with pytest.raises(UsageError, match=r"no section 'tier'.*customers, records"):
        report.table("tier")  # type: ignore[arg-type]


def test_money_splits_into_a_decimal_amount_and_a_currency() -> None:
    sale = Transaction(
        id="T-1",
        customer_id="C-1",
        occurred_at="2025-03-01T10:00:00+08:00",
        amount=Money("12.5", "CNY"),
        cost=Money("7.125", "CNY"),
    )
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
    polars_frame = history.to_polars()
    pandas_frame = history.to_pandas()
    assert polars_frame["amount"].to_list() == [Decimal("12.500")]
    assert polars_frame["cost"].to_list() == [Decimal("7.125")]
    assert polars_frame["amount_currency"].to_list() == ["CNY"]
    assert polars_frame["list_amount"].to_list() == [None]
    assert pandas_frame["amount"].iloc[0] == Decimal("12.5")


def test_timestamps_are_utc_in_both_libraries() -> None:
    sale = Transaction(
        id="T-1",
        customer_id="C-1",
        occurred_at="2025-03-01T10:00:00+08:00",
        amount=Money("1", "CNY"),
    )
    history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
    moment = datetime(2025, 3, 1, 2, tzinfo=timezone.utc)
    assert history.to_polars()["occurred_at"].to_list() == [moment]
    assert history.to_pandas()["occurred_at"].iloc[0] == pd.Timestamp(moment)


def test_each_kind_of_a_historys_records_has_its_table() -> None:
    data = generate(customers=15, seed=4)
    histories = build_histories(
        data.customers, data.transactions, data.touchpoints, data.complaints
    )
    for history in histories.values():
        for kind, records in (
            ("transactions", history.transactions),
            ("touchpoints", history.touchpoints),
            ("complaints", history.complaints),
        ):
            table = history.table(kind)  # type: ignore[arg-type]
            assert len(table) == len(records)
            assert_typed_as_declared(table)
    some = next(iter(histories.values()))
    assert "feedback_recommend" in some.table("touchpoints").names
    assert "recovery_actions" in some.table("complaints").names
    with pytest.raises(UsageError, match="no 'orders' records"):
        some.table("orders")  # type: ignore[arg-type]


def test_an_empty_table_keeps_its_columns_and_types() -> None:
    table = Table.of_type("touchpoints", CareTouchpoint, [])
    assert len(table) == 0
    assert_typed_as_declared(table)
    assert Table.of_type("complaints", Complaint, []).to_polars().width > 10


def test_a_column_of_nulls_keeps_its_type() -> None:
    table = Table(
        "t",
        [Column("when", "timestamp"), Column("flag", "boolean"), Column("amount", "decimal")],
        [(None, None, None)] * 3,
    )
    assert_typed_as_declared(table)


def test_a_value_that_does_not_fit_its_column_names_the_row_and_column() -> None:
    with pytest.raises(UsageError, match=r"Row 2 of table 't': column 'n' takes a integer"):
        Table("t", [Column("n", "integer")], [(1,), ("two",)])
    with pytest.raises(UsageError, match="takes a timestamp value"):
        Table("t", [Column("at", "timestamp")], [(datetime(2025, 1, 1),)])
    with pytest.raises(UsageError, match="has 2 values for 1 columns"):
        Table("t", [Column("n", "integer")], [(1, 2)])


def test_records_of_mixed_types_are_refused() -> None:
    row = RfmRow("C-1", 0, 0.0, 1.0, 0.0, 5.0, "days")
    with pytest.raises(UsageError, match="one type"):
        Table.of("mixed", [row, Customer(id="C-1")])


def test_rfm_rows_cohorts_and_pyramids_have_tables() -> None:
    data = generate(customers=40, seed=2)
    rows = rfm_summary(data.transactions, observation_end=data.end)
    rfm = Table.of_type("rfm", RfmRow, rows)
    assert rfm.column("customer_id") == [r.customer_id for r in rows]
    assert_typed_as_declared(rfm)
    histories = build_histories(data.customers, data.transactions)
    table = cohorts(histories.values(), period="quarter", as_of=data.end)
    long = table.table()
    assert sum(
        size for size, k in zip(long.column("size"), long.column("period"), strict=True) if k == 0
    ) == sum(c.size for c in table.cohorts)
    assert_typed_as_declared(long)
    levels = pyramid({f"C-{n}": Decimal(n) for n in range(30)}).table()
    assert sum(levels.column("value")) == sum(range(30))
    assert_typed_as_declared(levels)


def test_kpis_become_one_row_per_figure_and_key() -> None:
    data = generate(customers=30, seed=5)
    histories = build_histories(
        data.customers, data.transactions, data.touchpoints, data.complaints
    )
    kpis: CareKpis = care_kpis(histories, start=date(2025, 1, 1), end=date(2025, 6, 30))
    table = kpis.table()
    by_channel = {
        group: value
        for figure, group, value, *_ in table.rows
        if figure == "by_channel" and group is not None
    }
    assert by_channel == {k: float(v) for k, v in kpis.by_channel.items()}
    costs = [row for row in table.rows if row[0] == "cost"]
    assert costs == [("cost", None, None, kpis.cost, kpis.currency if kpis.cost else None)]
    assert_typed_as_declared(table)
    assert_typed_as_declared(figures_table("again", kpis, skip=["cost"]))


def test_the_notebook_view_is_an_escaped_html_table(report: PortfolioReport) -> None:
    table = mapping_table("t", Column("k", "text"), Column("n", "integer"), {"<b>": 1})
    assert "&lt;b&gt;" in table._repr_html_()
    assert "t: 1 row" in table._repr_html_()
    page = report._repr_html_()
    assert page.count("<table>") == 7
    assert "care_plan" in page
    assert report.care_plan._repr_html_().startswith("<table><caption>care_plan: ")


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(max_size=5),
    "integer": st.integers(-(2**62), 2**62),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "boolean": st.booleans(),
    "decimal": st.decimals(
        min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False
    ),
    "timestamp": st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(timezone.utc),
    ),
    "date": st.dates(min_value=date(1900, 1, 1)),
    "duration": st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=9999)).map(
        lambda d: timedelta(microseconds=d // timedelta(microseconds=1))
    ),
}


@given(st.data())
def test_both_libraries_hold_the_tables_values(data: st.DataObject) -> None:
    kinds = data.draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=4))
    columns = [Column(f"c{i}", kind) for i, kind in enumerate(kinds)]  # type: ignore[arg-type]
    rows = data.draw(st.lists(st.tuples(*(st.none() | VALUES[kind] for kind in kinds)), max_size=5))
    table = Table("t", columns, rows)
    polars_rows = [tuple(row) for row in table.to_polars().iter_rows()]
    pandas_frame = table.to_pandas()
    for (position, row), polars_row in zip(enumerate(table.rows), polars_rows, strict=True):
        for column, value, polars_value in zip(columns, row, polars_row, strict=True):
            pandas_value = pandas_frame[column.name].iloc[position]
            if value is None:
                assert polars_value is None
                assert pd.isna(pandas_value)
            else:
                assert polars_value == value
                assert pandas_value == value


def test_not_a_number_is_a_missing_value_in_both_libraries() -> None:
    table = Table("t", [Column("x", "number")], [(float("nan"),), (1.5,)])
    assert table.column("x") == [None, 1.5]
    assert table.to_polars()["x"].null_count() == 1
    assert table.to_pandas()["x"].isna().tolist() == [True, False]


def test_a_table_refuses_what_a_dataframe_would_lose() -> None:
    with pytest.raises(UsageError, match="names a column twice: a"):
        Table("t", [Column("a", "integer"), Column("a", "text")])
    with pytest.raises(UsageError, match="no known type"):
        Table("t", [Column("a", "float")])  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="takes a decimal value"):
        Table("t", [Column("a", "decimal")], [(Decimal("1e40"),)])
    with pytest.raises(UsageError, match="takes a number value"):
        Table("t", [Column("a", "number")], [(10**400,)])


def test_the_pareto_section_holds_the_customers_without_an_amount_too() -> None:
    data = generate(customers=12, seed=8)
    buyers = {t.customer_id for t in data.transactions}
    report = analyze(data.customers, data.transactions, as_of=data.end)
    (group,) = report.currencies
    assert len(buyers) < group.customers  # some customers have no amount
    assert len(report.table("pareto")) == group.customers == len(report.lines_in(group.currency))
