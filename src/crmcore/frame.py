"""The dataframe engine: crmcore's definitions evaluated as dataframe expressions (narwhals).

Install with the ``frame`` extra. Functions take a pandas, polars, pyarrow or
DuckDB table, eager or lazy, and return the same kind of table, computed in
that library — so a table too large for plain Python stays in its engine.

* [`rfm_summary`][crmcore.frame.rfm_summary]: the purchase summary of
  [`crmcore.value.rfm_summary`][crmcore.value.rfm.rfm_summary], same definitions;
* [`score`][crmcore.frame.score]: the satisfaction and loyalty indices of a
  table of summary columns, from the very metric declarations of
  [`crmcore.scoring`][crmcore.scoring] (each scale's formula is written once
  and evaluated here on expressions); [`summary_columns`][crmcore.frame.summary_columns]
  makes such a table from `CustomerSummary` objects.

Amounts are summed as the engine's floating-point numbers, not as exact
decimals: results agree with the pure-Python path to floating-point rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal

try:
    import narwhals as nw
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("crmcore.frame needs narwhals: pip install 'crmcore[frame]'") from exc

__all__ = ["rfm_summary", "score", "summary_columns"]

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MS_PER_DAY = 86_400_000


def _day_number(column: nw.Expr, dtype: Any) -> nw.Expr:
    """Days since 1970-01-01 of each row's calendar day (its own time zone for ISO text)."""
    if dtype in (nw.String, nw.Object):  # text (pandas keeps text as objects)
        column = column.str.slice(0, 10).str.to_datetime("%Y-%m-%d")
    elif not (dtype == nw.Datetime or dtype == nw.Date):
        raise TypeError(f"The time column must hold ISO 8601 text or datetimes, not {dtype}.")
    return column.dt.timestamp("ms") // _MS_PER_DAY


def _period(days: nw.Expr, unit: str, periods: str) -> nw.Expr:
    if periods == "days" or unit == "days":
        return days
    if unit == "weeks":  # Monday-to-Sunday weeks, numbered as the pure-Python path numbers them
        return (days + _EPOCH_ORDINAL - 1) // 7
    moment = (days * _MS_PER_DAY).cast(nw.Datetime("ms"))
    return moment.dt.year().cast(nw.Int64) * 12 + moment.dt.month().cast(nw.Int64) - 1


def _period_of(day: date, unit: str, periods: str) -> int:
    from crmcore.value.rfm import _period as pure_period

    if periods == "days" or unit == "days":
        return day.toordinal() - _EPOCH_ORDINAL
    return pure_period(day, unit, periods)  # type: ignore[arg-type]


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

    The definitions are those of [`crmcore.value.rfm_summary`][crmcore.value.rfm.rfm_summary].
    ``occurred_at`` may be ISO 8601 text (the calendar day is the date written,
    in the timestamp's own zone, as for entities) or a datetime column (its
    calendar day as stored). ``amount`` may be text or numbers. Rows whose
    ``kind`` is not ``purchase`` are skipped (no ``kind`` column: all are
    purchases). Rows come sorted by customer id.

    Raises:
        ValueError: An unknown unit or grouping.
        TypeError: The time column holds neither text nor datetimes.

    Examples:
        >>> import polars as pl
        >>> from datetime import date
        >>> sales = pl.DataFrame({"customer_id": ["C-1", "C-1", "C-1"],
        ...                       "occurred_at": ["1997-01-01", "1997-01-18", "1997-01-18"],
        ...                       "amount": ["29.33", "29.73", "10.00"]})
        >>> row = rfm_summary(sales, observation_end=date(1997, 9, 30), kind=None).row(0)
        >>> row[:4], round(row[4], 2)
        (('C-1', 1, 17.0, 272.0), 39.73)
    """
    from crmcore.value.rfm import _check, _scale

    _check(unit, periods)
    frame = nw.from_native(table)
    schema = frame.collect_schema()
    end_day = observation_end.date() if isinstance(observation_end, datetime) else observation_end
    end = _period_of(end_day, unit, periods)
    scale = _scale(unit, periods)
    days = _day_number(nw.col(occurred_at), schema[occurred_at])
    rows = frame
    if kind is not None and kind in schema:
        rows = rows.filter(nw.col(kind) == "purchase")
    totals = (
        rows.with_columns(
            days.alias("_day"),
            nw.col(amount).cast(nw.Float64).alias("_amount"),
        )
        .filter(nw.col("_day") <= end_day.toordinal() - _EPOCH_ORDINAL)
        .with_columns(_period(nw.col("_day"), unit, periods).alias("_period"))
        .group_by(customer_id, "_period")
        .agg(nw.col("_amount").sum().alias("_total"))
    )
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
    repeats = nw.col("_periods") - 1
    result = (
        per_customer.join(first_totals, on=customer_id)
        .select(
            nw.col(customer_id),
            repeats.cast(nw.Int64).alias("frequency"),
            ((nw.col("_last") - nw.col("_first")) / scale).cast(nw.Float64).alias("recency"),
            ((nw.lit(end) - nw.col("_first")) / scale).cast(nw.Float64).alias("T"),
            nw.when(repeats > 0)
            .then((nw.col("_all") - nw.col("_first_total")) / repeats)
            .otherwise(0.0)
            .cast(nw.Float64)
            .alias("monetary_value"),
        )
        .sort(customer_id)
    )
    return nw.to_native(result)


class _Expressions:
    """The operations of the metric formulas, on narwhals expressions."""

    def where(self, condition: Any, then: Any, otherwise: Any) -> Any:
        return nw.when(condition).then(then).otherwise(otherwise)

    def clip(self, value: Any, low: float, high: float) -> Any:
        return value.clip(low, None if math.isinf(high) else high)

    def lookup(self, value: Any, table: Mapping[str, float]) -> Any:
        return value.replace_strict(list(table), list(table.values()), return_dtype=nw.Float64)


_EXPRESSIONS = _Expressions()


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


def _index(name: str, config: Any) -> list[Any]:
    from crmcore.scoring.indices import _plans
    from crmcore.scoring.metrics import Table

    weighted: Any = nw.lit(0.0)
    usable: Any = nw.lit(0.0)
    counted: Any = nw.lit(0)
    total = 0.0
    outputs = []
    for metric, weight in _plans(config):
        raw = nw.col(metric.reads)
        # an all-missing column may have no useful type yet
        raw = raw.cast(nw.String if isinstance(metric.scale, Table) else nw.Float64)
        available = ~raw.is_null()
        sub = nw.when(available).then(metric.scale.formula(raw, _EXPRESSIONS))
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
        ...                       "complaints_per_occasion": [0.0], "net_spend": [2000.0],
        ...                       "price_dependence": [None], "repeat_occasions_total": [4],
        ...                       "selection_minutes": [None], "attitude": ["rejects"],
        ...                       "quality_tolerance": [None], "share_of_wallet": [None]})
        >>> result = score(table)
        >>> result.select("satisfaction", "loyalty", "satisfaction_return_rate").row(0)
        (87.5, None, 80.0)
    """
    from crmcore.scoring.indices import LoyaltyConfig, SatisfactionConfig

    frame = nw.from_native(table)
    columns = [
        *_index("satisfaction", satisfaction or SatisfactionConfig()),
        *_index("loyalty", loyalty or LoyaltyConfig()),
    ]
    return nw.to_native(frame.select(nw.col(customer_id), *columns))
