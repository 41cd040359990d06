"""The dataframe engine: crmcore's definitions evaluated as dataframe expressions (narwhals).

Install with the ``frame`` extra. Functions take a pandas, polars, pyarrow or
DuckDB table, eager or lazy, and return the same kind of table, computed in
that library — so a table too large for plain Python stays in its engine.

* [`rfm_summary`][crmcore.frame.rfm_summary]: the purchase summary of
  [`crmcore.value.rfm_summary`][crmcore.value.rfm.rfm_summary], same definitions;
* [`summarize`][crmcore.frame.summarize]: per customer, the summary columns the
  indices read (the definitions of [`crmcore.summarize`][crmcore.history.summarize])
  and the RFM columns, from tables of customers, transactions, touchpoints
  and complaints;
* [`score`][crmcore.frame.score]: the satisfaction and loyalty indices of a
  table of summary columns, from the very metric declarations of
  [`crmcore.scoring`][crmcore.scoring] (each scale's formula is written once
  and evaluated here on expressions); [`summary_columns`][crmcore.frame.summary_columns]
  makes such a table from `CustomerSummary` objects.

Amounts are summed as the engine's floating-point numbers, not as exact
decimals: results agree with the pure-Python path to floating-point rounding.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    import narwhals as nw
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("crmcore.frame needs narwhals: pip install 'crmcore[frame]'") from exc

from crmcore._formulas import (
    DERIVED,
    check_units,
    period_number,
    period_of_day,
    rfm_row,
    share_of_wallet,
    unit_scale,
    wallet_left,
)
from crmcore.errors import UnsupportedType, UsageError

if TYPE_CHECKING:
    from crmcore._intake import RecordKind
    from crmcore.portfolio import PortfolioConfig, PortfolioReport

__all__ = ["analyze", "rfm_summary", "score", "summarize", "summary_columns"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_RFM_FLOATS = ("recency", "T", "monetary_value", "total_spend")
_MS_PER_DAY = 86_400_000


def _day_number(column: nw.Expr, dtype: Any, engine: Any) -> nw.Expr:
    """Days since 1970-01-01 of each row's calendar day (its own time zone for ISO text)."""
    if dtype in (nw.String, nw.Object):  # text (pandas keeps text as objects)
        column = column.str.slice(0, 10).str.to_datetime("%Y-%m-%d")
    elif not (dtype == nw.Datetime or dtype == nw.Date):
        raise UnsupportedType(f"The time column must hold ISO 8601 text or datetimes, not {dtype}.")
    elif getattr(dtype, "time_zone", None):  # the wall-clock day in the column's zone
        column = column.dt.replace_time_zone(None)
    if _is_sql(engine):  # SQL engines have no epoch timestamps: count the days from the date
        return _days_from_civil(column.dt.year(), column.dt.month(), column.dt.day())
    return column.dt.timestamp("ms") // _MS_PER_DAY


def _is_sql(engine: Any) -> bool:
    return bool(engine.is_duckdb() or engine.is_pyspark() or engine.is_pyspark_connect()
                or engine.is_sqlframe() or engine.is_ibis())  # fmt: skip


def _days_from_civil(year: nw.Expr, month: nw.Expr, day: nw.Expr) -> nw.Expr:
    """The day number of a proleptic Gregorian date, in integer arithmetic every engine has.

    The well-known conversion that counts from 1 March, so that the leap day
    falls at the end of a year: eras of 400 years, then years, then days.
    """
    year, month, day = (e.cast(nw.Int64) for e in (year, month, day))
    march_year = year - (month <= 2).cast(nw.Int64)
    era = march_year // 400
    year_of_era = march_year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _period(days: nw.Expr, unit: str, periods: str) -> nw.Expr:
    """The period number of each day (counted from 1970-01-01), as the pure path numbers it."""

    def year_month() -> tuple[nw.Expr, nw.Expr]:
        moment = (days * _MS_PER_DAY).cast(nw.Datetime("ms"))
        return moment.dt.year().cast(nw.Int64), moment.dt.month().cast(nw.Int64)

    return period_number(days + _EPOCH_ORDINAL, year_month, unit, periods)  # type: ignore[no-any-return]


