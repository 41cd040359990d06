"""Portfolio files opened as tables of a dataframe engine, for the command line.

Each engine reads CSV (optionally gzipped) with every column as text, so
that each cell reaches crmcore's own checks, and Parquet with the file's
types. JSON Lines are read by crmcore's reader (their bad lines are reported
as in the pure engine) and handed to the engine as text columns.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from crmcore.errors import UnreadableFile, UsageError
from crmcore.io import RecordReader, csv_cells, csv_columns, read_jsonl
from crmcore.portfolio import RecordKind

Engine = Literal["pure", "polars", "duckdb", "dask", "spark"]
ENGINES: tuple[Engine, ...] = ("pure", "polars", "duckdb", "dask", "spark")

#: The modules each engine needs, and what to install to have them.
NEEDS: dict[Engine, tuple[tuple[str, ...], str]] = {
    "pure": ((), ""),
    "polars": (("polars", "narwhals"), "'crmcore[frame]' polars"),
    "duckdb": (("duckdb", "pyarrow", "narwhals"), "'crmcore[frame]' duckdb pyarrow"),
    "dask": (("dask.dataframe", "narwhals"), "'crmcore[dask]'"),
    "spark": (("pyspark", "narwhals"), "'crmcore[spark]'"),
}

SUFFIXES = (".csv", ".csv.gz", ".jsonl", ".jsonl.gz", ".parquet")


def missing(engine: Engine) -> list[str]:
    """The modules an engine needs that are not installed.

    Examples:
        >>> missing("pure")
        []
    """
    modules, _ = NEEDS[engine]
    return [m for m in modules if not _installed(m)]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent is missing
        return False


def find(folder: Path, kind: str) -> Path | None:
    """The one file of a record kind in a folder (None if there is none).

    Raises:
        UsageError: Several files match the kind.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = (Path(tmp) / "customers.parquet").write_bytes(b"")
        ...     find(Path(tmp), "customers").name, find(Path(tmp), "complaints")
        ('customers.parquet', None)
    """
    found = [folder / f"{kind}{s}" for s in SUFFIXES if (folder / f"{kind}{s}").is_file()]
    if len(found) > 1:
        listed = ", ".join(p.name for p in found)
        raise UsageError(f"Cannot read {kind} from {folder}: several files match ({listed}).")
    return found[0] if found else None


def open_table(
    engine: Engine,
    path: Path,
    entity: type[BaseModel],
    *,
    columns: Mapping[str, str] | None,
    readers: dict[RecordKind, RecordReader[Any] | None],
    kind: RecordKind,
) -> Any:
    """Open one portfolio file as a native table of ``engine``.

    ``columns`` maps the file's column names to crmcore's. A JSON Lines file
    is read with crmcore's reader, which is stored in ``readers`` so that its
    bad lines are reported.
    """
    name = path.name
    if name.endswith((".jsonl", ".jsonl.gz")):
        reader = read_jsonl(path, entity, on_error="collect", columns=columns)
        readers[kind] = reader
        header = csv_columns(entity)
        cells: dict[str, list[str]] = {c: [] for c in header}
        for record in reader:
            for column, value in zip(header, csv_cells(record), strict=True):
                cells[column].append(value)
        return _from_columns(engine, cells)
    table = _parquet(engine, path) if name.endswith(".parquet") else _csv(engine, path)
    if columns:
        nw = _module("narwhals")

        frame = nw.from_native(table)
        renames = {theirs: ours for theirs, ours in columns.items() if theirs in frame.columns}
        table = nw.to_native(frame.rename(renames))
    return table


def _csv(engine: Engine, path: Path) -> Any:
    gz = path.name.endswith(".gz")
    if gz:  # as crmcore's reader: a .gz file must be gzip (engines would read plain text)
        with path.open("rb") as raw:
            start = raw.read(2)
        if start and start != b"\x1f\x8b":
            raise UnreadableFile(
                str(path), 1, "the file is not gzip-compressed, though its name ends in .gz"
            )
    if engine == "polars":
        pl = _module("polars")

        if gz:  # polars scans only plain files; a gzipped one is read whole
            return pl.read_csv(path, infer_schema=False)
        return pl.scan_csv(path, infer_schema=False)
    if engine == "duckdb":
        duckdb = _module("duckdb")

        return duckdb.read_csv(
            str(path), header=True, all_varchar=True, delimiter=",", quotechar='"', escapechar='"'
        )
    if engine == "dask":
        dd = _module("dask.dataframe")

        return dd.read_csv(
            str(path),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            blocksize=None if gz else "64MB",
            compression="gzip" if gz else None,
        )
    spark = _spark()
    return spark.read.csv(str(path), header=True, multiLine=True, escape='"')


def _parquet(engine: Engine, path: Path) -> Any:
    if engine == "polars":
        pl = _module("polars")

        return pl.scan_parquet(path)
    if engine == "duckdb":
        duckdb = _module("duckdb")

        return duckdb.read_parquet(str(path))
    if engine == "dask":
        dd = _module("dask.dataframe")

        return dd.read_parquet(str(path))
    return _spark().read.parquet(str(path))


def _from_columns(engine: Engine, cells: dict[str, list[str]]) -> Any:
    if engine == "polars":
        pl = _module("polars")

        return pl.DataFrame(cells, schema=dict.fromkeys(cells, pl.String))
    if engine == "duckdb":
        duckdb = _module("duckdb")
        pa = _module("pyarrow")

        return duckdb.from_arrow(pa.table({c: pa.array(v, pa.string()) for c, v in cells.items()}))
    pd = _module("pandas")

    table = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in cells.items()})
    if engine == "dask":
        dd = _module("dask.dataframe")

        return dd.from_pandas(table, npartitions=1)
    types = _module("pyspark.sql.types")
    schema = types.StructType([types.StructField(c, types.StringType()) for c in cells])
    return _spark().createDataFrame(table, schema=schema)


def _module(name: str) -> Any:
    """An engine's module, imported when used (typed loosely: engines ship no stubs)."""
    return importlib.import_module(name)


def _spark() -> Any:
    builder = _module("pyspark.sql").SparkSession.builder.appName("crmcore")
    session = builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
