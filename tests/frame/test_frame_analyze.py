"""The dataframe engines make the very report the pure engine makes of the same records."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.datasets import generate
from crmcore.entities import TransactionKind
from crmcore.errors import DuplicateId, InvalidRecord
from crmcore.frame import analyze
from crmcore.io import read_csv, write_csv
from crmcore.money import Money
from crmcore.portfolio import PortfolioConfig, PortfolioReport
from crmcore.portfolio import analyze as pure_analyze
from crmcore.strategies import care_touchpoints, complaints, customers, transactions

pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")

Tables = Sequence[Any]
KINDS = (Customer, Transaction, CareTouchpoint, Complaint)


def _text_table(records: Sequence[Any], entity: type[Any]) -> Any:
    """A polars table of records as their CSV file reads: every column text."""
    out = io.StringIO()
    write_csv(out, records, entity=entity)
    return pl.read_csv(out.getvalue().encode(), infer_schema=False)


def _polars(data: Sequence[Sequence[Any]]) -> list[Any]:
    return [_text_table(records, entity) for records, entity in zip(data, KINDS, strict=True)]


ENGINES: dict[str, Callable[[Any], Any]] = {
    "polars": lambda table: table,
    "polars lazy": lambda table: table.lazy(),
    "pandas": lambda table: table.to_pandas(),
    "pyarrow": lambda table: table.to_arrow(),
}


def _duckdb(table: Any) -> Any:
    duckdb = pytest.importorskip("duckdb")
    return duckdb.from_arrow(table.to_arrow())


ENGINES["duckdb"] = _duckdb


def _same(frame: PortfolioReport, pure: PortfolioReport) -> None:
    differing = [name for name in PortfolioReport.model_fields
                 if getattr(frame, name) != getattr(pure, name)]  # fmt: skip
    assert differing == []
    assert frame == pure


def _records(seed: int, customers: int = 60) -> tuple[tuple[Any, ...], ...]:
    data = generate(customers=customers, seed=seed)
    return data.customers, data.transactions, data.touchpoints, data.complaints


@pytest.mark.parametrize("engine", list(ENGINES))
@pytest.mark.parametrize("seed", [1, 2])
def test_every_local_engine_reports_what_the_pure_engine_reports(engine: str, seed: int) -> None:
    data = generate(customers=60, seed=seed)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    tables = [ENGINES[engine](t) for t in _polars(records)]
    _same(analyze(*tables, as_of=data.end), pure_analyze(*records, as_of=data.end))


def test_customer_disjoint_partitions_merge_into_the_report_of_the_whole() -> None:
    data = generate(customers=120, seed=5)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    tables = _polars(records)
    whole = pure_analyze(*records, as_of=data.end)
    for partitions in (2, 3, 7):
        _same(analyze(*tables, as_of=data.end, partitions=partitions), whole)


def test_worker_processes_report_what_one_process_reports() -> None:
    data = generate(customers=60, seed=9)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    _same(
        analyze(*_polars(records), as_of=data.end, workers=2),
        pure_analyze(*records, as_of=data.end),
    )


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
def test_dask_tables_are_analysed_as_dask_tasks_with_the_same_report() -> None:
    dd = pytest.importorskip("dask.dataframe")
    data = generate(customers=80, seed=4)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    tables = [dd.from_pandas(t.to_pandas(), npartitions=3) for t in _polars(records)]
    _same(analyze(*tables, as_of=data.end), pure_analyze(*records, as_of=data.end))


@pytest.mark.xdist_group("spark")
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning")
def test_spark_tables_are_analysed_as_grouped_udfs_with_the_same_report(spark: Any) -> None:
    data = generate(customers=60, seed=6)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    tables = []
    for table in _polars(records):
        schema = ", ".join(f"`{c}` string" for c in table.columns)
        tables.append(spark.createDataFrame(table.rows(), schema))
    report = analyze(*tables, as_of=data.end, partitions=3)
    _same(report, pure_analyze(*records, as_of=data.end))


# ---------------------------------------------------------------- small portfolios

AS_OF = datetime(2025, 1, 1, tzinfo=timezone.utc)
EARLY, LATE = datetime(2023, 1, 1), datetime(2024, 12, 31)


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[Any], ...]:
    """A few customers in one or two currencies, each with few records (maybe none)."""
    people: list[Customer] = []
    sales: list[Transaction] = []
    contacts: list[CareTouchpoint] = []
    issues: list[Complaint] = []
    tie = datetime(2024, 6, 1, 12, tzinfo=timezone.utc)
    for n in range(draw(st.integers(0, 5))):
        cid, currency = f"C-{n}", draw(st.sampled_from(["CNY", "CNY", "EUR"]))
        people.append(draw(customers(cid, currency)).model_copy(update={"acquired_at": None}))
        shape = draw(st.sampled_from(["none", "one", "refunds", "ties", "any"]))
        if shape == "none":
            continue
        count = 1 if shape == "one" else draw(st.integers(1, 4))
        for k in range(count):
            sale = draw(transactions(cid, currency, EARLY, LATE))
            update: dict[str, Any] = {"id": f"T-{n}-{k}"}
            if shape == "one":
                update["kind"], update["refund_of"] = TransactionKind.PURCHASE, None
            if shape == "refunds":
                update["kind"] = TransactionKind.REFUND
            if shape == "ties":
                update["occurred_at"] = tie
                update["kind"], update["refund_of"] = TransactionKind.PURCHASE, None
            sales.append(sale.model_copy(update=update))
        if shape == "any":
            for k in range(draw(st.integers(0, 2))):
                contact = draw(care_touchpoints(cid, currency, EARLY, LATE))
                contacts.append(contact.model_copy(update={"id": f"P-{n}-{k}"}))
            for k in range(draw(st.integers(0, 1))):
                issue = draw(complaints(cid, currency, EARLY, LATE))
                issues.append(issue.model_copy(update={"id": f"K-{n}-{k}"}))
    return people, sales, contacts, issues


# Each example runs both engines on a portfolio (about a second); twelve cover both
# engines and every partition count, beside the pure engine's own 60-example tests.
@settings(max_examples=12)
@given(portfolios(), st.sampled_from(["polars", "pandas"]), st.integers(1, 3))
def test_small_portfolios_get_the_pure_engines_report(
    records: tuple[list[Any], ...], engine: str, partitions: int
) -> None:
    tables = [ENGINES[engine](t) for t in _polars(records)]
    config = PortfolioConfig(value={"min_model_customers": 2})
    _same(
        analyze(*tables, as_of=AS_OF, config=config, partitions=partitions),
        pure_analyze(*records, as_of=AS_OF, config=config),
    )


def test_empty_tables_make_an_empty_report() -> None:
    tables = _polars(([], [], [], []))
    report = analyze(*tables, as_of=AS_OF)
    assert report.customers == ()
    _same(report, pure_analyze([], as_of=AS_OF))


def test_tables_left_out_are_analysed_as_no_records() -> None:
    people = [Customer(id="C-1"), Customer(id="C-2")]
    report = analyze(_text_table(people, Customer), as_of=AS_OF)
    _same(report, pure_analyze(people, as_of=AS_OF))


# ---------------------------------------------------------------- bad input


def _one_sale(amount: str) -> list[Any]:
    customer = _text_table([Customer(id="C-1")], Customer)
    sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-05-01",
                       amount=Money("10", "CNY"))  # fmt: skip
    good = _text_table([sale, sale.model_copy(update={"id": "T-2"})], Transaction)
    bad = good.with_columns(pl.Series("amount", ["10", amount]))
    return [customer, bad]


def test_a_bad_row_raises_naming_the_table_the_row_and_the_field() -> None:
    with pytest.raises(InvalidRecord) as caught:
        analyze(*_one_sale("-3"), as_of=AS_OF)
    assert (caught.value.source, caught.value.line) == ("transactions table", 2)
    assert [p.field for p in caught.value.problems] == ["amount"]


def test_bad_rows_collected_are_listed_and_counted_as_the_pure_engine_does() -> None:
    tables = _one_sale("ten")
    report = analyze(*tables, as_of=AS_OF, on_error="collect")
    (rejected,) = report.rejected
    assert (rejected.source, rejected.line, rejected.record_id) == ("transactions table", 2, "T-2")
    counts = report.records["transactions"]
    assert (counts.read, counts.analysed, counts.rejected) == (2, 1, 1)
    reader = read_csv(io.StringIO(tables[1].write_csv()), Transaction, on_error="collect")
    reader.collect()
    (error,) = reader.errors
    assert error.line == rejected.line + 1  # a file's header is its line 1
    assert rejected.problem == "; ".join(str(p) for p in error.problems)


def test_the_earliest_bad_row_of_all_partitions_is_the_one_raised() -> None:
    people = _text_table([Customer(id=f"C-{n}") for n in range(20)], Customer)
    people = people.with_columns(
        pl.Series("relationship_level", [None] * 12 + ["bff"] + [None] * 6 + ["pal"])
    )
    for partitions in (1, 4):
        with pytest.raises(InvalidRecord) as caught:
            analyze(people, as_of=AS_OF, partitions=partitions)
        assert caught.value.line == 13


def test_worker_processes_that_read_their_own_partition_name_the_earliest_bad_row() -> None:
    people = _text_table([Customer(id=f"C-{n}") for n in range(20)], Customer)
    people = people.with_columns(
        pl.Series("relationship_level", [None] * 12 + ["bff"] + [None] * 6 + ["pal"])
    )
    with pytest.raises(InvalidRecord) as caught:
        analyze(people.lazy(), as_of=AS_OF, workers=2, partitions=3)
    assert (caught.value.source, caught.value.line) == ("customers table", 13)
    report = analyze(people, as_of=AS_OF, workers=2, on_error="collect")
    assert [(r.line, r.record_id) for r in report.rejected] == [(13, "C-12"), (20, "C-19")]


def test_worker_processes_count_the_rows_they_read_for_progress() -> None:
    data = generate(customers=30, seed=3)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    seen: list[tuple[str, int]] = []
    report = analyze(*(t.lazy() for t in _polars(records)), as_of=data.end, workers=2,
                     progress=lambda stage, n: seen.append((stage, n)))  # fmt: skip
    _same(report, pure_analyze(*records, as_of=data.end))
    names = ["customers", "transactions", "touchpoints", "complaints"]
    assert seen[:4] == [(name, len(r)) for name, r in zip(names, records, strict=True)]


def test_two_customers_with_one_id_are_refused() -> None:
    people = _text_table([Customer(id="C-1"), Customer(id="C-1")], Customer)
    with pytest.raises(DuplicateId):
        analyze(people, as_of=AS_OF, partitions=2)


def test_an_unknown_column_is_refused_before_any_row_is_read() -> None:
    people = _text_table([Customer(id="C-1")], Customer).with_columns(pl.lit("x").alias("colour"))
    with pytest.raises(InvalidRecord, match="colour") as caught:
        analyze(people, as_of=AS_OF)
    assert caught.value.line == 1


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
def test_distributed_tables_cannot_be_mixed_with_local_ones() -> None:
    dd = pytest.importorskip("dask.dataframe")
    people = _text_table([Customer(id="C-1")], Customer)
    sales = _text_table([], Transaction)
    with pytest.raises(TypeError, match="cannot be mixed"):
        analyze(people, dd.from_pandas(sales.to_pandas(), npartitions=1), as_of=AS_OF)


def test_partitions_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        analyze(_text_table([], Customer), as_of=AS_OF, partitions=0)


def test_one_hour_before_the_moment_counts_as_the_pure_engine_counts() -> None:
    people = [Customer(id="C-1")]
    sale = Transaction(id="T-1", customer_id="C-1", occurred_at=AS_OF - timedelta(hours=1),
                       amount=Money("5", "CNY"))  # fmt: skip
    later = sale.model_copy(update={"id": "T-2", "occurred_at": AS_OF + timedelta(hours=1)})
    tables = _polars((people, [sale, later], [], []))
    _same(analyze(*tables, as_of=AS_OF), pure_analyze(people, [sale, later], as_of=AS_OF))
