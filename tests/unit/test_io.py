from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from crmcore import CareTouchpoint, Complaint, Customer, Money, Transaction
from crmcore.datasets import generate
from crmcore.errors import InvalidRecord
from crmcore.io import csv_columns, read_csv, read_jsonl, write_csv, write_jsonl

HEADER = "id,customer_id,occurred_at,amount,amount.currency\n"


def test_a_transaction_csv_row_becomes_a_transaction() -> None:
    rows = io.StringIO(HEADER + "T-1,C-1,2024-05-01T10:00:00+08:00,99.00,CNY\n")
    (sale,) = read_csv(rows, Transaction)
    assert sale.amount == Money("99.00", "CNY")


def test_a_bad_row_raises_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text(HEADER + "T-1,C-1,2024-05-01,1,CNY\nT-2,C-1,2024-05-01,-5,CNY\n", "utf-8")
    with pytest.raises(
        InvalidRecord, match=r"transactions\.csv, line 3: field 'amount': amount must be greater"
    ) as info:
        list(read_csv(path, Transaction))
    assert info.value.line == 3
    assert info.value.problems[0].field == "amount"


def test_collecting_returns_the_good_records_and_every_bad_row() -> None:
    text = HEADER + (
        "T-1,C-1,2024-05-01,1,CNY\n"
        "T-2,C-1,2024-05-01T10:00,5,CNY\n"
        "T-3,C-1,2024-05-01,5,cny\n"
        "T-4,C-1,2024-05-02,7,CNY\n"
    )
    reader = read_csv(io.StringIO(text), Transaction, on_error="collect")
    result = reader.collect()
    assert [t.id for t in result.records] == ["T-1", "T-4"]
    assert [(e.line, e.problems[0].field) for e in result.errors] == [
        (3, "occurred_at"),
        (4, "amount.currency"),
    ]
    assert not result.ok
    assert reader.records_read == 2


def test_the_line_of_a_record_is_where_it_starts_even_after_multiline_cells() -> None:
    text = (
        "id,customer_id,received_at,category,severity,description\n"
        'K-1,C-1,2024-05-01,price,low,"two\nlines"\n'
        "K-2,C-1,2024-05-01,price,urgent,\n"
    )
    reader = read_csv(io.StringIO(text), Complaint, on_error="collect")
    assert [c.id for c in reader] == ["K-1"]
    assert reader.errors[0].line == 4


def test_a_row_with_the_wrong_number_of_cells_is_reported() -> None:
    reader = read_csv(io.StringIO(HEADER + "T-1,C-1\n"), Transaction, on_error="collect")
    assert list(reader) == []
    assert "has 2 cells but the header has 5" in str(reader.errors[0])


def test_an_unknown_or_missing_column_fails_the_whole_file_at_line_one() -> None:
    with pytest.raises(
        InvalidRecord,
        match="line 1: field 'colour': is not a known column; field 'occurred_at': is a required column",
    ):
        list(
            read_csv(
                io.StringIO("id,customer_id,colour,amount,amount.currency\n"),
                Transaction,
                on_error="collect",
            )
        )


def test_a_repeated_column_is_an_error() -> None:
    with pytest.raises(InvalidRecord, match="'id': appears twice"):
        list(read_csv(io.StringIO("id,id\n"), Customer))


def test_an_empty_file_holds_no_records() -> None:
    assert list(read_csv(io.StringIO(""), Customer)) == []
    assert list(read_jsonl(io.StringIO(""), Customer)) == []


def test_empty_cells_mean_not_recorded() -> None:
    text = "id,customer_id,occurred_at,amount,amount.currency,designated,list_amount,list_amount.currency\n"
    text += "T-1,C-1,2024-05-01,5,CNY,,,\n"
    (sale,) = read_csv(io.StringIO(text), Transaction)
    assert sale.designated is None and sale.list_amount is None


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes("\ufeffid,region\nC-1,Beijing\n".encode())
    assert [c.region for c in read_csv(path, Customer)] == ["Beijing"]


def test_json_cells_must_hold_json() -> None:
    reader = read_csv(io.StringIO("id,segment\nC-1,{not json\n"), Customer, on_error="collect")
    assert list(reader) == []
    assert "field 'segment': must be JSON text" in str(reader.errors[0])


def test_jsonl_bad_lines_are_reported_with_their_line_numbers() -> None:
    text = '{"id": "C-1"}\n\n[1, 2]\n{"id": "C-3", "kind": "robot"}\nnot json\n{"id": "C-6"}\n'
    result = read_jsonl(io.StringIO(text), Customer, on_error="collect").collect()
    assert [c.id for c in result.records] == ["C-1", "C-6"]
    assert [e.line for e in result.errors] == [3, 4, 5]
    assert "one JSON object" in str(result.errors[0])
    assert "field 'kind'" in str(result.errors[1])
    assert "not valid JSON" in str(result.errors[2])


