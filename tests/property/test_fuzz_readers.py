"""Fuzzing the readers: whatever the bytes, only crmcore's errors escape and no good row is lost.

Random bytes, random CSV rows and random JSON values go into every reader.
In collect mode nothing may escape but a broken header (a crmcore error for
the whole file); in raise mode nothing but a crmcore error; and every good
row before a bad one comes out.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import Complaint, Customer, Transaction
from crmcore import strategies as crm
from crmcore.errors import CrmError, InvalidRecord
from crmcore.io import RecordReader, read_csv, read_jsonl, read_purchases, write_csv, write_jsonl

# Bytes that look like the files a reader expects, broken in the usual ways.
PIECES = [b",", b'"', b'""', b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf",
          b"{", b"}", b"[", b"]", b":", b"NaN", b"1e999", b"9" * 40, b"T-1", b"C-1", b"CNY",
          b"2024-05-01", b"2024-05-01T10:00:00+08:00", b"\x1b[31m", b"id,customer_id,occurred_at,"
          b"amount,amount.currency\n", b'{"id": "C-1"}\n']  # fmt: skip
noise = st.lists(st.sampled_from(PIECES) | st.binary(max_size=8), max_size=40).map(b"".join)

READERS: dict[str, Callable[[Path], RecordReader[Any]]] = {
    "csv customers": lambda path: read_csv(path, Customer, on_error="collect"),
    "csv transactions": lambda path: read_csv(path, Transaction, on_error="collect"),
    "csv complaints": lambda path: read_csv(path, Complaint, on_error="collect"),
    "jsonl customers": lambda path: read_jsonl(path, Customer, on_error="collect"),
    "jsonl transactions": lambda path: read_jsonl(path, Transaction, on_error="collect"),
    "purchases": lambda path: read_purchases(path, on_error="collect"),
}
fuzz = settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


def _drain(reader: RecordReader[Any]) -> list[Any]:
    """The records of a collecting reader; a broken header is the only error it may raise."""
    try:
        return list(reader)
    except InvalidRecord:
        assert reader.records_read == 0  # the header: nothing was read before it
        return []


@pytest.mark.parametrize("kind", sorted(READERS))
@fuzz
@given(data=noise, compressed=st.booleans())
def test_random_bytes_give_only_crmcore_errors(
    kind: str, data: bytes, compressed: bool, tmp_path: Path
) -> None:
    path = tmp_path / ("data.gz" if compressed else "data.txt")
    path.write_bytes(gzip.compress(data, mtime=0)[: len(data) or None] if compressed else data)
    _drain(READERS[kind](path))
    raising = READERS[kind](path)
    raising.on_error = "raise"
    with contextlib.suppress(CrmError):
        list(raising)


@fuzz
@given(
    sales=st.lists(crm.transactions(), min_size=1, max_size=8, unique_by=lambda t: t.id),
    garbage=st.lists(st.sampled_from(PIECES[:8]) | st.text(max_size=6).map(str.encode),
                     min_size=1, max_size=6).map(b"".join),
    at=st.integers(min_value=0, max_value=8),
)  # fmt: skip
def test_every_good_csv_row_before_a_bad_one_is_kept(
    sales: list[Transaction], garbage: bytes, at: int, tmp_path: Path
) -> None:
    out = io.StringIO()
    write_csv(out, sales)
    lines = out.getvalue().splitlines(keepends=True)
    cut = min(at, len(sales)) + 1  # after the header and `at` rows
    path = tmp_path / "transactions.csv"
    path.write_bytes("".join(lines[:cut]).encode() + garbage + b"\n"
                     + "".join(lines[cut:]).encode())  # fmt: skip
    got = [t.id for t in _drain(read_csv(path, Transaction, on_error="collect"))]
    assert got[: cut - 1] == [t.id for t in sales[: cut - 1]]
    fast = _drain(read_purchases(path, on_error="collect"))
    assert [p.customer_id for p in fast[: cut - 1]] == [t.customer_id for t in sales[: cut - 1]]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=20,
)  # fmt: skip


@fuzz
@given(
    people=st.lists(crm.customers(), min_size=1, max_size=5, unique_by=lambda c: c.id),
    value=json_values,
    at=st.integers(min_value=0, max_value=5),
)
def test_any_json_value_on_a_line_is_a_bad_line_at_worst(
    people: list[Customer], value: Any, at: int, tmp_path: Path
) -> None:
    out = io.StringIO()
    write_jsonl(out, people)
    lines = out.getvalue().splitlines(keepends=True)
    cut = min(at, len(people))
    path = tmp_path / "customers.jsonl"
    path.write_text("".join(lines[:cut]) + json.dumps(value) + "\n" + "".join(lines[cut:]),
                    "utf-8")  # fmt: skip
    reader = read_jsonl(path, Customer, on_error="collect")
    got = [c.id for c in reader]
    # the good lines all come out, whatever the odd one did
    expected = [c.id for c in people]
    assert got == expected
    assert reader.error_count <= 1


def test_a_quoted_cell_may_hold_commas_and_quotes() -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [["id", "region"], ["C-1", 'North, "upper" side'], ["C-2", "south"]]
    )
    assert [c.region for c in read_csv(io.StringIO(out.getvalue()), Customer)] == [
        'North, "upper" side', "south"]  # fmt: skip
