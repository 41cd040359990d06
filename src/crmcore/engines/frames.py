"""The portfolio analysis on dataframes: any table narwhals reads, over customer partitions.

The two passes and their merge are those of ``crmcore.engines.processes``; here the
tables become partitions. Where the partitions run depends on the table:
in this process for local tables (pandas, polars, pyarrow, DuckDB), one
worker process per partition with ``workers``; as Dask tasks for Dask
DataFrames (the partitions' intakes stay in the cluster between the
passes); as grouped pandas UDFs (``applyInPandas``) for PySpark DataFrames,
which take each partition's records in again in pass 2, Spark keeping no
Python state between stages.

Rows are read as the CSV files hold them: each value becomes the cell text
crmcore's CSV reader reads (text as it is, ``true``/``false``, numbers and
timestamps in ISO form), so the same rules and the same errors apply; a
table's row numbers (from 1) stand for lines.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import pickle
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import narwhals as nw

from crmcore._intake import RecordKind
from crmcore.engines.processes import (
    ENTITIES,
    KINDS,
    OWNER,
    Failure,
    Inputs,
    Rows,
    Settings,
    finish,
    first_pass,
    raise_first,
    run_local,
    second_pass,
    tally,
)
from crmcore.io.files import partition_of
from crmcore.portfolio import Digest, Part, PassContext, PortfolioReport, Taken

__all__ = [
    "ENTITIES",
    "KINDS",
    "OWNER",
    "PolarsPart",
    "Rows",
    "Settings",
    "cell",
    "local_rows",
    "partition_of",
    "polars_parts",
    "run_dask",
    "run_local",
    "run_spark",
]


_MISSING = frozenset({"NAType", "NaTType"})


def cell(value: Any) -> str:
    """The CSV cell text of a table's value (missing values are empty cells).

    Examples:
        >>> from datetime import datetime, timezone
        >>> [cell(v) for v in (None, True, 3, 9.5, float("nan"), "C-1")]
        ['', 'true', '3', '9.5', '', 'C-1']
        >>> cell(datetime(2024, 5, 1, 10, tzinfo=timezone.utc))
        '2024-05-01T10:00:00+00:00'
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if type(value).__name__ in _MISSING:  # pandas' missing values
        return ""
    item = getattr(value, "item", None)  # numpy scalars
    if item is not None and not isinstance(value, (datetime, date, timedelta)):
        value = item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"PT{value.total_seconds():f}S" if value >= timedelta(0) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _module(name: str) -> Any:
    """An optional engine's module (typed loosely: engines ship no stubs)."""
    return importlib.import_module(name)


# ---------------------------------------------------------------- local tables


def local_rows(
    kind: RecordKind, frame: Any, partitions: int, numbered_by: str | None = None
) -> tuple[list[Rows], int]:
    """A local table's rows as text cells, split by their customer's partition, and their count.

    With one partition the rows (but the customers', which are looked up
    again to place a repeated id) are read from the table as they are used,
    so that only the table itself is held, not its rows as Python objects.
    ``numbered_by`` names a first column holding each row's number in the
    whole table (a part of a table); otherwise rows are numbered from 1.
    """
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    count = len(frame)
    if numbered_by is not None:
        numbers: Iterator[int] | None = iter(frame.get_column(numbered_by).to_list())
        frame = frame.drop(numbered_by)
    else:
        numbers = None
    header = list(frame.columns)
    owner = header.index(OWNER[kind])
    # text columns are cells already once their nulls are empty; only the others need `cell`
    text = [name for name, dtype in frame.schema.items() if dtype == nw.String]
    if text:
        frame = frame.with_columns(nw.col(*text).fill_null(""))
    others = [i for i, name in enumerate(header) if name not in set(text)]

    def numbered() -> Iterator[tuple[int, list[str]]]:
        rows = frame.iter_rows(named=False, buffer_size=4096)
        for number, values in zip(numbers or itertools.count(1), rows, strict=False):
            cells = list(values)
            for i in others:
                cells[i] = cell(cells[i])
            yield number, cells

    if partitions == 1:
        rows = numbered()
        return [Rows(header, list(rows) if kind == "customers" else rows)], count
    split: list[list[tuple[int, list[str]]]] = [[] for _ in range(partitions)]
    for number, cells in numbered():
        split[partition_of(cells[owner], partitions)].append((number, cells))
    return [Rows(header, rows) for rows in split], count


_ROW = "__crmcore_row__"


class TablePart(NamedTuple):
    """One partition of a polars table, read by the worker process that analyses it."""

    table: Any  # a polars LazyFrame
    partition: int
    partitions: int


Parts = dict[RecordKind, TablePart]


class PolarsPart(NamedTuple):
    """One partition of polars tables, as a worker reads it (a `processes.Deferred`)."""

    parts: Parts

    def read(self) -> Inputs:
        """The partition's rows, numbered as in the whole tables."""
        return _read_parts(self.parts)


def polars_parts(frames: Mapping[RecordKind, Any], partitions: int) -> list[PolarsPart]:
    """Polars tables split into partitions that each worker reads (and converts) itself."""
    lazy = {kind: nw.to_native(frame).lazy() for kind, frame in frames.items()}
    return [
        PolarsPart({kind: TablePart(table, n, partitions) for kind, table in lazy.items()})
        for n in range(partitions)
    ]


def _read_parts(parts: Parts) -> Inputs:
    """A worker's partition of polars tables as rows, numbered as in the whole tables."""
    pl = _module("polars")
    inputs: Inputs = {}
    for kind, part in parts.items():
        numbered = part.table.with_row_index(_ROW, offset=1)
        mine = pl.col(OWNER[kind]).hash(seed=0) % part.partitions == part.partition
        chosen = nw.from_native(numbered.filter(mine).collect())
        (inputs[kind],), _ = local_rows(kind, chosen, 1, numbered_by=_ROW)
    return inputs


