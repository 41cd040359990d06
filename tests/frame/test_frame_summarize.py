"""The dataframe engine summarizes raw tables as the pure path summarizes each history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import Customer, CustomerHistory, Money, Transaction, build_histories, summarize
from crmcore.datasets import Dataset, generate
from crmcore.value import rfm_summary

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
frame = pytest.importorskip("crmcore.frame")

ZONE = "Asia/Shanghai"  # the generator's +08:00


def tables(data: Dataset) -> dict[str, dict[str, list[Any]]]:
    """The dataset's records as columns named as in crmcore's CSV files."""
    sales = data.transactions
    contacts = data.touchpoints
    feedback = [p.feedback for p in contacts]

    def told(name: str) -> list[Any]:
        values = [None if f is None else getattr(f, name) for f in feedback]
        return [getattr(v, "value", v) for v in values]

    return {
        "customers": {
            "id": [c.id for c in data.customers],
            "wallet": [
                None if c.wallet is None else float(c.wallet.amount) for c in data.customers
            ],
        },
        "transactions": {
            "customer_id": [t.customer_id for t in sales],
            "occurred_at": [t.occurred_at for t in sales],
            "kind": [t.kind.value for t in sales],
            "amount": [float(t.amount.amount) for t in sales],
            "list_amount": [
                None if t.list_amount is None else float(t.list_amount.amount) for t in sales
            ],
            "promotion": [t.promotion for t in sales],
            "product": [t.product for t in sales],
            "quantity": [t.quantity for t in sales],
            "designated": [t.designated for t in sales],
            "selection_time": [
                None if t.selection_time is None else t.selection_time.total_seconds()
                for t in sales
            ],
        },
        "touchpoints": {
            "id": [p.id for p in contacts],
            "customer_id": [p.customer_id for p in contacts],
            "occurred_at": [p.occurred_at for p in contacts],
            **{
                f"feedback.{name}": told(name)
                for name in (
                    "recommend",
                    "satisfaction",
                    "praise",
                    "referral",
                    "competitor_attitude",
                )
            },
        },
        "complaints": {
            "customer_id": [k.customer_id for k in data.complaints],
            "received_at": [k.received_at for k in data.complaints],
            "category": [k.category.value for k in data.complaints],
            "accepted": [k.accepted for k in data.complaints],
        },
    }


FLOATS = ("wallet", "amount", "list_amount", "selection_time", "feedback.recommend",
          "feedback.satisfaction")  # fmt: skip
FLAGS = ("promotion", "designated", "feedback.praise", "feedback.referral", "accepted")
TEXTS = ("feedback.competitor_attitude", "product")


def native(library: str, columns: dict[str, list[Any]], times: tuple[str, ...]) -> Any:
    """A table with the types a careful user gives columns (missing values stay missing)."""
    if library == "polars":
        types = {**dict.fromkeys(FLOATS, pl.Float64), **dict.fromkeys(FLAGS, pl.Boolean),
                 **dict.fromkeys(TEXTS, pl.String)}  # fmt: skip
        table = pl.DataFrame(
            columns, schema_overrides={k: v for k, v in types.items() if k in columns}
        )
        return table.with_columns(
            pl.col(t).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(ZONE)
            for t in times
            if t in table.columns
        )
    table = pd.DataFrame(columns)
    for name in table.columns:
        if name in times:
            table[name] = pd.to_datetime(table[name], utc=True).dt.tz_convert(ZONE)
        elif name in FLOATS:
            table[name] = table[name].astype("Float64")
        elif name in FLAGS:
            table[name] = table[name].astype("boolean")
        elif name in TEXTS or name.endswith("id") or name in ("kind", "category"):
            table[name] = table[name].astype("string")
    return table


def records(result: Any) -> list[dict[str, Any]]:
    return result.to_dicts() if isinstance(result, pl.DataFrame) else result.to_dict("records")


def same(got: Any, expected: Any) -> bool:
    missing = got is None or got is pd.NA or (isinstance(got, float) and got != got)
    if expected is None:
        return missing
    if isinstance(expected, str):
        return got == expected
    return not missing and float(got) == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("library", ["pandas", "polars"])
@settings(max_examples=20)
@given(
    size=st.integers(min_value=0, max_value=8),
    seed=st.integers(min_value=0, max_value=5_000),
    days=st.integers(min_value=-60, max_value=500),
)
def test_the_engine_summarizes_raw_tables_as_the_pure_path(
    library: str, size: int, seed: int, days: int
) -> None:
    data = generate(customers=size, seed=seed)
    end = data.end or datetime(2025, 1, 1).date()
    as_of = datetime.combine(end - timedelta(days=days), datetime.min.time(), tzinfo=timezone.utc)
    columns = tables(data)
    times = ("occurred_at", "received_at")
    result = frame.summarize(
        native(library, columns["customers"], times),
        native(library, columns["transactions"], times),
        native(library, columns["touchpoints"], times),
        native(library, columns["complaints"], times),
        as_of=as_of,
    )
    got = {row["customer_id"]: row for row in records(result)}
    assert list(got) == sorted(c.id for c in data.customers)
    histories = build_histories(data.customers, data.transactions, data.touchpoints,
                                data.complaints)  # fmt: skip
    rfm = {r.customer_id: r for r in rfm_summary(data.transactions, observation_end=as_of)}
    read = [name for name in frame.summary_columns([]) if name != "customer_id"]
    for cid, history in histories.items():
        summary = summarize(history, as_of=as_of)
        row = got[cid]
        every = ("occasions_total", "occasions", "repeat_occasions", "promotion_dependence")
        for name in (*every, "wallet_left", "net_spend", *read):
            assert same(row[name], getattr(summary, name)), (cid, name)
        spend = summary.spend.amount if summary.spend is not None else 0
        assert same(row["spend"], spend), cid
        purchase = rfm.get(cid)
        for name in ("frequency", "recency", "T", "monetary_value", "total_spend"):
            assert same(row[name], None if purchase is None else getattr(purchase, name)), name


def test_the_engine_refuses_text_times_naming_the_column() -> None:
    people = pl.DataFrame({"id": ["C-1"]})
    sales = pl.DataFrame({"customer_id": ["C-1"], "occurred_at": ["2024-01-01T10:00:00+08:00"],
                          "amount": [1.0]})  # fmt: skip
    with pytest.raises(TypeError, match="'occurred_at' must hold datetimes"):
        frame.summarize(people, sales, as_of=datetime(2024, 6, 1, tzinfo=timezone.utc))


def test_the_engine_keeps_a_lazy_table_lazy() -> None:
    people = pl.LazyFrame({"id": ["C-1"]})
    sales = pl.LazyFrame({"customer_id": ["C-1"], "kind": ["purchase"], "amount": [5.0],
                          "occurred_at": [datetime(2024, 1, 1, tzinfo=timezone.utc)]})  # fmt: skip
    result = frame.summarize(people, sales, as_of=datetime(2024, 6, 1, tzinfo=timezone.utc))
    assert isinstance(result, pl.LazyFrame)
    assert result.collect()["occasions_total"].to_list() == [1]


# narwhals announces that Dask support moves to a `narwhals-dask` plugin (not yet published)
@pytest.mark.filterwarnings("ignore:Dask support is moving out of Narwhals:FutureWarning")
def test_a_distributed_engine_dask_summarizes_and_scores_as_pandas_does() -> None:
    dd = pytest.importorskip("dask.dataframe")
    data = generate(customers=40, seed=11)
    as_of = datetime(2025, 6, 30, tzinfo=timezone.utc)
    columns = tables(data)
    times = ("occurred_at", "received_at")
    local = {kind: native("pandas", cols, times) for kind, cols in columns.items()}
    spread = {kind: dd.from_pandas(table, npartitions=3) for kind, table in local.items()}
    order = ("customers", "transactions", "touchpoints", "complaints")
    expected = frame.summarize(*(local[k] for k in order), as_of=as_of)
    summary = frame.summarize(*(spread[k] for k in order), as_of=as_of)
    assert isinstance(summary, dd.DataFrame)  # nothing computed yet
    computed = summary.compute()
    assert_same_rows(computed, expected)
    # scoring the lazy summary would plan and run the summary's graph again
    scores = frame.score(dd.from_pandas(computed, npartitions=2))
    assert isinstance(scores, dd.DataFrame)
    assert_same_rows(scores.compute(), frame.score(expected))


def assert_same_rows(got: Any, expected: Any) -> None:
    """Equal tables, whatever the engine's missing value (NaN or NA) and row order."""
    assert list(got.columns) == list(expected.columns)
    left = sorted(records(got), key=lambda row: row["customer_id"])
    right = sorted(records(expected), key=lambda row: row["customer_id"])
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        for name, value in b.items():
            missing = (
                value is None or value is pd.NA or (isinstance(value, float) and value != value)
            )
            assert same(a[name], None if missing else value), (a["customer_id"], name)


