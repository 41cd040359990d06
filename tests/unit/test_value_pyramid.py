from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import CurrencyMismatch
from crmcore.value import pyramid, tier_counts


def test_a_thousand_customers_split_one_19_30_50_percent() -> None:
    values = {f"C-{n:04d}": float(n) for n in range(1000)}
    result = pyramid(values)
    assert [(t.name, t.group, t.count) for t in result.levels] == [
        ("top", "key", 10),
        ("second", "key", 190),
        ("third", "ordinary", 300),
        ("bottom", "ordinary", 500),
    ]
    assert result.tiers["C-0999"] == 1 and result.tiers["C-0000"] == 4
    top = sum(range(990, 1000)) / sum(range(1000))
    assert result.levels[0].value_share == pytest.approx(top)
    assert result.pareto == pytest.approx(sum(range(800, 1000)) / sum(range(1000)))


def test_key_customers_are_the_tiers_of_the_top_fifth_and_at_least_the_top_tier() -> None:
    values = {f"C-{n}": n for n in range(100)}
    tens = pyramid(values, shares=(0.1,) * 10)
    assert [t.group for t in tens.levels] == ["key"] * 2 + ["ordinary"] * 8
    halves = pyramid(values, shares=(0.5, 0.5), names=("upper", "lower"))
    assert [t.group for t in halves.levels] == ["key", "ordinary"]
    assert [t.group for t in pyramid(values, key_share=0.5).levels] == [
        "key",
        "key",
        "key",
        "ordinary",
    ]
    with pytest.raises(ValueError, match="key_share must be a share from 0 to 1"):
        pyramid(values, key_share=1.5)


def test_seven_customers_are_tiered_by_the_largest_remainder_rule() -> None:
    # quotas 0.07, 1.33, 2.1, 3.5: whole parts 0, 1, 2, 3; the one left over
    # goes to the largest fraction, 0.5 in the bottom tier
    assert tier_counts(7, (0.01, 0.19, 0.30, 0.50)) == (0, 1, 2, 4)
    result = pyramid({f"C-{n}": n for n in range(7)})
    assert [t.count for t in result.levels] == [0, 1, 2, 4]


def test_equal_fractions_favour_the_higher_tier() -> None:
    assert tier_counts(2, (0.25, 0.25, 0.5)) == (1, 0, 1)


def test_ties_in_value_are_broken_by_customer_id() -> None:
    result = pyramid({"B": 5, "A": 5, "C": 1}, shares=(1 / 3, 2 / 3), names=("top", "rest"))
    assert result.tiers == {"B": 2, "A": 1, "C": 2}


def test_unprofitable_customers_rank_last() -> None:
    result = pyramid({"loss": -300, "small": 10, "big": 990}, shares=(1 / 3, 1 / 3, 1 / 3))
    assert result.tiers == {"loss": 3, "small": 2, "big": 1}
    assert [t.value_share for t in result.levels] == pytest.approx(
        [990 / 700, 10 / 700, -300 / 700]
    )
    assert [t.name for t in result.levels] == ["tier 1", "tier 2", "tier 3"]


def test_money_values_in_one_currency_are_accepted_and_two_currencies_refused() -> None:
    result = pyramid({"A": Money("10", "CNY"), "B": Money("30", "CNY")}, shares=(0.5, 0.5))
    assert result.tiers == {"A": 2, "B": 1}
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        pyramid({"A": Money("10", "CNY"), "B": Money("30", "USD")}, shares=(0.5, 0.5))


def test_an_empty_portfolio_gives_empty_tiers() -> None:
    result = pyramid({})
    assert result.tiers == {} and [t.count for t in result.levels] == [0, 0, 0, 0]
    assert result.pareto is None and result.levels[0].value_share is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shares": (0.5, 0.4)}, "shares must be positive and sum to 1"),
        ({"shares": (1.5, -0.5)}, "shares must be positive and sum to 1"),
        ({"shares": (0.5, 0.5), "names": ("one",)}, "one name per tier"),
    ],
)
def test_bad_shares_or_names_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pyramid({"A": 1}, **options)  # type: ignore[arg-type]


def test_a_value_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="customer 'A' is not a finite number"):
        pyramid({"A": float("nan")})


values_st = st.dictionaries(
    st.text("ABCDEFGHIJ", min_size=1, max_size=4),
    st.decimals(-1000, 100_000, places=2, allow_nan=False, allow_infinity=False),
    max_size=60,
)


@given(values_st)
def test_tiers_partition_the_customers_with_the_counts_of_the_rule(
    values: dict[str, Decimal],
) -> None:
    result = pyramid(values)
    assert set(result.tiers) == set(values)
    counts = tier_counts(len(values), (0.01, 0.19, 0.30, 0.50))
    assert tuple(t.count for t in result.levels) == counts
    assert [sum(1 for tier in result.tiers.values() if tier == n) for n in (1, 2, 3, 4)] == list(
        counts
    )


@given(values_st)
def test_value_shares_sum_to_one(values: dict[str, Decimal]) -> None:
    result = pyramid(values)
    if sum(values.values()):
        assert sum(t.value_share or 0 for t in result.levels) == pytest.approx(1.0)


@given(values_st)
def test_a_more_valuable_customer_is_never_in_a_lower_tier(values: dict[str, Decimal]) -> None:
    tiers = pyramid(values).tiers
    for a in values:
        for b in values:
            if values[a] > values[b]:
                assert tiers[a] <= tiers[b]
