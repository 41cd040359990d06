from __future__ import annotations

import gc
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from crmcore import (
    Channel,
    ComplaintCategory,
    ContactFunction,
    PurchaseStage,
    Severity,
)
from crmcore.datasets import (
    SAMPLE_END,
    SAMPLE_START,
    generate,
    load_sample,
    read_dataset,
    write_generated,
)


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    return load_sample()


def test_the_stored_sample_equals_a_fresh_generation(sample) -> None:  # type: ignore[no-untyped-def]
    assert sample == generate()


def test_the_sample_has_about_500_customers_over_three_years(sample) -> None:  # type: ignore[no-untyped-def]
    assert len(sample.customers) == 500
    view = sample.overview()
    assert view.first.date() >= SAMPLE_START
    assert view.last.date() <= SAMPLE_END
    assert (SAMPLE_END - SAMPLE_START).days > 3 * 365 - 2


def test_the_sample_mixes_prospects_one_time_repeat_and_lapsed_buyers(sample) -> None:  # type: ignore[no-untyped-def]
    occasions = Counter(t.customer_id for t in sample.transactions if t.is_purchase)
    never = [c for c in sample.customers if c.id not in occasions]
    once = [cid for cid, n in occasions.items() if n == 1]
    often = [cid for cid, n in occasions.items() if n >= 10]
    last = {}
    for t in sample.transactions:
        if t.is_purchase:
            last[t.customer_id] = t.occurred_at.date()
    lapsed = [
        cid for cid, day in last.items() if (SAMPLE_END - day).days > 365 and occasions[cid] >= 3
    ]
    assert len(never) >= 30 and len(once) >= 30 and len(often) >= 30 and len(lapsed) >= 20


def test_spend_is_concentrated_like_pareto(sample) -> None:  # type: ignore[no-untyped-def]
    spend: Counter[str] = Counter()
    for t in sample.transactions:
        if t.is_purchase:
            spend[t.customer_id] += float(t.amount.amount)
    ranked = sorted(spend.values(), reverse=True)
    top_fifth = sum(ranked[: len(ranked) // 5]) / sum(ranked)
    assert 0.6 <= top_fifth <= 0.9


def test_the_sample_has_discounts_promotions_and_designated_purchases(sample) -> None:  # type: ignore[no-untyped-def]
    purchases = [t for t in sample.transactions if t.is_purchase]
    assert any(t.discount for t in purchases if t.discount is not None)
    assert any(t.promotion for t in purchases)
    assert any(t.designated for t in purchases)
    assert any(t.designated is False for t in purchases)
    assert any(t.selection_time is not None for t in purchases)
    assert any(not t.is_purchase for t in sample.transactions)


def test_the_sample_has_complaints_of_every_category_and_severity(sample) -> None:  # type: ignore[no-untyped-def]
    assert {c.category for c in sample.complaints} == set(ComplaintCategory)
    assert {c.severity for c in sample.complaints} == set(Severity)
    assert any(c.is_open for c in sample.complaints)
    assert any(not c.is_open for c in sample.complaints)


def test_the_sample_has_touchpoints_of_every_stage_channel_and_function(sample) -> None:  # type: ignore[no-untyped-def]
    assert {p.stage for p in sample.touchpoints} == set(PurchaseStage)
    assert {p.channel for p in sample.touchpoints} == set(Channel)
    assert {p.function for p in sample.touchpoints} == set(ContactFunction)
    assert sum(p.feedback is not None for p in sample.touchpoints) > 500


def test_every_sample_record_belongs_to_a_sample_customer(sample) -> None:  # type: ignore[no-untyped-def]
    histories = sample.histories
    assert len(histories) == 500
    assert sum(len(h.transactions) for h in histories.values()) == len(sample.transactions)


def test_generation_is_deterministic_and_prefix_stable() -> None:
    small = generate(customers=30, seed=11)
    assert small == generate(customers=30, seed=11)
    assert small.customers == generate(customers=60, seed=11).customers[:30]
    assert small != generate(customers=30, seed=12)


def test_generation_respects_the_period_and_currency() -> None:
    data = generate(
        customers=40, seed=5, start=date(2020, 1, 1), end=date(2020, 12, 31), currency="USD"
    )
    times = [t.occurred_at.date() for t in data.transactions]
    assert min(times) >= date(2020, 1, 1) and max(times) <= date(2020, 12, 31)
    assert {t.amount.currency for t in data.transactions} == {"USD"}


def test_generation_restores_the_garbage_collector() -> None:
    assert gc.isenabled()
    generate(customers=2)
    assert gc.isenabled()


def test_zero_customers_give_an_empty_portfolio() -> None:
    empty = generate(customers=0)
    assert empty.customers == () and empty.overview().first is None


def test_bad_generation_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="customers must be zero or more"):
        generate(customers=-1)
    with pytest.raises(ValueError, match=r"end \(2020-01-01\) must not be before start"):
        generate(start=date(2021, 1, 1), end=date(2020, 1, 1))


def test_a_written_dataset_reads_back(tmp_path: Path) -> None:
    data = generate(customers=15, seed=9)
    data.write(tmp_path, format="jsonl", compress=True)
    back = read_dataset(tmp_path)
    assert back.customers == data.customers
    assert back.complaints == data.complaints


def test_reading_a_folder_with_two_files_of_one_kind_is_refused(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("id\nC-1\n", "utf-8")
    (tmp_path / "customers.jsonl").write_text('{"id": "C-1"}\n', "utf-8")
    with pytest.raises(ValueError, match="several files match"):
        read_dataset(tmp_path)


def test_an_empty_folder_is_an_empty_dataset(tmp_path: Path) -> None:
    empty = read_dataset(tmp_path)
    assert empty.customers == () and empty.start is None


def test_write_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be 'jsonl' or 'csv'"):
        generate(customers=1).write(tmp_path, format="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize(("format", "compress"), [("csv", False), ("jsonl", True)])
def test_generating_into_files_in_chunks_writes_the_files_of_a_whole_generation(
    tmp_path: Path, format: str, compress: bool
) -> None:
    whole = generate(customers=60, seed=3).write(
        tmp_path / "whole",
        format=format,  # type: ignore[arg-type]
        compress=compress,
    )
    streamed = write_generated(
        tmp_path / "streamed",
        customers=60,
        seed=3,
        format=format,  # type: ignore[arg-type]
        compress=compress,
        chunk=37,
    )
    assert sorted(streamed) == sorted(whole)
    for kind, path in whole.items():
        assert streamed[kind].read_bytes() == path.read_bytes(), kind
    assert sorted(p.name for p in (tmp_path / "streamed").iterdir()) == sorted(
        p.name for p in whole.values()
    )


def test_generating_no_customers_into_files_writes_header_only_csv_files(tmp_path: Path) -> None:
    paths = write_generated(tmp_path, customers=0)
    assert paths["transactions"].read_text("utf-8").startswith("id,customer_id,occurred_at")
    assert len(read_dataset(tmp_path).transactions) == 0


def test_bad_arguments_to_generating_into_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chunk must be at least 1, not 0"):
        write_generated(tmp_path, customers=1, chunk=0)
    with pytest.raises(ValueError, match="format must be 'jsonl' or 'csv'"):
        write_generated(tmp_path, customers=1, format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="customers must be zero or more"):
        write_generated(tmp_path, customers=-2)
