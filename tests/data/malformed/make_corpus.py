"""Make the corpus of malformed portfolio folders that ``crmcore report`` is tested against.

Each case is a folder the command line can be pointed at. It starts from a tiny valid
portfolio (three customers and five of their purchases, generated with a fixed seed) and
has one defect injected; the function that makes a case says how. Run

    python tests/data/malformed/make_corpus.py

to (re)create the folders next to this script (``--into FOLDER`` writes them elsewhere).
The output is the same bytes on every run: the files holding more than 100 KB of text
(the cases over the cell and line limits) are gzip-compressed here, with a fixed gzip
header and zlib's deflate at level 9, so that the whole corpus stays small. (Another
deflate implementation, such as zlib-ng, may give other bytes for the same text: should
the up-to-date test fail on such a system alone, that is why.)
``tests/integration/test_cli_malformed_corpus.py`` checks that the corpus is up to date.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import struct
import sys
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from crmcore.datasets import generate
from crmcore.entities import Complaint, Customer, Transaction
from crmcore.io import csv_columns, write_csv, write_jsonl

HERE = Path(__file__).resolve().parent

#: A case's files: file name to bytes.
Files = dict[str, bytes]

# -- the valid portfolio every case starts from --------------------------------------------

_DATA = generate(customers=3, seed=1)
_CUSTOMERS = list(_DATA.customers)
_SALES = list(_DATA.transactions)[:5]  # all dated 2023, long before --as-of 2026-01-01
_COMPLAINT = _DATA.complaints[0]  # closed, valid and accepted

SALE_COLUMNS = csv_columns(Transaction)


def _csv(records: Sequence[BaseModel], entity: type[BaseModel]) -> str:
    out = io.StringIO()
    write_csv(out, records, entity=entity)
    return out.getvalue()


def _jsonl(records: Sequence[BaseModel]) -> str:
    out = io.StringIO()
    write_jsonl(out, records)
    return out.getvalue()


CUSTOMERS_CSV = _csv(_CUSTOMERS, Customer)
SALES_CSV = _csv(_SALES, Transaction)
COMPLAINTS_CSV = _csv([_COMPLAINT], Complaint)
CUSTOMERS_JSONL = _jsonl(_CUSTOMERS)
SALES_JSONL = _jsonl(_SALES)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def csv_base(files: Files) -> Files:
    """The valid CSV portfolio (customers and transactions), with ``files`` put in or over it."""
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv": utf8(SALES_CSV)} | files


def jsonl_base(files: Files) -> Files:
    """The valid JSON Lines portfolio, with ``files`` put in or over it."""
    return {
        "customers.jsonl": utf8(CUSTOMERS_JSONL),
        "transactions.jsonl": utf8(SALES_JSONL),
    } | files


def table(text: str) -> list[list[str]]:
    """The rows of a CSV text, header first."""
    return list(csv.reader(io.StringIO(text, newline="")))


def write_table(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def edit_sales(row: int, cells: dict[str, str]) -> str:
    """The transactions CSV with ``cells`` (column to text) of data row ``row`` (from 1) set."""
    rows = table(SALES_CSV)
    for name, value in cells.items():
        rows[row][SALE_COLUMNS.index(name)] = value
    return write_table(rows)


def sales_lines() -> list[str]:
    """The lines of the transactions CSV, each with its line end (header first)."""
    return SALES_CSV.splitlines(keepends=True)


def raw_cell(line: str, column: str, value: str) -> str:
    """``line`` (one CSV line with no quoted cells) with the cell of ``column`` set as is."""
    cells = line.rstrip("\n").split(",")
    cells[SALE_COLUMNS.index(column)] = value
    return ",".join(cells) + "\n"


def jsonl_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def dump_jsonl(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed, with no name, time or OS in the header: equal data, equal bytes."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x02\xff"
    return header + body + struct.pack("<LL", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def many_sales(count: int, first_id: int) -> str:
    """``count`` valid transaction lines (no header), the base ones repeated with new ids."""
    lines = sales_lines()[1:]
    return "".join(
        raw_cell(lines[i % len(lines)], "id", f"T-{first_id + i:07d}") for i in range(count)
    )


# -- the cases -------------------------------------------------------------------------------

CASES: dict[str, Callable[[], Files]] = {}


def case(function: Callable[[], Files]) -> Callable[[], Files]:
    """Register a case, named after its function (``_`` written as ``-``)."""
    CASES[function.__name__.replace("_", "-")] = function
    return function


# quotes


@case
def csv_stray_quote_merges_two_rows() -> Files:
    """A quote opened on line 3 and one closing a cell on line 4: one record of two lines."""
    lines = sales_lines()
    lines[2] = raw_cell(lines[2], "product", '"Keemun 250g')
    lines[3] = raw_cell(lines[3], "product", 'Maofeng 250g"')
    return csv_base({"transactions.csv": utf8("".join(lines))})


@case
def csv_stray_quote_closes_inside_a_cell() -> Files:
    """A quote opened on line 3 is closed by the opening quote of a cell on line 4."""
    lines = sales_lines()
    lines[2] = raw_cell(lines[2], "product", '"Keemun 250g')
    lines[3] = raw_cell(lines[3], "product", '"Maofeng ""Yellow Mountain"" 250g"')
    return csv_base({"transactions.csv": utf8("".join(lines))})


@case
def csv_unterminated_quote_to_end_of_file() -> Files:
    """A quote opened on line 3 that no later quote closes."""
    lines = sales_lines()
    lines[2] = raw_cell(lines[2], "product", '"Keemun 250g')
    return csv_base({"transactions.csv": utf8("".join(lines))})


@case
def csv_unterminated_quote_past_cell_limit() -> Files:
    """A quote opened on line 3 followed by 1,100 valid rows (over 131,072 characters); gzip."""
    lines = sales_lines()
    lines[2] = raw_cell(lines[2], "product", '"Keemun 250g')
    text = "".join(lines) + many_sales(1100, 1_000_000)
    assert len(text) - len("".join(lines[:3])) > 131_072
    return {
        "customers.csv": utf8(CUSTOMERS_CSV),
        "transactions.csv.gz": gzip_bytes(utf8(text)),
    }


# rows and headers


@case
def csv_rows_with_too_many_and_too_few_cells() -> Files:
    """Line 3 has a 19th cell, line 4 lacks its last two."""
    lines = sales_lines()
    lines[2] = lines[2].rstrip("\n") + ",surplus\n"
    lines[3] = lines[3].rstrip("\n").rsplit(",", 2)[0] + "\n"
    return csv_base({"transactions.csv": utf8("".join(lines))})


@case
def csv_header_with_unknown_column() -> Files:
    rows = table(SALES_CSV)
    rows = [[*row, "loyalty_points" if i == 0 else "12"] for i, row in enumerate(rows)]
    return csv_base({"transactions.csv": utf8(write_table(rows))})


@case
def csv_header_with_unknown_column_holding_ansi_escape() -> Files:
    """An unknown column whose name would turn a terminal red: the message must escape it."""
    rows = table(SALES_CSV)
    rows = [[*row, "\x1b[31mpoints\x1b[0m" if i == 0 else "12"] for i, row in enumerate(rows)]
    return csv_base({"transactions.csv": utf8(write_table(rows))})


@case
def csv_header_missing_required_column() -> Files:
    """No ``customer_id`` column."""
    at = SALE_COLUMNS.index("customer_id")
    rows = [row[:at] + row[at + 1 :] for row in table(SALES_CSV)]
    return csv_base({"transactions.csv": utf8(write_table(rows))})


@case
def csv_header_repeated_column() -> Files:
    """``product`` twice (the second in place of ``category``)."""
    rows = table(SALES_CSV)
    rows[0][SALE_COLUMNS.index("category")] = "product"
    return csv_base({"transactions.csv": utf8(write_table(rows))})


@case
def csv_header_of_50000_unknown_columns() -> Files:
    """A header of 50,000 unknown columns (100 names over and over), then the rows; gzip."""
    header = ",".join(f"extra_{i % 100:02d}" for i in range(50_000))
    text = header + "\n" + "".join(sales_lines()[1:])
    return {
        "customers.csv": utf8(CUSTOMERS_CSV),
        "transactions.csv.gz": gzip_bytes(utf8(text)),
    }


@case
def csv_header_with_unterminated_quote() -> Files:
    """The header's first cell opens a quote that nothing closes: the file cannot be read."""
    return csv_base({"transactions.csv": utf8('"' + SALES_CSV)})


