"""Each per-customer formula, written once, gives one result on Python values and on expressions."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import narwhals as nw
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmcore import Money
from crmcore._formulas import (
    DERIVED,
    PLAIN,
    period_number,
    rfm_row,
    share_of_wallet,
    wallet_left,
    yearly_spend,
)
from crmcore.frame import _Columns, _Expressions

COUNTS = (
    "occasions_total", "occasions", "repeat_occasions", "complained_occasions",
    "designated", "designation_known", "discounted", "promoted",
    "quality_complaints", "quality_tolerated",
    "recommend_ratings", "promoters", "passives", "praise", "no_praise",
    "referrals", "no_referrals",
)  # fmt: skip
MONEY = ("spend", "refunds", "price_known_spend", "price_dependent_spend", "wallet")

amounts = st.one_of(
    st.none(),
    st.just(Decimal(0)),
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False),
)


@st.composite
def figures(draw: st.DrawFn) -> dict[str, Any]:
    """One customer's raw figures: counts, and sums of money that may be missing."""
    drawn: dict[str, Any] = {name: draw(st.integers(0, 40)) for name in COUNTS}
    drawn |= {name: draw(amounts) for name in MONEY}
    return drawn


def plain(row: dict[str, Any]) -> SimpleNamespace:
    """The figures as `CustomerSummary` holds them: money as `Money`."""
    values = {k: Money(v, "CNY") if k in MONEY and v is not None else v for k, v in row.items()}
    return SimpleNamespace(**values)


def table(rows: list[dict[str, Any]]) -> Any:
    """The figures as a dataframe holds them: money as floating-point amounts."""
    columns = {name: [r[name] for r in rows] for name in COUNTS}
    columns |= {name: [None if r[name] is None else float(r[name]) for r in rows] for name in MONEY}
    return nw.from_native(pl.DataFrame(columns, schema_overrides=dict.fromkeys(MONEY, pl.Float64)))


def same(got: Any, expected: Any) -> bool:
    if expected is None or got is None:
        return got is None and expected is None
    return float(got) == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


@settings(max_examples=60)
@given(rows=st.lists(figures(), min_size=1, max_size=6), year=st.floats(0.25, 4.0))
def test_every_derived_figure_is_the_same_on_python_values_and_on_expressions(
    rows: list[dict[str, Any]], year: float
) -> None:
    formulas = {
        **DERIVED,
        "yearly_spend": lambda f, ops: yearly_spend(f, ops, year),
        "share_of_wallet": lambda f, ops: share_of_wallet(f, ops, year),
        "wallet_left": lambda f, ops: wallet_left(f, ops, year),
    }
    columns, ops = _Columns(), _Expressions()
    result = table(rows).select(
        formula(columns, ops).cast(nw.Float64).alias(name) for name, formula in formulas.items()
    )
    for row, got in zip(rows, result.iter_rows(named=True), strict=True):
        for name, formula in formulas.items():
            assert same(got[name], formula(plain(row), PLAIN)), name


@settings(max_examples=60)
@given(
    first=st.integers(0, 3_000),
    spans=st.tuples(st.integers(0, 900), st.integers(0, 900)),
    periods=st.integers(1, 40),
    spend=st.tuples(amounts, amounts),
    scale=st.sampled_from([1.0, 7.0]),
)
def test_the_rfm_row_is_the_same_on_python_values_and_on_expressions(
    first: int,
    spans: tuple[int, int],
    periods: int,
    spend: tuple[Decimal | None, Decimal | None],
    scale: float,
) -> None:
    last, end = first + spans[0], first + spans[0] + spans[1]
    repeat, rest = (s or Decimal(0) for s in spend)
    total = repeat + rest
    expected = rfm_row(first, last, periods, repeat, total, end, scale, PLAIN)
    frame = nw.from_native(
        pl.DataFrame({"first": [first], "last": [last], "periods": [periods],
                      "repeat": [float(repeat)], "total": [float(total)]})
    )  # fmt: skip
    row = rfm_row(
        nw.col("first"), nw.col("last"), nw.col("periods"), nw.col("repeat"), nw.col("total"),
        nw.lit(end), scale, _Expressions(),
    )  # fmt: skip
    got = frame.select(expr.alias(name) for name, expr in row.items()).row(0)
    assert [same(g, e) for g, e in zip(got, expected.values(), strict=True)] == [True] * 5
    assert expected["frequency"] == periods - 1


@given(
    day=st.dates(),
    unit=st.sampled_from(["days", "weeks", "months"]),
    periods=st.sampled_from(["calendar", "days"]),
)
def test_a_day_falls_in_the_same_period_on_python_values_and_on_expressions(
    day: Any, unit: str, periods: str
) -> None:
    from crmcore.frame import _period

    assume(not (periods == "days" and unit == "months"))  # refused: months have no fixed length
    expected = period_number(day.toordinal(), lambda: (day.year, day.month), unit, periods)
    frame = nw.from_native(pl.DataFrame({"day": [day]}))
    days = nw.col("day").cast(nw.Datetime("ms")).dt.timestamp("ms") // 86_400_000
    got = frame.select(_period(days, unit, periods).alias("period")).item()
    assert got == expected
