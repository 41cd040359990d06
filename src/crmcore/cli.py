"""The command line: ``python -m crmcore`` (or the ``crmcore`` script).

With no arguments it prints the full portfolio report of the embedded sample
portfolio. ``report PATH --as-of DATE`` does the same for a folder holding
``customers``, ``transactions``, ``touchpoints`` and ``complaints`` files
(``.csv`` or ``.jsonl``, optionally ``.gz``), as a terminal report, JSON or
CSV. ``overview [PATH]`` prints record counts and revenue.

Exit codes: 0 on success, 2 on bad usage, 3 on bad data (each bad row is
reported with its file, line and field, and counted; the report covers the
good rows).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ValidationError

from crmcore._version import __version__
from crmcore.datasets import Dataset, Overview, _find, load_sample, read_dataset
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import CrmError, InvalidRecord
from crmcore.io import RecordReader, read_csv, read_jsonl
from crmcore.portfolio import PortfolioConfig, PortfolioReport, RecordKind, analyze

__all__ = ["format_overview", "format_report", "main"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
#: How many bad rows are printed one by one before only their count is given.
SHOWN_ERRORS = 20


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
    filled = round((share or 0.0) * width)
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


def format_report(title: str, report: PortfolioReport, *, lines: int = 10) -> str:
    """Render a [`PortfolioReport`][crmcore.portfolio.PortfolioReport] for a terminal.

    Aggregates, the tier table with a text histogram of value shares, the
    top customers at risk and the first ``lines`` care tasks (the per-customer
    lines are in the JSON and CSV formats).

    Examples:
        >>> from crmcore.datasets import generate
        >>> from crmcore.portfolio import analyze
        >>> data = generate(customers=40, seed=1)
        >>> report = analyze(data.customers, data.transactions, as_of=data.end)
        >>> print(format_report("tiny", report).splitlines()[0])
        tiny
    """
    out = [title, "=" * len(title), f"as of {report.as_of.isoformat()}", ""]
    out.append("records read: " + ", ".join(f"{k} {v:,}" for k, v in report.records.items()))
    if report.unknown_records:
        out.append(
            f"records of customers not in the customer list: {len(report.unknown_records):,}"
        )
    total = sum(report.stages.values())
    out += ["", "Lifecycle stages"]
    out += _table(
        ("stage", "customers", "share"),
        [(s.value, n, f"{n / total:.1%}" if total else "-") for s, n in report.stages.items()],
        (False, True, True),
    )
    out += ["", "Customer pyramid (historical value)"]
    out += _table(
        ("tier", "customers", "value", "value share", ""),
        [
            (
                f"{t.number} {t.name}",
                t.count,
                t.value,
                "-" if t.value_share is None else f"{t.value_share:.1%}",
                _bar(t.value_share),
            )
            for t in report.tiers
        ],
        (False, True, True, True, False),
    )
    if report.pareto is not None:
        out.append(f"the top 20 % of customers hold {report.pareto:.1%} of the value")
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
            f"on {model.customers:,} customers"
        )
    out += ["", f"Top {len(report.at_risk)} customers at risk"]
    out += _table(
        ("customer", "stage", "value", "risk", "value at risk"),
        [(r.customer_id, r.stage, r.value, r.risk, r.value_at_risk) for r in report.at_risk],
        (False, False, True, True, True),
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
    return "\n".join(out)


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
        epilog="Exit codes: 0 success, 2 bad usage, 3 bad data (each bad row reported "
        "with file, line and field, and counted).",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    report = commands.add_parser(
        "report",
        help="the portfolio report of a folder of files",
        description="Analyse a portfolio folder: lifecycle stages, satisfaction and loyalty, "
        "quadrants, value and profit, pyramid tiers, RFM segments, P(alive), value at risk, "
        "complaint SLAs and the care plan. PATH holds customers, transactions, touchpoints "
        "and complaints files (.csv or .jsonl, optionally .gz); any but customers may be "
        "missing. Bad rows are reported on stderr (file, line, field), counted, and left "
        "out; the exit code is then 3. Progress goes to stderr when it is a terminal.",
        epilog="Exit codes: 0 success, 2 bad usage, 3 bad data.",
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
        "care, care_days, sla, top_at_risk, and columns (per file kind, the file's column "
        "names mapped to crmcore's)",
    )
    report.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="table: the terminal report (default); json: the whole report; "
        "csv: one line per customer",
    )
    report.add_argument("--output", type=Path, metavar="FILE", help="write there, not to stdout")
    report.add_argument(
        "--check-ids",
        action="store_true",
        help="refuse record ids seen twice (keeps every id: memory grows with records)",
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
    """Bad usage found after parsing (exit code 2)."""


def _moment(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Usage(f"--as-of {text!r} is not an ISO date or date-time") from None
    if moment.utcoffset() is None:
        raise _Usage(f"--as-of {text!r} needs a UTC offset, such as {text}+08:00")
    return moment


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


def _readers(folder: Path, config: PortfolioConfig) -> dict[RecordKind, RecordReader[Any] | None]:
    kinds: tuple[tuple[RecordKind, type[BaseModel]], ...] = (
        ("customers", Customer),
        ("transactions", Transaction),
        ("touchpoints", CareTouchpoint),
        ("complaints", Complaint),
    )
    readers: dict[RecordKind, RecordReader[Any] | None] = {}
    for kind, entity in kinds:
        path = _find(folder, kind)
        columns = config.columns.get(kind)
        if path is None:
            readers[kind] = None
        elif ".csv" in path.suffixes:
            readers[kind] = read_csv(path, entity, on_error="collect", columns=columns)
        else:
            readers[kind] = read_jsonl(path, entity, on_error="collect", columns=columns)
    if readers["customers"] is None:
        raise _Usage(f"{folder} has no customers file (customers.csv or customers.jsonl)")
    return readers


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
    readers = _readers(folder, config)

    def records(kind: RecordKind) -> Iterator[Any]:
        reader = readers[kind]
        return iter(()) if reader is None else reader

    report = analyze(
        records("customers"),
        records("transactions"),
        records("touchpoints"),
        records("complaints"),
        as_of=moment,
        config=config,
        check_ids=args.check_ids,
        progress=_progress(sys.stderr),
    )
    target = args.output.open("w", encoding="utf-8", newline="") if args.output else stream
    try:
        if args.format == "json":
            print(report.model_dump_json(indent=2), file=target)
        elif args.format == "csv":
            _write_csv(report, target)
        else:
            print(format_report(f"portfolio in {folder}", report), file=target)
    finally:
        if args.output:
            target.close()
    errors: list[InvalidRecord] = [
        e for reader in readers.values() if reader is not None for e in reader.errors
    ]
    for error in errors[:SHOWN_ERRORS]:
        print(f"crmcore: bad row: {error}", file=sys.stderr)
    if len(errors) > SHOWN_ERRORS:
        print(f"crmcore: ... and {len(errors) - SHOWN_ERRORS:,} more bad rows", file=sys.stderr)
    if errors:
        counts = ", ".join(
            f"{kind} {len(reader.errors):,}"
            for kind, reader in readers.items()
            if reader is not None and reader.errors
        )
        print(f"crmcore: {len(errors):,} bad rows left out ({counts})", file=sys.stderr)
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
        if args.command == "report":
            return _report(args, stream)
        if args.command is None:
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
        return _overview(args.path, stream)
    except _Usage as exc:
        print(f"crmcore: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (say `head`) stopped early: not an error of ours
        return EXIT_OK
    except (CrmError, ValueError, OSError) as exc:
        print(f"crmcore: bad data: {exc}", file=sys.stderr)
        return EXIT_BAD_DATA


def _overview(path: Path | None, stream: TextIO) -> int:
    if path is None:
        dataset: Dataset = load_sample()
        title = "crmcore sample portfolio"
    else:
        if not path.is_dir():
            raise _Usage(f"{path} is not a folder")
        dataset = read_dataset(path)
        title = f"portfolio in {path}"
    print(format_overview(title, dataset.overview()), file=stream)
    return EXIT_OK