# bytes and encodings


@case
def csv_bytes_not_utf8() -> Files:
    """Bytes 0xff 0xfe 0xc3 in the product of line 4."""
    lines = [utf8(line) for line in sales_lines()]
    lines[3] = lines[3].replace(b"Maofeng", b"Mao\xff\xfe\xc3feng")
    return csv_base({"transactions.csv": b"".join(lines)})


@case
def jsonl_bytes_not_utf8() -> Files:
    """Bytes 0xff 0xfe 0xc3 in the product of line 3."""
    lines = [utf8(line) for line in SALES_JSONL.splitlines(keepends=True)]
    lines[2] = lines[2].replace(b"Maofeng", b"Mao\xff\xfe\xc3feng")
    return jsonl_base({"transactions.jsonl": b"".join(lines)})


@case
def csv_utf16_encoded() -> Files:
    """The transactions file in UTF-16 (little-endian, with its byte-order mark)."""
    return csv_base({"transactions.csv": b"\xff\xfe" + SALES_CSV.encode("utf-16-le")})


@case
def csv_nul_byte() -> Files:
    """A NUL byte inside the product of line 4."""
    return csv_base({"transactions.csv": utf8(edit_sales(3, {"product": "Mao\x00feng 250g"}))})


@case
def csv_lone_cr_line_endings() -> Files:
    """Both files with old Mac line ends (a lone carriage return): valid."""
    return {
        "customers.csv": utf8(CUSTOMERS_CSV.replace("\n", "\r")),
        "transactions.csv": utf8(SALES_CSV.replace("\n", "\r")),
    }


