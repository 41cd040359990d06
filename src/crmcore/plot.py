"""Plots of crmcore's results, drawn with matplotlib (``pip install 'crmcore[plot]'``).

Each function takes one of the library's own results and returns the
matplotlib ``Axes`` it drew on: a new figure's, or the one given as ``ax=``.
Every plot has a title, labelled axes with their units (and the currency of
amounts), and stays readable in black and white: greys, hatches, markers
and printed numbers carry the meaning, never colour alone.

The plots: the customer pyramid (`pyramid`) and its Pareto curve
(`pareto_curve`); the lifecycle's stages (`lifecycle_stages`) and the flows
between them over a period (`lifecycle_flows`); cohort retention
(`cohort_retention`); the satisfaction × loyalty matrix
(`satisfaction_loyalty`); a purchase model's frequency–recency matrix
(`frequency_recency`), a customer's P(alive) over time (`p_alive_over_time`)
and calibration against holdout (`calibration_holdout`); an index metric by
metric (`index_breakdown`) and a complaint's SLA clocks (`sla_clocks`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from crmcore._types import to_moment
from crmcore.complaints import SlaClock, SlaReport, SlaStatus, sla_status
from crmcore.entities import Transaction
from crmcore.errors import CrmError, UsageError
from crmcore.history import CustomerHistory
from crmcore.lifecycle import LifecycleStage, LifecycleState
from crmcore.portfolio import (
    NO_CURRENCY,
    CurrencyReport,
    PortfolioConfig,
    PortfolioReport,
    lifecycle_states,
)
from crmcore.retention.cohorts import CohortTable, cohorts
from crmcore.scoring.indices import IndexResult, loyalty, satisfaction
from crmcore.scoring.matrix import QuadrantThresholds
from crmcore.value.holdout import HoldoutComparison, PurchaseModel, compare_holdout
from crmcore.value.models import MONTH, BetaGeo
from crmcore.value.pareto import ParetoNBD
from crmcore.value.pyramid import Pyramid, Tier, tier_counts
from crmcore.value.rfm import RfmRow, Unit, rfm_summary
from crmcore.value.rfm import calibration_holdout as split_holdout

try:
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - the extra is installed in the tests
    raise ImportError("crmcore.plot needs matplotlib: pip install 'crmcore[plot]'.") from exc

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "calibration_holdout",
    "cohort_retention",
    "frequency_recency",
    "index_breakdown",
    "lifecycle_flows",
    "lifecycle_stages",
    "p_alive_over_time",
    "pareto_curve",
    "pyramid",
    "satisfaction_loyalty",
    "sla_clocks",
    "write_plots",
]

_DARK, _MID, _LIGHT = "0.2", "0.55", "0.85"
_STAGES = tuple(LifecycleStage)


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=(7, 4.5), layout="constrained")
    return new


def _money(value: float | Decimal, currency: str) -> str:
    return f"{float(value):,.0f} {currency}"


# -- value ------------------------------------------------------------------------


def pyramid(
    result: Pyramid | CurrencyReport, *, currency: str | None = None, ax: Axes | None = None
) -> Axes:
    """The customer pyramid: each tier's share of the customers and of the value.

    Tiers run top to bottom; to the left of the axis each tier's share of
    the customers, to the right its share of the total value, each bar
    printed with its count or amount.

    Args:
        result: A `Pyramid`, or one currency of a portfolio report
            (`PortfolioReport.currencies`), which names its currency.
        currency: The currency of a `Pyramid`'s values, for the labels.
        ax: The axes to draw on; a new figure's when ``None``.

    Examples:
        >>> from crmcore.value import pyramid as tiered
        >>> ax = pyramid(tiered({f"C-{n}": n for n in range(100)}), currency="CNY")
        >>> [float(bar.get_width()) for bar in ax.patches][:4]
        [-0.01, -0.19, -0.3, -0.5]
    """
    if isinstance(result, CurrencyReport):
        levels: Sequence[Tier] = result.tiers
        code = result.currency
    else:
        levels = result.levels
        code = currency or "value"
    ax = _axes(ax)
    customers = sum(t.count for t in levels)
    names = [f"{t.number} {t.name}" for t in levels]
    places = list(range(len(levels)))[::-1]
    shares = [t.count / customers if customers else 0.0 for t in levels]
    values = [t.value_share or 0.0 for t in levels]
    left = ax.barh(places, [-s for s in shares], color=_LIGHT, edgecolor=_DARK, hatch="//")
    right = ax.barh(places, values, color=_MID, edgecolor=_DARK)
    for bar, tier in zip(left, levels, strict=True):
        ax.annotate(
            f"{tier.count:,}",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(-4, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=8,
        )
    for bar, tier in zip(right, levels, strict=True):
        ax.annotate(
            _money(tier.value, code),
            (max(bar.get_width(), 0.0), bar.get_y() + bar.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8,
        )
    ax.axvline(0, color=_DARK, linewidth=0.8)
    ax.set_yticks(places, names)
    reach = max([0.5, *shares, *(abs(v) for v in values)]) * 1.45
    ax.set_xlim(-reach, reach)
    ticks = [x / 4 for x in range(-4, 5) if abs(x / 4) <= reach]
    ax.set_xticks(ticks, [f"{abs(x):.0%}" for x in ticks])
    ax.set_xlabel(f"← share of customers  |  share of net value ({code}) →")
    ax.set_title("Customer pyramid")
    ax.legend([left, right], ["customers", f"net value, {code}"], loc="lower right", fontsize=8)
    return ax


def pareto_curve(
    report: PortfolioReport, *, currency: str | None = None, ax: Axes | None = None
) -> Axes:
    """The Pareto curve: the share of net value held by the most valuable customers.

    Customers are ranked by net value, largest first; the curve climbs to
    the share of the value they hold (a negative value makes it fall). A
    marker shows the share the top 20 % hold, the dotted diagonal an even
    spread.

    Args:
        report: A portfolio report.
        currency: Which of the report's currencies (the first when ``None``).
        ax: The axes to draw on.

    Raises:
        UsageError: The report has no such currency, or no customer in it.

    Examples:
        >>> from crmcore import analyze
        >>> from crmcore.datasets import generate
        >>> data = generate(customers=30, seed=1)
        >>> ax = pareto_curve(analyze(data.customers, data.transactions, as_of=data.end))
        >>> len(ax.lines[0].get_xdata())
        31
    """
    table = report.table("pareto")
    codes = list(dict.fromkeys(table.column("currency")))
    code = currency or (codes[0] if codes else None)
    if code is None or code not in codes:
        raise UsageError(
            f"Cannot draw the Pareto curve of {currency or 'the report'}: "
            f"its currencies are {', '.join(codes) or 'none'}."
        )
    rows = [r for r in table.to_dicts() if r["currency"] == code]
    xs = [0.0] + [r["customer_share"] for r in rows]
    ys = [0.0] + [r["value_share"] or 0.0 for r in rows]
    ax = _axes(ax)
    ax.plot(xs, ys, color=_DARK, linewidth=1.8, label="cumulative net value")
    ax.plot([0, 1], [0, 1], color=_MID, linestyle=":", label="even spread")
    count = tier_counts(len(rows), (0.2, 0.8))[0]  # the report's top 20 %
    top = rows[count - 1] if count else None
    if top is not None and top["value_share"] is not None:
        ax.plot([top["customer_share"]], [top["value_share"]], "o", color=_DARK)
        ax.annotate(
            f"top 20 % hold {top['value_share']:.0%}",
            (top["customer_share"], top["value_share"]),
            xytext=(8, -14),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xlabel("share of customers, by net value, largest first")
    ax.set_ylabel(f"share of the total net value ({code})")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
    ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    ax.set_title("Pareto curve of customer value")
    ax.legend(loc="lower right", fontsize=8)
    return ax


# -- lifecycle --------------------------------------------------------------------


def lifecycle_stages(
    stages: PortfolioReport | Mapping[LifecycleStage, int], *, ax: Axes | None = None
) -> Axes:
    """Customers per lifecycle stage, in the lifecycle's order, each bar with its count.

    Examples:
        >>> ax = lifecycle_stages({LifecycleStage.LOYAL: 3, LifecycleStage.CHURNED: 1})
        >>> [int(bar.get_height()) for bar in ax.patches]
        [0, 0, 0, 0, 3, 1, 0]
    """
    counts = stages.stages if isinstance(stages, PortfolioReport) else stages
    ax = _axes(ax)
    heights = [counts.get(stage, 0) for stage in _STAGES]
    bars = ax.bar(
        [stage.value.replace("_", " ") for stage in _STAGES],
        heights,
        color=_MID,
        edgecolor=_DARK,
    )
    ax.bar_label(bars, [f"{h:,}" for h in heights], fontsize=8)
    ax.set_ylabel("customers")
    ax.set_xlabel("lifecycle stage")
    ax.set_title(f"Customers per lifecycle stage ({sum(heights):,} in all)")
    ax.tick_params(axis="x", labelrotation=20)
    return ax


def lifecycle_flows(
    states: Iterable[LifecycleState],
    *,
    start: datetime | str,
    end: datetime | str,
    ax: Axes | None = None,
) -> Axes:
    """The moves between lifecycle stages from ``start`` to ``end``: a from × to matrix.

    Counts the transitions of the customers' logs (`LifecycleState.transitions`)
    that happened in the period, both ends included; each cell prints its
    count, darker for more.

    Raises:
        pydantic.ValidationError: ``start`` or ``end`` is not an aware moment.

    Examples:
        >>> state = LifecycleState.new("C-1").apply("purchase", at="2025-02-01")
        >>> ax = lifecycle_flows([state], start="2025-01-01", end="2025-12-31")
        >>> int(ax.images[0].get_array()[0, 2])  # potential → first_time
        1
    """
    first, last = to_moment(start, "start"), to_moment(end, "end")
    moves: Counter[tuple[int, int]] = Counter()
    for state in states:
        for move in state.transitions:
            if first <= move.at <= last:
                moves[_STAGES.index(move.from_stage), _STAGES.index(move.to_stage)] += 1
    grid = [[moves[i, j] for j in range(len(_STAGES))] for i in range(len(_STAGES))]
    ax = _axes(ax)
    peak = max([1, *moves.values()])
    image = ax.imshow(grid, cmap="Greys", vmin=0, vmax=peak)
    for (i, j), count in moves.items():
        ax.text(
            j,
            i,
            f"{count:,}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if count > peak / 2 else "black",
        )
    labels = [stage.value.replace("_", " ") for stage in _STAGES]
    ax.set_xticks(range(len(_STAGES)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(_STAGES)), labels)
    ax.set_xlabel("to stage")
    ax.set_ylabel("from stage")
    ax.set_title(f"Lifecycle moves, {first.date()} to {last.date()} ({moves.total():,})")
    ax.figure.colorbar(image, ax=ax, label="moves")
    return ax


def cohort_retention(
    table: CohortTable,
    *,
    measure: Literal["active", "surviving"] = "active",
    ax: Axes | None = None,
) -> Axes:
    """Cohort retention as a heatmap: cohorts down, periods since acquisition across.

    Each cell prints the share of the cohort that bought in that period
    (``measure="active"``) or in it or later (``"surviving"``); periods not
    yet reached are blank.

    Examples:
        >>> from datetime import date
        >>> from crmcore.retention import Cohort
        >>> one = Cohort(start=date(2025, 1, 1), size=4, active=(4, 2), surviving=(4, 2))
        >>> table = CohortTable(period="month", as_of="2025-02-28T23:59:59Z", cohorts=(one,),
        ...                     retention_rate=0.5)
        >>> cohort_retention(table).images[0].get_array()[0].tolist()
        [1.0, 0.5]
    """
    cohorts = table.cohorts
    width = max((len(c.active) for c in cohorts), default=0)
    grid: list[list[float]] = []
    for cohort in cohorts:
        shares = cohort.active_shares if measure == "active" else cohort.surviving_shares
        grid.append([*shares, *([float("nan")] * (width - len(shares)))])
    ax = _axes(ax)
    if grid:
        ax.imshow(grid, cmap="Greys", vmin=0, vmax=1, aspect="auto")
        small = len(cohorts) * width <= 400
        for i, row in enumerate(grid):
            for j, share in enumerate(row):
                if small and share == share:  # not NaN
                    ax.text(
                        j,
                        i,
                        f"{share:.0%}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if share > 0.5 else "black",
                    )
        step = max(1, len(cohorts) // 12)
        ax.set_yticks(
            range(0, len(cohorts), step),
            [f"{c.start.isoformat()} ({c.size:,})" for c in cohorts[::step]],
        )
    ax.set_xlabel(f"{table.period}s since acquisition (0 = the acquisition {table.period})")
    ax.set_ylabel("cohort: first day (customers)")
    what = "bought in the period" if measure == "active" else "bought in the period or later"
    ax.set_title(f"Cohort retention: share of the cohort that {what}")
    return ax


# -- scoring ----------------------------------------------------------------------


def satisfaction_loyalty(
    points: PortfolioReport | Iterable[tuple[float, float]],
    *,
    thresholds: QuadrantThresholds | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The satisfaction × loyalty matrix: one point per customer, with its quadrants.

    Customers without both indices are left out of the scatter and counted
    in the title. Each quadrant is labelled with its name and count.

    Args:
        points: A portfolio report, or (satisfaction, loyalty) pairs, 0-100.
        thresholds: Where the quadrants divide (the defaults: 60 and 60).
        ax: The axes to draw on.

    Examples:
        >>> ax = satisfaction_loyalty([(80, 70), (30, 90), (20, 10)])
        >>> len(ax.collections[0].get_offsets())
        3
    """
    limits = thresholds or QuadrantThresholds()
    if isinstance(points, PortfolioReport):
        pairs = [(c.satisfaction, c.loyalty) for c in points.customers]
    else:
        pairs = list(points)
    known = [(s, lo) for s, lo in pairs if s is not None and lo is not None]
    ax = _axes(ax)
    ax.scatter(
        [s for s, _ in known],
        [lo for _, lo in known],
        s=12,
        facecolors="none",
        edgecolors=_DARK,
        linewidths=0.7,
    )
    ax.axvline(limits.satisfaction, color=_DARK, linestyle="--", linewidth=0.8)
    ax.axhline(limits.loyalty, color=_DARK, linestyle="--", linewidth=0.8)
    corners = (
        ("satisfied, loyal", True, True, 98, 98, "right", "top"),
        ("satisfied, not loyal", True, False, 98, 2, "right", "bottom"),
        ("dissatisfied, loyal", False, True, 2, 98, "left", "top"),
        ("dissatisfied, not loyal", False, False, 2, 2, "left", "bottom"),
    )
    for name, satisfied, loyal, x, y, ha, va in corners:
        count = sum(
            1
            for s, lo in known
            if (s >= limits.satisfaction) == satisfied and (lo >= limits.loyalty) == loyal
        )
        ax.text(x, y, f"{name}: {count:,}", ha=ha, va=va, fontsize=8, color=_DARK)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("satisfaction index (0-100)")
    ax.set_ylabel("loyalty index (0-100)")
    left_out = len(pairs) - len(known)
    ax.set_title(
        f"Satisfaction × loyalty: {len(known):,} customers"
        + (f" ({left_out:,} without both indices)" if left_out else "")
    )
    return ax


