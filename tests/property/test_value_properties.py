"""Invariants of purchase summaries and of the BG/NBD model."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, Transaction, TransactionKind
from crmcore.value import BetaGeo, rfm_summary

UNITS = st.sampled_from(
    [("days", "calendar"), ("weeks", "calendar"), ("weeks", "days"), ("months", "calendar")]
)


@st.composite
def purchases(draw: st.DrawFn) -> list[Transaction]:
    """Purchases of a few customers, interleaved, over about three years."""
    sales = []
    for n in range(draw(st.integers(0, 30))):
        day = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 1100)))
        sales.append(
            Transaction(
                id=f"T-{n}",
                customer_id=draw(st.sampled_from(["A", "B", "C", "D"])),
                occurred_at=day,
                amount=Money(draw(st.decimals(0, 500, places=2)), "CNY"),
            )
        )
    return sales


END = date(2023, 6, 30)


@given(purchases(), UNITS, st.randoms(use_true_random=False))
def test_the_order_of_the_transactions_does_not_matter(
    sales: list[Transaction], unit: tuple[str, str], rng: random.Random
) -> None:
    shuffled = list(sales)
    rng.shuffle(shuffled)
    options = {"unit": unit[0], "periods": unit[1]}
    expected = sorted(rfm_summary(sales, observation_end=END, **options))  # type: ignore[arg-type]
    assert sorted(rfm_summary(shuffled, observation_end=END, **options)) == expected  # type: ignore[arg-type]


@given(purchases(), UNITS, st.data())
def test_splitting_a_purchase_in_two_on_the_same_day_changes_nothing(
    sales: list[Transaction], unit: tuple[str, str], data: st.DataObject
) -> None:
    if not sales:
        return
    n = data.draw(st.integers(0, len(sales) - 1))
    whole = sales[n]
    part = data.draw(st.decimals(0, whole.amount.amount, places=2))
    halves = [
        whole.model_copy(update={"amount": Money(part, "CNY")}),
        whole.model_copy(
            update={"id": "T-split", "amount": Money(whole.amount.amount - part, "CNY")}
        ),
    ]
    split = [*sales[:n], *halves, *sales[n + 1 :]]
    options = {"unit": unit[0], "periods": unit[1]}
    assert rfm_summary(split, observation_end=END, **options) == rfm_summary(
        sales, observation_end=END, **options
    )  # type: ignore[arg-type]


@given(purchases())
def test_a_summary_row_is_consistent(sales: list[Transaction]) -> None:
    for row in rfm_summary(sales, observation_end=END):
        assert 0 <= row.recency <= row.T
        assert row.frequency >= 0 and (row.frequency > 0 or row.monetary_value == 0)
        assert row.monetary_value >= 0
        # the first period's total is what the spend holds beyond the repeat periods
        first_period = row.total_spend - row.frequency * row.monetary_value
        assert first_period >= -1e-9 * max(row.total_spend, 1.0)
        assert row.average_spend == row.total_spend / (row.frequency + 1)
        assert row.unit == "days"


@given(purchases())
def test_the_spend_is_every_purchase_up_to_the_end(sales: list[Transaction]) -> None:
    spent: dict[str, Decimal] = {}
    for sale in sales:
        if sale.kind is TransactionKind.PURCHASE and sale.occurred_at.date() <= END:
            spent[sale.customer_id] = spent.get(sale.customer_id, Decimal(0)) + sale.amount.amount
    rows = rfm_summary(sales, observation_end=END)
    assert {row.customer_id: row.total_spend for row in rows} == {
        cid: float(total) for cid, total in spent.items()
    }


positive = st.floats(0.01, 20, allow_nan=False)


@given(
    positive, positive, positive, positive, st.integers(0, 50), st.floats(0, 100), st.floats(0, 100)
)
def test_p_alive_is_a_probability_and_1_without_repeats(
    r: float, alpha: float, a: float, b: float, x: int, recency: float, extra: float
) -> None:
    model = BetaGeo(r=r, alpha=alpha, a=a, b=b)
    T = recency + extra  # noqa: N806 - the literature's name
    alive = model.p_alive(frequency=x, recency=recency if x else 0.0, T=T)
    assert 0 <= alive <= 1
    if x == 0:
        assert alive == 1.0


def test_decimal_amounts_stay_exact_in_the_monetary_value() -> None:
    sales = [
        Transaction(
            id=f"T-{n}",
            customer_id="A",
            occurred_at=date(2021, 1, 1) + timedelta(days=n),
            amount=Money("0.10", "CNY"),
        )
        for n in range(4)
    ]
    assert rfm_summary(sales, observation_end=END)[0].monetary_value == float(Decimal("0.10"))