def test_customer_file_errors_never_echo_personal_data() -> None:
    text = '{"id": "C-1", "email": "secret person at home"}\n'
    with pytest.raises(InvalidRecord) as info:
        list(read_jsonl(io.StringIO(text), Customer))
    assert "secret person" not in str(info.value)
    assert "field 'email'" in str(info.value)


def test_an_unknown_on_error_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'collect'"):
        read_jsonl(io.StringIO(""), Customer, on_error="ignore")  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".jsonl", ".jsonl.gz"])
def test_every_entity_round_trips_through_files(tmp_path: Path, suffix: str) -> None:
    data = generate(customers=25, seed=3)
    for name, entity in (
        ("customers", Customer),
        ("transactions", Transaction),
        ("touchpoints", CareTouchpoint),
        ("complaints", Complaint),
    ):
        path = tmp_path / f"{name}{suffix}"
        records = getattr(data, name)
        if ".csv" in suffix:
            assert write_csv(path, records, entity=entity) == len(records)
            back = tuple(read_csv(path, entity))
        else:
            assert write_jsonl(path, records) == len(records)
            back = tuple(read_jsonl(path, entity))
        assert back == records


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    people = [Customer(id="C-1")]
    write_jsonl(tmp_path / "a.jsonl.gz", people)
    write_jsonl(tmp_path / "b.jsonl.gz", people)
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.jsonl.gz").read_bytes()).startswith(b'{"id":"C-1"')


def test_money_columns_are_amount_and_currency() -> None:
    assert csv_columns(Transaction)[3:6] == ["kind", "amount", "amount.currency"]
    assert "feedback.recommend" in csv_columns(CareTouchpoint)


def test_write_csv_refuses_mixed_record_kinds() -> None:
    with pytest.raises(
        TypeError, match="Cannot write a Transaction to a CSV file of Customer records"
    ):
        write_csv(
            io.StringIO(),
            [
                Customer(id="C-1"),
                Transaction(
                    id="T-1", customer_id="C-1", occurred_at="2024-01-01", amount=Money(1, "CNY")
                ),
            ],
        )


def test_write_csv_without_records_writes_the_header_only_when_told_the_entity() -> None:
    out = io.StringIO()
    assert write_csv(out, [], entity=Customer) == 0
    assert out.getvalue().startswith("id,kind,name")
    empty = io.StringIO()
    assert write_csv(empty, []) == 0
    assert empty.getvalue() == ""


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_the_partitions_of_files_hold_every_record_once_and_with_its_customer(
    tmp_path: Path, suffix: str
) -> None:
    data = generate(customers=30, seed=5)
    read, write = (read_csv, write_csv) if suffix == ".csv" else (read_jsonl, write_jsonl)
    kinds = {"customers": (Customer, data.customers),
             "transactions": (Transaction, data.transactions)}  # fmt: skip
    owners: dict[str, int] = {}
    for kind, (entity, records) in kinds.items():
        path = tmp_path / f"{kind}{suffix}"
        write(path, records)
        parts = [list(read(path, entity, partition=(k, 3))) for k in range(3)]
        ids = sorted(r.id for part in parts for r in part)
        assert ids == sorted(r.id for r in records)
        for k, part in enumerate(parts):
            for record in part:
                owner = record.id if entity is Customer else record.customer_id
                assert owners.setdefault(owner, k) == k, "a customer's records in two parts"


def test_each_bad_row_is_reported_by_exactly_one_partition(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text(
        "id,customer_id,occurred_at,amount,amount.currency\n"
        "T-1,C-1,2024-05-01,10.00,CNY\n"
        "T-2,C-2,2024-05-01,10.00,CNY,extra\n"  # too many cells: no customer id to place it by
        "T-3,C-3,2024-05-01,-4,CNY\n"  # a negative amount, of customer C-3
        'T-4,C-4,"2024-05-01,10.00,CNY\n'  # a quote never closed
        "T-5,C-5,2024-05-02,12.00,CNY\n",
        encoding="utf-8",
    )
    whole = read_csv(path, Transaction, on_error="collect").collect()
    parts = [read_csv(path, Transaction, on_error="collect", partition=(k, 4)).collect()
             for k in range(4)]  # fmt: skip
    assert sorted(e.line for p in parts for e in p.errors) == [e.line for e in whole.errors]
    assert sum(p.error_count for p in parts) == whole.error_count == 3
    assert sorted(r.id for p in parts for r in p.records) == [r.id for r in whole.records]


@pytest.mark.parametrize("partition", [(2, 2), (-1, 2), (0, 0)])
def test_a_partition_outside_its_count_is_refused(partition: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="0 <= index < count"):
        read_csv(io.StringIO("id\nC-1\n"), Customer, partition=partition)
