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

from crmcore.cli.render import format_overview, format_report
from crmcore.cli.run import main

__all__ = ["format_overview", "format_report", "main"]
