from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from crmcore import (
    CareTouchpoint,
    Complaint,
    Customer,
    CustomerHistory,
    CustomerSummary,
    Money,
    Period,
    Transaction,
    summarize,
)
from crmcore.errors import CurrencyMismatch
from tests.conftest import CST

AS_OF = datetime(2025, 12, 31, 23, tzinfo=CST)


def sale(n: int, days_before: float, amount: str = "100", **fields: object) -> Transaction:
    return Transaction(
        id=f"T-{n}",
        customer_id="C-1",
        occurred_at=AS_OF - timedelta(days=days_before),
        amount=Money(amount, fields.pop("currency", "CNY")),  # type: ignore[arg-type]
        **fields,
    )


def contact(n: int, days_before: float, **feedback: object) -> CareTouchpoint:
    return CareTouchpoint(
        id=f"P-{n}",
        customer_id="C-1",
        occurred_at=AS_OF - timedelta(days=days_before),
        stage="post_purchase",
        channel="phone",
        function="care",
        direction="outbound",
        feedback=feedback,
    )


def complaint(
    n: int, days_before: float, category: str = "delivery", **fields: object
) -> Complaint:
    return Complaint(
        id=f"K-{n}",
        customer_id="C-1",
        received_at=AS_OF - timedelta(days=days_before),
        category=category,
        severity="low",
        **fields,
    )


def summary_of(
    *records: object, wallet: Money | None = None, window: str = "P1Y"
) -> CustomerSummary:
    history = CustomerHistory(
        customer=Customer(id="C-1", wallet=wallet),
        transactions=[r for r in records if isinstance(r, Transaction)],
        touchpoints=[r for r in records if isinstance(r, CareTouchpoint)],
        complaints=[r for r in records if isinstance(r, Complaint)],
    )
    return summarize(history, as_of=AS_OF, window=window)


def test_the_window_ends_at_as_of_and_starts_one_period_earlier() -> None:
    s = summary_of()
    assert (s.as_of, s.window, s.window_start) == (AS_OF, Period(years=1), AS_OF.replace(year=2024))


def test_occasions_count_calendar_days_in_the_window_and_in_all() -> None:
    s = summary_of(sale(1, 500), sale(2, 100), sale(3, 100.01), sale(4, 10), sale(5, -1))
    assert (s.occasions_total, s.occasions, s.repeat_occasions) == (3, 2, 2)
    assert s.first_purchase_at == AS_OF - timedelta(days=500)
    assert s.last_purchase_at == AS_OF - timedelta(days=10)


def test_the_first_occasion_ever_is_not_a_repeat() -> None:
    s = summary_of(sale(1, 100), sale(2, 50))
    assert (s.occasions, s.repeat_occasions, s.repeat_occasions_total) == (2, 1, 1)


def test_spend_is_gross_and_refunds_are_kept_apart() -> None:
    refund = sale(9, 5, "30", kind="refund")
    s = summary_of(sale(1, 100, "100"), sale(2, 10, "50"), refund, sale(3, 400, "999"))
    assert (s.spend, s.refunds, s.net_spend) == (Money("150", "CNY"), Money("30", "CNY"), 120.0)


def test_a_customer_who_bought_only_before_the_window_spent_nothing_in_it() -> None:
    s = summary_of(sale(1, 500))
    assert (s.spend, s.net_spend, s.window_repeat_occasions) == (None, 0.0, 0)


def test_a_customer_who_never_bought_has_no_spend_and_no_return_rate() -> None:
    s = summary_of()
    assert (s.net_spend, s.window_repeat_occasions, s.repeat_occasions_total) == (None, None, None)


def test_promotion_dependence_is_the_share_of_spend_below_list_price_or_on_promotion() -> None:
    s = summary_of(
        sale(1, 30, "80", list_amount=Money("100", "CNY")),
        sale(2, 20, "120", promotion=False, list_amount=Money("120", "CNY")),
        sale(3, 10, "100", promotion=True),
        sale(4, 5, "500"),  # records neither: left out
    )
    assert (s.discounted, s.promoted) == (1, 1)
    assert s.price_known_spend == Money("300", "CNY")
    assert s.promotion_dependence == pytest.approx(180 / 300)


def test_promotion_dependence_is_unknown_when_no_purchase_records_price_facts() -> None:
    assert summary_of(sale(1, 10)).promotion_dependence is None


