"""What the command line prints: the text report and overview, the JSON and CSV reports.

Everything meant for a terminal has its control characters escaped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from crmcore.datasets import Overview
from crmcore.money import minor_units
from crmcore.portfolio import (
    PortfolioReport,
)
from crmcore.retention.churn import AtRisk

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


def say(text: str, stream: TextIO) -> None:
    """Print a line with its control characters escaped."""
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


def _amount(value: float | Decimal, currency: str) -> str:
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
    out = [title, "=" * len(title), f"as of {_instant(report.as_of)}", ""]
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
            for line in report.lines_in(code)
            if line.upgrade_potential is not None
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
    out += ["", "Purchase model"]
    model = report.model.fitted
    if model is None:
        out.append(f"not fitted: {report.model.reason}")
    else:
        figures = ", ".join(f"{e.name} {e.value:.3f}" for e in model.summary())
        scales = "alpha and beta are" if report.model.name == "Pareto/NBD" else "alpha is"
        out.append(f"{report.model.name}: {figures} on {model.customers:,} customers")
        out.append(
            f"{scales} in {model.unit or 'an unstated unit'} (scales of time); "
            "the other parameters are shapes, without unit"
        )
        out.append(f"chosen as {report.model.choice}")
    for part in report.currencies:
        code = part.currency
        out += ["", f"Top {_count(len(part.at_risk), 'customer')} at risk, {code}"]
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
        if part.at_risk:
            out += [
                "value: net value to date; risk: the churn risk, 0 to 1, the larger of",
                '1 - P(alive) ("probability alive") and the time since the last purchase over',
                'the lifecycle\'s churn threshold ("hiatus"); value at risk = value x risk,',
                "the ranking, largest first",
            ]
    plan = report.care_plan
    out += ["", f"Care plan {plan.start} to {plan.end}: {_count(len(plan.tasks), 'task')} "
            f"({len(plan.throttled):,} held back by the weekly limit)"]  # fmt: skip
    out += _table(
        ("due", "customer", "channel", "purpose"),
        [(t.due, t.customer_id, t.channel, t.purpose) for t in plan.tasks[:lines]],
        (False, False, False, False),
    )
    if len(plan.tasks) > lines:
        out.append(
            f"... and {len(plan.tasks) - lines:,} more (the whole plan: --format json; "
            "each customer's next task: --format csv)"
        )
    return printable("\n".join(out))


def _count(n: int, noun: str) -> str:
    """``n`` and the noun, in the plural unless n is 1: "1 task", "2,000 tasks"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _instant(moment: datetime) -> str:
    """An instant to the second: the end of a day given as a date reads 23:59:59, not .999999."""
    return moment.replace(microsecond=0).isoformat()


#: Decimal places of a float (an index, a share, a probability) in CSV output.
CSV_PLACES = 4


def write_csv(report: PortfolioReport, stream: TextIO) -> None:
    """Write the report's customer lines as CSV, one row per customer.

    Booleans are written ``true``/``false`` as in the input files, amounts
    (value at risk among them) as exact decimals, floats (indices, shares,
    probabilities, the wallet left) rounded to `CSV_PLACES` decimal places,
    and a missing value as an empty cell.
    """
    rows = report.to_dicts()
    writer = csv.writer(stream, lineterminator="\n")
    fields = list(type(report.customers[0]).model_fields) if rows else []
    writer.writerow(fields or ["customer_id"])
    for row in rows:
        writer.writerow(["" if row[f] is None else _csv_value(row[f]) for f in fields])


def _csv_value(value: Any) -> str:
    """A cell as the input files write it: ``true``/``false``, exact decimals, short floats."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        text = f"{value:.{CSV_PLACES}f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _escaped(text: str) -> str:
    """JSON text with the control characters JSON leaves raw escaped too."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_NO_CUSTOMERS = '\n  "customers": []'


def write_json(report: PortfolioReport, target: TextIO) -> None:
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
        >>> write_json(report, out)
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
