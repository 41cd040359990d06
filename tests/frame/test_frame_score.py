"""The dataframe engine scores a table of summaries exactly as the pure path scores each one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CustomerHistory, summarize
from crmcore import strategies as crm
from crmcore.scoring import LoyaltyConfig, SatisfactionConfig, loyalty, satisfaction

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
frame = pytest.importorskip("crmcore.frame")

portfolios = st.lists(
    crm.histories(max_transactions=8) | crm.purchase_histories(max_purchases=10),
    min_size=1,
    max_size=5,
    unique_by=lambda h: h.customer_id,
)
configs = st.sampled_from(
    [
        (SatisfactionConfig(), LoyaltyConfig()),
        (
            SatisfactionConfig(weights={"purchase_amount": 3, "reputation": 0}, min_metrics=2),
            LoyaltyConfig(references={"selection_time": 4}, attitude_scores={"interested": 40}),
        ),
    ]
)


def rows(result: object) -> list[dict[str, object]]:
    return result.to_dicts() if isinstance(result, pl.DataFrame) else result.to_dict("records")  # type: ignore[attr-defined]


def same(got: object, expected: float | None) -> bool:
    missing = got is None or (isinstance(got, float) and got != got)  # null, or pandas' NaN
    if expected is None:
        return missing
    return not missing and got == pytest.approx(expected, rel=1e-9, abs=1e-9)


# Each example builds a table and scores it on an engine (a tenth of a second or more);
# 25 per engine vary every metric's availability, the configurations and the moment,
# and the formulas themselves are held equal by tests/property/test_formulas.py.
@pytest.mark.parametrize("library", ["pandas", "polars"])
@settings(max_examples=25)
@given(histories=portfolios, after=st.timedeltas(timedelta(0), timedelta(days=500)), config=configs)
def test_the_engine_scores_as_the_pure_path(
    library: str,
    histories: list[CustomerHistory],
    after: timedelta,
    config: tuple[SatisfactionConfig, LoyaltyConfig],
) -> None:
    times = [t.occurred_at for h in histories for t in h.transactions]
    as_of = (max(times) if times else histories[0].customer.acquired_at or _default()) + after
    summaries = [summarize(h, as_of=as_of) for h in histories]
    columns = frame.summary_columns(summaries)
    table = pd.DataFrame(columns) if library == "pandas" else pl.DataFrame(columns, strict=False)
    sat_config, loy_config = config
    got = {
        r["customer_id"]: r
        for r in rows(frame.score(table, satisfaction=sat_config, loyalty=loy_config))
    }
    for summary in summaries:
        row = got[summary.customer_id]
        for name, result in (
            ("satisfaction", satisfaction(summary, as_of=as_of, config=sat_config)),
            ("loyalty", loyalty(summary, as_of=as_of, config=loy_config)),
        ):
            assert same(row[name], result.value)
            assert same(row[f"{name}_coverage"], result.coverage)
            for metric, entry in result.metrics.items():
                assert same(row[f"{name}_{metric}"], entry.score)


def _default():  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    return datetime(2020, 1, 1, tzinfo=timezone.utc)
