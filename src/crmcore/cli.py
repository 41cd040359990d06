"""The command line: ``python -m crmcore`` (or the ``crmcore`` script).

With no arguments it prints the full portfolio report of the embedded sample
portfolio. ``report PATH --as-of DATE`` does the same for a folder holding
``customers``, ``transactions``, ``touchpoints`` and ``complaints`` files
(``.csv`` or ``.jsonl``, optionally ``.gz``), as a terminal report, JSON or
CSV. ``overview [PATH]`` prints record counts and revenue.

Exit codes: 0 on success, 1 on an unexpected failure (one line, no
traceback), 2 on bad usage or configuration, 3 on bad data (each bad row is
reported with its file, line and field, and counted; the report covers the
good rows). Everything written to the terminal has its control characters
escaped, so no file can drive the terminal.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from crmcore._tables import ENGINES, NEEDS, Engine, find, missing, open_table
from crmcore._types import in_range, parse_moment
from crmcore._version import __version__
from crmcore._workers import analyze_files
from crmcore.datasets import Dataset, Overview, load_sample, read_dataset
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import CrmError, DuplicateIdWarning
from crmcore.io import RecordReader, read_csv, read_jsonl
from crmcore.money import minor_units
from crmcore.portfolio import (
    NO_CURRENCY,
    CustomerReport,
    PortfolioConfig,
    PortfolioReport,
    RecordKind,
    analyze,
)
from crmcore.retention.churn import AtRisk

__all__ = ["format_overview", "format_report", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
#: How many bad rows are printed one by one before only their count is given.
SHOWN_ERRORS = 20

# What a terminal may take as a command: C0 controls but tab and line feed, DEL,
# C1 controls, and the Unicode line and paragraph separators; and lone
# surrogates, which no encoding writes.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    r"""``text`` with every character a terminal could obey written as an escape.

    Examples:
        >>> printable("C-1\x1b[2J")
        'C-1\\x1b[2J'
    """
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def _say(text: str, stream: TextIO) -> None:
    print(printable(text), file=stream)


def format_overview(title: str, overview: Overview) -> str:
    """Render an [`Overview`][crmcore.datasets.Overview] as an aligned text table.

    Examples:
        >>> from crmcore.datasets import generate
        >>> print(format_overview("tiny", generate(customers=0).overview()))
        tiny
        ====
        customers              0
        ...
    """
    counts = [
        ("customers", overview.customers),
        ("  of whom buyers", overview.buyers),
        ("transactions", overview.transactions),
        ("  purchases", overview.purchases),
        ("  refunds", overview.refunds),
        ("care touchpoints", overview.touchpoints),
        ("complaints", overview.complaints),
        ("  still open", overview.open_complaints),
    ]
    width = max(len(label) for label, _ in counts)
    lines = [title, "=" * len(title)]
    lines += [f"{label:<{width}}  {value:>10,}" for label, value in counts]
    if overview.first is not None and overview.last is not None:
        lines.append(f"{'first record':<{width}}  {overview.first:%Y-%m-%d %H:%M %z}")
        lines.append(f"{'last record':<{width}}  {overview.last:%Y-%m-%d %H:%M %z}")
    else:
        lines.append(f"{'records':<{width}}  {'none':>10}")
    if overview.revenue:
        lines += ["", "revenue per currency"]
        header = f"{'currency':<8}  {'purchases':>16}  {'refunds':>14}  {'net':>16}"
        lines += [header, "-" * len(header)]
        for code, (gross, back, net) in overview.revenue.items():
            lines.append(
                f"{code:<8}  {gross.amount:>16,.2f}  {back.amount:>14,.2f}  {net.amount:>16,.2f}"
            )
    return "\n".join(lines)


def _bar(share: float | None, width: int = 30) -> str:
    filled = round(min(max(share or 0.0, 0.0), 1.0) * width)  # a loss draws an empty bar
    return "#" * filled + "." * (width - filled)


def _table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool]
) -> list[str]:
    """Rows as aligned text columns (numbers right-aligned)."""
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(getattr(value, "value", value))


def _amount(value: float, currency: str) -> str:
    places = minor_units(currency)  # None for XXX and the metals: two places
    return f"{value:,.{2 if places is None else places}f}"


def _risk(line: AtRisk, code: str) -> tuple[str, str, str]:
    return _amount(line.value, code), f"{line.risk:.2f}", _amount(line.value_at_risk, code)


def format_report(title: str, report: PortfolioReport, *, lines: int = 10) -> str:
    """Render a [`PortfolioReport`][crmcore.portfolio.PortfolioReport] for a terminal.

    What was read and left out, the aggregates, per currency the tier table
    with a text histogram of value shares and the top customers at risk, and
    the first ``lines`` care tasks (the per-customer lines are in the JSON
    and CSV formats). Amounts show the currency's decimal places; control
    characters are escaped.

    Examples:
        >>> from crmcore.datasets import generate
        >>> from crmcore.portfolio import analyze
        >>> data = generate(customers=40, seed=1)
        >>> report = analyze(data.customers, data.transactions, as_of=data.end)
        >>> print(format_report("tiny", report).splitlines()[0])
        tiny
    """
    out = [title, "=" * len(title), f"as of {report.as_of.isoformat()}", ""]
    out.append("Records")
    out += _table(
        ("kind", "read", "analysed", "after as_of", "unknown customer", "rejected", "repeated id"),
        [
            (
                kind,
                n.read,
                n.analysed,
                n.after_as_of,
                n.unknown_customer,
                n.rejected,
                n.duplicate_ids,
            )
            for kind, n in report.records.items()
        ],
        (False, True, True, True, True, True, True),
    )
    total = sum(report.stages.values())
    out += ["", "Lifecycle stages"]
    out += _table(
        ("stage", "customers", "share"),
        [(s.value, n, f"{n / total:.1%}" if total else "-") for s, n in report.stages.items()],
        (False, True, True),
    )
    for part in report.currencies:
        code = part.currency
        out += ["", f"Customer pyramid in {code} (net value to date)"]
        out += _table(
            ("tier", "customers", "group", f"value {code}", "value share", ""),
            [
                (
                    f"{t.number} {t.name}",
                    t.count,
                    t.group,
                    _amount(t.value, code),
                    "-" if t.value_share is None else f"{t.value_share:.1%}",
                    _bar(t.value_share),
                )
                for t in part.tiers
            ],
            (False, True, False, True, True, False),
        )
        out.append(f"{part.customers:,} customers:")
        out += _table(
            ("value", code, "what it is"),
            [
                ("gross", _amount(float(part.gross_value), code), "paid less refunds"),
                ("contribution", _amount(float(part.contribution), code), "less cost of goods"),
                (
                    "net",
                    _amount(float(part.net_value), code),
                    "less acquisition and retention costs",
                ),
            ],
            (False, True, False),
        )
        if part.pareto is not None:
            out.append(f"the top 20 % of customers hold {part.pareto:.1%} of the value")
        judged = [
            line.upgrade_potential
            for line in report.customers
            if line.upgrade_potential is not None and _in_group(line, code, report)
        ]
        if judged:
            out.append(
                f"{sum(judged):,} of {len(judged):,} ordinary customers with a wallet estimate "
                "have upgrade potential (the category spend not yet with us is at least the "
                "median yearly spend of a key customer)"
            )
    out += ["", "Satisfaction x loyalty"]
    out += _table(
        ("quadrant", "customers"),
        [(q.value, n) for q, n in report.quadrants.items()],
        (False, True),
    )
    out += ["", "Feedback"]
    nps = "-" if report.nps is None else f"{report.nps:+.1f}"
    csat = "-" if report.csat is None else f"{report.csat:.1f} %"
    out.append(f"NPS {nps} ({report.nps_ratings:,} ratings); CSAT {csat} ({report.csat_ratings:,})")
    out += ["", "Complaint SLAs"]
    statuses = list(report.sla["resolution"])
    out += _table(
        ("clock", *[s.value for s in statuses]),
        [(clock, *counts.values()) for clock, counts in report.sla.items()],
        (False, *[True] * len(statuses)),
    )
    out += ["", "BG/NBD model"]
    model = report.model.fitted
    if model is None:
        out.append(f"not fitted: {report.model.reason}")
    else:
        out.append(
            f"r {model.r:.3f}, alpha {model.alpha:.3f}, a {model.a:.3f}, b {model.b:.3f} "
            f"on {model.customers:,} customers; time in {model.unit or 'an unstated unit'}"
        )
    for part in report.currencies:
        code = part.currency
        out += ["", f"Top {len(part.at_risk)} customers at risk, {code}"]
        out += _table(
            ("customer", "stage", f"value {code}", "risk", "risk from", f"value at risk {code}"),
            [
                (
                    r.customer_id,
                    r.stage,
                    _amount(r.value, code),
                    f"{r.risk:.2f}",
                    r.ranked_by.value.replace("_", " "),
                    _amount(r.value_at_risk, code),
                )
                for r in part.at_risk
            ],
            (False, False, True, True, False, True),
        )
    plan = report.care_plan
    out += ["", f"Care plan {plan.start} to {plan.end}: {len(plan.tasks):,} tasks "
            f"({len(plan.throttled):,} held back by the weekly limit)"]  # fmt: skip
    out += _table(
        ("due", "customer", "channel", "purpose"),
        [(t.due, t.customer_id, t.channel, t.purpose) for t in plan.tasks[:lines]],
        (False, False, False, False),
    )
    if len(plan.tasks) > lines:
        out.append(f"... and {len(plan.tasks) - lines:,} more (see --format json or csv)")
    return printable("\n".join(out))


def _in_group(line: CustomerReport, code: str, report: PortfolioReport) -> bool:
    """Whether a customer line belongs to the currency section ``code`` (see `analyze`)."""
    if line.currency is not None:
        return line.currency == code
    return len(report.currencies) == 1 or code == NO_CURRENCY


def _write_csv(report: PortfolioReport, stream: TextIO) -> None:
    rows = report.to_dicts()
    writer = csv.writer(stream, lineterminator="\n")
    fields = list(type(report.customers[0]).model_fields) if rows else []
    writer.writerow(fields or ["customer_id"])
    for row in rows:
        writer.writerow(["" if row[f] is None else _csv_value(row[f]) for f in fields])


def _csv_value(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crmcore",
        description="crmcore: the typed domain core of customer relationship management. "
        "Without a command, prints the portfolio report of the embedded sample portfolio "
        "(500 customers).",
        epilog="Exit codes: 0 success, 1 unexpected failure, 2 bad usage or configuration, "
        "3 bad data (each bad row reported with file, line and field, and counted).",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    report = commands.add_parser(
        "report",
        help="the portfolio report of a folder of files",
        description="Analyse a portfolio folder: lifecycle stages, satisfaction and loyalty, "
        "quadrants, gross value, contribution and net value, pyramid tiers, RFM segments, "
        "P(alive), value at risk, "
        "complaint SLAs and the care plan. PATH holds customers, transactions, touchpoints "
        "and complaints files (.csv or .jsonl, optionally .gz, or .parquet); any but "
        "customers may be missing. Bad rows are reported on stderr (file, line, field), "
        "counted, and left out; the exit code is then 3. Records dated after --as-of, of "
        "customers not in the customer list, or with an id seen before are counted in the "
        "report. Progress goes to stderr when it is a terminal.",
        epilog="Exit codes: 0 success, 1 unexpected failure, 2 bad usage or configuration, "
        "3 bad data.",
    )
    report.add_argument("path", type=Path, help="folder of the portfolio files")
    report.add_argument(
        "--as-of",
        required=True,
        metavar="DATE",
        help="the moment of the analysis: an ISO date (meaning the end of that day, UTC) "
        "or date-time with offset; later records are left out",
    )
    report.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a JSON PortfolioConfig: lifecycle, satisfaction, loyalty, quadrants, value, "
        "care, care_days, sla, top_at_risk, columns (per file kind, the file's column "
        "names mapped to crmcore's) and reading (the limits of lines, cells, JSON and kept "
        "errors)",
    )
    report.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="table: the terminal report (default); json: the whole report; "
        "csv: one line per customer",
    )
    report.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="what runs the analysis: pure (the default: crmcore's own readers, which check "
        "every line and report each bad row by line), polars, duckdb, dask or spark "
        "(crmcore.frame.analyze on that engine's tables; the engine parses the files, and "
        "bad rows are reported by row). The report is the same whatever the engine. "
        "Parquet files need a dataframe engine",
    )
    report.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="analyse in N worker processes, each taking a part of the customers with their "
        "records (--engine pure, polars or duckdb; pure and polars workers read their part "
        "of the files themselves); default 1",
    )
    report.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="P",
        help="split the customers into P partitions, of which each worker holds one at a "
        "time, reading the files twice (--engine pure): the workers' memory follows a "
        "partition, not the whole portfolio; at most P workers run; default one partition "
        "per worker",
    )
    report.add_argument("--output", type=Path, metavar="FILE", help="write there, not to stdout")
    report.add_argument(
        "--check-ids",
        action="store_true",
        help="refuse records whose id was seen before, as bad rows (keeps every id: memory "
        "grows with records); without it they are counted and analysed",
    )
    overview = commands.add_parser(
        "overview",
        help="overview of a portfolio folder (or of the sample when PATH is omitted)",
        description="Print counts, covered dates and revenue per currency of a portfolio. "
        "PATH is a folder with customers, transactions, touchpoints and complaints files "
        "(.csv or .jsonl, optionally .gz); any of them may be missing.",
    )
    overview.add_argument("path", nargs="?", type=Path, help="folder of the portfolio files")
    return parser


class _Usage(Exception):
    """Bad usage or configuration found after parsing (exit code 2)."""


def _moment(text: str) -> datetime:
    """``--as-of``: a bare date means the end of that day, UTC."""
    try:
        if len(text) == 10 and text[4:5] == "-":
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise PydanticCustomError("date", "is not a real date") from None
            return in_range(datetime.combine(day, time.max, tzinfo=timezone.utc))
        return parse_moment(text)
    except PydanticCustomError as exc:
        raise _Usage(f"--as-of {text!r} {exc.message()}") from None


def _config(path: Path | None) -> PortfolioConfig:
    if path is None:
        return PortfolioConfig()
    try:
        return PortfolioConfig.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise _Usage(f"cannot read --config {path}: {exc.strerror}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise _Usage(f"--config {path} is not a valid configuration: {problems}") from None


def _output(path: Path | None) -> None:
    """Check ``--output`` before the analysis, so that a typo does not cost a long run."""
    if path is None:
        return
    if path.is_dir():
        raise _Usage(f"--output {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise _Usage(f"--output {path}: the folder {path.parent} does not exist")


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
        raise _Usage(str(exc)) from None
    if files["customers"] is None:
        raise _Usage(
            f"{folder} has no customers file (customers.csv, customers.jsonl or customers.parquet)"
        )
    return files


def _engine(name: Engine | None, files: dict[RecordKind, Path | None]) -> Engine:
    engine = name or "pure"
    lacking = missing(engine)
    if lacking:
        _, install = NEEDS[engine]
        raise _Usage(
            f"--engine {engine} needs {', '.join(lacking)}: python -m pip install {install}"
        )
    parquet = [p.name for p in files.values() if p is not None and p.suffix == ".parquet"]
    if engine == "pure" and parquet:
        raise _Usage(
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
    folder: Path = args.path
    if not folder.is_dir():
        raise _Usage(f"{folder} is not a folder")
    moment = _moment(args.as_of)
    config = _config(args.config)
    _output(args.output)
    files = _files(folder)
    engine = _engine(args.engine, files)
    if args.workers < 1:
        raise _Usage(f"--workers must be at least 1, not {args.workers}")
    partitions = args.workers if args.partitions is None else args.partitions
    if partitions < 1:
        raise _Usage(f"--partitions must be at least 1, not {partitions}")
    if args.partitions is not None and engine != "pure":
        raise _Usage("--partitions works with --engine pure")
    if partitions != 1 and engine == "pure" and args.check_ids:
        raise _Usage(
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
            raise _Usage("--check-ids works with --engine pure only")
        if args.workers != 1 and engine not in ("polars", "duckdb"):
            raise _Usage(
                f"--workers works with --engine polars or duckdb; {engine} spreads the work "
                "over its own workers"
            )
        readers = dict.fromkeys((kind for kind, _ in _KINDS), None)
        report = _frame_report(engine, files, config, readers, moment, args.workers)
    try:
        target = args.output.open("w", encoding="utf-8", newline="") if args.output else stream
    except OSError as exc:
        raise _Usage(f"cannot write --output {args.output}: {exc.strerror}") from None
    try:
        if args.format == "json":
            _write_json(report, target)
        elif args.format == "csv":
            _write_csv(report, target)
        else:
            print(format_report(f"portfolio in {folder}", report), file=target)
    finally:
        if args.output:
            target.close()
    return _bad_rows(readers, report, args.check_ids, engine)


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
    except (CrmError, _Usage):
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


def _escaped(text: str) -> str:
    """JSON text with the control characters JSON leaves raw escaped too."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_NO_CUSTOMERS = '\n  "customers": []'


