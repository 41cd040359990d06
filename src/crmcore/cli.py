"""The command line: ``python -m crmcore`` (or the ``crmcore`` script).

With no arguments it prints an overview of the embedded sample portfolio.
``overview PATH`` does the same for a folder holding ``customers``,
``transactions``, ``touchpoints`` and ``complaints`` files (``.csv`` or
``.jsonl``, optionally ``.gz``), as written by ``Dataset.write``.

Exit codes: 0 on success, 2 on bad usage, 3 on bad data (the message names
the file, the line and the field).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from crmcore._version import __version__
from crmcore.datasets import Dataset, Overview, load_sample, read_dataset
from crmcore.errors import CrmError

__all__ = ["format_overview", "main"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_BAD_DATA = 3


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m crmcore",
        description="crmcore: the typed domain core of customer relationship management. "
        "Without a command, prints an overview of the embedded sample portfolio.",
    )
    parser.add_argument("--version", action="version", version=f"crmcore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    overview = commands.add_parser(
        "overview",
        help="overview of a portfolio folder (or of the sample when PATH is omitted)",
        description="Print counts, covered dates and revenue per currency of a portfolio. "
        "PATH is a folder with customers, transactions, touchpoints and complaints files "
        "(.csv or .jsonl, optionally .gz); any of them may be missing.",
    )
    overview.add_argument("path", nargs="?", type=Path, help="folder of the portfolio files")
    return parser


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
    path: Path | None = getattr(args, "path", None)
    try:
        if path is None:
            dataset: Dataset = load_sample()
            title = "crmcore sample portfolio"
        else:
            if not path.is_dir():
                print(f"crmcore: error: {path} is not a folder", file=sys.stderr)
                return EXIT_USAGE
            dataset = read_dataset(path)
            title = f"portfolio in {path}"
    except (CrmError, ValueError, OSError) as exc:
        print(f"crmcore: bad data: {exc}", file=sys.stderr)
        return EXIT_BAD_DATA
    print(format_overview(title, dataset.overview()), file=stream)
    if path is None:
        print(
            f"\nperiod {dataset.start} to {dataset.end}; see `python -m crmcore --help` for more.",
            file=stream,
        )
    return EXIT_OK