def index_breakdown(result: IndexResult, *, ax: Axes | None = None) -> Axes:
    """An index metric by metric: each metric's 0-100 sub-score, its weight, its raw input.

    Metrics without data are drawn as hatched outlines marked "no data"; a
    dashed line marks the index itself.

    Examples:
        >>> from crmcore import CustomerHistory, Customer, satisfaction
        >>> history = CustomerHistory(customer=Customer(id="C-1"))
        >>> ax = index_breakdown(satisfaction(history, as_of="2025-06-30"))
        >>> len(ax.patches)
        6
    """
    names = list(result.metrics)
    places = list(range(len(names)))[::-1]
    ax = _axes(ax)
    for place, name in zip(places, names, strict=True):
        metric = result.metrics[name]
        if metric.score is None:
            ax.barh(place, 100, color="none", edgecolor=_MID, hatch="..")
            ax.text(50, place, "no data", ha="center", va="center", fontsize=8)
        else:
            ax.barh(place, metric.score, color=_MID, edgecolor=_DARK)
            ax.text(
                min(metric.score, 100) + 1,
                place,
                f"{metric.score:.0f} (raw {_raw(metric.raw)})",
                va="center",
                fontsize=8,
            )
    ax.set_yticks(
        places, [f"{n.replace('_', ' ')} (weight {result.metrics[n].weight:g})" for n in names]
    )
    if result.value is not None:
        ax.axvline(result.value, color=_DARK, linestyle="--", linewidth=1)
    ax.set_xlim(0, 130)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel("sub-score (0-100)")
    value = "none" if result.value is None else f"{result.value:.1f}"
    ax.set_title(
        f"{result.index.capitalize()} index of {result.customer_id}: {value}\n"
        f"coverage {result.coverage:.0%}, as of {_utc(result.as_of)}"
    )
    return ax


