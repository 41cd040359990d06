"""The command line's arguments: the parser; reading ``--as-of``, ``--config``, ``--output``."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timezone
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from crmcore._types import in_range, parse_moment
from crmcore._version import __version__
from crmcore.engines.tables import ENGINES
from crmcore.portfolio import (
    PortfolioConfig,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m crmcore``: its commands and their options."""
    parser = argparse.ArgumentParser(
        prog="python -m crmcore",
        description="crmcore: the typed domain core of customer relationship management. "
        "Without a command, prints the portfolio report of the embedded sample portfolio "
        "(500 customers).",
        epilog="Exit codes: 0 success, 1 unexpected failure, 2 bad usage or configuration, "
        "3 bad data (each bad row reported with file, line and field, and counted).",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    _format_option(parser, "the sample's report (or the command's)", top=True)
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
        "report. Progress goes to stderr when it is a terminal. Without PATH, the embedded "
        "sample portfolio is analysed (as of its last day unless --as-of says otherwise).",
        epilog="Exit codes: 0 success, 1 unexpected failure, 2 bad usage or configuration, "
        "3 bad data.",
    )
    report.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="folder of the portfolio files (the embedded sample when omitted)",
    )
    report.add_argument(
        "--as-of",
        metavar="DATE",
        help="the moment of the analysis: an ISO date (meaning the end of that day, UTC) "
        "or date-time with offset; later records are left out. Needed with PATH",
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
    _format_option(report, "the report")
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
        "--plots",
        type=Path,
        metavar="DIR",
        help="also draw the report's plots into DIR, as PNG and SVG files: the pyramid, the "
        "Pareto curve, the lifecycle stages and flows, cohort retention, the satisfaction x "
        "loyalty matrix, the purchase model's matrices and holdout check, the most valuable "
        "customer at risk's P(alive) and indices, and the latest complaint's SLA clocks "
        "(needs matplotlib: pip install 'crmcore[plot]'; the files are read a second time, "
        "with --engine pure's readers, for the plots that need every record)",
    )
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


def _format_option(parser: argparse.ArgumentParser, what: str, *, top: bool = False) -> None:
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        # a command's own default would undo a --format given before the command
        default="table" if top else argparse.SUPPRESS,
        help=f"{what} as table (the terminal report, default), json (the whole report) or "
        "csv (one line per customer)",
    )


class Usage(Exception):
    """Bad usage or configuration found after parsing (exit code 2)."""


def as_of_moment(text: str) -> datetime:
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
        raise Usage(f"--as-of {text!r} {exc.message()}") from None


def config_from(path: Path | None) -> PortfolioConfig:
    """``--config``: a JSON `PortfolioConfig` (the defaults without one)."""
    if path is None:
        return PortfolioConfig()
    try:
        return PortfolioConfig.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise Usage(f"cannot read --config {path}: {exc.strerror}") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'the file'}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise Usage(f"--config {path} is not a valid configuration: {problems}") from None


def check_output(path: Path | None) -> None:
    """Check ``--output`` before the analysis, so that a typo does not cost a long run."""
    if path is None:
        return
    if path.is_dir():
        raise Usage(f"--output {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise Usage(f"--output {path}: the folder {path.parent} does not exist")