@pytest.mark.parametrize("engine", ["pyarrow", "duckdb"])
def test_arrow_and_duckdb_tables_are_summarized_and_scored_as_polars_does(engine: str) -> None:
    pa = pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    data = generate(customers=40, seed=11)
    columns = tables(data)
    times = ("occurred_at", "received_at")
    local = {kind: native("polars", cols, times) for kind, cols in columns.items()}
    order = ("customers", "transactions", "touchpoints", "complaints")
    as_of = datetime(2025, 6, 30, tzinfo=timezone.utc)
    expected = frame.summarize(*(local[k] for k in order), as_of=as_of)

    def convert(table: Any) -> Any:
        arrow = table.to_arrow()
        return arrow if engine == "pyarrow" else duckdb.from_arrow(arrow)

    def back(result: Any) -> Any:
        return pl.from_arrow(result if isinstance(result, pa.Table) else result.arrow())

    summary = frame.summarize(*(convert(local[k]) for k in order), as_of=as_of)
    scored, reference = back(frame.score(summary)), frame.score(expected)
    got = back(summary)
    if engine == "pyarrow":  # pyarrow's median is approximate (a t-digest): leave it out
        approximate = ["selection_minutes"]
        got, expected = got.drop(approximate), expected.drop(approximate)
        approximate = ["loyalty", "loyalty_selection_time"]
        scored, reference = scored.drop(approximate), reference.drop(approximate)
    assert_same_rows(got, expected)
    assert_same_rows(scored, reference)


def test_a_price_rise_of_exactly_one_percent_is_no_rise_in_either_engine() -> None:
    at = [datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 5, 1, tzinfo=timezone.utc)]
    lists = ["51.00", "51.51"]  # 3 at 17.00, then 3 at 17.17: exactly 1 % dearer
    sales = [
        Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=at[n], amount=Money(lists[n], "CNY"),
                    list_amount=Money(lists[n], "CNY"), product="A", quantity=3)
        for n in range(2)
    ]  # fmt: skip
    as_of = datetime(2024, 12, 31, tzinfo=timezone.utc)
    pure = summarize(CustomerHistory(customer=Customer(id="C-1"), transactions=sales), as_of=as_of)
    table = pl.DataFrame({
        "customer_id": ["C-1", "C-1"], "kind": ["purchase", "purchase"], "occurred_at": at,
        "amount": [51.0, 51.51], "list_amount": [51.0, 51.51], "product": ["A", "A"],
        "quantity": [3, 3],
    })  # fmt: skip
    got = frame.summarize(pl.DataFrame({"id": ["C-1"]}), table, as_of=as_of)
    assert (
        got.select("price_rises", "price_elasticity").row(0)
        == (pure.price_rises, None)
        == (0, None)
    )