@case
def byte_order_marks() -> Files:
    """A UTF-8 byte-order mark at the start of a CSV and of a JSON Lines file: valid."""
    return {
        "customers.csv": b"\xef\xbb\xbf" + utf8(CUSTOMERS_CSV),
        "transactions.jsonl": b"\xef\xbb\xbf" + utf8(SALES_JSONL),
    }


# compressed files


@case
def gz_truncated_halfway() -> Files:
    data = gzip_bytes(utf8(SALES_CSV))
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv.gz": data[: len(data) // 2]}


@case
def gz_plain_text() -> Files:
    """``transactions.csv.gz`` holding the plain CSV text."""
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv.gz": utf8(SALES_CSV)}


@case
def gz_empty() -> Files:
    """``transactions.csv.gz`` of 0 bytes."""
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv.gz": b""}


@case
def gz_damaged_data() -> Files:
    """The compressed bytes in the middle overwritten: the data cannot be inflated."""
    data = bytearray(gzip_bytes(utf8(SALES_CSV)))
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xff" * 8
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv.gz": bytes(data)}


@case
def gz_wrong_checksum() -> Files:
    """Whole compressed data whose CRC-32 in the trailer is wrong."""
    data = bytearray(gzip_bytes(utf8(SALES_CSV)))
    data[-8] ^= 0xFF
    return {"customers.csv": utf8(CUSTOMERS_CSV), "transactions.csv.gz": bytes(data)}


# limits


@case
def csv_cell_over_131072_chars() -> Files:
    """A product of 140,000 characters on line 4; gzip."""
    lines = sales_lines()
    lines[3] = raw_cell(lines[3], "product", "Maofeng " + "x" * 140_000)
    return {
        "customers.csv": utf8(CUSTOMERS_CSV),
        "transactions.csv.gz": gzip_bytes(utf8("".join(lines))),
    }


