"""The dataframe engine gives the pure-Python path's purchase summaries, in pandas and polars."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Transaction
from crmcore import strategies as crm
from crmcore.value import rfm_summary

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
frame = pytest.importorskip("crmcore.frame")

UNITS = st.sampled_from(
    [("days", "calendar"), ("weeks", "calendar"), ("weeks", "days"), ("months", "calendar")]
)
sales_st = st.lists(
    st.sampled_from(["A", "B", "C"]).flatmap(
        lambda cid: crm.transactions(
            cid, min_time=datetime(2020, 1, 1), max_time=datetime(2023, 12, 31)
        )
    ),
    max_size=25,
    unique_by=lambda t: t.id,
)


def columns(sales: list[Transaction]) -> dict[str, list[str]]:
    return {
        "customer_id": [s.customer_id for s in sales],
        "occurred_at": [s.occurred_at.isoformat() for s in sales],
        "kind": [s.kind.value for s in sales],
        "amount": [str(s.amount.amount) for s in sales],
    }


def as_dicts(rows: object) -> dict[str, tuple[float, ...]]:
    if isinstance(rows, list):
        return {r.customer_id: tuple(r[1:6]) for r in rows}
    native = rows.to_dicts() if isinstance(rows, pl.DataFrame) else rows.to_dict("records")  # type: ignore[attr-defined]
    return {
        r["customer_id"]: (
            r["frequency"],
            r["recency"],
            r["T"],
            r["monetary_value"],
            r["total_spend"],
        )
        for r in native
    }


@pytest.mark.parametrize("library", ["pandas", "polars"])
@given(sales=sales_st, unit=UNITS, end=st.dates(date(2020, 6, 1), date(2024, 6, 1)))
def test_the_engine_agrees_with_the_pure_path(
    library: str, sales: list[Transaction], unit: tuple[str, str], end: date
) -> None:
    options = {"unit": unit[0], "periods": unit[1]}
    table = (
        pd.DataFrame(columns(sales), dtype=str)
        if library == "pandas"
        else pl.DataFrame(columns(sales), schema=dict.fromkeys(columns(sales), pl.String))
    )
    expected = as_dicts(rfm_summary(sales, observation_end=end, **options))  # type: ignore[arg-type]
    got = as_dicts(frame.rfm_summary(table, observation_end=end, **options))
    assert set(got) == set(expected)
    for customer, row in expected.items():
        assert got[customer][:3] == pytest.approx(row[:3])
        assert got[customer][3:] == pytest.approx(row[3:], rel=1e-9, abs=1e-6)


def test_a_lazy_table_stays_lazy() -> None:
    lazy = pl.DataFrame(
        {"customer_id": ["A"], "occurred_at": ["2024-01-01"], "amount": [5.0]}
    ).lazy()
    result = frame.rfm_summary(lazy, observation_end=date(2024, 12, 31), kind=None)
    assert isinstance(result, pl.LazyFrame)
    assert result.collect().row(0) == ("A", 0, 0.0, 365.0, 0.0, 5.0)


def test_a_time_column_of_numbers_is_refused() -> None:
    with pytest.raises(TypeError, match="ISO 8601 text or datetimes, not Float64"):
        frame.rfm_summary(pd.DataFrame({"customer_id": [], "occurred_at": [], "amount": []}),
                          observation_end=date(2024, 1, 1), kind=None)  # fmt: skip


@given(st.lists(st.dates(), min_size=1, max_size=40))
def test_the_engine_numbers_calendar_days_as_python_does(days: list[date]) -> None:
    import narwhals as nw

    from crmcore.frame import _days_from_civil

    table = nw.from_native(pl.DataFrame({"d": days}))
    got = table.select(
        _days_from_civil(nw.col("d").dt.year(), nw.col("d").dt.month(), nw.col("d").dt.day())
    )["d"].to_list()
    assert got == [d.toordinal() - date(1970, 1, 1).toordinal() for d in days]
