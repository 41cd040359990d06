from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from crmcore import Money, Transaction
from crmcore.errors import CurrencyMismatch
from crmcore.value import RfmRow, calibration_holdout, rfm_summary

CDNOW = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"


def cdnow_sales() -> list[Transaction]:
    """The CDNOW sample as crmcore transactions (dates at 00:00 UTC, amounts in USD)."""
    sales = []
    for n, line in enumerate(CDNOW.read_text().splitlines()):
        customer, _, day, cds, value = line.split()
        sales.append(
            Transaction(
                id=f"T-{n}",
                customer_id=customer,
                occurred_at=date(int(day[:4]), int(day[4:6]), int(day[6:])),
                amount=Money(value, "USD"),
                quantity=max(int(cds), 1),
            )
        )
    return sales


def sale(
    n: int, day: str, amount: str = "10", customer: str = "C-1", **fields: object
) -> Transaction:
    return Transaction(
        id=f"T-{n}", customer_id=customer, occurred_at=day, amount=Money(amount, "USD"), **fields
    )


SALES = [
    sale(1, "1997-01-01", "29.33"),
    sale(2, "1997-01-18", "29.73"),
    sale(3, "1997-01-18", "10.00"),
]
END = date(1997, 9, 30)


def test_days_count_distinct_purchase_days() -> None:
    assert rfm_summary(SALES, observation_end=END) == [
        RfmRow("C-1", 1, 17.0, 272.0, 39.73, 69.06, "days")
    ]


def test_calendar_weeks_run_monday_to_sunday() -> None:
    # 1 January 1997 was a Wednesday (week of 30 December), 18 January a
    # Saturday (week of 13 January), 30 September a Tuesday (week of 29 September)
    assert rfm_summary(SALES, observation_end=END, unit="weeks") == [
        RfmRow("C-1", 1, 2.0, 39.0, 39.73, 69.06, "weeks")
    ]


def test_weeks_counted_in_days_are_fractional() -> None:
    (row,) = rfm_summary(SALES, observation_end=END, unit="weeks", periods="days")
    assert (row.frequency, row.recency, row.T) == (1, 17 / 7, 272 / 7)


def test_calendar_months_put_january_purchases_in_one_period() -> None:
    assert rfm_summary(SALES, observation_end=END, unit="months") == [
        RfmRow("C-1", 0, 0.0, 8.0, 0.0, 69.06, "months")
    ]


def test_the_first_period_is_left_out_of_the_monetary_value_but_not_of_the_spend() -> None:
    sales = [sale(1, "1997-01-01", "500"), sale(2, "1997-02-01", "20"), sale(3, "1997-03-01", "40")]
    (row,) = rfm_summary(sales, observation_end=END)
    assert row.monetary_value == 30.0
    assert (row.total_spend, row.average_spend) == (560.0, 560.0 / 3)


def test_a_one_time_buyer_has_no_monetary_value_but_spends_what_he_paid() -> None:
    (row,) = rfm_summary([sale(1, "1997-01-01", "250")], observation_end=END)
    assert (row.frequency, row.monetary_value, row.total_spend, row.average_spend) == (
        0,
        0.0,
        250.0,
        250.0,
    )


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_every_row_states_the_unit_of_its_recency_and_t(unit: str) -> None:
    rows = rfm_summary(SALES, observation_end=END, unit=unit)  # type: ignore[arg-type]
    assert {row.unit for row in rows} == {unit}


def test_refunds_and_purchases_after_the_end_are_left_out() -> None:
    sales = [*SALES, sale(4, "1997-02-01", kind="refund"), sale(5, "1997-10-01")]
    assert rfm_summary(sales, observation_end=END) == rfm_summary(SALES, observation_end=END)


def test_an_end_given_as_a_moment_cuts_within_the_day() -> None:
    sales = [sale(1, "1997-01-01T08:00:00+00:00"), sale(2, "1997-01-02T08:00:00+00:00")]
    early = datetime(1997, 1, 2, 7, tzinfo=timezone.utc)
    assert rfm_summary(sales, observation_end=early)[0].frequency == 0
    assert rfm_summary(sales, observation_end=date(1997, 1, 2))[0].frequency == 1


def test_rows_come_in_the_order_customers_are_first_met() -> None:
    sales = [sale(1, "1997-01-05", customer="B"), sale(2, "1997-01-01", customer="A")]
    assert [r.customer_id for r in rfm_summary(sales, observation_end=END)] == ["B", "A"]


def test_one_customer_in_two_currencies_is_refused() -> None:
    euro = Transaction(
        id="T-9", customer_id="C-1", occurred_at="1997-02-01", amount=Money("1", "EUR")
    )
    with pytest.raises(CurrencyMismatch, match="USD and EUR"):
        rfm_summary([*SALES, euro], observation_end=END)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"unit": "years"}, "unit must be 'days', 'weeks' or 'months'"),
        ({"periods": "hours"}, "periods must be 'calendar' or 'days'"),
        ({"unit": "months", "periods": "days"}, "Months have no fixed length"),
    ],
)
def test_unknown_units_are_refused(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rfm_summary(SALES, observation_end=END, **options)  # type: ignore[arg-type]


def test_no_purchases_give_no_rows() -> None:
    assert rfm_summary([], observation_end=END) == []


def test_the_cdnow_calibration_summary_matches_the_published_one() -> None:
    rows = rfm_summary(cdnow_sales(), observation_end=END, unit="weeks", periods="days")
    assert len(rows) == 2357
    assert sum(r.frequency for r in rows) == 2457  # repeat purchases in the 39 calibration weeks
    assert max(r.T for r in rows) == pytest.approx(38.86, abs=0.005)
    # 29.33 + 29.73 + 14.96: the total is summed exactly, in decimals
    expected = RfmRow("00004", 2, 213 / 7, 272 / 7, (29.73 + 14.96) / 2, 74.02, "weeks")
    assert rows[0] == expected


def test_calibration_and_holdout_split_a_customer_s_purchases() -> None:
    sales = [
        sale(1, "1997-01-01"),
        sale(2, "1997-02-01", "30"),
        sale(3, "1997-11-05", "50"),
        sale(4, "1998-01-05", "70"),
    ]
    (row,) = calibration_holdout(sales, calibration_end=END, observation_end=date(1998, 6, 30))
    assert row[:5] == ("C-1", 1, 31.0, 272.0, 30.0)
    assert (row.frequency_holdout, row.monetary_value_holdout, row.duration_holdout) == (
        2,
        60.0,
        273.0,
    )


def test_customers_who_first_buy_in_the_holdout_are_left_out() -> None:
    sales = [*SALES, sale(9, "1997-12-01", customer="late")]
    rows = calibration_holdout(sales, calibration_end=END, observation_end=date(1998, 6, 30))
    assert [r.customer_id for r in rows] == ["C-1"]


def test_the_calibration_must_end_before_the_observation() -> None:
    with pytest.raises(ValueError, match="calibration_end must be before observation_end"):
        calibration_holdout(SALES, calibration_end=END, observation_end=END)
