from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from crmcore.cli import main
from crmcore.datasets import generate
from crmcore.portfolio import PortfolioReport


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def test_without_arguments_it_prints_the_sample_portfolio_report() -> None:
    code, text = run()
    assert code == 0
    assert text.startswith("crmcore sample portfolio\n")
    for section in (
        "Lifecycle stages",
        "Customer pyramid",
        "Satisfaction x loyalty",
        "Complaint SLAs",
        "Purchase model",
        "customers at risk",
        "Care plan",
    ):
        assert section in text  # fmt: skip
    assert any(line.split()[:3] == ["customers", "500", "500"] for line in text.splitlines())
    assert "Customer pyramid in CNY (net value to date)" in text
    assert "paid less refunds" in text and "less acquisition and retention costs" in text
    assert "in days (scales of time)" in text  # the unit of the purchase model's parameters
    assert "value at risk = value x risk" in text  # what risk is and how the list is ranked
    assert "risk from" in text
    # the tier table carries a text histogram of the value shares
    assert any(line.startswith("1 top") and " key " in line and "#" in line
               for line in text.splitlines())  # fmt: skip


def test_overview_without_a_path_describes_the_sample() -> None:
    code, text = run("overview")
    assert code == 0
    assert "customers                500" in text
    assert "CNY" in text


def test_overview_of_a_folder(tmp_path: Path) -> None:
    generate(customers=12, seed=4).write(tmp_path, format="csv")
    code, text = run("overview", str(tmp_path))
    assert code == 0
    assert f"portfolio in {tmp_path}" in text
    assert "customers                 12" in text


def test_a_missing_folder_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("overview", str(tmp_path / "nowhere"))
    assert code == 2
    assert "is not a folder" in capsys.readouterr().err


def test_bad_data_exits_with_3_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "customers.csv").write_text("id,kind\nC-1,robot\n", "utf-8")
    code, _ = run("overview", str(tmp_path))
    assert code == 3
    assert "customers.csv, line 2: field 'kind'" in capsys.readouterr().err


def test_an_unknown_option_is_bad_usage() -> None:
    with pytest.raises(SystemExit) as info:
        run("--colour")
    assert info.value.code == 2


def test_python_dash_m_crmcore_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crmcore", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("crmcore ")


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    generate(customers=30, seed=7).write(tmp_path, format="csv")
    return tmp_path


