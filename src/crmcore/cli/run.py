"""Running a command: reading the files with the chosen engine, reporting bad rows, exit codes."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel

from crmcore.cli.arguments import Usage, as_of_moment, build_parser, check_output, config_from
from crmcore.cli.render import format_overview, format_report, say, write_csv, write_json
from crmcore.datasets import Dataset, load_sample, read_dataset
from crmcore.engines.processes import analyze_files
from crmcore.engines.tables import NEEDS, Engine, find, missing, open_table
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import CrmError, DuplicateIdWarning
from crmcore.history import CustomerHistory, build_histories
from crmcore.io import RecordReader, read_csv, read_jsonl
from crmcore.portfolio import (
    PortfolioConfig,
    PortfolioReport,
    RecordKind,
    analyze,
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
#: How many bad rows are printed one by one before only their count is given.
SHOWN_ERRORS = 20


_KINDS: tuple[tuple[RecordKind, type[BaseModel]], ...] = (
    ("customers", Customer),
    ("transactions", Transaction),
    ("touchpoints", CareTouchpoint),
    ("complaints", Complaint),
)


def _files(folder: Path) -> dict[RecordKind, Path | None]:
    try:
        files = {kind: find(folder, kind) for kind, _ in _KINDS}
    except ValueError as exc:  # several files of one kind
        raise Usage(str(exc)) from None
    if files["customers"] is None:
        raise Usage(
            f"{folder} has no customers file (customers.csv, customers.jsonl or customers.parquet)"
        )
    return files


def _engine(name: Engine | None, files: dict[RecordKind, Path | None]) -> Engine:
    engine = name or "pure"
    lacking = missing(engine)
    if lacking:
        _, install = NEEDS[engine]
        raise Usage(
            f"--engine {engine} needs {', '.join(lacking)}: python -m pip install {install}"
        )
    parquet = [p.name for p in files.values() if p is not None and p.suffix == ".parquet"]
    if engine == "pure" and parquet:
        raise Usage(
            f"{', '.join(parquet)}: Parquet files need a dataframe engine "
            "(--engine polars, duckdb, dask or spark)"
        )
    return engine


def _readers(
    files: dict[RecordKind, Path | None], config: PortfolioConfig
) -> dict[RecordKind, RecordReader[Any] | None]:
    readers: dict[RecordKind, RecordReader[Any] | None] = {}
    for kind, entity in _KINDS:
        path = files[kind]
        columns = config.columns.get(kind)
        limits = config.reading
        if path is None:
            readers[kind] = None
        elif ".csv" in path.suffixes:
            readers[kind] = read_csv(
                path, entity, on_error="collect", columns=columns, limits=limits
            )
        else:
            readers[kind] = read_jsonl(
                path, entity, on_error="collect", columns=columns, limits=limits
            )
    return readers


def _tables(
    engine: Engine,
    files: dict[RecordKind, Path | None],
    config: PortfolioConfig,
    readers: dict[RecordKind, RecordReader[Any] | None],
) -> dict[RecordKind, Any]:
    tables: dict[RecordKind, Any] = {}
    for kind, entity in _KINDS:
        path = files[kind]
        if path is not None:
            columns = config.columns.get(kind)
            tables[kind] = open_table(
                engine, path, entity, columns=columns, readers=readers, kind=kind
            )
    return tables


def _progress(stream: TextIO) -> Callable[[str, int], None] | None:
    if not stream.isatty():
        return None

    def show(kind: str, count: int) -> None:
        print(f"\rreading {kind}: {count:,} records", end="", file=stream, flush=True)
        if count % 100_000:
            print(file=stream)

    return show


def _report(args: argparse.Namespace, stream: TextIO) -> int:
    if args.path is None:
        return _sample(args, stream)
    folder: Path = args.path
    if not folder.is_dir():
        raise Usage(f"{folder} is not a folder")
    if args.as_of is None:
        raise Usage("--as-of is needed with PATH: the moment of the analysis, such as 2025-12-31")
    moment = as_of_moment(args.as_of)
    config = config_from(args.config)
    check_output(args.output)
    _check_plots(args.plots)
    files = _files(folder)
    engine = _engine(args.engine, files)
    if args.workers < 1:
        raise Usage(f"--workers must be at least 1, not {args.workers}")
    partitions = args.workers if args.partitions is None else args.partitions
    if partitions < 1:
        raise Usage(f"--partitions must be at least 1, not {partitions}")
    if args.partitions is not None and engine != "pure":
        raise Usage("--partitions works with --engine pure")
    if partitions != 1 and engine == "pure" and args.check_ids:
        raise Usage(
            "--check-ids needs one worker and one partition: it compares every id of a file "
            "with all the others"
        )
    unread: dict[RecordKind, Any] = {}
    if engine == "pure" and partitions > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DuplicateIdWarning)  # counted in the report instead
            report, unread = analyze_files(
                {kind: (str(path), config.columns.get(kind)) for kind, path in files.items()
                 if path is not None},
                as_of=moment,
                config=config,
                workers=args.workers,
                partitions=partitions,
            )  # fmt: skip
        readers: dict[RecordKind, Any] = {kind: unread.get(kind) for kind, _ in _KINDS}
    elif engine == "pure":
        readers = _readers(files, config)

        def records(kind: RecordKind) -> Iterator[Any]:
            reader = readers[kind]
            return iter(()) if reader is None else reader

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DuplicateIdWarning)  # counted in the report instead
            report = analyze(
                records("customers"),
                records("transactions"),
                records("touchpoints"),
                records("complaints"),
                as_of=moment,
                config=config,
                check_ids=args.check_ids,
                on_error="collect",
                progress=_progress(sys.stderr),
            )
    else:
        if args.check_ids:
            raise Usage("--check-ids works with --engine pure only")
        if args.workers != 1 and engine not in ("polars", "duckdb"):
            raise Usage(
                f"--workers works with --engine polars or duckdb; {engine} spreads the work "
                "over its own workers"
            )
        readers = dict.fromkeys((kind for kind, _ in _KINDS), None)
        report = _frame_report(engine, files, config, readers, moment, args.workers)
    _write(report, args, stream, f"portfolio in {folder}")
    code = _bad_rows(readers, report, args.check_ids, engine)
    if args.plots is not None:
        histories = None
        if all(p is None or p.suffix != ".parquet" for p in files.values()):
            histories = _histories(_readers(files, config), report)
        else:
            say("crmcore: the plots of every record need CSV or JSON Lines files", sys.stderr)
        code = max(code, _plots(report, args.plots, histories, config))
    return code


def _write(report: PortfolioReport, args: argparse.Namespace, stream: TextIO, title: str) -> None:
    try:
        target = args.output.open("w", encoding="utf-8", newline="") if args.output else stream
    except OSError as exc:
        raise Usage(f"cannot write --output {args.output}: {exc.strerror}") from None
    try:
        if args.format == "json":
            write_json(report, target)
        elif args.format == "csv":
            write_csv(report, target)
        else:
            print(format_report(title, report), file=target)
    finally:
        if args.output:
            target.close()


def _sample(args: argparse.Namespace, stream: TextIO) -> int:
    """``report`` without PATH: the embedded sample, in memory."""
    if args.engine not in (None, "pure") or args.workers != 1 or args.partitions is not None:
        raise Usage("--engine, --workers and --partitions need PATH, a folder of files")
    sample = load_sample()
    assert sample.end is not None
    moment = (
        datetime.combine(sample.end, time.max, tzinfo=timezone.utc)
        if args.as_of is None
        else as_of_moment(args.as_of)
    )
    config = config_from(args.config)
    check_output(args.output)
    _check_plots(args.plots)
    report = analyze(
        sample.customers,
        sample.transactions,
        sample.touchpoints,
        sample.complaints,
        as_of=moment,
        config=config,
        check_ids=args.check_ids,
    )
    _write(report, args, stream, "crmcore sample portfolio")
    if args.plots is not None:
        histories = build_histories(
            sample.customers, sample.transactions, sample.touchpoints, sample.complaints
        )
        return _plots(report, args.plots, histories, config)
    return EXIT_OK


def _check_plots(folder: Path | None) -> None:
    if folder is None:
        return
    if importlib.util.find_spec("matplotlib") is None:
        raise Usage("--plots needs matplotlib: python -m pip install 'crmcore[plot]'")
    if folder.exists() and not folder.is_dir():
        raise Usage(f"--plots {folder} is a file, not a folder")


def _histories(
    readers: dict[RecordKind, RecordReader[Any] | None], report: PortfolioReport
) -> dict[str, CustomerHistory]:
    """The customers' records as the analysis took them, read again for the plots.

    Bad rows were reported already and are not read; left out too are the
    records the analysis rejected (listed in the report, or in another
    currency than their customer's) and those of customers it did not know.
    Of records sharing an id, each customer keeps the first.
    """
    lines = {line.customer_id: line for line in report.customers}
    customers: dict[str, Customer] = {}
    for customer in readers["customers"] or ():
        if customer.id in lines:
            customers.setdefault(customer.id, customer)
    rejected = {(r.kind, r.record_id) for r in report.rejected}
    kept: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, singular in (
        ("transactions", "transaction"),
        ("touchpoints", "touchpoint"),
        ("complaints", "complaint"),
    ):
        per_customer: dict[str, dict[str, Any]] = {}
        for record in readers[kind] or ():  # type: ignore[index]
            owner = record.customer_id
            if owner not in customers or (singular, record.id) in rejected:
                continue
            if _foreign(record, lines[owner].currency):
                continue
            per_customer.setdefault(owner, {}).setdefault(record.id, record)
        kept[kind] = per_customer
    return {
        cid: CustomerHistory(
            customer=customer,
            transactions=tuple(kept["transactions"].get(cid, {}).values()),
            touchpoints=tuple(kept["touchpoints"].get(cid, {}).values()),
            complaints=tuple(kept["complaints"].get(cid, {}).values()),
        )
        for cid, customer in customers.items()
    }


def _foreign(record: Any, currency: str | None) -> bool:
    """Whether a record carries money in another currency than its customer's."""
    if currency is None:
        return False
    for name in ("amount", "list_amount", "cost", "compensation", "handling_cost"):
        money = getattr(record, name, None)
        if money is not None and money.currency != currency:
            return True
    return False


def _plots(
    report: PortfolioReport,
    folder: Path,
    histories: dict[str, CustomerHistory] | None,
    config: PortfolioConfig,
) -> int:
    """Draw the plots; the exit code: bad data when the records could not be drawn."""
    from crmcore.plot import write_plots

    try:
        written = write_plots(report, folder, histories=histories, config=config)
    except CrmError as exc:
        say(f"crmcore: bad data: the plots stopped: {exc}", sys.stderr)
        return EXIT_BAD_DATA
    say(f"crmcore: {len(written)} plot files written to {folder}", sys.stderr)
    return EXIT_OK


def _frame_report(
    engine: Engine,
    files: dict[RecordKind, Path | None],
    config: PortfolioConfig,
    readers: dict[RecordKind, RecordReader[Any] | None],
    moment: datetime,
    workers: int,
) -> PortfolioReport:
    """The analysis on a dataframe engine; the engine's own read failures are bad data."""
    from crmcore import frame

    try:
        tables = _tables(engine, files, config, readers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DuplicateIdWarning)
            warnings.simplefilter("ignore", FutureWarning)  # engines' notices about each other
            return frame.analyze(
                tables["customers"],
                tables.get("transactions"),
                tables.get("touchpoints"),
                tables.get("complaints"),
                as_of=moment,
                config=config,
                on_error="collect",
                progress=_progress(sys.stderr),
                names={kind: str(path) for kind, path in files.items() if path is not None},
                workers=workers,
            )
    except (CrmError, Usage):
        raise
    except Exception as exc:  # the engine's reader or runtime refused the files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise _EngineFailure(
            f"the {engine} engine could not read or analyse the files: "
            f"{type(exc).__name__}: {first} (--engine pure reads them line by line and "
            "reports each bad row with its line)"
        ) from exc