@case
def csv_line_over_1_mib() -> Files:
    """Line 4 of over 1,100,000 characters (a long product); gzip."""
    lines = sales_lines()
    lines[3] = raw_cell(lines[3], "product", "Maofeng " + "x" * 1_100_000)
    return {
        "customers.csv": utf8(CUSTOMERS_CSV),
        "transactions.csv.gz": gzip_bytes(utf8("".join(lines))),
    }


@case
def jsonl_line_over_1_mib() -> Files:
    """Line 3 of over 1,100,000 characters (a long product); gzip."""
    records = jsonl_lines(SALES_JSONL)
    records[2]["product"] = "Maofeng " + "x" * 1_100_000
    return {
        "customers.jsonl": utf8(CUSTOMERS_JSONL),
        "transactions.jsonl.gz": gzip_bytes(utf8(dump_jsonl(records))),
    }


# JSON Lines


@case
def jsonl_nested_5000_levels() -> Files:
    """Line 3 holds, besides its fields, an array nested 5,000 levels deep."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n")[:-1] + ',"deep":' + "[" * 5000 + "]" * 5000 + "}\n"
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_line_nested_5000_levels_alone() -> Files:
    """Line 3 is nothing but an array nested 5,000 levels deep (no object at all)."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines.insert(2, "[" * 5000 + "]" * 5000 + "\n")
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def csv_json_cell_nested_5000_levels() -> Files:
    """The ``segment`` cell (JSON text) of line 2 of the customers is nested 5,000 levels deep."""
    rows = table(CUSTOMERS_CSV)
    rows[1][csv_columns(Customer).index("segment")] = '{"a":' + "[" * 5000 + "]" * 5000 + "}"
    return csv_base({"customers.csv": utf8(write_table(rows))})


@case
def jsonl_integer_of_5000_digits() -> Files:
    """The quantity of line 3 has 5,000 digits."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[2] = lines[2].replace('"quantity":3', '"quantity":' + "9" * 5000)
    assert "9" * 5000 in lines[2]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_nan_and_infinity() -> Files:
    """``NaN`` as the quantity of line 2, ``Infinity`` and ``-Infinity`` as amounts on 3 and 4."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[1] = lines[1].replace('"quantity":1', '"quantity":NaN')
    lines[2] = lines[2].replace('"amount":"66.94"', '"amount":Infinity')
    lines[3] = lines[3].replace('"amount":"129.27"', '"amount":-Infinity')
    assert "NaN" in lines[1] and "Infinity" in lines[2] and "-Infinity" in lines[3]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_lines_that_are_not_objects() -> Files:
    """Lines 3 to 6 are an array, a bare string, ``null`` and a number."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[2:2] = ['["T-9", "C-00001"]\n', '"T-9"\n', "null\n", "42\n"]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_email_as_segment_key() -> Files:
    """A segment key that is an e-mail address, with an object as its value (not allowed).

    The message must name the field but not the key: keys are data.
    """
    records = jsonl_lines(CUSTOMERS_JSONL)
    records[0]["segment"] = {"jane.doe@example.com": {"vip": True}}
    records[1]["segment"] = {"john.roe@example.com": "gold"}  # valid: a label to a label
    return jsonl_base({"customers.jsonl": utf8(dump_jsonl(records))})


@case
def jsonl_amount_float_0_30000000000000004() -> Files:
    """The amount of line 2 is the JSON number 0.30000000000000004 (0.1 + 0.2)."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[1] = lines[1].replace('"amount":"55.27"', '"amount":0.30000000000000004')
    assert "0.30000000000000004" in lines[1]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_amount_1e400() -> Files:
    """The amount of line 2 is the JSON number 1e400, too large for a float."""
    lines = SALES_JSONL.splitlines(keepends=True)
    lines[1] = lines[1].replace('"amount":"55.27"', '"amount":1e400')
    assert "1e400" in lines[1]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


@case
def jsonl_timestamp_as_number() -> Files:
    """``occurred_at`` of line 2 is the number 1700000000, of line 3 the string."""
    records = jsonl_lines(SALES_JSONL)
    records[1]["occurred_at"] = 1700000000
    records[2]["occurred_at"] = "1700000000"
    return jsonl_base({"transactions.jsonl": utf8(dump_jsonl(records))})


