"""No input file, however malformed, makes ``crmcore report`` crash.

Every folder of ``tests/data/malformed`` (made by its ``make_corpus.py``) is a portfolio with
one defect. For each, the command must exit with 0, 2 or 3 (never 1, never a traceback),
write on stderr only lines starting with ``crmcore:``, and write no control character a
terminal could obey. Each case is run in-process through ``main`` and once more as
``python -m crmcore`` in a subprocess.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import re
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from crmcore.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "malformed"
GENERATOR = CORPUS / "make_corpus.py"
AS_OF = "2026-01-01"

OK, USAGE, BAD_DATA = 0, 2, 3

#: The exit code each case must give.
EXPECTED: dict[str, int] = {
    # quotes
    "csv-stray-quote-merges-two-rows": BAD_DATA,
    "csv-stray-quote-closes-inside-a-cell": BAD_DATA,
    "csv-unterminated-quote-to-end-of-file": BAD_DATA,
    "csv-unterminated-quote-past-cell-limit": BAD_DATA,
    # rows and headers
    "csv-rows-with-too-many-and-too-few-cells": BAD_DATA,
    "csv-header-with-unknown-column": BAD_DATA,
    "csv-header-with-unknown-column-holding-ansi-escape": BAD_DATA,
    "csv-header-missing-required-column": BAD_DATA,
    "csv-header-repeated-column": BAD_DATA,
    "csv-header-of-50000-unknown-columns": BAD_DATA,
    "csv-header-with-unterminated-quote": BAD_DATA,
    # bytes and encodings
    "csv-bytes-not-utf8": BAD_DATA,
    "jsonl-bytes-not-utf8": BAD_DATA,
    "csv-utf16-encoded": BAD_DATA,
    "csv-nul-byte": BAD_DATA,
    "csv-lone-cr-line-endings": OK,
    "byte-order-marks": OK,
    # compressed files
    "gz-truncated-halfway": BAD_DATA,
    "gz-plain-text": BAD_DATA,
    "gz-empty": OK,
    "gz-damaged-data": BAD_DATA,
    "gz-wrong-checksum": BAD_DATA,
    # limits
    "csv-cell-over-131072-chars": BAD_DATA,
    "csv-line-over-1-mib": BAD_DATA,
    "jsonl-line-over-1-mib": BAD_DATA,
    # JSON
    "jsonl-nested-5000-levels": BAD_DATA,
    "jsonl-line-nested-5000-levels-alone": BAD_DATA,
    "csv-json-cell-nested-5000-levels": BAD_DATA,
    "jsonl-integer-of-5000-digits": BAD_DATA,
    "jsonl-nan-and-infinity": BAD_DATA,
    "jsonl-lines-that-are-not-objects": BAD_DATA,
    "jsonl-email-as-segment-key": BAD_DATA,
    "jsonl-amount-float-0-30000000000000004": BAD_DATA,
    "jsonl-amount-1e400": BAD_DATA,
    "jsonl-timestamp-as-number": BAD_DATA,
    "jsonl-id-with-escaped-lone-surrogate": BAD_DATA,
    # values
    "timestamp-in-year-0001": BAD_DATA,
    "timestamp-in-year-9999": BAD_DATA,
    "timestamp-as-unix-seconds": BAD_DATA,
    "timestamp-as-iso-week-date": BAD_DATA,
    "timestamp-naive": BAD_DATA,
    "amount-with-underscore": BAD_DATA,
    "amount-in-arabic-indic-digits": BAD_DATA,
    "amount-nan": BAD_DATA,
    "amount-1e400": BAD_DATA,
    "amount-10-to-the-16": BAD_DATA,
    "currency-xxq": BAD_DATA,
    "id-with-newline": BAD_DATA,
    "id-with-ansi-escape": BAD_DATA,
    "id-with-del-character": BAD_DATA,
    "customer-id-with-ansi-escape-and-del": BAD_DATA,
    "jsonl-ids-with-newline-escape-and-del": BAD_DATA,
    # the portfolio's own rules
    "customer-with-two-currencies": BAD_DATA,
    "duplicate-transaction-ids": OK,
    "duplicate-customer-ids": BAD_DATA,
    "transaction-of-unknown-customer": OK,
    "records-after-as-of": OK,
    "complaint-closed-without-accepted": BAD_DATA,
    "complaint-rejected-but-valid": BAD_DATA,
    # which files there are
    "no-customers-file": USAGE,
    "two-customers-files": USAGE,
    "customers-file-empty": OK,
    "customers-file-header-only": OK,
}

#: A piece of stderr some cases must give ({folder} is the case's folder).
MESSAGES: dict[str, list[str]] = {
    "csv-stray-quote-merges-two-rows": [
        "crmcore: bad row: Cannot read {folder}/transactions.csv, line 3: cell 12 holds a line "
        "break, so the record runs from line 3 to 4: is a quote opened on line 3 left unclosed?",
        "crmcore: 1 bad rows left out (transactions 1)",
    ],
    "csv-stray-quote-closes-inside-a-cell": ["line 3: has a quote opened on line 3 that closes"],
    "csv-unterminated-quote-to-end-of-file": [
        "line 3: has a quote opened on line 3 that is never closed"
    ],
    "csv-unterminated-quote-past-cell-limit": [
        "line 3: has a quoted cell that runs past 131,072 characters from line 3",
        "crmcore: 1 bad rows left out (transactions 1)",  # the 1,100 rows after it are read
    ],
    "csv-rows-with-too-many-and-too-few-cells": [
        "line 3: has 19 cells but the header has 18",
        "line 4: has 16 cells but the header has 18",
    ],
    "csv-header-with-unknown-column": [
        "crmcore: bad data: Cannot read {folder}/transactions.csv, line 1: "
        "field 'loyalty_points': is not a known column"
    ],
    "csv-header-with-unknown-column-holding-ansi-escape": [r"field '\x1b[31mpoints\x1b[0m'"],
    "csv-header-missing-required-column": ["field 'customer_id': is a required column"],
    "csv-header-repeated-column": ["field 'product': appears twice in the header"],
    "csv-header-of-50000-unknown-columns": ["and 49,995 more problems"],
    "csv-bytes-not-utf8": ["transactions.csv, line 4: holds bytes that are not UTF-8"],
    "jsonl-bytes-not-utf8": ["transactions.jsonl, line 3: holds bytes that are not UTF-8"],
    "csv-utf16-encoded": ["crmcore: bad data: ", "line 1: holds bytes that are not UTF-8"],
    "gz-truncated-halfway": ["the compressed data ends early"],
    "gz-plain-text": ["line 1: the file is not gzip-compressed"],
    "gz-wrong-checksum": ["transactions.csv.gz, line 7: the compressed data is damaged (CRC"],
    "csv-cell-over-131072-chars": ["line 4: has a cell longer than 131,072 characters"],
    "csv-line-over-1-mib": ["line 4: is longer than 1,048,576 characters"],
    "jsonl-line-over-1-mib": ["line 3: is longer than 1,048,576 characters"],
    "jsonl-nested-5000-levels": ["line 3: nests deeper than 32 levels"],
    "jsonl-line-nested-5000-levels-alone": ["line 3: nests deeper than 32 levels"],
    "jsonl-integer-of-5000-digits": ["line 3: holds a number of more than 100 digits"],
    "jsonl-nan-and-infinity": [
        "line 2: holds NaN, which is not JSON",
        "line 3: holds Infinity, which is not JSON",
        "line 4: holds -Infinity, which is not JSON",
    ],
    "jsonl-lines-that-are-not-objects": [
        f"line {n}: a line must hold one JSON object" for n in (3, 4, 5, 6)
    ],
    "jsonl-email-as-segment-key": [
        "customers.jsonl, line 1: field 'segment': segment has an entry"
    ],
    "jsonl-id-with-escaped-lone-surrogate": [
        "customers.jsonl, line 1: holds the escape of a lone surrogate, which is not text",
        "crmcore: 3 bad rows left out (customers 1, transactions 2)",
    ],
    "customer-with-two-currencies": [
        "transactions.csv, line 3: field 'amount.currency': is USD, but customer 'C-00001' "
        "has amounts in CNY"
    ],
    "duplicate-transaction-ids": ["crmcore: warning: records whose id an earlier one had"],
    "duplicate-customer-ids": ["customers.csv, line 5: field 'id': another customer"],
    "complaint-closed-without-accepted": ["complaints.csv, line 2: status is closed but"],
    "complaint-rejected-but-valid": ["complaints.csv, line 2: status is rejected but"],
    "no-customers-file": ["crmcore: error: {folder} has no customers file"],
    "two-customers-files": ["crmcore: error: ", "several files match"],
}

#: Rows of the report's table of records some cases must give: per kind, the records read,
#: analysed, after --as-of, of an unknown customer, rejected, and with a repeated id.
RECORDS: dict[str, dict[str, tuple[int, int, int, int, int, int]]] = {
    "csv-stray-quote-merges-two-rows": {"transactions": (4, 4, 0, 0, 0, 0)},
    "csv-stray-quote-closes-inside-a-cell": {"transactions": (4, 4, 0, 0, 0, 0)},
    "csv-unterminated-quote-to-end-of-file": {"transactions": (4, 4, 0, 0, 0, 0)},
    "csv-unterminated-quote-past-cell-limit": {"transactions": (1104, 1104, 0, 0, 0, 0)},
    "csv-rows-with-too-many-and-too-few-cells": {"transactions": (3, 3, 0, 0, 0, 0)},
    "csv-lone-cr-line-endings": {
        "customers": (3, 3, 0, 0, 0, 0),
        "transactions": (5, 5, 0, 0, 0, 0),
    },
    "byte-order-marks": {"customers": (3, 3, 0, 0, 0, 0), "transactions": (5, 5, 0, 0, 0, 0)},
    "gz-empty": {"customers": (3, 3, 0, 0, 0, 0), "transactions": (0, 0, 0, 0, 0, 0)},
    "jsonl-lines-that-are-not-objects": {"transactions": (5, 5, 0, 0, 0, 0)},
    "customer-with-two-currencies": {"transactions": (5, 4, 0, 0, 1, 0)},
    "duplicate-transaction-ids": {"transactions": (5, 5, 0, 0, 0, 1)},
    "duplicate-customer-ids": {"customers": (4, 3, 0, 0, 1, 1)},
    "transaction-of-unknown-customer": {"transactions": (5, 4, 0, 1, 0, 0)},
    "records-after-as-of": {
        "customers": (3, 2, 1, 0, 0, 0),  # one acquired after --as-of: not yet a customer
        "transactions": (5, 3, 2, 0, 0, 0),
        "complaints": (1, 0, 1, 0, 0, 0),
    },
    "customers-file-empty": {
        "customers": (0, 0, 0, 0, 0, 0),
        "transactions": (5, 0, 0, 5, 0, 0),
    },
    "customers-file-header-only": {
        "customers": (0, 0, 0, 0, 0, 0),
        "transactions": (5, 0, 0, 5, 0, 0),
    },
}

#: Text that must never be written, in any stream, for some cases (data, not messages).
NEVER_SHOWN: dict[str, list[str]] = {
    "jsonl-email-as-segment-key": ["jane.doe@example.com", "john.roe@example.com"],
}

#: The cases also run as ``python -m crmcore`` in a subprocess (about 0.3 s each).
SUBPROCESS_CASES = sorted(EXPECTED)

# What a terminal may obey: C0 controls but tab and line feed, DEL, C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SURROGATE = re.compile("[\ud800-\udfff]")
RECORD_ROW = re.compile(r"(customers|transactions|touchpoints|complaints)((?:\s+[0-9,]+){6})")


def cases() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name != "__pycache__")


def records_table(out: str) -> dict[str, tuple[int, ...]]:
    """The rows of the report's table of records, by kind."""
    rows = (RECORD_ROW.fullmatch(line) for line in out.splitlines())
    return {row[1]: tuple(int(n.replace(",", "")) for n in row[2].split()) for row in rows if row}


