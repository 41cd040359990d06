"""How `analyze` treats its inputs and what its report offers."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from crmcore import CareTouchpoint, Complaint, Customer, Money, Transaction
from crmcore.datasets import generate, load_sample
from crmcore.errors import DuplicateId, DuplicateIdWarning, InvalidRecord
from crmcore.io import read_csv, write_csv
from crmcore.lifecycle import LifecyclePolicy, LifecycleStage
from crmcore.portfolio import (
    CustomerReport,
    PortfolioConfig,
    PortfolioReport,
    RecordCount,
    analyze,
)
from tests.conftest import assert_matches_its_schema


def _sale(n: int, cid: str, day: str | datetime, amount: str = "100") -> Transaction:
    return Transaction(id=f"T-{n}", customer_id=cid, occurred_at=day, amount=Money(amount, "CNY"))


def test_records_of_customers_not_in_the_list_are_reported_not_analysed() -> None:
    report = analyze(
        [Customer(id="C-1")],
        [_sale(1, "C-1", "2024-01-02"), _sale(2, "C-9", "2024-01-03")],
        as_of="2024-06-01",
    )
    assert [(u.kind, u.record_id, u.customer_id) for u in report.unknown_records] == [
        ("transaction", "T-2", "C-9")
    ]
    assert report.records["transactions"] == RecordCount(read=2, analysed=1, unknown_customer=1)
    assert [line.net_value for line in report.customers] == [100]


def test_each_line_says_what_was_paid_what_it_contributed_and_what_it_is_worth_net() -> None:
    people = [Customer(id="C-1", acquisition_cost=Money("30", "CNY"))]
    sales = [
        Transaction(id="T-1", customer_id="C-1", occurred_at="2024-01-02",
                    amount=Money("200", "CNY"), cost=Money("120", "CNY")),
        Transaction(id="T-2", customer_id="C-1", occurred_at="2024-01-09",
                    amount=Money("50", "CNY"), kind="refund"),
    ]  # fmt: skip
    call = CareTouchpoint(
        id="P-1", customer_id="C-1", occurred_at="2024-01-05", stage="post_purchase",
        channel="phone", function="care", direction="outbound", cost=Money("8", "CNY"),
    )  # fmt: skip
    (line,) = analyze(people, sales, [call], as_of="2024-06-01").customers
    assert (line.gross_value, line.contribution, line.net_value) == (150, 30, -8)
    assert not line.profitable


def test_an_ordinary_customer_whose_wallet_left_matches_a_key_customer_has_upgrade_potential() -> (
    None
):
    # ten customers: C-0 and C-1 are the key fifth, spending 1,000 in the year
    wallets = {"C-2": "5000", "C-3": "600"}
    people = [Customer(id=f"C-{n}", wallet=Money(wallets[f"C-{n}"], "CNY"))
              if f"C-{n}" in wallets else Customer(id=f"C-{n}") for n in range(10)]  # fmt: skip
    amounts = ["1000", "1000", "100", "100", "50", "40", "30", "20", "10", "5"]
    sales = [_sale(n, f"C-{n}", "2024-03-01", amount) for n, amount in enumerate(amounts)]
    report = analyze(people, sales, as_of="2024-06-01")
    lines = {line.customer_id: line for line in report.customers}
    assert [lines[c].tier_group for c in ("C-0", "C-1", "C-2")] == ["key", "key", "ordinary"]
    assert (lines["C-2"].wallet_left, lines["C-2"].upgrade_potential) == (4900.0, True)
    assert (lines["C-3"].wallet_left, lines["C-3"].upgrade_potential) == (500.0, False)
    assert (lines["C-4"].wallet_left, lines["C-4"].upgrade_potential) == (None, None)
    assert lines["C-0"].upgrade_potential is None  # key customers are not upgraded
    # measured a year later, no key customer bought in the window: nothing to measure by
    later = {c.customer_id: c for c in analyze(people, sales, as_of="2025-06-01").customers}
    assert (later["C-2"].wallet_left, later["C-2"].upgrade_potential) == (5000.0, None)


def test_a_wallet_in_another_currency_gives_no_upgrade_potential() -> None:
    people = [Customer(id=f"C-{n}") for n in range(5)]
    people.append(Customer(id="C-9", wallet=Money("50000", "USD")))
    sales = [_sale(n, f"C-{n}", "2024-03-01", str(1000 - 100 * n)) for n in range(5)]
    (line,) = [
        c for c in analyze(people, sales, as_of="2024-06-01").customers if c.customer_id == "C-9"
    ]
    assert (line.tier_group, line.upgrade_potential) == ("ordinary", None)


def test_rfm_monetary_scores_count_the_first_purchase_and_can_rank_the_total() -> None:
    people = [Customer(id=f"C-{n}") for n in range(5)]
    # C-0 bought once, for the most; the others twice, for less each time
    sales = [_sale(0, "C-0", "2024-03-01", "700")]
    for n in range(1, 5):
        sales += [_sale(10 * n, f"C-{n}", "2024-03-01", str(100 * n)),
                  _sale(10 * n + 1, f"C-{n}", "2024-04-01", str(100 * n))]  # fmt: skip
    average = analyze(people, sales, as_of="2024-06-01")
    assert [line.rfm_code[2] for line in average.customers if line.rfm_code] == list("51234")
    config = PortfolioConfig.model_validate({"value": {"rfm_monetary": "total"}})
    total = analyze(people, sales, as_of="2024-06-01", config=config)
    assert [line.rfm_code[2] for line in total.customers if line.rfm_code] == list("41235")


def test_mappings_are_validated_and_a_bad_one_is_named_by_its_position() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "T-1", "customer_id": "C-1", "occurred_at": "2024-01-02",
         "amount": {"amount": "5", "currency": "CNY"}},
        {"id": "T-2", "customer_id": "C-1", "occurred_at": "2024-01-03",
         "amount": {"amount": "-5", "currency": "CNY"}},
    ]  # fmt: skip
    with pytest.raises(InvalidRecord, match=r"transactions input, line 2: field 'amount"):
        analyze([{"id": "C-1"}], rows, as_of="2024-06-01")


def test_a_bad_mapping_is_left_out_and_listed_when_collecting() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "T-1", "customer_id": "C-1", "occurred_at": "2024-01-02",
         "amount": {"amount": "5", "currency": "CNY"}},
        {"id": "T-2", "customer_id": "C-1", "occurred_at": "2024-01-03",
         "amount": {"amount": "-5", "currency": "CNY"}},
        {"id": "T 3\n", "occurred_at": "soon"},
    ]  # fmt: skip
    report = analyze([{"id": "C-1"}], rows, as_of="2024-06-01", on_error="collect")
    assert report.customers[0].net_value == 5
    assert report.records["transactions"] == RecordCount(read=3, analysed=1, rejected=2)
    second, third = report.rejected
    assert (second.record_id, second.customer_id, second.line) == ("T-2", "C-1", 2)
    assert second.problem == "field 'amount': amount must be greater than or equal to 0"
    assert (third.record_id, third.customer_id, third.line) == (None, None, 3)
    assert "field 'customer_id': Field required" in third.problem


def test_two_customers_with_one_id_are_refused_or_the_second_is_left_out() -> None:
    with pytest.raises(DuplicateId, match="C-1"):
        analyze([Customer(id="C-1"), Customer(id="C-1")], as_of="2024-06-01")
    report = analyze([Customer(id="C-1"), Customer(id="C-1", region="north")],
                     as_of="2024-06-01", on_error="collect")  # fmt: skip
    assert [line.customer_id for line in report.customers] == ["C-1"]
    assert report.records["customers"] == RecordCount(read=2, analysed=1, rejected=1,
                                                       duplicate_ids=1)  # fmt: skip
    (rejected,) = report.rejected
    assert (rejected.source, rejected.line) == ("customers input", 2)


def test_repeated_record_ids_are_counted_and_warned_about_and_analysed() -> None:
    sales = [_sale(1, "C-1", "2024-01-02"), _sale(1, "C-1", "2024-01-05")]
    with pytest.warns(DuplicateIdWarning, match="1 transactions whose id an earlier one"):
        report = analyze([Customer(id="C-1")], sales, as_of="2024-06-01")
    assert report.customers[0].net_value == 200
    assert report.records["transactions"].duplicate_ids == 1


def test_check_ids_refuses_repeated_record_ids_as_bad_records() -> None:
    sales = [_sale(1, "C-1", "2024-01-02"), _sale(1, "C-1", "2024-01-05")]
    with pytest.raises(DuplicateId, match="T-1"):
        analyze([Customer(id="C-1")], sales, as_of="2024-06-01", check_ids=True)
    report = analyze([Customer(id="C-1")], sales, as_of="2024-06-01", check_ids=True,
                     on_error="collect")  # fmt: skip
    assert report.customers[0].net_value == 100
    assert report.records["transactions"] == RecordCount(read=2, analysed=1, rejected=1,
                                                          duplicate_ids=1)  # fmt: skip
    assert report.rejected[0].problem == "field 'id': another transaction has the same id"


def test_records_after_as_of_are_left_out_and_counted() -> None:
    sales = [_sale(1, "C-1", "2024-01-02"), _sale(2, "C-1", "2024-07-05")]
    report = analyze([Customer(id="C-1")], sales, as_of="2024-06-01")
    (line,) = report.customers
    assert (line.stage, line.net_value) == (LifecycleStage.FIRST_TIME, 100)
    assert report.records["transactions"] == RecordCount(read=2, analysed=1, after_as_of=1)


def _sold(n: int, cid: str, amount: str, currency: str) -> Transaction:
    return Transaction(id=f"T-{n}", customer_id=cid, occurred_at="2024-01-02",
                       amount=Money(amount, currency))  # fmt: skip


def test_a_portfolio_in_several_currencies_is_analysed_per_currency() -> None:
    people = [Customer(id=f"C-{n}") for n in range(6)]
    sales = [_sold(0, "C-0", "100", "CNY"), _sold(1, "C-1", "100", "JPY"),
             _sold(2, "C-2", "5000", "JPY"), _sold(3, "C-3", "20", "CNY"),
             _sold(4, "C-4", "30", "CNY")]  # fmt: skip
    report = analyze(people, sales, as_of="2024-06-01")
    cny, jpy, nothing = report.currencies
    assert (cny.currency, cny.customers, cny.net_value) == ("CNY", 3, 150)
    assert (jpy.currency, jpy.customers, jpy.net_value) == ("JPY", 2, 5100)
    # a customer with no amount has no currency of its own among several
    assert (nothing.currency, nothing.customers) == ("XXX", 1)
    # the tiers of each currency hold its customers and its value only
    assert sum(t.count for t in jpy.tiers) == 2
    assert sum(t.value for t in jpy.tiers) == 5100
    lines = {line.customer_id: line for line in report.customers}
    # C-1's 100 JPY is the least of the yen, whatever the yuan amounts are
    assert lines["C-1"].tier == max(t.number for t in jpy.tiers if t.count)
    assert lines["C-2"].tier == min(t.number for t in jpy.tiers if t.count)
    assert lines["C-0"].tier == min(t.number for t in cny.tiers if t.count)


def test_customers_without_amounts_join_the_single_currency_of_the_portfolio() -> None:
    report = analyze([Customer(id="C-1"), Customer(id="C-2")],
                     [_sold(1, "C-1", "100", "EUR")], as_of="2024-06-01")  # fmt: skip
    (euro,) = report.currencies
    assert (euro.currency, euro.customers) == ("EUR", 2)


def test_an_amount_in_a_second_currency_of_one_customer_is_a_bad_record(tmp_path: Path) -> None:
    sales = [_sold(1, "C-1", "100", "CNY"), _sold(2, "C-1", "100", "USD"),
             _sold(3, "C-2", "100", "USD")]  # fmt: skip
    with pytest.raises(
        InvalidRecord,
        match=r"transactions input, line 2: field 'amount.currency': is USD, but customer "
        r"'C-1' has amounts in CNY",
    ):
        analyze([Customer(id="C-1"), Customer(id="C-2")], sales, as_of="2024-06-01")
    path = tmp_path / "transactions.csv"
    write_csv(path, sales)
    reader = read_csv(path, Transaction)
    report = analyze([Customer(id="C-1"), Customer(id="C-2")], reader, as_of="2024-06-01",
                     on_error="collect")  # fmt: skip
    (bad,) = report.rejected
    assert (bad.source, bad.line, bad.record_id, bad.customer_id) == (str(path), 3, "T-2", "C-1")
    assert report.records["transactions"] == RecordCount(read=3, analysed=2, rejected=1)
    assert [(c.currency, c.net_value) for c in report.currencies] == [
        ("CNY", 100),
        ("USD", 100),
    ]


def test_loyal_by_preference_holds_back_repeat_buyers_with_a_low_loyalty_index() -> None:
    data = generate(customers=60, seed=3)
    records = (data.customers, data.transactions, data.touchpoints, data.complaints)
    by_habit = PortfolioConfig(lifecycle=LifecyclePolicy(loyal_min_loyalty=None))
    habit = {c.customer_id: c for c in analyze(*records, as_of=data.end, config=by_habit).customers}
    preference = analyze(*records, as_of=data.end).customers
    held = [c for c in preference if c.stage != habit[c.customer_id].stage]
    assert held, "some customer is loyal by habit and not by preference"
    for line in held:
        assert (habit[line.customer_id].stage, line.stage) == ("loyal", "repeat")


def test_an_empty_portfolio_gives_an_empty_report_with_every_count_at_zero() -> None:
    report = analyze([], as_of="2024-06-01")
    assert report.customers == ()
    assert set(report.stages.values()) == {0}
    assert (report.nps, report.csat, report.currencies) == (None, None, ())
    assert set(report.records) == {"customers", "transactions", "touchpoints", "complaints"}
    assert all(count == RecordCount(read=0, analysed=0) for count in report.records.values())
    assert report.care_plan.tasks == ()
    assert report.to_dicts() == []


def test_progress_is_reported_per_kind_of_record_with_the_count_so_far() -> None:
    data = generate(customers=3, seed=1)
    calls: list[tuple[str, int]] = []
    analyze(data.customers, data.transactions, as_of="2030-01-01",
            progress=lambda kind, n: calls.append((kind, n)))  # fmt: skip
    assert calls == [
        ("customers", 3),
        ("transactions", len(data.transactions)),
        ("touchpoints", 0),
        ("complaints", 0),
    ]


def test_the_configuration_loads_from_json_and_refuses_unknown_settings() -> None:
    config = PortfolioConfig.model_validate_json(
        json.dumps({"value": {"margin_rate": 0.3}, "columns": {"transactions": {"ref": "id"}}})
    )
    assert config.value.margin_rate == 0.3
    with pytest.raises(ValueError, match="colour"):
        PortfolioConfig.model_validate({"colour": "red"})


@pytest.fixture(scope="module")
def sample_report() -> PortfolioReport:
    data = load_sample()
    return analyze(data.customers, data.transactions, data.touchpoints, data.complaints,
                   as_of="2025-12-31T23:59:59+08:00")  # fmt: skip


def test_the_report_lines_become_plain_dicts_and_dataframes(sample_report: PortfolioReport) -> None:
    rows = sample_report.to_dicts()
    assert len(rows) == 500
    assert isinstance(rows[0]["stage"], str)
    pandas_frame = sample_report.to_pandas()
    polars_frame = sample_report.to_polars()
    assert pandas_frame.shape == polars_frame.shape == (500, len(rows[0]))
    assert pandas_frame["net_value"].sum() == sum(
        line.net_value for line in sample_report.customers
    )
    assert polars_frame["net_value"].sum() == sum(
        line.net_value for line in sample_report.customers
    )


def test_a_missing_dataframe_library_names_the_extra_to_install(
    sample_report: PortfolioReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # import polars now fails
    with pytest.raises(ImportError, match=r"crmcore\[polars\]"):
        sample_report.to_polars()


def test_the_portfolio_aggregates_add_up(sample_report: PortfolioReport) -> None:
    report = sample_report
    assert sum(report.stages.values()) == sum(report.quadrants.values()) == 500
    (yuan,) = report.currencies
    assert sum(t.count for t in yuan.tiers) == yuan.customers == 500
    assert sum(t.value_share or 0 for t in yuan.tiers) == pytest.approx(1)
    for total in ("gross_value", "contribution", "net_value"):
        assert getattr(yuan, total) == sum(getattr(line, total) for line in report.customers)
    assert report.nps_ratings > 0 and report.nps is not None
    assert sum(report.sla["resolution"].values()) == report.records["complaints"].analysed
    assert [r.value_at_risk for r in yuan.at_risk] == sorted(
        (r.value_at_risk for r in yuan.at_risk), reverse=True
    )
    assert all(report.care_plan.start <= t.due <= report.care_plan.end
               for t in report.care_plan.tasks)  # fmt: skip


def test_the_report_and_its_configuration_match_their_json_schemas(
    sample_report: PortfolioReport,
) -> None:
    assert_matches_its_schema(sample_report)
    assert_matches_its_schema(PortfolioConfig())
    again = PortfolioReport.model_validate_json(sample_report.model_dump_json())
    assert again == sample_report


def test_each_customer_line_equals_a_validated_copy(sample_report: PortfolioReport) -> None:
    for line in sample_report.customers:
        assert CustomerReport.model_validate(line.model_dump()) == line


EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)


@pytest.mark.parametrize("as_of", [EARLIEST, LATEST, "2199-12-31", "2024-06-01"])
def test_records_and_settings_at_the_edges_of_their_ranges_never_overflow(as_of: object) -> None:
    longest = {"first_response": "P36525D", "resolution": "P36525D"}
    config = PortfolioConfig.model_validate({
        "care_days": 3660,
        "lifecycle": {"churn_min_hiatus": "P36525D", "churn_gap_multiple": 20,
                      "loyal_window": "P1000Y"},
        "satisfaction": {"window": "P1000Y"},
        "loyalty": {"window": "P1000Y"},
        "care": {"purchase_follow_up_days": 36525, "complaint_follow_up_days": 36525,
                 "cadence_days": {"1": 36525, "2": 1, "3": 1, "4": 1}},
        "sla": {"targets": dict.fromkeys(("low", "medium", "high", "critical"), longest)},
    })  # fmt: skip
    far_east = datetime(2200, 1, 1, 9, 59, tzinfo=timezone(timedelta(hours=14)))
    people = [
        Customer(id="C-1", birthday="2199-12-31", acquired_at=EARLIEST,
                 important_dates=[{"label": "founded", "date": "1004-02-29"}]),
        Customer(id="C-2", acquired_at=LATEST),
    ]  # fmt: skip
    moments = [EARLIEST, EARLIEST + timedelta(days=1), far_east, LATEST]
    sales = [_sale(n, "C-1", at) for n, at in enumerate(moments)] + [_sale(9, "C-2", LATEST)]
    complaints = [Complaint(id=f"K-{n}", customer_id="C-1", received_at=at, category="price",
                            severity="low") for n, at in enumerate((EARLIEST, LATEST))]  # fmt: skip
    report = analyze(people, sales, (), complaints, as_of=as_of, config=config)
    customers = report.records["customers"]
    assert customers.analysed + customers.after_as_of == 2
    assert sum(report.stages.values()) == customers.analysed
    assert report.care_plan.end - report.care_plan.start == timedelta(days=3659)