@case
def jsonl_id_with_escaped_lone_surrogate() -> Files:
    r"""A customer id ending in the JSON escape ``\udcff`` (a lone surrogate), and its sales.

    Python reads it as a string no UTF-8 encoder accepts.
    """
    customers = jsonl_lines(CUSTOMERS_JSONL)
    sales = jsonl_lines(SALES_JSONL)
    customers[0]["id"] = "C-00001-\udcff"
    for sale in sales:
        if sale["customer_id"] == "C-00001":
            sale["customer_id"] = "C-00001-\udcff"
    as_text = [json.dumps(r, separators=(",", ":")) + "\n" for r in customers]  # ASCII escapes
    sales_text = [json.dumps(r, separators=(",", ":")) + "\n" for r in sales]
    return {
        "customers.jsonl": utf8("".join(as_text)),
        "transactions.jsonl": utf8("".join(sales_text)),
    }


# values in CSV cells


def _sale_value(cells: dict[str, str]) -> Callable[[], Files]:
    def make() -> Files:
        return csv_base({"transactions.csv": utf8(edit_sales(2, cells))})

    return make


for _name, _cells in {
    "timestamp-in-year-0001": {"occurred_at": "0001-01-01T00:00:00+00:00"},
    "timestamp-in-year-9999": {"occurred_at": "9999-12-31T23:59:59+00:00"},
    "timestamp-as-unix-seconds": {"occurred_at": "1700000000"},
    "timestamp-as-iso-week-date": {"occurred_at": "2024-W18-3"},
    "timestamp-naive": {"occurred_at": "2023-03-29T16:18:00"},
    "amount-with-underscore": {"amount": "1_000"},
    "amount-in-arabic-indic-digits": {"amount": "\u0661\u0662\u0663.\u0664\u0665"},
    "amount-nan": {"amount": "NaN"},
    "amount-1e400": {"amount": "1e400"},
    "amount-10-to-the-16": {"amount": "10000000000000000"},
    "currency-xxq": {"amount.currency": "XXQ"},
    "id-with-newline": {"id": "T-0000002\nX"},
    "id-with-ansi-escape": {"id": "T-\x1b[31m0000002"},
    "id-with-del-character": {"id": "T-0000002\x7f"},
}.items():
    CASES[_name] = _sale_value(_cells)


@case
def customer_id_with_ansi_escape_and_del() -> Files:
    r"""Customer ids with ``\x1b[2J`` (clear the screen) and DEL, their sales referring to them."""
    customers = table(CUSTOMERS_CSV)
    customers[1][0] = "C-\x1b[2J00001"
    customers[2][0] = "C-00002\x7f"
    sales = table(SALES_CSV)
    who = SALE_COLUMNS.index("customer_id")
    for row in sales[1:]:
        row[who] = {"C-00001": customers[1][0], "C-00002": customers[2][0]}[row[who]]
    return {
        "customers.csv": utf8(write_table(customers)),
        "transactions.csv": utf8(write_table(sales)),
    }


@case
def jsonl_ids_with_newline_escape_and_del() -> Files:
    """Transaction ids with a newline, an ANSI escape (both JSON-escaped) and a raw DEL."""
    records = jsonl_lines(SALES_JSONL)
    records[0]["id"] = "T-0000001\nT-0000009"
    records[1]["id"] = "T-\x1b[31m0000002"
    records[2]["id"] = "T-0000014\x7f"
    lines = [json.dumps(r, separators=(",", ":")) + "\n" for r in records]
    lines[2] = lines[2].replace("\\u007f", "\x7f")  # DEL raw: JSON allows it in a string
    assert "\x7f" in lines[2]
    return jsonl_base({"transactions.jsonl": utf8("".join(lines))})


# the portfolio's own rules


@case
def customer_with_two_currencies() -> Files:
    """C-00001's second purchase is in USD, the first (and the customer's own amounts) in CNY."""
    usd = dict.fromkeys(["amount.currency", "list_amount.currency", "cost.currency"], "USD")
    return csv_base({"transactions.csv": utf8(edit_sales(2, usd))})