def rfm_summary(
    table: Any,
    *,
    observation_end: date | datetime,
    unit: Literal["days", "weeks", "months"] = "days",
    periods: Literal["calendar", "days"] = "calendar",
    customer_id: str = "customer_id",
    occurred_at: str = "occurred_at",
    amount: str = "amount",
    kind: str | None = "kind",
) -> Any:
    """One frequency / recency / T / monetary row per customer, computed in the table's engine.

    The definitions are those of [`crmcore.value.rfm_summary`][crmcore.value.rfm.rfm_summary]:
    columns ``customer_id``, ``frequency``, ``recency``, ``T``,
    ``monetary_value`` and ``total_spend``, counted in ``unit``.
    ``occurred_at`` may be ISO 8601 text (the calendar day is the date written,
    in the timestamp's own zone, as for entities) or a datetime column (its
    calendar day as stored). ``amount`` may be text or numbers. Rows whose
    ``kind`` is not ``purchase`` are skipped (no ``kind`` column: all are
    purchases). Rows come sorted by customer id.

    Raises:
        UsageError: An unknown unit or grouping.
        UnsupportedType: The time column holds neither text nor datetimes.

    Examples:
        >>> import polars as pl
        >>> from datetime import date
        >>> sales = pl.DataFrame({"customer_id": ["C-1", "C-1", "C-1"],
        ...                       "occurred_at": ["1997-01-01", "1997-01-18", "1997-01-18"],
        ...                       "amount": ["29.33", "29.73", "10.00"]})
        >>> row = rfm_summary(sales, observation_end=date(1997, 9, 30), kind=None).row(0)
        >>> row[:4], round(row[4], 2), round(row[5], 2)
        (('C-1', 1, 17.0, 272.0), 39.73, 69.06)
    """
    check_units(unit, periods)
    frame = nw.from_native(table)
    schema = frame.collect_schema()
    end_day = observation_end.date() if isinstance(observation_end, datetime) else observation_end
    end = period_of_day(end_day, unit, periods)
    scale = unit_scale(unit, periods)
    days = _day_number(nw.col(occurred_at), schema[occurred_at], frame.implementation)
    rows = frame
    if kind is not None and kind in schema:
        rows = rows.filter(nw.col(kind) == "purchase")
    dated = (
        rows.with_columns(
            days.alias("_day"),
            nw.col(amount).cast(nw.Float64).alias("_amount"),
        )
        .filter(nw.col("_day") <= end_day.toordinal() - _EPOCH_ORDINAL)
        .with_columns(_period(nw.col("_day"), unit, periods).alias("_period"))
    )
    if frame.implementation.is_dask():
        # Dask cannot line a window up with its rows: find the first period by a join
        per_customer = _spend_after_first_by_join(dated, customer_id)
    else:
        # one pass: each purchase knows its customer's first period, so the
        # repeat spend is the sum of the purchases in later periods
        per_customer = (
            dated.with_columns(nw.col("_period").min().over(customer_id).alias("_first_period"))
            .with_columns(
                nw.when(nw.col("_period") != nw.col("_first_period"))
                .then(nw.col("_amount"))
                .otherwise(0.0)
                .alias("_later")
            )
            .group_by(customer_id)
            .agg(
                nw.col("_period").min().alias("_first"),
                nw.col("_period").max().alias("_last"),
                nw.col("_period").n_unique().alias("_periods"),
                nw.col("_later").sum().alias("_repeat_spend"),
                nw.col("_amount").sum().alias("_all"),
            )
        )
    row = rfm_row(
        nw.col("_first"),
        nw.col("_last"),
        nw.col("_periods"),
        nw.col("_repeat_spend"),
        nw.col("_all"),
        nw.lit(end),
        scale,
        _Expressions(),
    )
    result = per_customer.select(
        nw.col(customer_id),
        row["frequency"].cast(nw.Int64).alias("frequency"),
        *(row[name].cast(nw.Float64).alias(name) for name in _RFM_FLOATS),
    ).sort(customer_id)
    return nw.to_native(result)


def _spend_after_first_by_join(dated: Any, customer_id: str) -> Any:
    """Per customer: first and last period, periods, and the spend after the first period."""
    totals = dated.group_by(customer_id, "_period").agg(nw.col("_amount").sum().alias("_total"))
    per_customer = totals.group_by(customer_id).agg(
        nw.col("_period").min().alias("_first"),
        nw.col("_period").max().alias("_last"),
        nw.len().alias("_periods"),
        nw.col("_total").sum().alias("_all"),
    )
    first_totals = totals.join(
        per_customer.select(customer_id, "_first"),
        left_on=[customer_id, "_period"],
        right_on=[customer_id, "_first"],
    ).select(customer_id, nw.col("_total").alias("_first_total"))
    return per_customer.join(first_totals, on=customer_id).with_columns(
        (nw.col("_all") - nw.col("_first_total")).alias("_repeat_spend")
    )


class _Expressions:
    """The operations of crmcore's formulas (`crmcore._formulas.Ops`), on narwhals expressions.

    A category outside a lookup table is an error, except on engines that
    cannot check it (Dask, DuckDB and other SQL engines), where it reads as a
    missing value. Money columns hold amounts as numbers, null where there is none.
    """

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def where(self, condition: Any, then: Any, otherwise: Any) -> Any:
        return nw.when(condition).then(then).otherwise(otherwise)

    def clip(self, value: Any, low: float, high: float) -> Any:
        return value.clip(low, None if math.isinf(high) else high)

    def lookup(self, value: Any, table: Mapping[str, float]) -> Any:
        if self.strict:
            return value.replace_strict(list(table), list(table.values()), return_dtype=nw.Float64)
        found: Any = nw.lit(None, nw.Float64)
        for category, points in reversed(list(table.items())):
            found = nw.when(value == category).then(float(points)).otherwise(found)
        return found

    def only(self, condition: Any, value: Callable[[], Any]) -> Any:
        return nw.when(condition).then(value())

    def ratio(self, numerator: Any, denominator: Any) -> Any:
        return nw.when(denominator != 0).then(numerator / denominator)

    def present(self, value: Any) -> Any:
        return ~value.is_null()

    def default(self, value: Any, fallback: float) -> Any:
        return value.fill_null(fallback)

    def amount(self, money: Any) -> Any:
        return money.fill_null(0.0)

    def number(self, value: Any) -> Any:
        return value.cast(nw.Float64)