class _EngineFailure(Exception):
    """A dataframe engine could not read or process the files (exit code 3)."""


def _bad_rows(
    readers: dict[RecordKind, RecordReader[Any] | None],
    report: PortfolioReport,
    check_ids: bool,
    engine: Engine,
) -> int:
    """Report the bad rows and the repeated ids on stderr; the exit code they mean."""
    errors: list[str] = [str(e) for r in readers.values() if r is not None for e in r.errors]
    where = "line" if engine == "pure" else "row"  # engines count rows, not file lines
    errors += [f"Cannot use {r.source}, {where} {r.line}: {r.problem}." for r in report.rejected]
    for error in errors[:SHOWN_ERRORS]:
        say(f"crmcore: bad row: {error}", sys.stderr)
    per_kind = {
        kind: (0 if reader is None else reader.error_count) + report.records[kind].rejected
        for kind, reader in readers.items()
    }
    bad = sum(per_kind.values())
    if bad > SHOWN_ERRORS:
        say(f"crmcore: ... and {bad - SHOWN_ERRORS:,} more bad rows", sys.stderr)
    repeated = {  # analysed all the same (a customer's repeated id is a bad row)
        kind: n.duplicate_ids
        for kind, n in report.records.items()
        if n.duplicate_ids and kind != "customers"
    }
    if repeated and not check_ids:
        found = ", ".join(f"{kind} {n:,}" for kind, n in repeated.items())
        say(
            f"crmcore: warning: records whose id an earlier one had ({found}) were each "
            "analysed; --check-ids refuses them",
            sys.stderr,
        )
    if bad:
        counts = ", ".join(f"{kind} {n:,}" for kind, n in per_kind.items() if n)
        say(f"crmcore: {bad:,} bad rows left out ({counts})", sys.stderr)
        return EXIT_BAD_DATA
    return EXIT_OK


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line and return the exit code.

    Args:
        argv: The arguments (without the program name); ``sys.argv[1:]`` when omitted.
        out: Where to print; standard output when omitted.

    Examples:
        >>> import io
        >>> buffer = io.StringIO()
        >>> main([], out=buffer)
        0
        >>> buffer.getvalue().splitlines()[0]
        'crmcore sample portfolio'
    """
    stream = out if out is not None else sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return _run(args, stream)
    except Usage as exc:
        say(f"crmcore: error: {exc}", sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (say `head`) stopped early: not an error of ours
        return EXIT_OK
    except (CrmError, ValueError, OSError, _EngineFailure) as exc:
        say(f"crmcore: bad data: {exc}", sys.stderr)
        return EXIT_BAD_DATA
    except Exception as exc:
        say(f"crmcore: unexpected failure: {type(exc).__name__}: {exc}", sys.stderr)
        return EXIT_FAILURE


def _run(args: argparse.Namespace, stream: TextIO) -> int:
    if args.command == "report":
        return _report(args, stream)
    if args.command == "overview":
        return _overview(args.path, stream)
    sample = load_sample()
    assert sample.end is not None
    report = analyze(
        sample.customers,
        sample.transactions,
        sample.touchpoints,
        sample.complaints,
        as_of=datetime.combine(sample.end, time.max, tzinfo=timezone.utc),
    )
    if args.format == "json":
        write_json(report, stream)
    elif args.format == "csv":
        write_csv(report, stream)
    else:
        print(format_report("crmcore sample portfolio", report), file=stream)
        print("\nsee `python -m crmcore --help` for your own data.", file=stream)
    return EXIT_OK


def _overview(path: Path | None, stream: TextIO) -> int:
    if path is None:
        dataset: Dataset = load_sample()
        title = "crmcore sample portfolio"
    else:
        if not path.is_dir():
            raise Usage(f"{path} is not a folder")
        dataset = read_dataset(path)
        title = f"portfolio in {path}"
    say(format_overview(title, dataset.overview()), stream)
    return EXIT_OK
