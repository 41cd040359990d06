"""Purchase occasions gathered one purchase at a time, in any order, are exact and complete."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import MAX_PREC, Decimal, localcontext

from hypothesis import example, given
from hypothesis import strategies as st

from crmcore.history import ExactSums, Occasions

ZONES = [timezone(timedelta(hours=h)) for h in (-5, 0, 8)]
moments = st.builds(
    lambda minutes, zone: (datetime(2024, 1, 1, tzinfo=timezone.utc)
                           + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(min_value=0, max_value=60 * 24 * 20),
    st.sampled_from(ZONES),
)  # fmt: skip
amounts = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=18, allow_nan=False
) | st.decimals(min_value=0, max_value=1000, places=2)
purchases = st.lists(st.tuples(moments, amounts), max_size=30)


@given(purchases=purchases, keep_days=st.integers(min_value=0, max_value=25))
@example(  # two calendar days that start at one instant, in two zones
    purchases=[
        (datetime(2024, 1, 1, tzinfo=timezone.utc), Decimal(0)),
        (datetime(2023, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5))), Decimal(0)),
    ],
    keep_days=0,
)
@example(  # two purchases of one calendar day at one instant, in two zones, and one between
    purchases=[
        (datetime(2024, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), Decimal(0)),
        (datetime(2023, 12, 31, 19, tzinfo=timezone(timedelta(hours=-5))), Decimal(0)),
        (datetime(2024, 1, 1, tzinfo=timezone.utc), Decimal(0)),
    ],
    keep_days=0,
)
def test_each_calendar_day_keeps_its_first_and_last_purchase_and_exact_total(
    purchases: list[tuple[datetime, Decimal]], keep_days: int
) -> None:
    keep = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(days=keep_days)
    gathered = Occasions(keep_ids_from=keep)
    for n, (at, amount) in enumerate(purchases):
        gathered.add(at, f"T-{n:03}", amount)
    found = gathered.finish()

    by_day: dict[int, list[tuple[datetime, str, Decimal]]] = {}
    for n, (at, amount) in enumerate(purchases):
        by_day.setdefault(at.toordinal(), []).append((at, f"T-{n:03}", amount))
    with localcontext() as exact:
        exact.prec = MAX_PREC
        # purchases at one instant in several zones: the smaller offset is first, the larger last
        rows = [
            (
                *min((at, at.utcoffset()) for at, _, _ in day),
                *max((at, at.utcoffset()) for at, _, _ in day),
                sum((amount for _, _, amount in day), Decimal(0)),
                min(((at, i) for at, i, _ in day if at >= keep), default=(None, None))[1],
            )
            for day in by_day.values()
        ]
    # in time order; two days starting at one instant (in different zones): earlier day first
    expected = sorted(rows, key=lambda row: (row[0], row[0].toordinal()))
    # each moment keeps its own zone, not only its instant
    got = [(o.first, o.first.utcoffset(), o.last, o.last.utcoffset(), o.total, o.first_id)
           for o in found]  # fmt: skip
    assert got == expected
    assert [o.first for o in found] == sorted(o.first for o in found)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=2), amounts), max_size=20))
def test_exact_sums_read_as_the_decimal_sums_of_their_amounts(
    added: list[tuple[int, Decimal]],
) -> None:
    sums = ExactSums(3)
    for index, amount in added:
        sums.add(index, amount, "CNY")
    with localcontext() as exact:
        exact.prec = MAX_PREC
        for index in range(3):
            mine = [amount for i, amount in added if i == index]
            expected = sum(mine[1:], mine[0]) if mine else None
            got = sums.get(index)
            assert got == expected
            if expected is not None and got is not None:
                assert got.as_tuple().exponent == min(expected.as_tuple().exponent, 0)