@case
def duplicate_transaction_ids() -> Files:
    """The second transaction has the first one's id."""
    return csv_base({"transactions.csv": utf8(edit_sales(2, {"id": "T-0000001"}))})


@case
def duplicate_customer_ids() -> Files:
    """C-00001 twice (the second a copy with another name)."""
    rows = table(CUSTOMERS_CSV)
    copy = list(rows[1])
    copy[csv_columns(Customer).index("name")] = "Min He II"
    rows.append(copy)
    return csv_base({"customers.csv": utf8(write_table(rows))})


@case
def transaction_of_unknown_customer() -> Files:
    return csv_base({"transactions.csv": utf8(edit_sales(2, {"customer_id": "C-99999"}))})


@case
def records_after_as_of() -> Files:
    """Two purchases and a complaint in 2027, and a customer acquired then."""
    customers = table(CUSTOMERS_CSV)
    customers[3][csv_columns(Customer).index("acquired_at")] = "2027-05-01T10:00:00+08:00"
    sales = table(edit_sales(2, {"occurred_at": "2027-01-02T10:00:00+08:00"}))
    sales[5][SALE_COLUMNS.index("occurred_at")] = "2027-06-01T10:00:00+08:00"
    complaint = _COMPLAINT.model_copy(
        update={
            "received_at": _COMPLAINT.received_at.replace(year=2027),
            "status_changes": tuple(
                c.model_copy(update={"at": c.at.replace(year=2027)})
                for c in _COMPLAINT.status_changes
            ),
        }
    )
    return {
        "customers.csv": utf8(write_table(customers)),
        "transactions.csv": utf8(write_table(sales)),
        "complaints.csv": utf8(_csv([complaint], Complaint)),
    }


# complaints


def _complaint(cells: dict[str, str]) -> str:
    rows = table(COMPLAINTS_CSV)
    columns = csv_columns(Complaint)
    for name, value in cells.items():
        rows[1][columns.index(name)] = value
    return write_table(rows)


@case
def complaint_closed_without_accepted() -> Files:
    return csv_base({"complaints.csv": utf8(_complaint({"accepted": ""}))})


@case
def complaint_rejected_but_valid() -> Files:
    """Rejected (its one status change) yet recorded as valid."""
    rejected = '[{"status":"rejected","at":"2024-04-03T10:00:00+08:00","actor":"agent-2"}]'
    cells = {"status": "rejected", "valid": "true", "status_changes": rejected}
    cells |= dict.fromkeys(["accepted", "resolution", "compensation", "compensation.currency"], "")
    return csv_base({"complaints.csv": utf8(_complaint(cells))})


# which files there are


@case
def no_customers_file() -> Files:
    return {"transactions.csv": utf8(SALES_CSV)}


@case
def two_customers_files() -> Files:
    return csv_base({"customers.jsonl": utf8(CUSTOMERS_JSONL)})


@case
def customers_file_empty() -> Files:
    """``customers.csv`` of 0 bytes: no customers, so every transaction's customer is unknown."""
    return csv_base({"customers.csv": b""})


@case
def customers_file_header_only() -> Files:
    return csv_base({"customers.csv": utf8(CUSTOMERS_CSV.splitlines(keepends=True)[0])})


# -- writing -----------------------------------------------------------------------------------


def build(target: Path) -> list[str]:
    """Write every case into a folder of its name under ``target``; return the names.

    A case's folder is emptied first; folders of ``target`` that are no case are left alone.
    """
    for name, make in CASES.items():
        folder = target / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for file, data in make().items():
            (folder / file).write_bytes(data)
    return list(CASES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=HERE, help="the folder to write the cases in")
    args = parser.parse_args(argv)
    names = build(args.into)
    size = sum(f.stat().st_size for n in names for f in (args.into / n).iterdir())
    stale = sorted(p.name for p in args.into.iterdir() if p.is_dir() and p.name not in CASES)
    print(f"{len(names)} cases, {size:,} bytes, in {args.into}")
    if stale:
        print(f"folders that are no case (remove them?): {', '.join(stale)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
