from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from crmcore.cli import main
from crmcore.datasets import write_generated
from crmcore.engines import tables as engine_tables
from crmcore.portfolio import PortfolioReport

AS_OF = "2026-01-01"
LOCAL_ENGINES = ["polars", "duckdb", "dask"]


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same portfolio as CSV, gzipped CSV, gzipped JSON Lines and Parquet."""
    pl = pytest.importorskip("polars")
    base = tmp_path_factory.mktemp("portfolios")
    made = {
        "csv": write_generated(base / "csv", customers=40, seed=11),
        "csv.gz": write_generated(base / "csv.gz", customers=40, seed=11, compress=True),
        "jsonl.gz": write_generated(
            base / "jsonl.gz", customers=40, seed=11, format="jsonl", compress=True
        ),
    }
    parquet = base / "parquet"
    parquet.mkdir()
    for kind, path in made["csv"].items():
        pl.read_csv(path, infer_schema=False).write_parquet(parquet / f"{kind}.parquet")
    return {**{name: base / name for name in made}, "parquet": parquet}


@pytest.fixture(scope="module")
def pure_report(folders: dict[str, Path]) -> str:
    code, text = run("report", str(folders["csv"]), "--as-of", AS_OF, "--engine", "pure",
                     "--format", "json")  # fmt: skip
    assert code == 0
    return text


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")  # dask's parquet
@pytest.mark.parametrize("layout", ["csv", "csv.gz", "jsonl.gz", "parquet"])
@pytest.mark.parametrize("engine", LOCAL_ENGINES)
def test_every_engine_writes_the_report_of_the_pure_engine_from_every_file_format(
    folders: dict[str, Path], pure_report: str, engine: str, layout: str
) -> None:
    pytest.importorskip(engine_tables.NEEDS[engine][0][0])  # type: ignore[index]
    code, text = run("report", str(folders[layout]), "--as-of", AS_OF, "--engine", engine,
                     "--format", "json")  # fmt: skip
    assert code == 0
    assert text == pure_report
    assert len(PortfolioReport.model_validate_json(text).customers) == 40


@pytest.mark.xdist_group("spark")
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning")
def test_spark_writes_the_report_of_the_pure_engine(
    folders: dict[str, Path], pure_report: str, spark: Any
) -> None:
    code, text = run("report", str(folders["csv"]), "--as-of", AS_OF, "--engine", "spark",
                     "--format", "json")  # fmt: skip
    assert (code, text) == (0, pure_report)


def test_the_pure_engine_reads_gzipped_json_lines_too(
    folders: dict[str, Path], pure_report: str
) -> None:
    code, text = run("report", str(folders["jsonl.gz"]), "--as-of", AS_OF, "--engine", "pure",
                     "--format", "json")  # fmt: skip
    assert (code, text) == (0, pure_report)


def test_the_default_engine_is_pure(folders: dict[str, Path], pure_report: str) -> None:
    code, text = run("report", str(folders["csv"]), "--as-of", AS_OF, "--format", "json")
    assert (code, text) == (0, pure_report)


def test_parquet_files_on_the_pure_engine_are_bad_usage(
    folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(folders["parquet"]), "--as-of", AS_OF, "--engine", "pure")
    assert code == 2
    assert "Parquet files need a dataframe engine" in capsys.readouterr().err


def test_an_engine_that_is_not_installed_is_bad_usage_naming_the_extra(
    folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(engine_tables, "_installed", lambda module: module != "dask.dataframe")
    code, _ = run("report", str(folders["csv"]), "--as-of", AS_OF, "--engine", "dask")
    assert code == 2
    err = capsys.readouterr().err
    assert "--engine dask needs dask.dataframe" in err
    assert "pip install 'crmcore[dask]'" in err


def test_check_ids_with_a_dataframe_engine_is_bad_usage(
    folders: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(folders["csv"]), "--as-of", AS_OF, "--engine", "polars",
                  "--check-ids")  # fmt: skip
    assert code == 2
    assert "--check-ids works with --engine pure only" in capsys.readouterr().err


def test_several_files_of_one_kind_are_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "customers.csv").write_text("id\nC-1\n", "utf-8")
    (tmp_path / "customers.parquet").write_bytes(b"")
    code, _ = run("report", str(tmp_path), "--as-of", AS_OF)
    assert code == 2
    assert "several files match (customers.csv, customers.parquet)" in capsys.readouterr().err


def test_a_bad_row_on_a_dataframe_engine_is_named_by_file_and_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_generated(tmp_path, customers=10, seed=2)
    lines = paths["transactions"].read_text("utf-8").splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("amount")] = "lots"
    paths["transactions"].write_text("\n".join([lines[0], ",".join(broken), *lines[2:]]) + "\n")
    code, text = run("report", str(tmp_path), "--as-of", AS_OF, "--engine", "polars",
                     "--format", "csv")  # fmt: skip
    assert code == 3
    assert len(text.splitlines()) == 11  # the report of the good rows is still written
    err = capsys.readouterr().err
    assert f"Cannot use {paths['transactions']}, row 1: field 'amount'" in err
    assert "1 bad rows left out (transactions 1)" in err


def test_a_file_the_engine_cannot_parse_is_bad_data_pointing_to_the_pure_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("polars")
    paths = write_generated(tmp_path, customers=10, seed=2)
    lines = paths["transactions"].read_text("utf-8").splitlines()
    lines[4] += '"'  # a stray quote at the end of a row
    paths["transactions"].write_text("\n".join(lines) + "\n", "utf-8")
    code, _ = run("report", str(tmp_path), "--as-of", AS_OF, "--engine", "polars")
    assert code == 3
    err = capsys.readouterr().err
    assert "the polars engine could not read or analyse the files" in err
    assert "--engine pure reads them line by line" in err


def test_worker_processes_on_polars_write_the_same_report(
    folders: dict[str, Path], pure_report: str
) -> None:
    code, text = run("report", str(folders["csv"]), "--as-of", AS_OF, "--engine", "polars",
                     "--workers", "2", "--format", "json")  # fmt: skip
    assert (code, text) == (0, pure_report)


@pytest.mark.parametrize("layout", ["csv", "csv.gz", "jsonl.gz"])
@pytest.mark.parametrize("workers", ["2", "3"])
def test_pure_worker_processes_each_reading_a_part_of_the_files_write_the_same_report(
    folders: dict[str, Path], pure_report: str, layout: str, workers: str
) -> None:
    code, text = run("report", str(folders[layout]), "--as-of", AS_OF, "--workers", workers,
                     "--format", "json")  # fmt: skip
    assert (code, text) == (0, pure_report)


@pytest.mark.parametrize(("workers", "partitions"), [("1", "3"), ("2", "5")])
def test_workers_holding_one_partition_at_a_time_write_the_same_report(
    folders: dict[str, Path], pure_report: str, workers: str, partitions: str
) -> None:
    code, text = run("report", str(folders["csv"]), "--as-of", AS_OF, "--workers", workers,
                     "--partitions", partitions, "--format", "json")  # fmt: skip
    assert (code, text) == (0, pure_report)


def in_two_currencies(folder: Path) -> None:
    """Move the customers whose id ends in an odd digit, with all their amounts, to dollars."""
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as file:
            header, *rows = list(csv.reader(file))
        owner = header.index("id" if path.stem == "customers" else "customer_id")
        for row in rows:
            if int(row[owner][-1]) % 2:
                row[:] = ["USD" if cell == "CNY" else cell for cell in row]
        with path.open("w", encoding="utf-8", newline="") as file:
            csv.writer(file).writerows([header, *rows])


def test_workers_holding_partitions_agree_with_one_reader_across_currency_groups(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "portfolio"
    write_generated(folder, customers=150, seed=7)
    in_two_currencies(folder)
    one = run("report", str(folder), "--as-of", AS_OF, "--format", "json")
    report = PortfolioReport.model_validate_json(one[1])
    assert [c.currency for c in report.currencies] == ["CNY", "USD"]
    assert report.model.fitted is not None
    assert report.care_plan.tasks
    for spread in (["--partitions", "4"], ["--workers", "2", "--partitions", "7"]):
        assert run("report", str(folder), "--as-of", AS_OF, "--format", "json", *spread) == one


@pytest.mark.parametrize("seed", [3, 29])
def test_pure_workers_agree_with_one_reader_on_other_portfolios_and_moments(
    tmp_path: Path, seed: int
) -> None:
    folder = tmp_path / "portfolio"
    write_generated(folder, customers=60, seed=seed)
    for moment in ("2025-03-01", AS_OF):
        one = run("report", str(folder), "--as-of", moment, "--format", "json")
        two = run("report", str(folder), "--as-of", moment, "--format", "json", "--workers", "2")
        assert two == one
        assert one[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2", "--check-ids"], "--check-ids needs one worker"),
        (["--workers", "0", "--engine", "polars"], "--workers must be at least 1, not 0"),
        (["--workers", "2", "--engine", "dask"], "--workers works with --engine polars or duckdb"),
        (["--partitions", "0"], "--partitions must be at least 1, not 0"),
        (["--partitions", "3", "--engine", "polars"], "--partitions works with --engine pure"),
        (["--partitions", "2", "--check-ids"], "--check-ids needs one worker and one partition"),
    ],
)
def test_workers_the_engine_cannot_use_are_bad_usage(
    folders: dict[str, Path], args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("report", str(folders["csv"]), "--as-of", AS_OF, *args)
    assert code == 2
    assert message in capsys.readouterr().err