def check_output(name: str, folder: Path, code: int, out: str, err: str) -> None:
    """The promises every run keeps, then what the case itself must give."""
    for stream in (out, err):
        assert "Traceback" not in stream
        bad = CONTROL.search(stream)
        assert bad is None, f"a raw control character {bad.group()!r} was written"
        assert SURROGATE.search(stream) is None, "a lone surrogate was written"
        assert "\ufffd" not in stream, "bytes that are not UTF-8 were written"
    assert code in (OK, USAGE, BAD_DATA), err
    for line in err.splitlines():
        assert not line.strip() or line.startswith("crmcore:"), line
    assert code == EXPECTED[name], err
    if code == OK:
        assert out.startswith(f"portfolio in {folder}\n")
    if name in RECORDS:
        table = records_table(out)
        assert {kind: table.get(kind) for kind in RECORDS[name]} == RECORDS[name]
    for fragment in MESSAGES.get(name, []):
        assert fragment.format(folder=folder) in err
    for secret in NEVER_SHOWN.get(name, []):
        assert secret not in out
        assert secret not in err


def test_every_case_of_the_corpus_has_an_expected_exit_code() -> None:
    assert cases() == sorted(EXPECTED)
    assert set(MESSAGES) <= set(EXPECTED)
    assert set(RECORDS) <= set(EXPECTED)