def listed(
    n: int, days_before: float, unit_price: str, quantity: int = 1, **fields: object
) -> Transaction:
    total = Money(unit_price, "CNY") * quantity
    return sale(n, days_before, str(total.amount), list_amount=total, quantity=quantity,
                product=fields.pop("product", "Longjing"), **fields)  # fmt: skip


def test_price_elasticity_is_the_quantity_fall_per_price_rise_of_the_same_product() -> None:
    s = summary_of(
        listed(1, 300, "100", quantity=4),
        listed(2, 200, "110", quantity=3),  # +10 %, a quarter fewer
        listed(3, 100, "121", quantity=3),  # +10 %, as many
    )
    assert s.price_rises == 2
    assert s.price_elasticity == pytest.approx((0.25 + 0.0) / (0.10 + 0.10))


def test_a_customer_who_keeps_buying_as_much_after_a_rise_is_not_price_sensitive() -> None:
    s = summary_of(listed(1, 300, "50", quantity=2), listed(2, 100, "60", quantity=2))
    assert (s.price_rises, s.price_elasticity) == (1, 0.0)


def test_price_cuts_rounding_and_other_products_are_no_price_rise() -> None:
    s = summary_of(
        listed(1, 300, "100"),
        listed(2, 200, "90"),  # a cut
        listed(3, 150, "90.50"),  # 0.56 % up: rounding, not a rise
        listed(4, 100, "200", product="Gaiwan"),  # first purchase of another product
        sale(5, 50, "300", product="Longjing"),  # no list price recorded
    )
    assert (s.price_rises, s.price_elasticity) == (0, None)


def test_a_price_rise_counts_in_the_window_of_the_purchase_after_it() -> None:
    before = listed(1, 500, "100", quantity=2)
    s = summary_of(before, listed(2, 400, "120", quantity=1))  # both before the window
    assert s.price_rises == 0
    s = summary_of(before, listed(2, 30, "120", quantity=1))  # against a purchase before it
    assert (s.price_rises, s.price_elasticity) == (1, pytest.approx(0.5 / 0.2))


def test_purchases_of_one_product_on_one_day_make_one_price_point() -> None:
    s = summary_of(
        listed(1, 200, "100"),
        listed(2, 100.2, "110"),
        listed(3, 100.1, "130"),  # the day's unit list price is 120, bought 2
    )
    assert (s.price_rises, s.price_elasticity) == (1, pytest.approx(-1.0 / 0.2))


def test_designation_counts_only_purchases_that_record_it() -> None:
    s = summary_of(sale(1, 30, designated=True), sale(2, 20, designated=False), sale(3, 10))
    assert (s.designation_known, s.designated, s.designation_share) == (2, 1, 0.5)
    assert s.designated_spend == Money("100", "CNY")


def test_selection_time_is_the_median_in_the_window() -> None:
    times = [timedelta(minutes=m) for m in (4, 10, 30)]
    s = summary_of(*(sale(n, 10 * n, selection_time=t) for n, t in enumerate(times, 1)))
    assert (s.selections, s.selection_time, s.selection_minutes) == (3, timedelta(minutes=10), 10)


def test_complaints_are_counted_by_category_and_outcome() -> None:
    s = summary_of(
        sale(1, 50),
        complaint(1, 40, accepted=True),
        complaint(2, 30, "price", accepted=False),
        complaint(3, 20, "price"),
        complaint(4, 400),
    )
    assert s.complaints == 3
    assert s.complaints_by_category == {"delivery": 1, "price": 2}
    assert s.complaints_by_outcome == {"accepted": 1, "not_accepted": 1, "undecided": 1}
    # three complaints after the one purchase: one occasion, and it was complained about
    assert (s.complained_occasions, s.complaint_share) == (1, 1.0)


def test_the_complaint_rate_is_the_share_of_purchases_followed_by_a_complaint() -> None:
    s = summary_of(
        sale(1, 200),
        complaint(1, 190),  # follows the first purchase
        complaint(2, 150),  # the first purchase again: it counts once
        sale(2, 100),  # no complaint before the next purchase
        sale(3, 50),
        complaint(3, 50),  # received at the moment of the third purchase: follows it
        sale(4, 10),
    )
    assert (s.occasions, s.complaints, s.complained_occasions) == (4, 3, 2)
    assert s.complaint_share == 0.5


def test_a_complaint_about_a_purchase_before_the_window_is_no_window_purchase_s() -> None:
    s = summary_of(sale(1, 400), complaint(1, 300), sale(2, 100))
    assert (s.occasions, s.complaints, s.complaint_share) == (1, 1, 0.0)


