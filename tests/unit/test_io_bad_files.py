"""Readers never lose a row to a malformed file, and every failure is a crmcore error naming the line."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from crmcore import Complaint, Customer, Transaction
from crmcore.errors import InvalidRecord, UnreadableFile
from crmcore.io import ReadLimits, read_csv, read_jsonl, read_purchases

HEADER = "id,customer_id,occurred_at,amount,amount.currency,product\n"


def row(n: int, product: str = "tea") -> str:
    return f"T-{n},C-1,2024-05-0{n},{n}0,CNY,{product}\n"


def collect(
    text: str, entity: type = Transaction, **options: object
) -> tuple[list[str], list[str]]:
    reader = read_csv(io.StringIO(text), entity, on_error="collect", **options)  # type: ignore[arg-type]
    ids = [record.id for record in reader]
    return ids, [str(error) for error in reader.errors]


# -- quotes -------------------------------------------------------------------------------


def test_a_stray_quote_that_would_merge_two_rows_is_reported_and_the_next_row_is_read() -> None:
    ids, errors = collect(HEADER + row(1, '"tea') + row(2, 'cake"') + row(3))
    assert ids == ["T-2", "T-3"]
    assert errors == [
        "Cannot read <stream>, line 2: cell 6 holds a line break, so the record runs from "
        "line 2 to 3: is a quote opened on line 2 left unclosed?"
    ]


def test_an_unterminated_quote_is_an_error_naming_its_line_and_the_rest_is_read() -> None:
    ids, errors = collect(HEADER + row(1) + row(2, '"tea') + row(3) + row(4))
    assert ids == ["T-1", "T-3", "T-4"]
    assert errors == [
        "Cannot read <stream>, line 3: has a quote opened on line 3 that is never closed."
    ]


def test_a_quote_that_closes_inside_a_later_row_is_reported_at_the_row_it_opened() -> None:
    ids, errors = collect(HEADER + row(1, '"tea') + row(2, '"cake"') + row(3))
    assert ids == ["T-2", "T-3"]
    assert "line 2: has a quote opened on line 2 that closes on line 3 inside a cell" in errors[0]


def test_an_unterminated_quote_past_the_cell_limit_is_an_error_not_a_crash() -> None:
    body = "".join(row(n % 9 + 1) for n in range(6000))  # ~180,000 characters after the quote
    ids, errors = collect(HEADER + row(1, '"tea') + body)
    assert len(ids) == 6000
    assert errors[0].startswith(
        "Cannot read <stream>, line 2: has a quoted cell that runs past 131,072"
    )


def test_free_text_may_span_lines_and_the_next_record_starts_where_it_ends() -> None:
    text = (
        "id,customer_id,received_at,category,severity,description\n"
        'K-1,C-1,2024-05-01,price,low,"two\nlines, ""quoted"""\n'
        "K-2,C-1,2024-05-01,price,urgent,\n"
        "K-3,C-1,2024-05-02,price,low,\n"
    )
    ids, errors = collect(text, Complaint)
    assert ids == ["K-1", "K-3"]
    assert errors == ["Cannot read <stream>, line 4: field 'severity': Input should be 'low', "
                      "'medium', 'high' or 'critical'."]  # fmt: skip


def test_text_after_a_closing_quote_is_reported() -> None:
    ids, errors = collect(HEADER + row(1, '"tea"s') + row(2))
    assert ids == ["T-2"]
    assert errors == ["Cannot read <stream>, line 2: has text after the closing quote of a cell "
                      "(a stray quote?)."]  # fmt: skip


@pytest.mark.parametrize("field", ["id", "customer_id"])
def test_ids_with_line_breaks_or_control_characters_are_refused(field: str) -> None:
    for bad in ("C-1\nC-2", "C-1\x1b[31m", "C-1\x7fx", "C-1\u2028x", "C-\x9b1"):
        record = {"id": "T-1", "customer_id": "C-1", "occurred_at": "2024-05-01",
                  "amount": {"amount": "1", "currency": "CNY"}, field: bad}  # fmt: skip
        with pytest.raises(ValueError, match="must be one line, with no control characters"):
            Transaction.model_validate(record)


