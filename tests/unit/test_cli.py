from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from crmcore.cli import main
from crmcore.datasets import generate


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def test_without_arguments_it_prints_the_sample_overview() -> None:
    code, text = run()
    assert code == 0
    assert "crmcore sample portfolio" in text
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