def _write_json(report: PortfolioReport, target: TextIO) -> None:
    r"""Write a report as ``report.model_dump_json(indent=2)`` and a newline, a line at a time.

    Control characters that JSON leaves raw are escaped too. The customer
    lines are written one by one, so the text of a large portfolio's report
    is never held in memory whole.

    Examples:
        >>> import io
        >>> from crmcore.datasets import load_sample
        >>> from crmcore.portfolio import analyze
        >>> data = load_sample()
        >>> report = analyze(data.customers, data.transactions, as_of=data.end)
        >>> out = io.StringIO()
        >>> _write_json(report, out)
        >>> out.getvalue() == report.model_dump_json(indent=2) + "\n"
        True
    """
    frame = _escaped(report.model_copy(update={"customers": ()}).model_dump_json(indent=2))
    head, found, tail = frame.partition(_NO_CUSTOMERS)
    if not found:  # pragma: no cover - pydantic's layout changed
        raise RuntimeError("the report's JSON has no top-level customers list")
    target.write(head)
    if not report.customers:
        target.write(_NO_CUSTOMERS)
    else:
        target.write('\n  "customers": [')
        for n, line in enumerate(report.customers):
            text = _escaped(line.model_dump_json(indent=2)).replace("\n", "\n    ")
            target.write(("\n    " if n == 0 else ",\n    ") + text)
        target.write("\n  ]")
    target.write(tail + "\n")


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
        _say(f"crmcore: bad row: {error}", sys.stderr)
    per_kind = {
        kind: (0 if reader is None else reader.error_count) + report.records[kind].rejected
        for kind, reader in readers.items()
    }
    bad = sum(per_kind.values())
    if bad > SHOWN_ERRORS:
        _say(f"crmcore: ... and {bad - SHOWN_ERRORS:,} more bad rows", sys.stderr)
    repeated = {  # analysed all the same (a customer's repeated id is a bad row)
        kind: n.duplicate_ids
        for kind, n in report.records.items()
        if n.duplicate_ids and kind != "customers"
    }
    if repeated and not check_ids:
        found = ", ".join(f"{kind} {n:,}" for kind, n in repeated.items())
        _say(
            f"crmcore: warning: records whose id an earlier one had ({found}) were each "
            "analysed; --check-ids refuses them",
            sys.stderr,
        )
    if bad:
        counts = ", ".join(f"{kind} {n:,}" for kind, n in per_kind.items() if n)
        _say(f"crmcore: {bad:,} bad rows left out ({counts})", sys.stderr)
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
    args = _parser().parse_args(argv)
    try:
        return _run(args, stream)
    except _Usage as exc:
        _say(f"crmcore: error: {exc}", sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (say `head`) stopped early: not an error of ours
        return EXIT_OK
    except (CrmError, ValueError, OSError, _EngineFailure) as exc:
        _say(f"crmcore: bad data: {exc}", sys.stderr)
        return EXIT_BAD_DATA
    except Exception as exc:
        _say(f"crmcore: unexpected failure: {type(exc).__name__}: {exc}", sys.stderr)
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
    print(format_report("crmcore sample portfolio", report), file=stream)
    print("\nsee `python -m crmcore --help` for your own data.", file=stream)
    return EXIT_OK


def _overview(path: Path | None, stream: TextIO) -> int:
    if path is None:
        dataset: Dataset = load_sample()
        title = "crmcore sample portfolio"
    else:
        if not path.is_dir():
            raise _Usage(f"{path} is not a folder")
        dataset = read_dataset(path)
        title = f"portfolio in {path}"
    _say(format_overview(title, dataset.overview()), stream)
    return EXIT_OK
