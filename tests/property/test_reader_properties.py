"""The fast purchase reader and the entity reader apply one set of field rules to any row."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st

from crmcore import Transaction
from crmcore.errors import InvalidRecord
from crmcore.io import read_csv, read_purchases

HEADER = ["id", "customer_id", "occurred_at", "kind", "amount", "amount.currency"]

moments = st.datetimes(
    min_value=datetime(1890, 1, 1), max_value=datetime(2210, 1, 1),
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)),
                               timezone(timedelta(hours=-5, minutes=-30))]),
)  # fmt: skip
written_moments = st.one_of(
    moments.map(lambda m: m.isoformat()),
    moments.map(lambda m: m.isoformat(sep=" ", timespec="seconds")),
    moments.map(lambda m: m.strftime("%Y-%m-%dT%H:%M:%S%z")),
    moments.map(lambda m: m.strftime("%Y-%m-%d")),
    moments.map(lambda m: m.replace(tzinfo=None).isoformat()),
    moments.map(lambda m: f" {m.isoformat()} "),
    moments.map(lambda m: m.isoformat().replace("+00:00", "Z")),
    st.sampled_from(["1700000000", "99.00", "2024-W18-3", "2024-123", "2024-02-30", ""]),
    st.text(max_size=12),
)
amounts = st.one_of(
    st.decimals(min_value=-10, max_value=10**16, allow_nan=False, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1_000", "١٢", " 5 ", "1e3", ".5", "5.", "-0", "+3", "", "0x10"]),
    st.text(alphabet="0123456789.-+eE ", max_size=8),
)
rows = st.fixed_dictionaries(
    {
        "customer_id": st.one_of(st.sampled_from(["C-1", "客户-7", "", " C-1", "C\x1b1"]),
                                 st.text(max_size=6)),
        "occurred_at": written_moments,
        "kind": st.sampled_from(["", "purchase", "refund", "Refund", "sale", " purchase"]),
        "amount": amounts,
        "amount.currency": st.sampled_from(["CNY", "JPY", "XXQ", "cny", "", "EURO", " USD"]),
    }
)  # fmt: skip


def _text(row: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerow(["T-1", *(row[name] for name in HEADER[1:])])
    return out.getvalue()


@given(rows)
@example({"customer_id": "C-1", "occurred_at": "2024-05-01T10:00:00+08:00", "kind": "",
          "amount": "99.00", "amount.currency": "CNY"})  # fmt: skip
@example({"customer_id": "C-1", "occurred_at": "1700000000", "kind": "sale",
          "amount": "1_000", "amount.currency": "XXQ"})  # fmt: skip
def test_both_readers_accept_and_refuse_the_same_rows_field_by_field(row: dict[str, str]) -> None:
    text = _text(row)
    whole = read_csv(io.StringIO(text), Transaction, on_error="collect")
    fast = read_purchases(io.StringIO(text), on_error="collect")
    (entities, purchases) = (list(whole), list(fast))
    assert len(entities) == len(purchases)
    if entities:
        (sale,), (purchase,) = entities, purchases
        assert purchase == (sale.customer_id, sale.occurred_at, sale.kind, sale.amount)
        assert purchase.occurred_at.utcoffset() == sale.occurred_at.utcoffset()
        assert str(purchase.amount) == str(sale.amount)  # the same digits, not only the value
    assert [_said(error) for error in whole.errors] == [_said(error) for error in fast.errors]
    assert whole.errors or entities


def _said(error: InvalidRecord) -> tuple[int, list[tuple[str, str]]]:
    return error.line, sorted((p.field or "", p.message) for p in error.problems)