def test_report_as_csv_gives_one_line_per_customer(portfolio: Path) -> None:
    code, text = run("report", str(portfolio), "--as-of", "2030-01-01", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30
    assert {"customer_id", "stage", "satisfaction", "tier", "rfm_segment"} <= set(rows[0])


def test_csv_writes_booleans_as_the_input_files_do_and_rounds_floats() -> None:
    code, text = run("--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 500
    assert {row["profitable"] for row in rows} <= {"true", "false"}
    assert {row["upgrade_potential"] for row in rows} <= {"true", "false", ""}
    for row in rows:
        for field in ("satisfaction", "p_alive", "value_at_risk"):
            places = row[field].partition(".")[2]
            assert len(places) <= 4, (field, row[field])
        assert "E" not in row["net_value"] and len(row["net_value"].partition(".")[2]) <= 2


def test_the_top_level_command_takes_a_format() -> None:
    code, text = run("--format", "json")
    assert code == 0
    report = PortfolioReport.model_validate_json(text)
    assert len(report.customers) == 500
    tiers = json.loads(text)["currencies"][0]["tiers"]
    assert all(isinstance(tier["value"], str) for tier in tiers)  # money as decimal strings


def test_a_format_given_before_the_command_holds() -> None:
    code, text = run("--format", "json", "report", "--as-of", "2025-06-30")
    assert code == 0
    assert json.loads(text)["as_of"].startswith("2025-06-30T23:59:59")


def test_plots_leave_out_the_records_the_analysis_rejected(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id\nC-0\n", "utf-8")
    (tmp_path / "transactions.csv").write_text(
        "id,customer_id,occurred_at,amount,amount.currency\n"
        "T-1,C-0,2025-01-02T10:00:00Z,10.00,CNY\n"
        "T-2,C-0,2025-02-02T10:00:00Z,12.00,USD\n",
        "utf-8",
    )
    target = tmp_path / "plots"
    code, _ = run("report", str(tmp_path), "--as-of", "2025-06-30", "--plots", str(target))
    assert code == 3  # the USD row is bad data: reported and left out
    names = {p.stem for p in target.iterdir()}
    assert {"lifecycle-flows", "cohort-retention", "pyramid-CNY"} <= names


def test_report_without_a_path_analyses_the_embedded_sample() -> None:
    code, text = run("report", "--as-of", "2025-06-30", "--format", "json")
    assert code == 0
    report = PortfolioReport.model_validate_json(text)
    assert report.as_of.isoformat().startswith("2025-06-30T23:59:59")
    assert report.records["customers"].read == 500
    assert sum(report.stages.values()) == len(report.customers)


def test_report_of_a_folder_needs_as_of(portfolio: Path) -> None:
    code, _ = run("report", str(portfolio))
    assert code == 2


def test_plots_are_written_as_png_and_svg_files(portfolio: Path, tmp_path: Path) -> None:
    target = tmp_path / "plots"
    code, _ = run("report", str(portfolio), "--as-of", "2030-01-01", "--plots", str(target))
    assert code == 0
    written = sorted(p.name for p in target.iterdir())
    names = {name.rsplit(".", 1)[0] for name in written}
    assert {
        "lifecycle-stages",
        "lifecycle-flows",
        "cohort-retention",
        "satisfaction-loyalty",
        "pyramid-CNY",
        "pareto-CNY",
    } <= names
    assert any(name.startswith("sla-") for name in names)
    for name in names:
        png, svg = target / f"{name}.png", target / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in svg.read_bytes()[:2000]


def test_report_as_json_is_the_whole_report_and_can_go_to_a_file(
    portfolio: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    code, text = run(
        "report", str(portfolio), "--as-of", "2030-01-01T00:00:00+08:00",
        "--format", "json", "--output", str(target),
    )  # fmt: skip
    assert (code, text) == (0, "")
    report = PortfolioReport.model_validate_json(target.read_text("utf-8"))
    assert len(report.customers) == 30
    assert report.as_of.isoformat() == "2030-01-01T00:00:00+08:00"


@pytest.mark.parametrize("as_of", ["2030-01-01", "2000-01-01"])
def test_the_json_report_is_the_report_s_indented_json_written_a_line_at_a_time(
    portfolio: Path, as_of: str
) -> None:
    code, text = run("report", str(portfolio), "--as-of", as_of, "--format", "json")
    report = PortfolioReport.model_validate_json(text)
    assert code == 0
    assert len(report.customers) == (30 if as_of == "2030-01-01" else 0)
    assert text == report.model_dump_json(indent=2) + "\n"


def test_the_json_report_escapes_the_control_characters_json_leaves_raw(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = portfolio / "tea\x7fshop"  # a folder name with DEL in it
    folder.mkdir()
    for path in portfolio.glob("*.csv"):
        path.rename(folder / path.name)
    sales = (folder / "transactions.csv").read_text("utf-8").splitlines()
    sales[1] = sales[1].replace("CNY", "USD")  # a customer's amount in a second currency
    (folder / "transactions.csv").write_text("\n".join(sales) + "\n", "utf-8")
    code, text = run("report", str(folder), "--as-of", "2030-01-01", "--format", "json")
    capsys.readouterr()
    report = PortfolioReport.model_validate_json(text)
    assert code == 3
    assert "tea\x7fshop" in report.rejected[0].source
    assert "\x7f" not in text
    assert "tea\\u007fshop" in text


def test_a_bare_date_means_the_end_of_that_day(portfolio: Path) -> None:
    code, text = run("report", str(portfolio), "--as-of", "2024-03-05", "--format", "json")
    assert code == 0
    assert json.loads(text)["as_of"] == "2024-03-05T23:59:59.999999Z"


def test_the_config_maps_columns_and_sets_policies(portfolio: Path, tmp_path: Path) -> None:
    people = (portfolio / "customers.csv").read_text("utf-8")
    (portfolio / "customers.csv").write_text(people.replace("id,", "client_no,", 1), "utf-8")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "columns": {"customers": {"client_no": "id"}}, "care_days": 7, "top_at_risk": 3,
    }), "utf-8")  # fmt: skip
    code, text = run("report", str(portfolio), "--as-of", "2026-01-01", "--config", str(config),
                     "--format", "json")  # fmt: skip
    assert code == 0
    report = json.loads(text)
    assert len(report["customers"]) == 30
    assert len(report["currencies"][0]["at_risk"]) <= 3
    assert report["care_plan"]["end"] == "2026-01-07"


def test_bad_rows_are_reported_counted_and_left_out_with_exit_code_3(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sales = (portfolio / "transactions.csv").read_text("utf-8").splitlines()
    header = sales[0].split(",")
    broken = sales[1].split(",")
    broken[header.index("amount")] = "lots"
    (portfolio / "transactions.csv").write_text(
        "\n".join([sales[0], ",".join(broken), *sales[2:]]) + "\n", "utf-8"
    )
    code, text = run("report", str(portfolio), "--as-of", "2030-01-01", "--format", "csv",
                     "--engine", "pure")  # fmt: skip
    assert code == 3
    assert len(text.splitlines()) == 31  # the report of the good rows is still written
    err = capsys.readouterr().err
    assert "transactions.csv, line 2: field 'amount'" in err
    assert "1 bad rows left out (transactions 1)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "soon"], "must be an ISO 8601 date"),
        (["--as-of", "2024-01-01T10:00:00"], "must be timezone-aware"),
        (["--as-of", "9999-12-31"], "must be from 1900-01-01 up to the end of 2199"),
        (["--as-of", "2024-02-30"], "is not a real date"),
        (["--as-of", "2024-01-01", "--config", "missing.json"], "cannot read --config"),
    ],
)
def test_bad_report_options_are_bad_usage(
    portfolio: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(portfolio), *args)
    assert code == 2
    assert message in capsys.readouterr().err


def test_an_invalid_config_is_bad_usage_naming_the_setting(
    portfolio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"care_days": 0}', "utf-8")
    code, _ = run("report", str(portfolio), "--as-of", "2024-01-01", "--config", str(config))
    assert code == 2
    assert "care_days" in capsys.readouterr().err


def test_a_folder_without_customers_is_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(tmp_path), "--as-of", "2024-01-01")
    assert code == 2
    assert "no customers file" in capsys.readouterr().err


