"""Every plot draws the library's own results on a matplotlib Axes, in greys, labelled."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from crmcore import analyze, build_histories
from crmcore.complaints import sla_status
from crmcore.datasets import load_sample
from crmcore.errors import UsageError
from crmcore.history import CustomerHistory
from crmcore.lifecycle import LifecycleStage
from crmcore.plot import (
    calibration_holdout,
    cohort_retention,
    frequency_recency,
    index_breakdown,
    lifecycle_flows,
    lifecycle_stages,
    p_alive_over_time,
    pareto_curve,
    pyramid,
    satisfaction_loyalty,
    sla_clocks,
    write_plots,
)
from crmcore.portfolio import PortfolioReport, lifecycle_states
from crmcore.retention import CohortTable, cohorts
from crmcore.scoring import loyalty, satisfaction
from crmcore.value import ParetoNBD, compare_holdout, rfm_summary
from crmcore.value import calibration_holdout as split
from crmcore.value import pyramid as tiered

AS_OF = datetime(2025, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample() -> tuple[PortfolioReport, dict[str, CustomerHistory]]:
    data = load_sample()
    report = analyze(
        data.customers, data.transactions, data.touchpoints, data.complaints, as_of=AS_OF
    )
    histories = build_histories(
        data.customers, data.transactions, data.touchpoints, data.complaints
    )
    return report, histories


@pytest.fixture
def ax() -> Axes:
    return Figure().add_subplot()


def assert_labelled_in_greys(ax: Axes) -> None:
    assert ax.get_title()
    assert ax.get_xlabel() or ax.get_xticklabels()
    colours = [patch.get_facecolor() for patch in ax.patches]
    colours += [to_rgba(line.get_color()) for line in ax.lines]
    for red, green, blue, alpha in colours:
        assert red == green == blue or alpha == 0, (red, green, blue)
    for image in ax.images:
        assert image.get_cmap().name == "Greys"


def test_the_pyramid_draws_each_tiers_customer_and_value_shares(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, _ = sample
    (group,) = report.currencies
    assert pyramid(group, ax=ax) is ax
    customers = sum(t.count for t in group.tiers)
    widths = [round(-bar.get_width(), 6) for bar in ax.patches[:4]]
    assert widths == [round(t.count / customers, 6) for t in group.tiers]
    assert [bar.get_width() for bar in ax.patches[4:]] == [t.value_share for t in group.tiers]
    assert "CNY" in ax.get_xlabel()
    assert_labelled_in_greys(ax)


def test_the_pareto_curve_climbs_to_the_whole_value(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, _ = sample
    pareto_curve(report, ax=ax)
    curve = ax.lines[0]
    assert list(curve.get_xdata())[-1] == 1.0
    assert list(curve.get_ydata())[-1] == pytest.approx(1.0)
    marker = ax.lines[2]
    assert marker.get_ydata()[0] == pytest.approx(report.currencies[0].pareto)
    assert_labelled_in_greys(ax)
    with pytest.raises(UsageError, match="currencies are CNY"):
        pareto_curve(report, currency="EUR")


def test_the_lifecycle_stages_are_bars_in_the_lifecycles_order(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, _ = sample
    lifecycle_stages(report, ax=ax)
    assert [bar.get_height() for bar in ax.patches] == [
        report.stages[stage] for stage in LifecycleStage
    ]
    assert_labelled_in_greys(ax)


def test_the_flows_count_the_transitions_of_the_period(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, histories = sample
    states = lifecycle_states(histories, report).values()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    lifecycle_flows(states, start=start, end=AS_OF, ax=ax)
    grid = ax.images[0].get_array()
    moves = sum(1 for s in states for t in s.transitions if start <= t.at <= AS_OF)
    assert int(grid.sum()) == moves > 0
    assert_labelled_in_greys(ax)


def test_cohort_retention_is_a_heatmap_of_the_cohorts_shares(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    _, histories = sample
    table = cohorts(histories, as_of=AS_OF, period="quarter")
    cohort_retention(table, ax=ax)
    grid = ax.images[0].get_array()
    assert grid.shape[0] == len(table.cohorts)
    assert list(grid[0][: len(table.cohorts[0].active)]) == list(table.cohorts[0].active_shares)
    assert_labelled_in_greys(ax)


def test_the_matrix_scatters_the_customers_with_both_indices(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, _ = sample
    satisfaction_loyalty(report, ax=ax)
    both = [c for c in report.customers if c.satisfaction is not None and c.loyalty is not None]
    assert len(ax.collections[0].get_offsets()) == len(both)
    labels = {text.get_text() for text in ax.texts}
    assert f"satisfied, loyal: {report.quadrants['satisfied_loyal']}" in labels
    assert_labelled_in_greys(ax)


def test_the_purchase_model_plots(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    report, histories = sample
    model = report.model.fitted
    assert model is not None
    sales = [t for h in histories.values() for t in h.transactions]
    rows = rfm_summary(sales, observation_end=AS_OF)
    frequency_recency(model, rows, measure="p_alive", ax=ax)
    grid = ax.images[0].get_array()
    assert grid.shape[0] == max(r.frequency for r in rows) + 1
    assert 0 <= grid.min() <= grid.max() <= 1
    assert_labelled_in_greys(ax)

    other = Figure().add_subplot()
    chosen = report.currencies[0].at_risk[0].customer_id
    p_alive_over_time(model, histories[chosen].transactions, end=AS_OF, ax=other)
    alive = other.lines[0].get_ydata()
    last = next(c for c in report.customers if c.customer_id == chosen)
    assert alive[-1] == pytest.approx(last.p_alive)
    assert_labelled_in_greys(other)

    third = Figure().add_subplot()
    held = split(sales, calibration_end=date(2025, 6, 30), observation_end=AS_OF)
    fitted = ParetoNBD.fit(
        [r.frequency_cal for r in held], [r.recency_cal for r in held], [r.T_cal for r in held]
    )
    comparison = compare_holdout(fitted, held)
    calibration_holdout(comparison, ax=third)
    assert list(third.lines[0].get_ydata()) == [g.actual for g in comparison.groups]
    assert list(third.lines[1].get_ydata()) == [g.expected for g in comparison.groups]
    assert_labelled_in_greys(third)


def test_an_index_is_drawn_metric_by_metric(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    _, histories = sample
    history = histories["C-00001"]
    result = satisfaction(history, as_of=AS_OF)
    index_breakdown(result, ax=ax)
    scores = [m.score for m in result.metrics.values() if m.score is not None]
    assert sorted(bar.get_width() for bar in ax.patches) == sorted(scores)
    assert ax.lines[0].get_xdata()[0] == result.value
    assert_labelled_in_greys(ax)
    empty = Figure().add_subplot()
    bare = loyalty(CustomerHistory(customer=history.customer), as_of=AS_OF)
    index_breakdown(bare, ax=empty)
    missing = [m for m in bare.metrics.values() if m.score is None]
    assert sum(text.get_text() == "no data" for text in empty.texts) == len(missing) > 0


def test_a_complaints_clocks_are_drawn_against_their_targets(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], ax: Axes
) -> None:
    _, histories = sample
    complaint = next(k for h in histories.values() for k in h.complaints)
    clocks = sla_status(complaint, as_of=AS_OF)
    sla_clocks(clocks, ax=ax)
    targets = [bar.get_width() for bar in ax.patches[::2]]
    assert targets == [
        clocks.resolution.target.total_seconds() / 3600,
        clocks.first_response.target.total_seconds() / 3600,
    ]
    assert_labelled_in_greys(ax)


def test_empty_results_draw_empty_plots_or_say_why_not(ax: Axes) -> None:
    pyramid(tiered({}), ax=ax)
    assert all(bar.get_width() == 0 for bar in ax.patches)
    lifecycle_stages({}, ax=Figure().add_subplot())
    flows = lifecycle_flows([], start="2025-01-01", end="2025-12-31", ax=Figure().add_subplot())
    assert int(flows.images[0].get_array().sum()) == 0
    empty = CohortTable(period="month", as_of=AS_OF, cohorts=(), retention_rate=None)
    assert len(cohort_retention(empty, ax=Figure().add_subplot()).images) == 0
    scatter = satisfaction_loyalty([], ax=Figure().add_subplot())
    assert len(scatter.collections[0].get_offsets()) == 0
    model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    with pytest.raises(UsageError, match="without customer rows"):
        frequency_recency(model, [])
    with pytest.raises(UsageError, match="needs a purchase"):
        p_alive_over_time(model, [], end="2025-12-31")


def test_a_new_figure_is_made_when_no_axes_is_given() -> None:
    drawn = lifecycle_stages({LifecycleStage.LOYAL: 2})
    assert isinstance(drawn, Axes)
    assert drawn.figure is not None


def test_every_plot_of_a_report_is_written_as_each_format(
    sample: tuple[PortfolioReport, dict[str, CustomerHistory]], tmp_path: Path
) -> None:
    report, histories = sample
    written = write_plots(report, tmp_path, histories=histories, formats=["png", "svg"])
    names = {path.stem for path in written}
    assert len(written) == 2 * len(names)
    assert {"calibration-holdout", "frequency-recency-expected", "lifecycle-flows"} <= names
    assert all(path.stat().st_size > 1000 for path in written)
    with pytest.raises(UsageError, match="not 'pdf'"):
        write_plots(report, tmp_path, formats=["pdf"])  # type: ignore[list-item]


def test_p_alive_runs_to_the_last_utc_day_whatever_the_offset_of_the_end() -> None:
    from crmcore import Money, Transaction

    model = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    sales = [
        Transaction(id="T-1", customer_id="C-1", occurred_at="2025-01-01T10:00:00Z",
                    amount=Money("10", "CNY"))
    ]  # fmt: skip
    east = p_alive_over_time(model, sales, end="2025-01-10T02:00:00+08:00")  # 9 Jan in UTC
    west = p_alive_over_time(model, sales, end="2025-01-10T20:00:00-05:00")  # 11 Jan in UTC
    assert str(east.lines[0].get_xdata()[-1]) == "2025-01-09"
    assert str(west.lines[0].get_xdata()[-1]) == "2025-01-11"


def test_ids_that_are_no_file_names_are_made_safe(tmp_path: Path) -> None:
    from crmcore import Complaint, Customer

    customer = Customer(id="../esc/C-0")
    complaint = Complaint(id="K/1", customer_id=customer.id, received_at="2025-01-02",
                          category="price", severity="low")  # fmt: skip
    report = analyze([customer], [], [], [complaint], as_of="2025-02-01")
    histories = build_histories([customer], [], [], [complaint])
    written = write_plots(report, tmp_path, histories=histories, formats=["svg"])
    assert all(path.parent == tmp_path for path in written)
    assert "sla-K_1.svg" in {path.name for path in written}