class _Columns:
    """A table's columns as attributes, as the formulas read a customer's figures."""

    def __getattr__(self, name: str) -> nw.Expr:
        return nw.col(name)


def _reads() -> list[str]:
    from crmcore.scoring.metrics import LOYALTY_METRICS, SATISFACTION_METRICS

    names = [m.reads for m in (*SATISFACTION_METRICS.values(), *LOYALTY_METRICS.values())]
    return list(dict.fromkeys(names))


def summary_columns(summaries: Iterable[Any]) -> dict[str, list[Any]]:
    """The columns `score` reads, from `CustomerSummary` objects: one list per column.

    Examples:
        >>> import polars as pl
        >>> from crmcore import Customer, CustomerHistory, summarize
        >>> summary = summarize(CustomerHistory(customer=Customer(id="C-1")), as_of="2024-12-31")
        >>> table = pl.DataFrame(summary_columns([summary]))
        >>> table.columns[:3]
        ['customer_id', 'reputation', 'designation_share']
    """
    names = _reads()
    columns: dict[str, list[Any]] = {"customer_id": [], **{name: [] for name in names}}
    for summary in summaries:
        columns["customer_id"].append(summary.customer_id)
        for name in names:
            columns[name].append(getattr(summary, name))
    return columns


def _index(name: str, config: Any, ops: _Expressions) -> list[Any]:
    from crmcore.scoring.metrics import Table

    weighted: Any = nw.lit(0.0)
    usable: Any = nw.lit(0.0)
    counted: Any = nw.lit(0)
    total = 0.0
    outputs = []
    for metric, weight in config.plan():
        raw = nw.col(metric.reads)
        # an all-missing column may have no useful type yet
        raw = raw.cast(nw.String if isinstance(metric.scale, Table) else nw.Float64)
        available = ~raw.is_null()
        sub = nw.when(available).then(metric.scale.formula(raw, ops))
        outputs.append(sub.cast(nw.Float64).alias(f"{name}_{metric.name}"))
        total += weight
        if weight > 0:
            weighted = weighted + nw.when(available).then(weight * sub).otherwise(0.0)
            usable = usable + nw.when(available).then(weight).otherwise(0.0)
            counted = counted + nw.when(available).then(1).otherwise(0)
    value = nw.when(counted >= config.min_metrics).then(weighted / usable)
    return [
        value.cast(nw.Float64).alias(name),
        (usable / total).cast(nw.Float64).alias(f"{name}_coverage"),
        *outputs,
    ]


def score(
    table: Any,
    *,
    satisfaction: Any = None,
    loyalty: Any = None,
    customer_id: str = "customer_id",
) -> Any:
    """The satisfaction and loyalty indices of every row of a table of summary columns.

    The table holds, per customer, the raw inputs the metrics read (the
    columns of [`summary_columns`][crmcore.frame.summary_columns]; a missing
    value means no data). The result has ``customer_id``, each index's value
    (missing below ``min_metrics``) and coverage, and every metric's sub-score
    (``satisfaction_reputation``...), in the table's library. The configurations
    are `SatisfactionConfig` and `LoyaltyConfig` (their window concerns the
    summaries, made beforehand).

    Examples:
        >>> import polars as pl
        >>> table = pl.DataFrame({"customer_id": ["C-1"], "reputation": [0.9],
        ...                       "designation_share": [None], "window_repeat_occasions": [4],
        ...                       "complaint_share": [0.0], "net_spend": [2000.0],
        ...                       "price_elasticity": [None], "repeat_occasions_total": [4],
        ...                       "selection_minutes": [None], "attitude": ["rejects"],
        ...                       "quality_tolerance": [None], "share_of_wallet": [None]})
        >>> result = score(table)
        >>> result.select("satisfaction", "loyalty", "satisfaction_return_rate").row(0)
        (87.5, None, 80.0)
    """
    from crmcore.scoring.indices import LoyaltyConfig, SatisfactionConfig

    frame = nw.from_native(table)
    engine = frame.implementation
    ops = _Expressions(strict=not (engine.is_dask() or _is_sql(engine)))
    columns = [
        *_index("satisfaction", satisfaction or SatisfactionConfig(), ops),
        *_index("loyalty", loyalty or LoyaltyConfig(), ops),
    ]
    return nw.to_native(frame.select(nw.col(customer_id), *columns))


_FEEDBACK = "feedback."
#: The word-of-mouth counts of the window, named as `CustomerSummary`'s fields.
_SIGNALS = (
    "recommend_ratings",
    "promoters",
    "passives",
    "praise",
    "no_praise",
    "referrals",
    "no_referrals",
)


def _instant(column: str, schema: Any, moment: datetime) -> tuple[nw.Expr, Any]:
    """A datetime column, and ``moment`` in the form it compares with (naive means UTC)."""
    dtype = schema[column]
    if not dtype == nw.Datetime:
        raise UnsupportedType(
            f"Column {column!r} must hold datetimes to be compared with as_of, not {dtype}; "
            "convert ISO text first (see the how-to on large tables)."
        )
    zone = getattr(dtype, "time_zone", None)
    if zone is None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    else:  # some engines compare only within one zone
        # a zone written as an offset is left to the engine, which compares instants
        with contextlib.suppress(ValueError, ZoneInfoNotFoundError):
            moment = moment.astimezone(ZoneInfo(zone))
    return nw.col(column), moment


