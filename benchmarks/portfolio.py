"""Purchase summaries and the full portfolio analysis against lifetimes and pymc-marketing.

Usage:
    python benchmarks/generate.py --runs 1 --write DIR      # writes the portfolio once
    python benchmarks/portfolio.py --data DIR [--runs 3] [--analyze-runs 1]

Every contender runs in a fresh Python process (so that its peak memory is
its own) on the same files, reading included, and reports its wall time and
peak resident memory:

* ``lifetimes``: pandas ``read_csv`` of the file + ``summary_data_from_transaction_data``,
  the reference of the ratios; ``lifetimes, 4 columns`` reads only the four
  columns a summary needs (``usecols``), which takes less memory;
* ``pymc-marketing``: pandas ``read_csv`` + ``pymc_marketing.clv.utils.rfm_summary``
  (skipped when it is not installed);
* ``crmcore pure``: ``crmcore.io.read_purchases`` + ``crmcore.value.rfm_summary``;
* ``crmcore frame/polars``: ``crmcore.frame.rfm_summary`` on a lazy polars scan;
* ``crmcore analyze``: ``crmcore.portfolio.analyze`` streaming the four files
  through ``crmcore.io.read_csv`` (whole validated entities).

All summaries are by day with the observation end at the last purchase day;
the script checks that they agree with lifetimes' row for row. It prints
medians over the runs and the ratios to lifetimes. Imports happen before
each contender's clock starts; peak memory includes them. Install the peers with
``python -m pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    from lifetimes.utils import summary_data_from_transaction_data

    table = _pandas_purchases(path, all_columns=all_columns)
    summary = summary_data_from_transaction_data(
        table,
        "customer_id",
        "occurred_at",
        monetary_value_col="amount",
        observation_period_end=str(end),
        freq="D",
    )
    return _rows(summary)


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


def run_crmcore_analyze(folder: Path, end: date) -> dict[str, Any]:
    from crmcore import CareTouchpoint, Complaint, Customer, Transaction
    from crmcore.io import read_csv
    from crmcore.portfolio import analyze

    report = analyze(
        read_csv(folder / "customers.csv", Customer),
        read_csv(folder / "transactions.csv", Transaction),
        read_csv(folder / "touchpoints.csv", CareTouchpoint),
        read_csv(folder / "complaints.csv", Complaint),
        as_of=f"{end.isoformat()}T23:59:59+08:00",
    )
    counts = {kind: count.model_dump() for kind, count in report.records.items()}
    return {"customers": len(report.customers), "records": counts}


#: What each contender imports, done before its clock starts.
IMPORTS = {
    "lifetimes": ("pandas", "lifetimes.utils"),
    "lifetimes, 4 columns": ("pandas", "lifetimes.utils"),
    "pymc-marketing": ("pandas", "pymc_marketing.clv.utils"),
    "crmcore pure": ("crmcore.io", "crmcore.value"),
    "crmcore frame/polars": ("polars", "crmcore.frame"),
    "crmcore analyze": ("crmcore.io", "crmcore.portfolio"),
}

CONTENDERS = {
    "lifetimes": run_lifetimes,
    "lifetimes, 4 columns": run_lifetimes_usecols,
    "pymc-marketing": run_pymc_marketing,
    "crmcore pure": run_crmcore_pure,
    "crmcore frame/polars": run_crmcore_polars,
    "crmcore analyze": run_crmcore_analyze,
}


def _child(name: str, folder: Path, end: date, check: Path | None) -> None:
    """Run one contender in this process and print its figures as JSON."""
    path = folder if name == "crmcore analyze" else folder / "transactions.csv"
    warnings.simplefilter("ignore")
    for module in IMPORTS[name]:
        importlib.import_module(module)
    start = time.perf_counter()
    result = CONTENDERS[name](path, end)
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {"seconds": seconds, "peak_mb": _peak_mb()}
    if check is not None and name != "crmcore analyze":
        reference = json.loads(check.read_text("utf-8"))
        out["rows"] = len(result)
        out["differ"] = sum(
            1
            for cid, row in reference.items()
            if cid not in result
            or not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                       for a, b in zip(row, result[cid], strict=True))
        ) + len(set(result) - set(reference))  # fmt: skip
    elif name == "lifetimes" and check is None:
        out["rows"] = len(result)
    if name == "crmcore analyze":
        out["customers"] = result["customers"]
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


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder written by generate.py")
    parser.add_argument("--runs", type=int, default=3, help="runs of each summary contender")
    parser.add_argument("--analyze-runs", type=int, default=1, help="runs of the full analysis")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    parser.add_argument("--check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data, date.fromisoformat(args.end), args.check)
        return
    folder: Path = args.data
    end = _last_day(folder / "transactions.csv")
    reference = folder / "lifetimes-summary.json"
    env = dict(os.environ)
    print(f"transactions: {folder / 'transactions.csv'}; observation end {end} ({END})")
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
        runs = args.analyze_runs if name == "crmcore analyze" else args.runs
        results = []
        for _ in range(runs):
            result, error = _spawn(
                name, folder, end, None if name == "lifetimes" else reference, env
            )
            if result is None:
                print(f"{name}: failed: {error}")
                break
            results.append(result)
        if results:
            table[name] = {
                "seconds": statistics.median(r["seconds"] for r in results),
                "peak_mb": statistics.median(r["peak_mb"] for r in results),
                "runs": len(results),
                "differ": results[-1].get("differ"),
                "rows": results[-1].get("rows", results[-1].get("customers")),
            }
    base = table["lifetimes"]
    print()
    print(f"{'contender':<22} {'runs':>4} {'median s':>9} {'× lifetimes':>11} "
          f"{'peak MB':>8} {'× lifetimes':>11} {'rows':>7} {'differ':>6}")  # fmt: skip
    for name, row in table.items():
        differ = "-" if row["differ"] is None else str(row["differ"])
        print(
            f"{name:<22} {row['runs']:>4} {row['seconds']:>9.2f} "
            f"{row['seconds'] / base['seconds']:>11.2f} {row['peak_mb']:>8.0f} "
            f"{row['peak_mb'] / base['peak_mb']:>11.2f} {row['rows']:>7} {differ:>6}"
        )


if __name__ == "__main__":
    main()