def test_without_a_purchase_in_the_window_there_is_no_complaint_rate() -> None:
    assert summary_of(complaint(1, 10), complaint(2, 5)).complaint_share is None
    assert summary_of().complaint_share is None


def test_quality_tolerance_counts_settled_quality_complaints_followed_by_a_purchase() -> None:
    s = summary_of(
        sale(1, 300),
        complaint(1, 200, "product_quality", accepted=True),
        complaint(2, 100, "product_quality", accepted=False),
        complaint(3, 20, "product_quality", accepted=True),  # no purchase after it
        sale(2, 50),
    )
    assert (s.quality_complaints, s.quality_tolerated, s.quality_tolerance) == (3, 1, 1 / 3)


def test_word_of_mouth_signals_and_the_latest_attitude_are_gathered() -> None:
    s = summary_of(
        contact(1, 500, recommend=0, competitor_attitude="switching"),
        contact(2, 50, recommend=9, praise=True, competitor_attitude="interested"),
        contact(3, 20, praise=False, referral=True, satisfaction=4),
    )
    assert (s.recommend_ratings, s.recommend_total, s.praise, s.no_praise, s.referrals) == (
        1,
        9,
        1,
        1,
        1,
    )
    assert (s.satisfaction_ratings, s.satisfaction_total) == (1, 4)
    assert s.reputation == pytest.approx((1 + 1 + 0 + 1) / 4)  # a promoter, praise, none, referral
    assert s.attitude == "interested"


@pytest.mark.parametrize(
    ("rating", "points"), [(10, 1.0), (9, 1.0), (8, 0.5), (7, 0.5), (6, 0.0), (0, 0.0)]
)
def test_a_recommendation_rating_counts_by_its_promoter_class(rating: int, points: float) -> None:
    s = summary_of(contact(1, 50, recommend=rating))
    assert s.reputation == points
    assert (s.promoters, s.passives) == (int(points == 1.0), int(points == 0.5))


def test_a_customer_who_referred_no_one_says_something_about_his_word_of_mouth() -> None:
    s = summary_of(contact(1, 50, praise=True), contact(2, 40, referral=False))
    assert (s.referrals, s.no_referrals) == (0, 1)
    assert s.reputation == 0.5


def test_share_of_wallet_is_net_spend_over_the_wallet_at_most_one() -> None:
    s = summary_of(sale(1, 10, "1500"), wallet=Money("6000", "CNY"))
    assert s.share_of_wallet == 0.25
    assert summary_of(sale(1, 10, "9000"), wallet=Money("6000", "CNY")).share_of_wallet == 1.0
    assert summary_of(sale(1, 10)).share_of_wallet is None


def test_the_wallet_left_is_the_yearly_category_spend_not_yet_with_us() -> None:
    s = summary_of(sale(1, 10, "1500"), wallet=Money("6000", "CNY"))
    assert (s.yearly_spend, s.wallet_left) == (1500.0, 4500.0)
    assert summary_of(sale(1, 10, "9000"), wallet=Money("6000", "CNY")).wallet_left == 0.0
    assert summary_of(sale(1, 10)).wallet_left is None
    assert summary_of(wallet=Money("6000", "CNY")).wallet_left == 6000.0  # never bought
    refunded = summary_of(
        sale(1, 500, "800"), sale(2, 10, "800", kind="refund"), wallet=Money("1000", "CNY")
    )
    assert (refunded.net_spend, refunded.wallet_left) == (-800.0, 1000.0)  # never above it


def test_share_of_wallet_annualises_a_shorter_window() -> None:
    s = summary_of(sale(1, 10, "500"), wallet=Money("6000", "CNY"), window="P6M")
    assert s.share_of_wallet == pytest.approx(1000 / 6000, rel=0.02)


def test_a_wallet_in_another_currency_is_refused() -> None:
    s = summary_of(sale(1, 10), wallet=Money("6000", "USD"))
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        _ = s.share_of_wallet


def test_purchases_in_two_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        summary_of(sale(1, 10), sale(2, 5, currency="USD"))


def test_records_after_as_of_are_not_yet_known() -> None:
    s = summary_of(sale(1, 10), sale(2, -10), complaint(1, -3), contact(1, -2, recommend=0))
    assert (s.occasions, s.complaints, s.recommend_ratings) == (1, 0, 0)


def test_a_summary_round_trips_through_json() -> None:
    s = summary_of(sale(1, 10, selection_time=timedelta(minutes=3)), complaint(1, 5))
    assert CustomerSummary.model_validate_json(s.model_dump_json()) == s
