"""Purchase summaries and BG/NBD fits: crmcore against the lifetimes package, in one run.

Usage: python benchmarks/value.py [--transactions FILE] [--runs 3]

1. ``rfm_summary`` over the transactions CSV written by
   ``benchmarks/generate.py --write`` (about 1,000,000 rows): crmcore reads the
   file with ``crmcore.io.read_purchases`` (the columns a summary needs,
   checked) and summarizes, and also once with ``read_csv`` (whole entities);
   lifetimes reads it with pandas and runs ``summary_data_from_transaction_data``
   on the purchases. Both by day, observation end the last day. The script
   checks that the two tables agree.
   The dataframe engine (``crmcore.frame.rfm_summary``) runs on a lazy polars
   scan of the same file.
2. The fits of the model family on the CDNOW calibration summary (2,357
   customers, weeks from days) against lifetimes' fitter of the same model:
   BG/NBD (``BetaGeoFitter``), Pareto/NBD (``ParetoNBDFitter``) and MBG/NBD
   (``ModifiedBetaGeoFitter``); BG/BB on the donation data of Fader, Hardie &
   Shang (11,104 donors as 22 weighted patterns) against
   ``BetaGeoBetaBinomFitter``; the shifted-beta-geometric fit on a cohort's
   survivors, which lifetimes lacks (time only).
3. BG/NBD and Pareto/NBD on the summaries of the whole benchmark portfolio
   (about 77,000 buyers of 92,000 customers, by day): crmcore fits the
   distinct rows with their counts, as lifetimes' fitters do when given the
   same ``weights``.

Prints the median times over ``--runs`` and the ratios. Install the peer with
``python -m pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from crmcore import Money, Transaction
from crmcore.io import read_csv, read_purchases
from crmcore.value import (
    BetaGeo,
    BetaGeoBetaBinom,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
    rfm_summary,
)

ROOT = Path(__file__).resolve().parents[1]


def timed(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def crmcore_summary(path: Path, end: date) -> list[Any]:
    return rfm_summary(read_purchases(path), observation_end=end)


def crmcore_summary_of_entities(path: Path, end: date) -> list[Any]:
    return rfm_summary(read_csv(path, Transaction), observation_end=end)


def polars_summary(path: Path, end: date) -> Any:
    import polars as pl

    from crmcore import frame

    lazy = pl.scan_csv(path, schema_overrides={"amount": pl.String})
    return frame.rfm_summary(lazy, observation_end=end).collect()


def lifetimes_summary(path: Path, end: date) -> Any:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    frame = pd.read_csv(path, usecols=["customer_id", "occurred_at", "kind", "amount"])
    frame = frame[frame["kind"] == "purchase"]
    # the calendar day of each purchase in its own zone, as crmcore counts it
    frame["day"] = pd.to_datetime(frame["occurred_at"].str.slice(0, 10))
    return summary_data_from_transaction_data(
        frame, "customer_id", "day", monetary_value_col="amount",
        observation_period_end=pd.Timestamp(end), freq="D",
    )  # fmt: skip


def cdnow_rows() -> list[Any]:
    sales = []
    for n, line in enumerate(
        (ROOT / "tests" / "data" / "CDNOW_sample.txt").read_text().splitlines()
    ):
        customer, _, day, _, value = line.split()
        when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        sales.append(
            Transaction(
                id=f"T-{n}", customer_id=customer, occurred_at=when, amount=Money(value, "USD")
            )
        )
    return rfm_summary(sales, observation_end=date(1997, 9, 30), unit="weeks", periods="days")


def _params(values: dict[str, float]) -> str:
    return " ".join(f"{name}={value:.3f}" for name, value in values.items())


def donations() -> dict[str, list[int]]:
    with (ROOT / "tests" / "data" / "donations_bgbb.csv").open() as file:
        rows = list(csv.DictReader(file))
    return {name: [int(row[name]) for row in rows] for name in rows[0]}


def compare_fits(
    title: str,
    ours: Callable[[], Any],
    theirs: Callable[[], Any] | None,
    runs: int,
) -> None:
    """Time a crmcore fit and lifetimes' fit of the same model; print both and the ratio."""
    our_time, model = timed(ours, runs)
    print(title)
    found = {e.name: e.value for e in model.summary()}
    print(f"  crmcore   {our_time:8.2f} s  {_params(found)}")
    if theirs is None:
        print("  lifetimes has no fitter of this model")
        return
    their_time, fitter = timed(theirs, runs)
    peer = {name: float(fitter.params_[name]) for name in found}
    print(f"  lifetimes {their_time:8.2f} s  {_params(peer)}")
    print(f"  crmcore / lifetimes time  {our_time / their_time:6.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--transactions", type=Path, default=ROOT / "benchmarks" / "data" / "transactions.csv"
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    end = date(2025, 12, 31)
    ours, rows = timed(lambda: crmcore_summary(args.transactions, end), args.runs)
    entities, rows_of_entities = timed(
        lambda: crmcore_summary_of_entities(args.transactions, end), 1
    )
    assert rows_of_entities == rows
    engine, polars_table = timed(lambda: polars_summary(args.transactions, end), args.runs)
    theirs, table = timed(lambda: lifetimes_summary(args.transactions, end), args.runs)
    mismatches = 0
    for row in rows:
        peer = table.loc[row.customer_id]
        expected = (peer["frequency"], peer["recency"], peer["T"], peer["monetary_value"])
        if not all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            for a, b in zip(row[1:5], expected, strict=True)
        ):
            mismatches += 1
    by_engine = {r[0]: r[1:] for r in polars_table.iter_rows()}
    engine_mismatches = sum(
        not all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
            for a, b in zip(row[1:6], by_engine[row.customer_id], strict=True)
        )
        for row in rows
    )
    print(f"rfm_summary over {args.transactions.name}: {len(rows):,} customers")
    print(f"  crmcore (read_purchases + rfm_summary) {ours:8.2f} s")
    print(f"  crmcore (read_csv entities + summary)  {entities:8.2f} s  (one run)")
    print(f"  crmcore.frame on polars (lazy scan)    {engine:8.2f} s  ({len(polars_table):,} rows)")
    print(f"  lifetimes (pandas + summary_data...)   {theirs:8.2f} s")
    print(f"  crmcore / lifetimes time               {ours / theirs:8.2f}x")
    print(f"  crmcore.frame (polars) / lifetimes     {engine / theirs:8.2f}x")
    print(f"  rows that differ                       {mismatches:8d} of {len(rows):,}")
    print(f"  rows of the peer                       {len(table):8,}")
    print(f"  frame rows that differ from the pure   {engine_mismatches:8d}")

    import pandas as pd
    from lifetimes import (
        BetaGeoBetaBinomFitter,
        BetaGeoFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )

    calibration = cdnow_rows()
    columns = [[getattr(r, name) for r in calibration] for name in ("frequency", "recency", "T")]
    frames = [pd.Series(c) for c in columns]
    print(f"Fits on CDNOW ({len(calibration):,} customers), median of {args.runs}")
    for title, ours, theirs in (
        ("BG/NBD", lambda: BetaGeo.fit(calibration), lambda: BetaGeoFitter().fit(*frames)),
        ("Pareto/NBD", lambda: ParetoNBD.fit(calibration),
         lambda: ParetoNBDFitter().fit(*frames)),
        ("MBG/NBD", lambda: ModifiedBetaGeo.fit(calibration),
         lambda: ModifiedBetaGeoFitter().fit(*frames)),
    ):  # fmt: skip
        compare_fits(title, ours, theirs, args.runs)
    donors = donations()
    patterns = [pd.Series(donors[name]) for name in ("frequency", "recency", "periods")]
    compare_fits(
        f"BG/BB on the donation data ({sum(donors['weights']):,} donors)",
        lambda: BetaGeoBetaBinom.fit(
            donors["frequency"], donors["recency"], donors["periods"], donors["weights"]
        ),
        lambda: BetaGeoBetaBinomFitter().fit(*patterns, weights=pd.Series(donors["weights"])),
        args.runs,
    )
    compare_fits(
        "sBG on the 'high end' cohort of Fader & Hardie 2007 (7 years)",
        lambda: ShiftedBetaGeometric.fit(survivors=[1000, 869, 743, 653, 593, 551, 517, 491]),
        None,
        args.runs,
    )

    # the whole portfolio's summaries, by day: distinct rows with their counts
    counts = Counter((r.frequency, r.recency, r.T) for r in rows)
    distinct = [pd.Series(c) for c in zip(*counts, strict=True)]
    weights = pd.Series(list(counts.values()))
    print(f"Fits on the benchmark portfolio ({len(rows):,} buyers, {len(counts):,} distinct rows)")
    compare_fits(
        "BG/NBD", lambda: BetaGeo.fit(rows),
        lambda: BetaGeoFitter().fit(*distinct, weights=weights), 1,
    )  # fmt: skip
    compare_fits(
        "Pareto/NBD", lambda: ParetoNBD.fit(rows),
        lambda: ParetoNBDFitter().fit(*distinct, weights=weights), 1,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