def _raw(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return str(value)


def sla_clocks(report: SlaReport, *, ax: Axes | None = None) -> Axes:
    """A complaint's two SLA clocks: time elapsed against the target, in hours.

    Each clock is a bar of the time elapsed (frozen when the clock stopped)
    over a hatched bar of its target, labelled with its status.

    Examples:
        >>> from crmcore import Complaint
        >>> from crmcore.complaints import sla_status
        >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02",
        ...               category="price", severity="critical")
        >>> ax = sla_clocks(sla_status(k, as_of="2024-05-02T02:00:00+00:00"))
        >>> [float(bar.get_width()) for bar in ax.patches]  # hours: resolution, first response
        [24.0, 2.0, 1.0, 2.0]
    """
    clocks: tuple[tuple[str, SlaClock], ...] = (
        ("first response", report.first_response),
        ("resolution", report.resolution),
    )
    ax = _axes(ax)
    for place, (_, clock) in enumerate(clocks[::-1]):
        target = _hours(clock.target)
        elapsed = _hours(clock.elapsed)
        ax.barh(place, target, height=0.6, color="none", edgecolor=_DARK, hatch="//")
        missed = clock.status is SlaStatus.BREACHED
        ax.barh(place, elapsed, height=0.3, color=_DARK if missed else _MID, edgecolor=_DARK)
        ax.text(
            max(target, elapsed) * 1.02,
            place,
            f"{clock.status.value.replace('_', ' ')}: {elapsed:,.1f} h of {target:,.1f} h",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(range(len(clocks)), [name for name, _ in clocks[::-1]])
    longest = max(max(_hours(c.target), _hours(c.elapsed)) for _, c in clocks)
    ax.set_xlim(0, longest * 1.6)
    ax.set_xlabel("hours since the complaint was received (hatched: the target)")
    ax.set_title(
        f"SLA clocks of complaint {report.complaint_id} ({report.severity.value})\n"
        f"as of {_utc(report.as_of)}"
    )
    return ax


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


# -- purchase models --------------------------------------------------------------


def frequency_recency(
    model: PurchaseModel,
    rows: Sequence[RfmRow],
    *,
    measure: Literal["expected", "p_alive"] = "expected",
    t: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A purchase model's frequency–recency matrix, for a customer observed as long as the longest.

    Each cell is a customer with that many repeat purchases (rows) and that
    recency (columns), observed for the longest T of ``rows``: the purchases
    expected in the next ``t`` units (``measure="expected"``) or the
    probability of being alive (``"p_alive"``). ``t`` is a month when
    ``None``: 30 days, 4.345 weeks or 1 month, by the model's unit. The grid
    spans the frequencies and recencies ``rows`` hold.

    Raises:
        UsageError: ``rows`` is empty.

    Examples:
        >>> from crmcore.value import BetaGeo
        >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> rows = [RfmRow("C-1", 3, 20.0, 30.0, 10.0, 40.0, "weeks")]
        >>> ax = frequency_recency(model, rows, measure="p_alive")
        >>> ax.images[0].get_array().shape
        (4, 31)
    """
    if not rows:
        raise UsageError("Cannot draw a frequency–recency matrix without customer rows.")
    unit = model.unit or rows[0].unit
    ahead = MONTH[unit] if t is None else t
    longest = max(r.T for r in rows)
    top = max(r.frequency for r in rows)
    steps = min(int(longest), 60) or 1
    recencies = [longest * k / steps for k in range(steps + 1)]
    grid = []
    for frequency in range(top + 1):
        line = []
        for recency in recencies:
            if measure == "expected":
                value = model.expected_purchases(
                    ahead, frequency=frequency, recency=recency, T=longest
                )
            else:
                value = model.p_alive(frequency=frequency, recency=recency, T=longest)
            line.append(value)
        grid.append(line)
    ax = _axes(ax)
    image = ax.imshow(
        grid,
        cmap="Greys",
        origin="lower",
        aspect="auto",
        extent=(-0.5 * longest / steps, longest * (1 + 0.5 / steps), -0.5, top + 0.5),
        vmin=0,
        vmax=1 if measure == "p_alive" else None,
    )
    label = (
        f"expected purchases in the next {ahead:g} {unit}"
        if measure == "expected"
        else "probability alive"
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_xlabel(f"recency: from the first to the last purchase, {unit}")
    ax.set_ylabel("frequency: repeat purchases")
    ax.set_title(f"{type(model).__name__}: {label}, T = {longest:g} {unit}")
    return ax


def p_alive_over_time(
    model: PurchaseModel,
    transactions: Iterable[Transaction],
    *,
    end: datetime | str,
    periods: Literal["calendar", "days"] = "calendar",
    ax: Axes | None = None,
) -> Axes:
    """A customer's P(alive) day by day, from the first purchase to ``end``.

    Each day's value comes from the customer's purchase summary on that day
    (`rfm_summary` in the model's unit); purchases are marked below the curve.

    Raises:
        UsageError: The transactions are not one customer's, or hold no
            purchase by ``end``.

    Examples:
        >>> from crmcore import Money
        >>> from crmcore.value import BetaGeo
        >>> model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, unit="weeks")
        >>> sales = [Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=f"2025-0{n}-01",
        ...                      amount=Money("10", "CNY")) for n in (1, 2, 3)]
        >>> ax = p_alive_over_time(model, sales, end="2025-06-30")
        >>> len(ax.lines[0].get_xdata())
        181
    """
    moment = to_moment(end, "end")
    sales = [t for t in transactions if t.occurred_at <= moment]
    customers = {t.customer_id for t in sales}
    if len(customers) > 1:
        raise UsageError(
            f"P(alive) over time is drawn for one customer; the transactions are of "
            f"{len(customers)} ({', '.join(sorted(customers)[:3])}, ...)."
        )
    unit = model.unit or "days"
    days: list[Any] = []  # dates, which matplotlib plots but does not type
    alive: list[float] = []
    first = min((t.occurred_at for t in sales), default=None)
    if first is None:
        raise UsageError("P(alive) over time needs a purchase by the end; there is none.")
    day = first.astimezone(timezone.utc).date()
    last = moment.astimezone(timezone.utc).date()
    while day <= last:
        close = min(datetime.combine(day, datetime.max.time(), timezone.utc), moment)
        (row,) = rfm_summary(sales, observation_end=close, unit=unit, periods=periods) or (None,)
        if row is not None:
            days.append(day)
            alive.append(model.p_alive(frequency=row.frequency, recency=row.recency, T=row.T))
        day += timedelta(days=1)
    ax = _axes(ax)
    ax.plot(days, alive, color=_DARK, linewidth=1.5, label="P(alive)")
    bought: list[Any] = sorted({t.occurred_at.astimezone(timezone.utc).date() for t in sales})
    ax.plot(bought, [0.02] * len(bought), "|", color=_DARK, markersize=12, label="purchase")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("probability alive")
    ax.set_xlabel("day (UTC)")
    (customer,) = customers
    ax.set_title(f"P(alive) of {customer} over time ({type(model).__name__}, {unit})")
    ax.legend(loc="lower left", fontsize=8)
    ax.tick_params(axis="x", labelrotation=20)
    return ax


def calibration_holdout(comparison: HoldoutComparison, *, ax: Axes | None = None) -> Axes:
    """Calibration against holdout: mean expected and actual holdout purchases per frequency.

    Groups run along the calibration frequency (the last one: that frequency
    and more), each labelled with its customers.

    Examples:
        >>> from crmcore.value import HoldoutComparison, HoldoutGroup
        >>> groups = (HoldoutGroup(frequency=0, and_more=False, customers=10, actual=0.2,
        ...                        expected=0.25),
        ...           HoldoutGroup(frequency=1, and_more=True, customers=5, actual=1.0,
        ...                        expected=0.9))
        >>> result = HoldoutComparison(model="BetaGeo", customers=15, actual=7.0, expected=7.0,
        ...                            mean_absolute_error=0.3, groups=groups)
        >>> [[float(y) for y in line.get_ydata()] for line in calibration_holdout(result).lines]
        [[0.2, 1.0], [0.25, 0.9]]
    """
    groups = comparison.groups
    labels = [f"{g.frequency}{'+' if g.and_more else ''}\n({g.customers:,})" for g in groups]
    places = list(range(len(groups)))
    ax = _axes(ax)
    ax.plot(places, [g.actual for g in groups], "s-", color=_DARK, label="actual")
    ax.plot(
        places,
        [g.expected for g in groups],
        "o--",
        color=_MID,
        markerfacecolor="white",
        label=f"expected ({comparison.model})",
    )
    ax.set_xticks(places, labels)
    ax.set_xlabel("repeat purchases in calibration (customers)")
    ax.set_ylabel("mean purchases in the holdout period")
    ax.set_title(
        f"Calibration vs holdout: {comparison.actual:,.0f} actual, "
        f"{comparison.expected:,.0f} expected purchases"
    )
    ax.legend(loc="upper left", fontsize=8)
    return ax


# -- every plot of a report -------------------------------------------------------

PlotFormat = Literal["png", "svg"]


def write_plots(
    report: PortfolioReport,
    folder: str | Path,
    *,
    histories: Mapping[str, CustomerHistory] | None = None,
    config: PortfolioConfig | None = None,
    formats: Sequence[PlotFormat] = ("png", "svg"),
) -> list[Path]:
    """Draw a report's plots into a folder, one file per plot and format; return the files.

    From the report alone: the pyramid and the Pareto curve of each currency,
    the lifecycle stages, the satisfaction × loyalty matrix. With the
    customers' histories as well: the lifecycle flows over the year to the
    report's moment, quarterly cohort retention and, when a purchase model
    was fitted, its frequency–recency matrices, calibration against the last
    quarter of the purchase history held out, and for the customer with the
    most value at risk, P(alive) over time and the satisfaction and loyalty
    indices metric by metric; and the SLA clocks of the latest complaint.

    Args:
        report: The report of `analyze`.
        folder: Where to write (made when missing).
        histories: The customers' histories (`build_histories`), for the
            plots that need every record.
        config: The configuration of the analysis (the defaults when ``None``).
        formats: The file formats, each plot written once per format.

    Raises:
        UsageError: A format is neither ``"png"`` nor ``"svg"``.

    Examples:
        >>> import tempfile
        >>> from crmcore import analyze
        >>> from crmcore.datasets import generate
        >>> data = generate(customers=30, seed=1)
        >>> report = analyze(data.customers, data.transactions, as_of=data.end)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     sorted(p.name for p in write_plots(report, tmp, formats=["png"]))
        ['lifecycle-stages.png', 'pareto-CNY.png', 'pyramid-CNY.png', 'satisfaction-loyalty.png']
    """
    bad = [f for f in formats if f not in ("png", "svg")]
    if bad:
        raise UsageError(f"Plots are written as png or svg, not {', '.join(map(repr, bad))}.")
    settings = config or PortfolioConfig()
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(
        name: str, draw: Callable[[Axes], object], size: tuple[float, float] = (7, 4.5)
    ) -> None:
        figure = Figure(figsize=size, layout="constrained")
        draw(figure.add_subplot())
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # ids become file names
        for suffix in formats:
            path = target / f"{safe}.{suffix}"
            figure.savefig(path, dpi=110)
            written.append(path)

    for group in report.currencies:
        if group.currency != NO_CURRENCY:
            _currency_plots(report, group, save)
    save("lifecycle-stages", lambda ax: lifecycle_stages(report, ax=ax))
    save(
        "satisfaction-loyalty",
        lambda ax: satisfaction_loyalty(report, thresholds=settings.quadrants, ax=ax),
        (6, 6),
    )
    if histories is not None:
        _history_plots(report, histories, settings, save)
    return written


def _currency_plots(
    report: PortfolioReport, group: CurrencyReport, save: Callable[..., None]
) -> None:
    save(f"pyramid-{group.currency}", lambda ax: pyramid(group, ax=ax))
    save(
        f"pareto-{group.currency}",
        lambda ax: pareto_curve(report, currency=group.currency, ax=ax),
    )


def _history_plots(
    report: PortfolioReport,
    histories: Mapping[str, CustomerHistory],
    config: PortfolioConfig,
    save: Callable[..., None],
) -> None:
    moment = report.as_of
    states = lifecycle_states(histories, report, config=config).values()
    save(
        "lifecycle-flows",
        lambda ax: lifecycle_flows(states, start=moment - timedelta(days=365), end=moment, ax=ax),
        (7.5, 6),
    )
    quarters = cohorts(histories, as_of=moment, period="quarter")
    save("cohort-retention", lambda ax: cohort_retention(quarters, ax=ax), (8, 6))
    model = report.model.fitted
    value = config.value
    sales = [t for h in histories.values() for t in h.transactions if t.occurred_at <= moment]
    if model is not None and sales:
        rows = rfm_summary(
            sales, observation_end=moment, unit=value.rfm_unit, periods=value.rfm_periods
        )
        save("frequency-recency-expected", lambda ax: frequency_recency(model, rows, ax=ax))
        save(
            "frequency-recency-p-alive",
            lambda ax: frequency_recency(model, rows, measure="p_alive", ax=ax),
        )
        comparison = _holdout(type(model), sales, moment, value.rfm_unit, value.rfm_periods)
        if comparison is not None:
            save("calibration-holdout", lambda ax: calibration_holdout(comparison, ax=ax))
    chosen = _most_at_risk(report)
    if chosen is not None and chosen in histories:
        history = histories[chosen]
        if model is not None and history.transactions:
            save(
                f"p-alive-{chosen}",
                lambda ax: p_alive_over_time(
                    model,
                    history.transactions,
                    end=moment,
                    periods=value.rfm_periods,
                    ax=ax,
                ),
            )
        scored = satisfaction(history, as_of=moment, config=config.satisfaction)
        save(f"satisfaction-{chosen}", lambda ax: index_breakdown(scored, ax=ax))
        loyal = loyalty(history, as_of=moment, config=config.loyalty)
        save(f"loyalty-{chosen}", lambda ax: index_breakdown(loyal, ax=ax))
    received = [k for h in histories.values() for k in h.complaints if k.received_at <= moment]
    if received:
        latest = max(received, key=lambda k: (k.received_at, k.id))
        clocks = sla_status(latest, as_of=moment, policy=config.sla)
        save(f"sla-{latest.id}", lambda ax: sla_clocks(clocks, ax=ax), (7, 3))


def _most_at_risk(report: PortfolioReport) -> str | None:
    """The first customer at risk of the largest currency section (lists are ranked already)."""
    for group in sorted(report.currencies, key=lambda g: -g.customers):
        if group.at_risk:
            return group.at_risk[0].customer_id
    buyers = [c.customer_id for c in report.customers if c.rfm_code is not None]
    return buyers[0] if buyers else None


def _holdout(
    kind: type[BetaGeo] | type[ParetoNBD],
    sales: Sequence[Transaction],
    moment: datetime,
    unit: Unit,
    periods: Literal["calendar", "days"],
) -> HoldoutComparison | None:
    """Fit the model's kind on the first three quarters of the history; compare on the last."""
    first = min(t.occurred_at for t in sales)
    split = moment - (moment - first) / 4
    rows = split_holdout(
        sales, calibration_end=split, observation_end=moment, unit=unit, periods=periods
    )
    try:
        fitted = kind.fit(
            [r.frequency_cal for r in rows],
            [r.recency_cal for r in rows],
            [r.T_cal for r in rows],
            unit=unit,
        )
    except CrmError:  # too few customers, or a fit that does not converge: no plot
        return None
    return compare_holdout(fitted, rows)
