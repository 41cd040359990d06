"""Purchase summaries and the whole portfolio analysis against lifetimes and pymc-marketing.

Usage:
    python benchmarks/generate.py --write DIR      # writes the portfolio once
    python benchmarks/portfolio.py --data DIR [--runs 3] [--analyze-runs 1]
        [--only summaries|analysis] [--engines "crmcore frame, polars; crmcore frame, DuckDB"]

Every contender runs in a fresh Python process (so that its peak memory is
its own, or its largest worker's) on the same files, reading included, and
reports its wall time and peak resident memory. Imports happen before each
contender's clock starts; peak memory includes them. Two tables:

Purchase summaries (reference: lifetimes), by day with the observation end
at the last purchase day, each checked row for row against lifetimes':

* ``lifetimes``: pandas ``read_csv`` of the file + ``summary_data_from_transaction_data``;
  ``lifetimes, 4 columns`` reads only the four columns a summary needs (``usecols``);
* ``pymc-marketing``: pandas ``read_csv`` + ``pymc_marketing.clv.utils.rfm_summary``
  (skipped when it is not installed);
* ``crmcore pure``: ``crmcore.io.read_purchases`` + ``crmcore.value.rfm_summary``;
* ``crmcore frame/polars``: ``crmcore.frame.rfm_summary`` on a lazy polars scan.

The whole analysis (reference: lifetimes' CLV pipeline in weeks: pandas read,
summary, ``BetaGeoFitter`` fit, P(alive), expected purchases in 52 weeks,
``GammaGammaFitter`` on the repeat buyers, ``customer_lifetime_value`` over 12
months), against ``crmcore.portfolio.analyze`` streaming the four files
through ``crmcore.io.read_csv``, and ``crmcore.frame.analyze`` on lazy polars
scans (here, and in 2 worker processes), DuckDB relations and Dask tables
(threads), every column read as text. Each crmcore report is hashed; the
script says whether all engines gave the same report. The pure analysis
also runs in 2 worker processes, and in 2 workers that each hold one of 8
customer partitions at a time (``--partitions 8``). One more row times
only the per-customer rules the analysis runs in Python by design (each
customer's activity, lifecycle replay, at-risk ranking and care plan),
summed inside a whole pure analysis: the floor under every engine on one
core.

Install the peers with ``python -m pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

END = "the last purchase day"


def _peak_mb() -> float:
    """Peak resident memory of this process or of the largest worker process it waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024


def _last_day(path: Path) -> date:
    from crmcore.io import read_purchases

    return max(p.occurred_at.date() for p in read_purchases(path))


def _pandas_purchases(path: Path, *, all_columns: bool = False) -> Any:
    import pandas as pd

    needed = ["customer_id", "occurred_at", "kind", "amount"]
    table = pd.read_csv(path) if all_columns else pd.read_csv(path, usecols=needed)
    table = table[table["kind"] == "purchase"].copy()
    table["occurred_at"] = pd.to_datetime(table["occurred_at"].str.slice(0, 10))
    return table


def _rows(table: Any) -> dict[str, tuple[float, ...]]:
    """customer → (frequency, recency, T, monetary) from a pandas table indexed by customer."""
    columns = ("frequency", "recency", "T", "monetary_value")
    return {
        str(cid): tuple(float(v) for v in values)
        for cid, values in zip(
            table.index, table[list(columns)].itertuples(index=False), strict=True
        )
    }


def run_lifetimes(path: Path, end: date) -> dict[str, tuple[float, ...]]:
    return _lifetimes(path, end, all_columns=True)


def run_lifetimes_usecols(path: Path, end: date) -> dict[str, tuple[float, ...]]:
    return _lifetimes(path, end, all_columns=False)


def _lifetimes(path: Path, end: date, *, all_columns: bool) -> dict[str, tuple[float, ...]]:
    return _rows(_lifetimes_summary(path, end, all_columns=all_columns, freq="D"))


def _lifetimes_summary(path: Path, end: date, *, all_columns: bool, freq: str) -> Any:
    """lifetimes' purchase summary of the transactions file, read with pandas."""
    from lifetimes.utils import summary_data_from_transaction_data

    table = _pandas_purchases(path, all_columns=all_columns)
    return summary_data_from_transaction_data(
        table,
        "customer_id",
        "occurred_at",
        monetary_value_col="amount",
        observation_period_end=str(end),
        freq=freq,
    )


def run_pymc_marketing(path: Path, end: date) -> dict[str, tuple[float, ...]]:
    warnings.simplefilter("ignore")
    from pymc_marketing.clv.utils import rfm_summary

    table = _pandas_purchases(path)
    summary = rfm_summary(
        table,
        "customer_id",
        "occurred_at",
        monetary_value_col="amount",
        observation_period_end=str(end),
        time_unit="D",
    )
    return _rows(summary.set_index("customer_id"))