def _flag(name: str, schema: Any) -> nw.Expr:
    """A yes/no column as booleans, missing values kept (also from pandas' object columns)."""
    if name not in schema:
        return nw.lit(None, nw.Boolean)
    column = nw.col(name)
    if schema[name] == nw.Boolean:
        return column
    return nw.when(~column.is_null()).then(column == True)  # noqa: E712 - an expression


def _minutes(column: str, schema: Any) -> nw.Expr:
    dtype = schema[column]
    if dtype == nw.Duration:
        return nw.col(column).dt.total_microseconds() / 60_000_000
    if dtype.is_numeric():
        return nw.col(column).cast(nw.Float64) / 60
    raise UnsupportedType(
        f"Column {column!r} must hold durations or seconds, not {dtype}; "
        "convert ISO 8601 durations first."
    )


def summarize(
    customers: Any,
    transactions: Any,
    touchpoints: Any = None,
    complaints: Any = None,
    *,
    as_of: datetime,
    window: Any = "P1Y",
    unit: Literal["days", "weeks", "months"] = "days",
    periods: Literal["calendar", "days"] = "calendar",
) -> Any:
    """Per customer, the summary columns the indices read and the RFM columns, in the engine.

    The tables use crmcore's CSV column names (``customer_id``,
    ``occurred_at``, ``kind``, ``amount``, ``list_amount``, ``promotion``,
    ``designated``, ``selection_time``; touchpoints' ``id``, ``occurred_at``
    and ``feedback.*``; complaints' ``received_at``, ``category``,
    ``accepted``; customers' ``id`` and ``wallet``); columns a table lacks
    count as missing values, except the ids and times. Times are datetime
    columns (naive ones mean UTC) and a purchase day is the calendar day in
    the column's time zone; ``selection_time`` holds durations or seconds;
    amounts are numbers in one currency. The definitions are those of
    [`crmcore.summarize`][crmcore.history.summarize] over the window ending at
    ``as_of``, and of [`rfm_summary`][crmcore.frame.rfm_summary] with
    ``observation_end=as_of``; records after ``as_of`` are left out.

    The result has one row per customer of ``customers``, sorted by id:
    ``customer_id``; ``occasions_total``, ``occasions``, ``repeat_occasions``,
    ``spend``, ``refunds``; the columns [`score`][crmcore.frame.score] reads;
    and ``frequency``, ``recency``, ``T``, ``monetary_value``, ``total_spend``
    (missing for a customer who never bought).

    Raises:
        UnsupportedType: A time column holds no datetimes, or ``selection_time``
            neither durations nor numbers.

    Examples:
        >>> import polars as pl
        >>> from datetime import datetime, timezone
        >>> people = pl.DataFrame({"id": ["C-1", "C-2"]})
        >>> sales = pl.DataFrame({
        ...     "customer_id": ["C-1", "C-1"], "kind": ["purchase", "purchase"],
        ...     "occurred_at": [datetime(2024, 3, 1, tzinfo=timezone.utc),
        ...                     datetime(2024, 5, 1, tzinfo=timezone.utc)],
        ...     "amount": [80.0, 120.0], "designated": [True, None]})
        >>> table = summarize(people, sales, as_of=datetime(2024, 12, 31, tzinfo=timezone.utc))
        >>> table.select("customer_id", "occasions", "net_spend", "designation_share",
        ...              "frequency").rows()
        [('C-1', 2, 200.0, 1.0, 1), ('C-2', 0, None, None, None)]
    """
    from crmcore.history import YEAR
    from crmcore.period import Period

    period = window if isinstance(window, Period) else Period.parse(window)
    start = period.before(as_of)
    year = (as_of - YEAR.before(as_of)) / (as_of - start)
    people = nw.from_native(customers)
    key = nw.col("id").cast(nw.String).alias("customer_id")
    if "wallet" in people.collect_schema():
        result = people.select(key, nw.col("wallet").cast(nw.Float64))
    else:
        result = people.select(key, nw.lit(None, nw.Float64).alias("wallet"))
    bought, starts = _purchase_columns(transactions, as_of, start)
    result = result.join(bought, on="customer_id", how="left").join(
        _price_rise_columns(transactions, as_of, start), on="customer_id", how="left"
    )
    if touchpoints is None:
        result = result.with_columns(
            *(nw.lit(0).alias(name) for name in _SIGNALS),
            nw.lit(None, nw.String).alias("attitude"),
        )
    else:
        heard = _feedback_columns(touchpoints, as_of, start)
        result = result.join(heard, on="customer_id", how="left")
    if complaints is None:
        result = result.with_columns(
            nw.lit(0).alias("complaints"),
            nw.lit(0).alias("quality_complaints"),
            nw.lit(0).alias("quality_tolerated"),
            nw.lit(0).alias("complained_occasions"),
        )
    else:
        last = bought.select("customer_id", "last_purchase_at")
        told = _complaint_columns(complaints, last, as_of, start)
        followed = _complained_occasions(complaints, starts, as_of, start)
        result = result.join(told, on="customer_id", how="left").join(
            followed, on="customer_id", how="left"
        )
    zero: tuple[str, ...] = ("occasions_total", "occasions", "first_in_window", "refund_rows")
    zero += ("complaints", "known", "dependent_rows", "designation_known", "designated")
    zero += ("discounted", "promoted", "quality_complaints", "quality_tolerated")
    zero += ("complained_occasions", "price_rises", *_SIGNALS)
    result = result.with_columns(nw.col(c).fill_null(0).cast(nw.Int64) for c in zero)
    # the money figures of the formulas: missing where no record makes them up
    result = result.with_columns(
        nw.when(nw.col("spend_rows") > 0).then(nw.col("spend")).alias("spend"),
        nw.when(nw.col("refund_rows") > 0).then(nw.col("refunds")).alias("refunds"),
        nw.when(nw.col("known") > 0).then(nw.col("known_spend")).alias("price_known_spend"),
        nw.when(nw.col("dependent_rows") > 0)
        .then(nw.col("dependent_spend"))
        .alias("price_dependent_spend"),
        (nw.col("occasions") - nw.col("first_in_window")).alias("repeat_occasions"),
    )
    # each derived figure from its one formula, the one CustomerSummary evaluates
    columns, ops = _Columns(), _Expressions()
    result = result.with_columns(
        *(formula(columns, ops).cast(nw.Float64).alias(name) for name, formula in DERIVED.items()),
        nw.when(nw.col("price_rises") > 0)
        .then(nw.col("_fall") / nw.col("_rise"))
        .alias("price_elasticity"),
        share_of_wallet(columns, ops, year).cast(nw.Float64).alias("share_of_wallet"),
        wallet_left(columns, ops, year).cast(nw.Float64).alias("wallet_left"),
    ).with_columns(nw.col("spend").fill_null(0.0), nw.col("refunds").fill_null(0.0))
    rfm = nw.from_native(
        rfm_summary(
            nw.to_native(_purchases(transactions, as_of)),
            observation_end=as_of,
            unit=unit,
            periods=periods,
        )
    )
    result = result.join(rfm, on="customer_id", how="left")
    keep = ["occasions_total", "occasions", "repeat_occasions", "spend", "refunds"]
    keep += [*_reads(), "price_rises", "promotion_dependence", "wallet_left"]
    keep += ["frequency", "recency", "T", "monetary_value", "total_spend"]
    return nw.to_native(result.select("customer_id", *keep).sort("customer_id"))


