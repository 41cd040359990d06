"""Time the synthetic portfolio generator at benchmark scale (about a million transactions).

Usage: python benchmarks/generate.py [--customers 92000] [--runs 3] [--write FOLDER]

Without --write: generates the portfolio in memory (`crmcore.datasets.generate`)
and prints the median wall time over the runs, the records produced and the
peak resident memory. With --write: generates the portfolio straight into CSV
files (`crmcore.datasets.write_generated`, memory bounded by its chunks; the
input of the later rfm_summary and portfolio benchmarks) once, and prints the
time, the file sizes and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

from crmcore.datasets import generate, write_generated


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=92_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, default=None, help="write CSV files here instead")
    args = parser.parse_args()

    if args.write is not None:
        start = time.perf_counter()
        paths = write_generated(args.write, customers=args.customers, format="csv")
        print(f"generate and write CSV {time.perf_counter() - start:>10.1f} s")
        for name, path in paths.items():
            with path.open("rb") as lines:
                rows = sum(1 for _ in lines) - 1
            size = path.stat().st_size / 1e6
            print(f"  {name:<20} {rows:>12,} lines {size:>10.1f} MB")
        print(f"peak memory            {_peak_mb():>10,.0f} MB")
        return 0

    times = []
    data = None
    for run in range(args.runs):
        data = None  # free the previous portfolio before timing the next one
        start = time.perf_counter()
        data = generate(customers=args.customers)
        times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.1f} s", file=sys.stderr)
    assert data is not None
    median = statistics.median(times)
    print(f"customers          {len(data.customers):>12,}")
    print(f"transactions       {len(data.transactions):>12,}")
    print(f"touchpoints        {len(data.touchpoints):>12,}")
    print(f"complaints         {len(data.complaints):>12,}")
    print(f"generate, median   {median:>12.1f} s over {args.runs} runs")
    print(f"transactions / s   {len(data.transactions) / median:>12,.0f}")
    print(f"peak memory        {_peak_mb():>12,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
