from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crmcore import Money, Transaction, TransactionKind
from crmcore.datasets import load_sample
from crmcore.errors import InvalidRecord
from crmcore.io import PurchaseRecord, read_csv, read_purchases, write_csv
from crmcore.value import rfm_summary

HEADER = "id,customer_id,occurred_at,kind,amount,amount.currency\n"


def read(text: str) -> list[PurchaseRecord]:
    return list(read_purchases(io.StringIO(text)))


def test_the_columns_a_summary_needs_are_read_and_typed() -> None:
    (record,) = read(HEADER + "T-1,C-1,2024-05-01T10:00:00+08:00,refund,9.90,CNY\n")
    assert record.customer_id == "C-1"
    assert record.occurred_at == datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=8)))
    assert (record.kind, record.amount) == (TransactionKind.REFUND, Money("9.90", "CNY"))


def test_a_bare_date_means_midnight_utc_and_z_means_utc() -> None:
    records = read(
        HEADER + "T-1,C-1,2024-05-01,,1,CNY\nT-2,C-1,2024-05-02T10:00:00Z,purchase,1E1,CNY\n"
    )
    assert records[0].occurred_at == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert records[0].kind is TransactionKind.PURCHASE
    assert records[1].occurred_at.utcoffset() == timedelta(0)
    assert records[1].amount == Money("10", "CNY")


def test_the_kind_column_is_optional() -> None:
    (record,) = read("customer_id,occurred_at,amount,amount.currency\nC-1,2024-05-01,1,CNY\n")
    assert record.kind is TransactionKind.PURCHASE


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("T-1,,2024-05-01,,1,CNY", "customer_id", "Field required"),
        ("T-1,C-1,2024-05-01T10:00:00,,1,CNY", "occurred_at", "must be timezone-aware"),
        ("T-1,C-1,May 1st,,1,CNY", "occurred_at", "must be an ISO 8601"),
        ("T-1,C-1,2024-05-01,sale,1,CNY", "kind", "should be 'purchase' or 'refund'"),
        ("T-1,C-1,2024-05-01,,-5,CNY", "amount", "must be greater than or equal to 0"),
        ("T-1,C-1,2024-05-01,,lots,CNY", "amount", "decimal number"),
        ("T-1,C-1,2024-05-01,,1,cny", "amount.currency", "three-letter ISO 4217 code"),
        ("T-1,C-1,2024-05-01,,1", None, "has 5 cells but the header has 6"),
    ],
)
def test_a_bad_value_names_the_line_and_the_field(
    row: str, field: str | None, message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message) as caught:
        read(HEADER + "T-0,C-1,2024-04-01,,1,CNY\n" + row + "\n")
    assert caught.value.line == 3
    assert caught.value.problems[0].field == field


def test_missing_columns_are_reported_at_line_1() -> None:
    with pytest.raises(
        InvalidRecord, match="field 'amount.currency': is a required column"
    ) as caught:
        read("customer_id,occurred_at,amount\nC-1,2024-05-01,1\n")
    assert caught.value.line == 1


def test_an_empty_file_gives_no_records() -> None:
    assert read("") == []


def test_summaries_from_fast_records_equal_summaries_from_entities(tmp_path: Path) -> None:
    sample = load_sample()
    path = tmp_path / "transactions.csv"
    write_csv(path, sample.transactions)
    end = date(2025, 12, 31)
    fast = rfm_summary(read_purchases(path), observation_end=end, unit="weeks", periods="days")
    full = rfm_summary(
        read_csv(path, Transaction), observation_end=end, unit="weeks", periods="days"
    )
    assert (
        fast
        == full
        == rfm_summary(sample.transactions, observation_end=end, unit="weeks", periods="days")
    )
