"""Score 100,000 customer summaries with the satisfaction and the loyalty index.

Usage: python benchmarks/scoring.py [--customers 100000] [--runs 3]

The summaries are those of the generated portfolio (``crmcore.datasets.generate``,
``--customers`` customers, as of its last day), made once and not timed;
the script times both indices on every summary and prints microseconds per
customer (median of ``--runs``), and, for reference, the time to summarize.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from crmcore.datasets import generate
from crmcore.history import summarize
from crmcore.scoring import loyalty, satisfaction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    data = generate(customers=args.customers)
    as_of = max(t.occurred_at for t in data.transactions)
    print(f"portfolio generated in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    summaries = [summarize(h, as_of=as_of) for h in data.histories.values()]
    summarize_us = (time.perf_counter() - start) / len(summaries) * 1e6
    del data

    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for summary in summaries:
            satisfaction(summary, as_of=as_of)
            loyalty(summary, as_of=as_of)
        times.append(time.perf_counter() - start)
    per_customer = statistics.median(times) / len(summaries) * 1e6
    print(f"customers                       {len(summaries):>10,}")
    print(f"satisfaction + loyalty          {per_customer:>10.1f} us per customer (target < 20)")
    print(f"summarize (not in the target)   {summarize_us:>10.1f} us per customer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