def _keyed(table: Any) -> Any:
    """The table with its ``customer_id`` as text (an empty pandas column may be numbers)."""
    return nw.from_native(table).with_columns(nw.col("customer_id").cast(nw.String))


def _purchases(transactions: Any, as_of: datetime) -> Any:
    frame = _keyed(transactions)
    schema = frame.collect_schema()
    at, moment = _instant("occurred_at", schema, as_of)
    rows = frame.filter(at <= moment)
    if "kind" in schema:
        rows = rows.filter(nw.col("kind") == "purchase")
    return rows


def _purchase_columns(transactions: Any, as_of: datetime, start: datetime) -> tuple[Any, Any]:
    """Per customer the purchase columns; and every purchase occasion's first instant."""
    frame = _keyed(transactions)
    schema = frame.collect_schema()
    at, moment = _instant("occurred_at", schema, as_of)
    _, since = _instant("occurred_at", schema, start)
    rows = frame.filter(at <= moment)
    purchase = nw.col("kind") == "purchase" if "kind" in schema else nw.lit(True)
    amount = nw.col("amount").cast(nw.Float64)

    def column(name: str, dtype: Any) -> nw.Expr:
        return nw.col(name).cast(dtype) if name in schema else nw.lit(None, dtype)

    listed = column("list_amount", nw.Float64)
    promotion = _flag("promotion", schema)
    designated = _flag("designated", schema)
    recent = at > since
    below = ~listed.is_null() & (amount < listed)
    window_purchase = purchase & recent
    flags = rows.with_columns(
        _day_number(at, schema["occurred_at"], frame.implementation).alias("_day"),
        purchase.alias("_purchase"),
        nw.when(window_purchase).then(amount).alias("_spend"),
        nw.when(window_purchase).then(1).otherwise(0).alias("_spend_row"),
        nw.when(window_purchase & below).then(1).otherwise(0).alias("_discounted"),
        nw.when(window_purchase & promotion.fill_null(False))
        .then(1)
        .otherwise(0)
        .alias("_promoted"),
        nw.when(~purchase & recent).then(amount).alias("_refund"),
        nw.when(~purchase & recent).then(1).otherwise(0).alias("_refund_row"),
        nw.when(window_purchase & (~listed.is_null() | ~promotion.is_null()))
        .then(amount)
        .alias("_known"),
        nw.when(window_purchase & (below | promotion.fill_null(False)))
        .then(amount)
        .alias("_dependent"),
        nw.when(window_purchase & ~designated.is_null()).then(1).otherwise(0).alias("_dk"),
        nw.when(window_purchase & designated.fill_null(False)).then(1).otherwise(0).alias("_d"),
        nw.when(window_purchase)
        .then(
            _minutes("selection_time", schema)
            if "selection_time" in schema
            else nw.lit(None, nw.Float64)
        )
        .alias("_selection"),
    )
    money = flags.group_by("customer_id").agg(
        nw.col("_spend").sum().alias("spend"),
        nw.col("_spend_row").sum().alias("spend_rows"),
        nw.col("_discounted").sum().alias("discounted"),
        nw.col("_promoted").sum().alias("promoted"),
        nw.col("_refund").sum().alias("refunds"),
        nw.col("_refund_row").sum().alias("refund_rows"),
        nw.col("_known").count().alias("known"),
        nw.col("_known").sum().alias("known_spend"),
        nw.col("_dependent").count().alias("dependent_rows"),
        nw.col("_dependent").sum().alias("dependent_spend"),
        nw.col("_dk").sum().alias("designation_known"),
        nw.col("_d").sum().alias("designated"),
        nw.col("_selection").median().alias("selection_minutes"),
    )
    days = (
        flags.filter(nw.col("_purchase"))
        .group_by("customer_id", "_day")
        .agg(at.min().alias("_first"))
        .with_columns((nw.col("_first") > since).cast(nw.Int64).alias("_recent"))
    )
    occasions = days.group_by("customer_id").agg(
        nw.len().alias("occasions_total"),
        nw.col("_recent").sum().alias("occasions"),
        nw.col("_first").min().alias("_first_ever"),
    )
    last = (
        flags.filter(nw.col("_purchase"))
        .group_by("customer_id")
        .agg(at.max().alias("last_purchase_at"))
    )
    occasions = occasions.with_columns(
        (nw.col("_first_ever") > since).cast(nw.Int64).alias("first_in_window")
    ).join(last, on="customer_id")
    starts = days.select(
        "customer_id", _utc(nw.col("_first"), schema["occurred_at"], frame.implementation)
    )
    return money.join(occasions, on="customer_id", how="left"), starts