@pytest.mark.parametrize("name", cases())
def test_a_malformed_folder_gives_a_clean_exit_in_process(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = CORPUS / name
    out = io.StringIO()
    code = main(["report", str(folder), "--as-of", AS_OF], out=out)
    captured = capsys.readouterr()
    assert captured.out == ""
    check_output(name, folder, code, out.getvalue(), captured.err)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_a_malformed_folder_gives_a_clean_exit_from_python_dash_m(name: str) -> None:
    folder = CORPUS / name
    done = subprocess.run(
        [sys.executable, "-m", "crmcore", "report", str(folder), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
        check=False,
    )
    check_output(name, folder, done.returncode, done.stdout, done.stderr)


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus_under_test", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def files_under(folder: Path) -> dict[str, bytes]:
    """The corpus files; the sound ``.gz`` ones by what they hold (zlib builds deflate apart)."""
    return {
        path.relative_to(folder).as_posix(): _content(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.parent != folder and "__pycache__" not in path.parts
    }


def _content(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            return b"gunzipped:" + gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            pass  # a broken one is compared byte for byte
    return data


def test_the_corpus_is_what_make_corpus_writes(tmp_path: Path) -> None:
    names = load_generator().build(tmp_path)
    assert sorted(names) == cases()
    made, kept = files_under(tmp_path), files_under(CORPUS)
    assert sorted(made) == sorted(kept)
    stale = [path for path in made if made[path] != kept[path]]
    assert stale == [], "run python tests/data/malformed/make_corpus.py"


def test_the_corpus_stays_small() -> None:
    files = (path for path in CORPUS.rglob("*") if path.is_file() and path.parent != CORPUS)
    assert sum(path.stat().st_size for path in files) < 200_000


def check_promises(code: int, out: str, err: str) -> None:
    """What every run promises whatever the engine: a clean exit and clean streams."""
    for stream in (out, err):
        assert "Traceback" not in stream
        bad = CONTROL.search(stream)
        assert bad is None, f"a raw control character {bad.group()!r} was written"
        assert SURROGATE.search(stream) is None, "a lone surrogate was written"
    assert code in (OK, USAGE, BAD_DATA), err
    for line in err.splitlines():
        assert not line.strip() or line.startswith("crmcore:"), line


@pytest.mark.parametrize("name", cases())
def test_a_malformed_folder_on_the_polars_engine_gives_a_clean_exit(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("polars")
    folder = CORPUS / name
    out = io.StringIO()
    code = main(["report", str(folder), "--as-of", AS_OF, "--engine", "polars"], out=out)
    captured = capsys.readouterr()
    check_promises(code, out.getvalue(), captured.err)
    if EXPECTED[name] != OK:  # what the pure engine refuses, no engine may accept
        assert code == EXPECTED[name], captured.err


@pytest.mark.parametrize("name", cases())
def test_a_malformed_folder_read_by_pure_workers_or_partitions_gives_what_one_reader_gives(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = CORPUS / name
    said = []
    for spread in (["--workers", "1"], ["--workers", "2"], ["--partitions", "3"]):
        out = io.StringIO()
        code = main(["report", str(folder), "--as-of", AS_OF, *spread], out=out)
        said.append((code, out.getvalue(), capsys.readouterr().err))
    assert said[1] == said[0]
    assert said[2] == said[0]