def run_crmcore_pure(path: Path, end: date) -> dict[str, tuple[float, ...]]:
    from crmcore.io import read_purchases
    from crmcore.value import rfm_summary

    return {
        r.customer_id: (r.frequency, r.recency, r.T, r.monetary_value)
        for r in rfm_summary(read_purchases(path), observation_end=end)
    }


def run_crmcore_polars(path: Path, end: date) -> dict[str, tuple[float, ...]]:
    import polars as pl

    from crmcore import frame

    scan = pl.scan_csv(path, schema_overrides={"amount": pl.String})
    summary = frame.rfm_summary(scan, observation_end=end).collect()
    columns = summary.select("customer_id", "frequency", "recency", "T", "monetary_value")
    return {row[0]: tuple(float(v) for v in row[1:]) for row in columns.iter_rows()}


AS_OF = "T23:59:59+08:00"
#: The analyses fit BG/NBD, the model of lifetimes' pipeline: like against like (the
#: default also fits Pareto/NBD and keeps the lower AIC; value.py times that fit).
CONFIG = {"value": {"transaction_model": "BG/NBD"}}
CLV_MONTHS = 12
CLV_DISCOUNT = 0.01  # per month, as lifetimes' default


def run_lifetimes_clv(folder: Path, end: date) -> dict[str, Any]:
    """lifetimes' whole CLV pipeline, in weeks, as its documentation runs it."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    summary = _lifetimes_summary(folder / "transactions.csv", end, all_columns=True, freq="W")
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(summary["frequency"], summary["recency"], summary["T"])
    summary["p_alive"] = bgf.conditional_probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    summary["expected_52w"] = bgf.conditional_expected_number_of_purchases_up_to_time(
        52, summary["frequency"], summary["recency"], summary["T"]
    )
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    ggf.fit(repeat["frequency"], repeat["monetary_value"])
    clv = ggf.customer_lifetime_value(
        bgf,
        repeat["frequency"],
        repeat["recency"],
        repeat["T"],
        repeat["monetary_value"],
        time=CLV_MONTHS,
        discount_rate=CLV_DISCOUNT,
        freq="W",
    )
    return {"customers": len(summary), "total_clv": float(clv.sum())}


def _report(report: Any) -> dict[str, Any]:
    text = report.model_dump_json()
    return {
        "customers": len(report.customers),
        "digest": hashlib.sha256(text.encode("utf-8")).hexdigest()[:16],
    }


def run_crmcore_analyze(folder: Path, end: date) -> dict[str, Any]:
    from crmcore import CareTouchpoint, Complaint, Customer, Transaction
    from crmcore.io import read_csv
    from crmcore.portfolio import PortfolioConfig, analyze

    report = analyze(
        read_csv(folder / "customers.csv", Customer),
        read_csv(folder / "transactions.csv", Transaction),
        read_csv(folder / "touchpoints.csv", CareTouchpoint),
        read_csv(folder / "complaints.csv", Complaint),
        as_of=end.isoformat() + AS_OF,
        config=PortfolioConfig.model_validate(CONFIG),
    )
    return _report(report)


#: The per-customer rules the analysis runs in Python by design (sequential by nature).
SEQUENTIAL_RULES = ("_activity", "_replayed", "at_risk", "plan_care")


def run_crmcore_rules(folder: Path, end: date) -> dict[str, Any]:
    """The pure analysis, timing only its sequential per-customer rules.

    Those rules — building each customer's activity, the lifecycle replay
    (with the loyalty index at each promotion), the at-risk ranking and the
    care plan — run once per customer in Python whatever the engine: their
    time is the floor of any engine's analysis on one core. The clock sums
    the time spent inside them during a whole `analyze`.
    """
    import crmcore.portfolio as portfolio

    spent = [0.0]

    def timed(function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        return run

    originals = {name: getattr(portfolio, name) for name in SEQUENTIAL_RULES}
    for name, function in originals.items():
        setattr(portfolio, name, timed(function))
    try:
        result = run_crmcore_analyze(folder, end)
    finally:
        for name, function in originals.items():
            setattr(portfolio, name, function)
    return {**result, "seconds": spent[0]}


def run_crmcore_analyze_partitions(folder: Path, end: date) -> dict[str, Any]:
    """``report FOLDER --workers 2 --partitions 8``: each worker holds an eighth at a time."""
    return run_crmcore_analyze_workers(folder, end, partitions=8)


def run_crmcore_analyze_workers(
    folder: Path, end: date, partitions: int | None = None
) -> dict[str, Any]:
    """What ``python -m crmcore report FOLDER --workers 2`` runs: each worker reads its part."""
    from datetime import datetime

    from crmcore.engines.processes import analyze_files
    from crmcore.portfolio import PortfolioConfig

    files = {name: (str(folder / f"{name}.csv"), None) for name in KINDS}
    report, unread = analyze_files(
        files,  # type: ignore[arg-type]
        as_of=datetime.fromisoformat(end.isoformat() + AS_OF),
        config=PortfolioConfig.model_validate(CONFIG),
        workers=2,
        partitions=partitions,
    )
    assert not any(u.error_count for u in unread.values())
    return _report(report)


def _frame_analysis(tables: list[Any], end: date, **options: Any) -> dict[str, Any]:
    from crmcore import frame
    from crmcore.portfolio import PortfolioConfig

    config = PortfolioConfig.model_validate(CONFIG)
    return _report(frame.analyze(*tables, as_of=end.isoformat() + AS_OF, config=config, **options))


def run_frame_polars(folder: Path, end: date) -> dict[str, Any]:
    import polars as pl

    tables = [pl.scan_csv(folder / f"{name}.csv", infer_schema=False) for name in KINDS]
    return _frame_analysis(tables, end)


def run_frame_polars_workers(folder: Path, end: date) -> dict[str, Any]:
    import polars as pl

    tables = [pl.scan_csv(folder / f"{name}.csv", infer_schema=False) for name in KINDS]
    return _frame_analysis(tables, end, workers=2, partitions=2)


def run_frame_duckdb(folder: Path, end: date) -> dict[str, Any]:
    import duckdb

    connection = duckdb.connect()
    tables = [connection.read_csv(str(folder / f"{name}.csv"), all_varchar=True) for name in KINDS]
    return _frame_analysis(tables, end)


def run_frame_dask(folder: Path, end: date) -> dict[str, Any]:
    import dask
    import dask.dataframe as dd

    with dask.config.set(scheduler="threads", num_workers=2):  # dask.dataframe's default
        tables = [
            dd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, blocksize=None)
            for name in KINDS
        ]
        return _frame_analysis(tables, end, partitions=2)


KINDS = ("customers", "transactions", "touchpoints", "complaints")

#: What each contender imports, done before its clock starts.
IMPORTS = {
    "lifetimes": ("pandas", "lifetimes.utils"),
    "lifetimes, 4 columns": ("pandas", "lifetimes.utils"),
    "pymc-marketing": ("pandas", "pymc_marketing.clv.utils"),
    "crmcore pure": ("crmcore.io", "crmcore.value"),
    "crmcore frame/polars": ("polars", "crmcore.frame"),
}

#: Purchase summaries, on the transactions file.
CONTENDERS = {
    "lifetimes": run_lifetimes,
    "lifetimes, 4 columns": run_lifetimes_usecols,
    "pymc-marketing": run_pymc_marketing,
    "crmcore pure": run_crmcore_pure,
    "crmcore frame/polars": run_crmcore_polars,
}

#: The whole analysis, on the folder of four files; lifetimes' CLV pipeline is the reference.
ANALYSES = {
    "lifetimes CLV pipeline": (run_lifetimes_clv, ("pandas", "lifetimes")),
    "crmcore analyze, pure": (run_crmcore_analyze, ("crmcore.io", "crmcore.portfolio")),
    "crmcore analyze, pure, 2 workers": (
        run_crmcore_analyze_workers,
        ("crmcore.engines.processes",),
    ),
    "crmcore analyze, pure, 2 × 8 parts": (
        run_crmcore_analyze_partitions,
        ("crmcore.engines.processes",),
    ),
    "crmcore pure, per-customer rules": (
        run_crmcore_rules,
        ("crmcore.io", "crmcore.portfolio"),
    ),
    "crmcore frame, polars": (run_frame_polars, ("polars", "crmcore.frame")),
    "crmcore frame, polars, 2 workers": (run_frame_polars_workers, ("polars", "crmcore.frame")),
    "crmcore frame, DuckDB": (run_frame_duckdb, ("duckdb", "crmcore.frame")),
    "crmcore frame, Dask": (run_frame_dask, ("dask.dataframe", "crmcore.frame")),
}


def _child(name: str, folder: Path, end: date, check: Path | None) -> None:
    """Run one contender in this process and print its figures as JSON."""
    warnings.simplefilter("ignore")
    if name in ANALYSES:
        run, modules = ANALYSES[name]
        path = folder
    else:
        run, modules = CONTENDERS[name], IMPORTS[name]
        path = folder / "transactions.csv"
    for module in modules:
        importlib.import_module(module)
    start = time.perf_counter()
    result = run(path, end)
    seconds = time.perf_counter() - start
    if isinstance(result, dict) and "seconds" in result:  # the contender timed a part of its work
        seconds = result["seconds"]
    out: dict[str, Any] = {"seconds": seconds, "peak_mb": _peak_mb()}
    if name in ANALYSES:
        out["rows"] = result["customers"]
        out["digest"] = result.get("digest")
    elif check is not None:
        reference = json.loads(check.read_text("utf-8"))
        out["rows"] = len(result)
        out["differ"] = sum(
            1
            for cid, row in reference.items()
            if cid not in result
            or not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                       for a, b in zip(row, result[cid], strict=True))
        ) + len(set(result) - set(reference))  # fmt: skip
    else:
        out["rows"] = len(result)
    print(json.dumps(out))
    if os.environ.get("BENCH_WRITE_REFERENCE"):
        Path(os.environ["BENCH_WRITE_REFERENCE"]).write_text(json.dumps(result), "utf-8")


def _spawn(name: str, folder: Path, end: date, check: Path | None, env: dict[str, str]) -> Any:
    args = [sys.executable, __file__, "--child", name, "--data", str(folder), "--end", str(end)]
    if check is not None:
        args += ["--check", str(check)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        return None, done.stderr.strip().splitlines()[-1] if done.stderr else "failed"
    return json.loads(done.stdout.strip().splitlines()[-1]), None


def _median_of(
    name: str, runs: int, folder: Path, end: date, check: Path | None, env: dict[str, str]
) -> dict[str, Any] | None:
    results = []
    for _ in range(runs):
        result, error = _spawn(name, folder, end, check, env)
        if result is None:
            print(f"{name}: failed: {error}")
            return None
        results.append(result)
        print(f"  {name}: {result['seconds']:.2f} s, {result['peak_mb']:.0f} MB", file=sys.stderr)
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_mb"] for r in results),
        "runs": len(results),
        "differ": results[-1].get("differ"),
        "digest": results[-1].get("digest"),
        "rows": results[-1].get("rows"),
    }


def _print_table(title: str, table: dict[str, dict[str, Any]], last: str) -> None:
    base = next(iter(table.values()))
    print()
    print(title)
    print(f"{'contender':<34} {'runs':>4} {'median s':>9} {'× ref':>7} "
          f"{'peak MB':>8} {'× ref':>7} {'rows':>7} {last:>16}")  # fmt: skip
    for name, row in table.items():
        if last == "differ":
            tail = "-" if row["differ"] is None else str(row["differ"])
        else:
            tail = row["digest"] or "reference"
        print(
            f"{name:<34} {row['runs']:>4} {row['seconds']:>9.2f} "
            f"{row['seconds'] / base['seconds']:>7.2f} {row['peak_mb']:>8.0f} "
            f"{row['peak_mb'] / base['peak_mb']:>7.2f} {row['rows']:>7} {tail:>16}"
        )


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder written by generate.py")
    parser.add_argument("--runs", type=int, default=3, help="runs of each summary contender")
    parser.add_argument("--analyze-runs", type=int, default=1, help="runs of each analysis")
    parser.add_argument(
        "--only", choices=("summaries", "analysis"), default=None, help="run one table only"
    )
    parser.add_argument(
        "--engines",
        default=None,
        help="analysis contenders to run, separated by semicolons (default: all)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data, date.fromisoformat(args.end), args.check)
        return
    folder: Path = args.data
    end = _last_day(folder / "transactions.csv")
    env = dict(os.environ)
    print(f"data: {folder}; observation end {end} ({END})")
    if args.only != "analysis":
        reference = folder / "lifetimes-summary.json"
        first, error = _spawn(
            "lifetimes", folder, end, None, {**env, "BENCH_WRITE_REFERENCE": str(reference)}
        )
        if first is None:
            sys.exit(f"lifetimes is needed as the reference: {error}")
        table: dict[str, dict[str, Any]] = {}
        for name in CONTENDERS:
            if name == "pymc-marketing" and not _available("pymc_marketing"):
                print("pymc-marketing: not installed, skipped")
                continue
            check = None if name == "lifetimes" else reference
            row = _median_of(name, args.runs, folder, end, check, env)
            if row is not None:
                table[name] = row
        _print_table("Purchase summaries (reference: lifetimes)", table, "differ")
    if args.only != "summaries":
        wanted = list(ANALYSES)
        if args.engines:
            chosen = {name.strip() for name in args.engines.split(";")}
            unknown = chosen - set(wanted)
            if unknown:
                sys.exit(f"unknown contenders: {sorted(unknown)}; known: {wanted[1:]}")
            wanted = [wanted[0]] + [n for n in wanted[1:] if n in chosen]
        analyses: dict[str, dict[str, Any]] = {}
        for name in wanted:
            row = _median_of(name, args.analyze_runs, folder, end, None, env)
            if row is not None:
                analyses[name] = row
        _print_table("The whole analysis (reference: lifetimes' CLV pipeline)", analyses, "report")
        digests = {row["digest"] for name, row in analyses.items() if row["digest"]}
        print(f"reports identical across engines: {'yes' if len(digests) <= 1 else 'NO'}")


if __name__ == "__main__":
    main()