def _price_rise_columns(transactions: Any, as_of: datetime, start: datetime) -> Any:
    """Per customer, the window's list-price rises: count, quantity falls and price rises summed.

    The rule of ``crmcore.history``: per product and purchase day, the list
    total and quantity; each day against the customer's previous purchase
    day of the product.
    """
    from crmcore.history import PRICE_RISE_MIN

    frame = _keyed(transactions)
    schema = frame.collect_schema()
    if "product" not in schema or "list_amount" not in schema:
        return (
            frame.select("customer_id")
            .unique()
            .with_columns(
                nw.lit(0).alias("price_rises"),
                nw.lit(0.0).alias("_fall"),
                nw.lit(0.0).alias("_rise"),
            )
        )
    at, moment = _instant("occurred_at", schema, as_of)
    _, since = _instant("occurred_at", schema, start)
    purchase = nw.col("kind") == "purchase" if "kind" in schema else nw.lit(True)
    quantity = nw.col("quantity").cast(nw.Int64).fill_null(1) if "quantity" in schema else nw.lit(1)
    listed = nw.col("list_amount").cast(nw.Float64)
    rows = frame.filter(
        (at <= moment) & purchase & ~nw.col("product").is_null() & ~listed.is_null()
    )
    key = ["customer_id", "product"]
    days = (
        rows.with_columns(
            nw.col("product").cast(nw.String),
            _day_number(at, schema["occurred_at"], frame.implementation).alias("_day"),
            quantity.alias("_q"),
            listed.alias("_list"),
            at.alias("_last"),
        )
        .group_by(*key, "_day")
        .agg(nw.col("_list").sum(), nw.col("_q").sum(), nw.col("_last").max())
    )
    earlier = days.select(
        *key,
        nw.col("_day").alias("_day0"),
        nw.col("_list").alias("_list0"),
        nw.col("_q").alias("_q0"),
    )
    previous = (
        days.select(*key, "_day")
        .join(earlier.select(*key, "_day0"), on=key)
        .filter(nw.col("_day0") < nw.col("_day"))
        .group_by(*key, "_day")
        .agg(nw.col("_day0").max())
    )
    paired = days.join(previous, on=[*key, "_day"]).join(earlier, on=[*key, "_day0"])
    grown = nw.col("_list") * nw.col("_q0")
    before = nw.col("_list0") * nw.col("_q")
    # the sums are floats: a margin keeps a rise of exactly PRICE_RISE_MIN out, as the
    # exact decimals of the pure path do
    threshold = (1 + PRICE_RISE_MIN) * (1 + 1e-12)
    rises = paired.filter(
        (nw.col("_last") > since) & (nw.col("_list0") > 0) & (grown > threshold * before)
    )
    return (
        rises.with_columns(
            ((nw.col("_q0") - nw.col("_q")) / nw.col("_q0")).alias("_fall"),
            (grown / before - 1).alias("_rise"),
        )
        .group_by("customer_id")
        .agg(nw.len().alias("price_rises"), nw.col("_fall").sum(), nw.col("_rise").sum())
    )


def _utc(column: nw.Expr, dtype: Any, engine: Any) -> nw.Expr:
    """Instants as naive UTC datetimes, comparable across tables whatever their zones.

    Naive columns mean UTC already; SQL engines keep aware instants in one
    zone, the connection's, and compare them as they are.
    """
    if getattr(dtype, "time_zone", None) is None or _is_sql(engine):
        return column
    return column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)