# -- bytes and compression ------------------------------------------------------------------


def test_bytes_that_are_not_utf8_make_a_bad_row_and_the_rows_around_it_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "transactions.csv"
    path.write_bytes((HEADER + row(1)).encode() + b"T-2,C-1,2024-05-02,1,CNY,\xff\xfe\n"
                     + row(3).encode())  # fmt: skip
    reader = read_csv(path, Transaction, on_error="collect")
    assert [t.id for t in reader] == ["T-1", "T-3"]
    assert [str(e) for e in reader.errors] == [
        f"Cannot read {path}, line 3: holds bytes that are not UTF-8 (at character 26)."
    ]
    lines = tmp_path / "customers.jsonl"
    lines.write_bytes(b'{"id": "C-1"}\n{"id": "C-\xff"}\n{"id": "C-3"}\n')
    reader = read_jsonl(lines, Customer, on_error="collect")
    assert [c.id for c in reader] == ["C-1", "C-3"]
    assert "line 2: holds bytes that are not UTF-8 (at character 11)" in str(reader.errors[0])


def test_a_truncated_gzip_file_keeps_the_rows_before_and_names_the_line_it_ends(
    tmp_path: Path,
) -> None:
    whole = gzip.compress((HEADER + "".join(row(n % 9 + 1) for n in range(5000))).encode())
    path = tmp_path / "transactions.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    reader = read_csv(path, Transaction, on_error="collect")
    kept = list(reader)
    assert 0 < len(kept) < 5000
    (error,) = reader.errors
    assert isinstance(error, UnreadableFile)
    assert error.line == len(kept) + 2  # the header, the rows read, then the line that broke
    assert "the compressed data ends early (a truncated .gz file)" in str(error)
    with pytest.raises(UnreadableFile):
        list(read_csv(path, Transaction))


def test_a_file_named_gz_that_is_not_gzip_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl.gz"
    path.write_text('{"id": "C-1"}\n', "utf-8")
    with pytest.raises(UnreadableFile, match=r"line 1: the file is not gzip-compressed"):
        list(read_jsonl(path, Customer))


def test_a_missing_file_is_unreadable_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"^Cannot read .*missing\.csv: No such file"):
        list(read_csv(tmp_path / "missing.csv", Customer))


def test_a_text_stream_that_is_not_utf8_stops_with_an_error_naming_the_line() -> None:
    good = "id\n" + "".join(f"C-{n}\n" for n in range(5000))  # a few chunks of good text
    stream = io.TextIOWrapper(io.BytesIO(good.encode() + b"\xff" * 10), encoding="utf-8")
    reader = read_csv(stream, Customer, on_error="collect")
    kept = [c.id for c in reader]
    assert kept == [f"C-{n}" for n in range(len(kept))] and kept
    (error,) = reader.errors
    assert isinstance(error, UnreadableFile)
    assert error.line == len(kept) + 2
    assert "the stream is not UTF-8 text; nothing after it is read" in str(error)


# -- limits -----------------------------------------------------------------------------


def test_a_cell_over_the_limit_is_a_bad_row_and_the_limit_can_be_raised() -> None:
    text = HEADER + row(1, "x" * 150) + row(2)
    limits = ReadLimits(max_cell_chars=100)
    assert collect(text, limits=limits) == (
        ["T-2"],
        ["Cannot read <stream>, line 2: cell 6 is longer than 100 characters (max_cell_chars)."],
    )
    assert collect(text)[0] == ["T-1", "T-2"]