# ---------------------------------------------------------------- Dask


def run_dask(
    frames: Mapping[RecordKind, Any], settings: Settings, partitions: int
) -> PortfolioReport:
    """Both passes as Dask tasks, one per partition; the intakes stay in the cluster."""
    dask = _module("dask")

    delayed = dask.delayed
    pieces: dict[RecordKind, list[Any]] = {}
    for kind, frame in frames.items():
        native = nw.to_native(frame)
        pieces[kind] = _dask_split(native, kind, partitions)
    firsts = [
        delayed(first_pass)({kind: pieces[kind][k] for kind in pieces}, settings)
        for k in range(partitions)
    ]
    (firsts_done,) = dask.persist(firsts)
    results = dask.compute(*[delayed(_digest_or_failure)(f) for f in firsts_done])
    raise_first([r for r in results if isinstance(r, Failure)])
    tallies = [r[0] for r in results]
    digests = [d for r in results for d in r[1]]

    def second(context: PassContext) -> list[Part]:
        tasks = [delayed(_second_of)(f, context, settings) for f in firsts_done]
        return list(dask.compute(*tasks))

    return finish(settings, tallies, digests, second)


def _digest_or_failure(first: tuple[Taken, list[Digest]] | Failure) -> Any:
    if isinstance(first, Failure):
        return first
    taken, digests = first
    return tally(taken), digests


def _second_of(first: tuple[Taken, list[Digest]], context: PassContext, settings: Settings) -> Part:
    return second_pass(first[0], context, settings)


def _dask_split(native: Any, kind: RecordKind, partitions: int) -> list[Any]:
    """The delayed `Rows` of each partition of a Dask DataFrame (row numbers from 1)."""
    dask = _module("dask")

    header = [str(c) for c in native.columns]
    owner = header.index(OWNER[kind])
    counts = native.map_partitions(len).compute()  # rows per input partition, to number them
    starts = [1]
    for n in counts:
        starts.append(starts[-1] + int(n))

    def split(frame: Any, first: int) -> list[Rows]:
        found: list[list[tuple[int, list[str]]]] = [[] for _ in range(partitions)]
        for offset, values in enumerate(frame.itertuples(index=False, name=None)):
            cells = [cell(v) for v in values]
            found[partition_of(cells[owner], partitions)].append((first + offset, cells))
        return [Rows(header, rows) for rows in found]

    chunks = [
        dask.delayed(split)(part, start)
        for part, start in zip(native.to_delayed(), starts, strict=False)
    ]

    def gather(k: int, *splits: list[Rows]) -> Rows:
        return Rows(header, [row for found in splits for row in found[k].rows])

    return [dask.delayed(gather)(k, *chunks) for k in range(partitions)]


# ---------------------------------------------------------------- Spark


def run_spark(
    frames: Mapping[RecordKind, Any], settings: Settings, partitions: int
) -> PortfolioReport:
    """Both passes as grouped pandas UDFs over one long table of every kind's rows."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's usual name

    long = None
    headers: dict[RecordKind, list[str]] = {}
    for kind, frame in frames.items():
        native = nw.to_native(frame)
        header = [str(c) for c in native.columns]
        headers[kind] = header
        numbered = native.rdd.zipWithIndex().map(
            lambda pair, h=header: (
                pair[1] + 1,
                [cell(pair[0][c]) for c in h],
            )
        )
        rows = numbered.toDF("number long, cells array<string>").select(
            F.lit(KINDS.index(kind)).alias("kind"),
            "number",
            "cells",
            F.col("cells")[header.index(OWNER[kind])].alias("owner"),
        )
        long = rows if long is None else long.unionByName(rows)
    assert long is not None
    keyed = long.withColumn("part", F.pmod(F.crc32(F.col("owner")), F.lit(partitions)))
    keyed = keyed.drop("owner").cache()

    def inputs_of(table: Any) -> Inputs:
        found: dict[RecordKind, list[tuple[int, list[str]]]] = {kind: [] for kind in headers}
        ordered = table.sort_values(["kind", "number"])
        for kind, number, cells in zip(
            ordered["kind"], ordered["number"], ordered["cells"], strict=True
        ):
            found[KINDS[int(kind)]].append((int(number), list(cells)))
        return {kind: Rows(headers[kind], rows) for kind, rows in found.items()}

    def first(table: Any) -> Any:
        pd = _module("pandas")

        result = first_pass(inputs_of(table), settings)
        payload = result if isinstance(result, Failure) else (tally(result[0]), result[1])
        return pd.DataFrame({"payload": [pickle.dumps(payload)]})

    try:
        answers = [
            pickle.loads(row["payload"])
            for row in keyed.groupBy("part").applyInPandas(first, "payload binary").collect()
        ]
        raise_first([a for a in answers if isinstance(a, Failure)])

        def second(context: PassContext) -> list[Part]:
            def lines(table: Any) -> Any:
                pd = _module("pandas")

                result = first_pass(inputs_of(table), settings)
                assert not isinstance(result, Failure)  # the first pass met none
                part = second_pass(result[0], context, settings)
                return pd.DataFrame({"payload": [pickle.dumps(part)]})

            return [
                pickle.loads(row["payload"])
                for row in keyed.groupBy("part").applyInPandas(lines, "payload binary").collect()
            ]

        return finish(settings, [a[0] for a in answers], [d for a in answers for d in a[1]], second)
    finally:
        keyed.unpersist()