def _utc_moment(moment: datetime, dtype: Any, engine: Any) -> datetime:
    """``moment`` in the form `_utc` gives a column of ``dtype``."""
    if getattr(dtype, "time_zone", None) is not None and _is_sql(engine):
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _feedback_columns(touchpoints: Any, as_of: datetime, start: datetime) -> Any:
    frame = _keyed(touchpoints)
    schema = frame.collect_schema()
    at, moment = _instant("occurred_at", schema, as_of)
    _, since = _instant("occurred_at", schema, start)

    def feedback(name: str, dtype: Any) -> nw.Expr:
        column = _FEEDBACK + name
        return nw.col(column).cast(dtype) if column in schema else nw.lit(None, dtype)

    from crmcore.history import PASSIVE_MIN, PROMOTER_MIN

    rows = frame.filter(at <= moment)
    recommend = feedback("recommend", nw.Float64)
    praise = _flag(_FEEDBACK + "praise", schema)
    referral = _flag(_FEEDBACK + "referral", schema)
    recent = at > since
    counted = {
        "recommend_ratings": ~recommend.is_null(),
        "promoters": recommend >= PROMOTER_MIN,
        "passives": (recommend >= PASSIVE_MIN) & (recommend < PROMOTER_MIN),
        "praise": praise,
        "no_praise": ~praise,
        "referrals": referral,
        "no_referrals": ~referral,
    }
    scored = rows.with_columns(
        *(
            nw.when(recent & condition.fill_null(False)).then(1).otherwise(0).alias(f"_{name}")
            for name, condition in counted.items()
        ),
        feedback("competitor_attitude", nw.String).alias("_attitude"),
    )
    points = scored.group_by("customer_id").agg(
        nw.col(f"_{name}").sum().alias(name) for name in _SIGNALS
    )
    stated = scored.filter(~nw.col("_attitude").is_null())
    latest = stated.group_by("customer_id").agg(at.max().alias("_latest"))
    at_latest = stated.join(latest, on="customer_id").filter(at == nw.col("_latest"))
    last_id = at_latest.group_by("customer_id").agg(nw.col("id").max().alias("_id"))
    attitude = at_latest.join(last_id, on="customer_id").filter(nw.col("id") == nw.col("_id"))
    attitude = attitude.select("customer_id", nw.col("_attitude").alias("attitude"))
    return points.join(attitude, on="customer_id", how="left")


def _complained_occasions(complaints: Any, starts: Any, as_of: datetime, start: datetime) -> Any:
    """Per customer, the window occasions a complaint followed before the next occasion.

    Each window complaint follows the latest occasion that began at or before
    it was received; an occasion counts once however many complaints follow it.
    """
    frame = _keyed(complaints)
    schema = frame.collect_schema()
    dtype, engine = schema["received_at"], frame.implementation
    at, moment = _instant("received_at", schema, as_of)
    _, since = _instant("received_at", schema, start)
    received = _utc(at, dtype, engine).alias("_received")
    window = frame.filter((at <= moment) & (at > since)).select("customer_id", received)
    after = window.join(starts, on="customer_id").filter(nw.col("_first") <= nw.col("_received"))
    followed = after.group_by("customer_id", "_received").agg(nw.col("_first").max())
    return (
        followed.filter(nw.col("_first") > _utc_moment(start, dtype, engine))
        .group_by("customer_id")
        .agg(nw.col("_first").n_unique().alias("complained_occasions"))
    )


def _complaint_columns(complaints: Any, last: Any, as_of: datetime, start: datetime) -> Any:
    frame = _keyed(complaints)
    schema = frame.collect_schema()
    at, moment = _instant("received_at", schema, as_of)
    _, since = _instant("received_at", schema, start)
    accepted = _flag("accepted", schema)
    quality = nw.col("category") == "product_quality"
    rows = frame.filter(at <= moment).join(last, on="customer_id", how="left")
    bought_after = ~nw.col("last_purchase_at").is_null() & (nw.col("last_purchase_at") > at)
    rows = rows.with_columns(
        (at > since).cast(nw.Int64).alias("_recent"),
        quality.cast(nw.Int64).alias("_quality_complaints"),
        (quality & accepted.fill_null(False) & bought_after)
        .cast(nw.Int64)
        .alias("_quality_tolerated"),
    )
    return rows.group_by("customer_id").agg(
        nw.col("_recent").sum().alias("complaints"),
        nw.col("_quality_complaints").sum().alias("quality_complaints"),
        nw.col("_quality_tolerated").sum().alias("quality_tolerated"),
    )