def test_a_line_over_the_limit_is_a_bad_row_and_is_never_held_whole() -> None:
    text = HEADER + row(1, "y" * 5000) + row(2)
    ids, errors = collect(text, limits=ReadLimits(max_line_chars=1000))
    assert ids == ["T-2"]
    assert errors == [
        "Cannot read <stream>, line 2: is longer than 1,000 characters (max_line_chars)."
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[" * 5000 + "]" * 5000, "nests deeper than 32 levels (max_json_depth)"),
        ('{"id": "C-1", "attributes": {"n": ' + "9" * 5000 + "}}", "more than 100 digits"),
        ('{"id": "C-1", "attributes": {"n": NaN}}', "holds NaN, which is not JSON"),
        ('{"id": "C-1", "attributes": {"n": -Infinity}}', "holds -Infinity, which is not JSON"),
        ('{"id": "C-1", "attributes": {"n": 1e400}}', "a number too large for a float"),
        ("[1, 2]", "a line must hold one JSON object"),
    ],
)
def test_json_beyond_the_limits_is_a_bad_line_and_the_next_is_read(line: str, problem: str) -> None:
    text = line + '\n{"id": "C-2"}\n'
    reader = read_jsonl(io.StringIO(text), Customer, on_error="collect")
    assert [c.id for c in reader] == ["C-2"]
    assert problem in str(reader.errors[0])


def test_json_limits_are_configurable() -> None:
    deep = '{"id": "C-1", "attributes": {"a": [[[[[[1]]]]]]}}\n'
    assert [c.id for c in read_jsonl(io.StringIO(deep), Customer)] == ["C-1"]
    with pytest.raises(InvalidRecord, match="nests deeper than 4 levels"):
        list(read_jsonl(io.StringIO(deep), Customer, limits=ReadLimits(max_json_depth=4)))


def test_a_collecting_reader_keeps_the_first_errors_and_counts_the_rest() -> None:
    text = HEADER + "".join(f"T-{n},C-1,soon,1,CNY,\n" for n in range(5000)) + row(1)
    reader = read_csv(io.StringIO(text), Transaction, on_error="collect",
                      limits=ReadLimits(kept_errors=10))  # fmt: skip
    result = reader.collect()
    assert [t.id for t in result.records] == ["T-1"]
    assert (len(result.errors), result.error_count) == (10, 5000)
    assert not result.ok


def test_a_header_of_many_unknown_columns_gives_a_short_message() -> None:
    header = ",".join(f"column{n}" for n in range(50_000))
    with pytest.raises(InvalidRecord) as info:
        list(read_csv(io.StringIO(header + "\n"), Customer))
    assert len(str(info.value)) < 1000
    assert info.value.problem_count == 50_001  # and the missing id
    assert "and 49,991 more problems" in str(info.value)


# -- rules and personal data -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        ("1700000000", "must be an ISO 8601 date"),
        ("99.00", "must be an ISO 8601 date"),
        ("2024-W18-3", "must be an ISO 8601 date"),
        ("0001-01-01", "must be from 1900-01-01 up to the end of 2199"),
        ("9999-12-31T23:59:59+00:00", "must be from 1900-01-01 up to the end of 2199"),
        ("2024-05-01T10:00", "must be timezone-aware"),
        ("2024-05-01T10:00:00.1234567Z", "at most six decimals"),
    ],
)
def test_both_readers_refuse_what_is_not_an_instant_in_range(moment: str, problem: str) -> None:
    text = HEADER + f"T-1,C-1,{moment},1,CNY,\n"
    for read in (lambda: list(read_csv(io.StringIO(text), Transaction)),
                 lambda: list(read_purchases(io.StringIO(text)))):  # fmt: skip
        with pytest.raises(InvalidRecord, match=f"line 2: field 'occurred_at': .*{problem}"):
            read()


def test_both_readers_refuse_amounts_over_the_limit() -> None:
    text = HEADER + "T-1,C-1,2024-05-01,10000000000000000,CNY,\n"
    for reader in (read_csv(io.StringIO(text), Transaction), read_purchases(io.StringIO(text))):
        with pytest.raises(InvalidRecord, match="must not exceed 10\\^15"):
            list(reader)


def test_keys_of_free_mappings_never_appear_in_errors() -> None:
    text = '{"id": "C-1", "segment": {"alice.secret@example.com": [1]}}\n'
    with pytest.raises(InvalidRecord) as info:
        list(read_jsonl(io.StringIO(text), Customer))
    assert "alice" not in str(info.value)
    assert "field 'segment': segment has an entry that breaks a rule (its key is not shown)" in str(
        info.value
    )