def test_the_report_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run("report", "--help")
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--as-of", "--config", "--format", "--output", "--check-ids", "Exit codes"):
        assert option in text


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"value": {"pyramid_shares": [0.5, 0.6]}}, "pyramid_shares must each be above 0"),
        ({"columns": {"customers": {"a": "id", "b": "id"}}}, "mapped to one name, 'id'"),
        ({"care_days": 100_000_000}, "care_days"),
        ({"lifecycle": {"churn_min_hiatus": "P100000D"}}, "churn_min_hiatus"),
    ],
)
def test_a_configuration_error_is_bad_usage_before_anything_is_read(
    portfolio: Path, tmp_path: Path, config: dict[str, object], message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), "utf-8")
    code, _ = run("report", str(portfolio), "--as-of", "2024-01-01", "--config", str(path))
    assert code == 2
    assert message in capsys.readouterr().err


def test_an_output_that_is_a_folder_is_bad_usage_before_the_analysis(
    portfolio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(portfolio), "--as-of", "2024-01-01", "--output", str(tmp_path))
    assert code == 2
    assert "is a folder" in capsys.readouterr().err


def test_an_unexpected_failure_is_one_line_and_exit_code_1(
    portfolio: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("crmcore.cli.run.analyze", broken)
    code, _ = run("report", str(portfolio), "--as-of", "2024-01-01", "--engine", "pure")
    assert code == 1
    assert capsys.readouterr().err == (
        "crmcore: unexpected failure: RuntimeError: the disk caught fire\n"
    )


def test_control_characters_from_a_file_reach_the_terminal_escaped(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = (portfolio / "customers.csv").read_text("utf-8")
    (portfolio / "customers.csv").write_text(
        people.replace("id,", "id,\x1b[2J\x9b31m,", 1), "utf-8"
    )
    code, _ = run("report", str(portfolio), "--as-of", "2024-01-01")
    assert code == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x9b" not in err
    assert "\\x1b[2J\\x9b31m" in err


def test_repeated_ids_are_a_warning_and_refused_with_check_ids(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sales = (portfolio / "transactions.csv").read_text("utf-8").splitlines()
    (portfolio / "transactions.csv").write_text("\n".join([*sales, sales[1]]) + "\n", "utf-8")
    code, text = run("report", str(portfolio), "--as-of", "2030-01-01", "--format", "json")
    assert code == 0
    assert json.loads(text)["records"]["transactions"]["duplicate_ids"] == 1
    assert "warning: records whose id an earlier one had (transactions 1)" in (
        capsys.readouterr().err
    )
    code, _ = run("report", str(portfolio), "--as-of", "2030-01-01", "--check-ids")
    assert code == 3
    err = capsys.readouterr().err
    assert f"line {len(sales) + 1}: field 'id': another transaction has the same id" in err


def test_a_customer_s_amount_in_a_second_currency_is_a_bad_row_named_by_file_and_line(
    portfolio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sales = (portfolio / "transactions.csv").read_text("utf-8").splitlines()
    header = sales[0].split(",")
    row = sales[1].split(",")
    customer = row[header.index("customer_id")]
    later = next(n for n, line in enumerate(sales[2:], start=2)
                 if line.split(",")[header.index("customer_id")] == customer)  # fmt: skip
    cells = sales[later].split(",")
    for name in ("amount.currency", "list_amount.currency", "cost.currency"):
        if cells[header.index(name)]:
            cells[header.index(name)] = "USD"
    sales[later] = ",".join(cells)
    (portfolio / "transactions.csv").write_text("\n".join(sales) + "\n", "utf-8")
    code, _ = run("report", str(portfolio), "--as-of", "2030-01-01")
    assert code == 3
    err = capsys.readouterr().err
    assert (
        f"transactions.csv, line {later + 1}: field 'amount.currency': is USD, but "
        f"customer '{customer}' has amounts in CNY" in err
    )


def test_the_text_report_counts_in_the_singular_and_shows_instants_to_the_second(
    tmp_path: Path,
) -> None:
    generate(customers=40, seed=4).write(tmp_path, format="csv")
    config = tmp_path / "config.json"
    config.write_text('{"top_at_risk": 1, "care_days": 1}', "utf-8")
    code, text = run("report", str(tmp_path), "--as-of", "2025-06-30", "--config", str(config))
    assert code == 0
    assert "as of 2025-06-30T23:59:59+00:00" in text  # not .999999
    assert "Top 1 customer at risk" in text
    plan = next(line for line in text.splitlines() if line.startswith("Care plan"))
    tasks = int(plan.split(": ")[1].split(" task")[0].replace(",", ""))
    assert (" 1 task " in plan) is (tasks == 1)
    assert ("tasks" in plan) is (tasks != 1)