def analyze(
    customers: Any,
    transactions: Any = None,
    touchpoints: Any = None,
    complaints: Any = None,
    *,
    as_of: datetime | str,
    config: PortfolioConfig | None = None,
    progress: Callable[[str, int], None] | None = None,
    on_error: Literal["raise", "collect"] = "raise",
    partitions: int | None = None,
    workers: int = 1,
    names: Mapping[RecordKind, str] | None = None,
) -> PortfolioReport:
    """The portfolio analysis of `crmcore.portfolio.analyze`, on tables of any engine.

    The four tables have the columns of crmcore's CSV files (``id``,
    ``customer_id``, ``amount``, ``amount.currency``, ``feedback.recommend``
    ...; optional columns may be left out) and may be pandas, polars (eager or
    lazy), pyarrow, DuckDB, Dask or PySpark tables. The report equals the one
    `crmcore.portfolio.analyze` makes of the same records, line for line.

    The customers are split into ``partitions`` by a hash of their id, each
    with its records; the first pass digests each partition, the
    portfolio-wide quantities (currency groups, pyramids, RFM quintiles, the
    purchase model) are worked out from all the digests, and the second pass
    makes each partition's customer lines (see the how-to on engines).
    Local tables are analysed in this process, or in ``workers`` processes
    (one partition each); Dask tables as Dask tasks on the active scheduler
    (default: one partition per input partition of the transactions); PySpark
    tables as grouped pandas UDFs (default: the context's parallelism).

    Args:
        customers: The customer table.
        transactions: Purchases and refunds (None: no table).
        touchpoints: Care contacts (None: no table).
        complaints: Complaints (None: no table).
        as_of: The moment of the analysis.
        config: A `PortfolioConfig` (default `PortfolioConfig()`).
        progress: Called as ``progress(stage, count)``: rows read per table,
            then ``("first pass", partitions)`` and ``("second pass", partitions)``.
        on_error: ``"raise"`` the first bad row (an `InvalidRecord` naming the
            table and the row, counted from 1, and the field), or
            ``"collect"``: leave bad rows out and list them, as the pure engine does.
        partitions: How many customer partitions (at least 1).
        workers: Local tables only: analyse the partitions in this many
            processes (default: here); ``partitions`` defaults to it.
        names: How errors name a kind's table (default: ``"customers table"``
            and so on); say, the file it was read from. Rows are counted
            from 1, the header not included.

    Raises:
        InvalidRecord: A table has an unknown column or lacks a required one
            (row 1), or a bad row with ``on_error="raise"``.
        DuplicateId: Two customers share an id (with ``on_error="raise"``).
        UnsupportedType: A table narwhals does not know, or tables of a
            distributed engine mixed with others.
        UsageError: ``partitions`` or ``workers`` below 1, or an unknown ``on_error``.

    Examples:
        >>> import io
        >>> import polars as pl
        >>> from crmcore import portfolio
        >>> from crmcore.datasets import load_sample
        >>> from crmcore.io import write_csv
        >>> data = load_sample()
        >>> def table(records):  # as a CSV file of them reads: text columns
        ...     text = io.StringIO()
        ...     write_csv(text, records)
        ...     return pl.read_csv(text.getvalue().encode(), infer_schema=False)
        >>> kinds = (data.customers, data.transactions, data.touchpoints, data.complaints)
        >>> report = analyze(*[table(records) for records in kinds], as_of=data.end)
        >>> report == portfolio.analyze(*kinds, as_of=data.end)
        True
    """
    from crmcore._types import to_moment
    from crmcore.engines import frames as engines
    from crmcore.io.layout import check_columns
    from crmcore.portfolio import AnalysisRun, PortfolioConfig

    if on_error not in ("raise", "collect"):
        raise UsageError(f"on_error must be 'raise' or 'collect', not {on_error!r}.")
    if workers < 1 or (partitions is not None and partitions < 1):
        raise UsageError("partitions and workers must be at least 1.")
    tables = {kind: f"{kind} table" for kind in engines.KINDS}
    tables.update(names or {})
    settings = engines.Settings(
        AnalysisRun(config or PortfolioConfig(), to_moment(as_of)), on_error, tables
    )
    given: dict[RecordKind, Any] = {"customers": customers, "transactions": transactions,
             "touchpoints": touchpoints, "complaints": complaints}  # fmt: skip
    frames: dict[RecordKind, Any] = {}
    for kind, table in given.items():
        if table is None:
            continue
        try:
            frame = nw.from_native(table)
        except TypeError as exc:
            raise UnsupportedType(
                f"The {kind} table is not a table narwhals knows: {exc}"
            ) from None
        check_columns(engines.ENTITIES[kind], [str(c) for c in frame.columns], tables[kind])
        frames[kind] = frame
    kinds = {_engine_kind(frame) for frame in frames.values()}
    if len(kinds) > 1 and kinds != {"local"}:
        raise UnsupportedType(
            "Tables of a distributed engine (Dask, PySpark) cannot be mixed with others: "
            f"found {', '.join(sorted(kinds))}."
        )
    engine = kinds.pop()
    if engine == "dask":
        count = partitions or max(nw.to_native(f).npartitions for f in frames.values())
        return engines.run_dask(frames, settings, count)
    if engine == "spark":
        native = nw.to_native(frames["customers"])
        count = partitions or native.sparkSession.sparkContext.defaultParallelism
        return engines.run_spark(frames, settings, count)
    count = partitions or workers
    if workers > 1 and count > 1 and all(f.implementation.is_polars() for f in frames.values()):
        # each worker reads its own partition of the tables: reading runs in parallel too
        if progress is not None:
            for k, frame in frames.items():
                counted = frame.select(nw.len())
                if isinstance(counted, nw.LazyFrame):
                    counted = counted.collect()
                progress(k, int(counted.item()))
        return engines.run_local(engines.polars_parts(frames, count), settings, workers)
    split: dict[RecordKind, list[engines.Rows]] = {}
    for k, frame in frames.items():
        split[k], rows = engines.local_rows(k, frame, count)
        if progress is not None:
            progress(k, rows)
    parts = [{k: rows[n] for k, rows in split.items()} for n in range(count)]
    return engines.run_local(parts, settings, workers)


def _engine_kind(frame: Any) -> str:
    engine = frame.implementation
    if engine.is_dask():
        return "dask"
    if engine.is_pyspark() or engine.is_pyspark_connect():
        return "spark"
    return "local"
