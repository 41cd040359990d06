"""The embedded sample portfolio and a generator of synthetic portfolios.

[`load_sample`][crmcore.datasets.load_sample] returns a realistic portfolio of
500 customers of a tea retailer over three years (2023 to 2025, amounts in
CNY): prospects who never bought, one-time buyers, occasional and loyal
repeat buyers, churned and won-back customers, a Pareto-like spread of spend,
discounts, promotions and designated purchases, complaints of every category
and severity at every step of their handling, and care contacts of every
stage, channel and function, many with feedback.

The sample is what [`generate`][crmcore.datasets.generate] produces with the
default arguments, stored compressed inside the package. ``generate`` draws
portfolios of any size from the same deterministic, seeded model; about ten
transactions per customer over three years, so 100,000 customers give about
a million transactions.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import gzip
import heapq
import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cached_property
from importlib import resources
from operator import attrgetter
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from crmcore.datasets._generator import generate_records
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import UsageError
from crmcore.history import CustomerHistory, build_histories
from crmcore.io import (
    csv_cells,
    csv_columns,
    read_csv,
    read_jsonl,
    write_csv,
    write_jsonl,
)
from crmcore.io.readers import open_for_writing
from crmcore.money import Money

__all__ = [
    "SAMPLE_CUSTOMERS",
    "SAMPLE_END",
    "SAMPLE_SEED",
    "SAMPLE_START",
    "Dataset",
    "Overview",
    "generate",
    "load_sample",
    "read_dataset",
    "write_generated",
]

#: The arguments of `generate` that produce the embedded sample.
SAMPLE_CUSTOMERS = 500
SAMPLE_SEED = 2026
SAMPLE_START = date(2023, 1, 1)
SAMPLE_END = date(2025, 12, 31)

_FILES: dict[str, type[BaseModel]] = {
    "customers": Customer,
    "transactions": Transaction,
    "touchpoints": CareTouchpoint,
    "complaints": Complaint,
}
_E = TypeVar("_E", bound=BaseModel)


@dataclass(frozen=True)
class Overview:
    """Counts, covered dates and revenue of a dataset.

    Attributes:
        customers: Number of customers.
        buyers: Customers with at least one purchase.
        transactions: Number of transactions (purchases and refunds).
        purchases: Number of purchases.
        refunds: Number of refunds.
        touchpoints: Number of care touchpoints.
        complaints: Number of complaints.
        open_complaints: Complaints neither closed nor rejected.
        first: Earliest record time (``None`` for a dataset without records).
        last: Latest record time.
        revenue: Per currency: purchases, refunds and net revenue.
    """

    customers: int
    buyers: int
    transactions: int
    purchases: int
    refunds: int
    touchpoints: int
    complaints: int
    open_complaints: int
    first: datetime | None
    last: datetime | None
    revenue: dict[str, tuple[Money, Money, Money]] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    """A portfolio: customers and their transactions, touchpoints and complaints.

    Records are held in tuples; transactions, touchpoints and complaints are in
    time order (ties by id). ``histories`` groups them by customer on first use.

    Attributes:
        customers: The customers, by id.
        transactions: Purchases and refunds.
        touchpoints: Care contacts.
        complaints: Complaints.
        start: First day of the period the data covers (``None`` when unknown).
        end: Last day of the period the data covers, the natural ``as_of``
            (``None`` when unknown).
    """

    customers: tuple[Customer, ...]
    transactions: tuple[Transaction, ...]
    touchpoints: tuple[CareTouchpoint, ...]
    complaints: tuple[Complaint, ...]
    start: date | None
    end: date | None

    @cached_property
    def histories(self) -> Mapping[str, CustomerHistory]:
        """One [`CustomerHistory`][crmcore.history.CustomerHistory] per customer id.

        Built on first use, in the order of ``customers``.
        """
        return build_histories(self.customers, self.transactions, self.touchpoints, self.complaints)

    def overview(self) -> Overview:
        """Count the records and total the revenue per currency.

        Examples:
            >>> sample = load_sample()
            >>> view = sample.overview()
            >>> view.customers, view.first.date() >= sample.start
            (500, True)
        """
        revenue: dict[str, list[Decimal]] = {}
        buyers: set[str] = set()
        purchases = 0
        for t in self.transactions:
            totals = revenue.setdefault(t.amount.currency, [Decimal(0), Decimal(0)])
            if t.is_purchase:
                purchases += 1
                buyers.add(t.customer_id)
                totals[0] += t.amount.amount
            else:
                totals[1] += t.amount.amount
        times = [t.occurred_at for t in self.transactions]
        times += [p.occurred_at for p in self.touchpoints]
        times += [c.received_at for c in self.complaints]
        return Overview(
            customers=len(self.customers),
            buyers=len(buyers),
            transactions=len(self.transactions),
            purchases=purchases,
            refunds=len(self.transactions) - purchases,
            touchpoints=len(self.touchpoints),
            complaints=len(self.complaints),
            open_complaints=sum(1 for c in self.complaints if c.is_open),
            first=min(times, default=None),
            last=max(times, default=None),
            revenue={
                code: (Money(gross, code), Money(back, code), Money(gross - back, code))
                for code, (gross, back) in sorted(revenue.items())
            },
        )

    def write(
        self,
        folder: str | Path,
        *,
        format: Literal["jsonl", "csv"] = "jsonl",
        compress: bool = False,
    ) -> dict[str, Path]:
        """Write the four record kinds to ``folder`` as CSV or JSON Lines files.

        The files are ``customers``, ``transactions``, ``touchpoints`` and
        ``complaints`` with the extension ``.jsonl`` or ``.csv`` (plus ``.gz``
        when ``compress``). The folder is created if needed; existing files are
        replaced.

        Returns:
            The path of each file, by record kind.

        Examples:
            >>> import tempfile
            >>> small = generate(customers=3)
            >>> with tempfile.TemporaryDirectory() as tmp:
            ...     sorted(small.write(tmp, format="csv"))
            ['complaints', 'customers', 'touchpoints', 'transactions']
        """
        if format not in ("jsonl", "csv"):
            raise UsageError(f"format must be 'jsonl' or 'csv', not {format!r}.")
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, entity in _FILES.items():
            path = target / f"{name}.{format}{'.gz' if compress else ''}"
            records: tuple[BaseModel, ...] = getattr(self, name)
            if format == "csv":
                write_csv(path, records, entity=entity)
            else:
                write_jsonl(path, records)
            paths[name] = path
        return paths


def _sorted(records: list[_E], time_field: str) -> tuple[_E, ...]:
    records.sort(key=attrgetter(time_field, "id"))
    return tuple(records)


def generate(
    customers: int = SAMPLE_CUSTOMERS,
    *,
    seed: int = SAMPLE_SEED,
    start: date = SAMPLE_START,
    end: date = SAMPLE_END,
    currency: str = "CNY",
) -> Dataset:
    """Generate a synthetic portfolio, deterministically from ``seed``.

    Each customer is drawn from a random stream of its own, so the first N
    customers of a larger portfolio equal a portfolio of N customers with the
    same seed and dates. Expect about ten transactions, eight touchpoints and
    half a complaint per customer over three years. Timestamps are in
    China Standard Time (UTC+08:00). Python's cyclic garbage collector is
    paused while the records are drawn (none of them form cycles) and
    restored afterwards; about a million transactions take well over a
    gigabyte of memory, so write large portfolios to files for later use.

    Args:
        customers: How many customers (0 gives an empty portfolio).
        seed: The seed of the random streams.
        start: First day of the period.
        end: Last day of the period (inclusive); must not be before ``start``.
        currency: The currency of every amount.

    Raises:
        UsageError: ``customers`` is negative, or ``end`` is before ``start``.

    Examples:
        >>> small = generate(customers=20, seed=7)
        >>> len(small.customers), small == generate(customers=20, seed=7)
        (20, True)
    """
    if customers < 0:
        raise UsageError(f"customers must be zero or more, not {customers}.")
    if end < start:
        raise UsageError(f"end ({end}) must not be before start ({start}).")
    Money.zero(currency)  # validates the currency code
    people: list[Customer] = []
    transactions: list[Transaction] = []
    touchpoints: list[CareTouchpoint] = []
    complaints: list[Complaint] = []
    # Millions of new objects that live to the end would make the cyclic
    # garbage collector rescan them over and over; none of them form cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for customer, sales, contacts, grievances in generate_records(
            customers, seed, start, end, currency
        ):
            people.append(customer)
            transactions.extend(sales)
            touchpoints.extend(contacts)
            complaints.extend(grievances)
    finally:
        if collecting:
            gc.enable()
    return Dataset(
        customers=tuple(people),
        transactions=_sorted(transactions, "occurred_at"),
        touchpoints=_sorted(touchpoints, "occurred_at"),
        complaints=_sorted(complaints, "received_at"),
        start=start,
        end=end,
    )


class _Spool:
    """One record kind's file, written in time order while holding only a chunk of it.

    Records arrive in generation order. Every ``chunk`` records are sorted by
    (time, id), serialized and spilled to a temporary file of sorted runs;
    `write` merges the runs, so the file equals the one `Dataset.write` writes.
    """

    def __init__(
        self, entity: type[BaseModel], time_field: str, folder: Path, chunk: int, csv_rows: bool
    ) -> None:
        self.entity = entity
        self.time_field = time_field
        self.folder = folder
        self.chunk = chunk
        self.csv_rows = csv_rows
        self.pending: list[BaseModel] = []
        self.runs: list[Path] = []

    def add(self, records: Iterable[BaseModel]) -> None:
        self.pending.extend(records)
        if len(self.pending) >= self.chunk:
            self.spill()

    def spill(self) -> None:
        if not self.pending:
            return
        self.pending.sort(key=attrgetter(self.time_field, "id"))
        path = self.folder / f"{self.entity.__name__}-{len(self.runs)}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for record in self.pending:
                at: datetime = getattr(record, self.time_field)
                text = (
                    csv_cells(record)
                    if self.csv_rows
                    else record.model_dump_json(exclude_none=True)
                )
                out.write(json.dumps([(at - _EPOCH) // _MICROSECOND, record.id, text]))  # type: ignore[attr-defined]
                out.write("\n")
        self.runs.append(path)
        self.pending = []

    def write(self, target: Path) -> None:
        self.spill()
        with contextlib.ExitStack() as stack:
            runs = [
                map(json.loads, stack.enter_context(path.open(encoding="utf-8")))
                for path in self.runs
            ]
            merged = heapq.merge(*runs, key=lambda item: (item[0], item[1]))
            out, owned = open_for_writing(target, csv_newline=self.csv_rows)
            if owned:
                stack.callback(out.close)
            if self.csv_rows:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(csv_columns(self.entity))
                writer.writerows(cells for _, _, cells in merged)
            else:
                for _, _, text in merged:
                    out.write(text)
                    out.write("\n")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def write_generated(
    folder: str | Path,
    customers: int = SAMPLE_CUSTOMERS,
    *,
    seed: int = SAMPLE_SEED,
    start: date = SAMPLE_START,
    end: date = SAMPLE_END,
    currency: str = "CNY",
    format: Literal["jsonl", "csv"] = "csv",
    compress: bool = False,
    chunk: int = 250_000,
) -> dict[str, Path]:
    """Generate a portfolio straight into files, holding at most ``chunk`` records per kind.

    The files equal those of ``generate(...).write(folder, ...)`` with the
    same arguments, byte for byte, but memory stays bounded whatever the
    size: records are sorted in chunks, spilled to temporary files next to
    the output and merged. Use it for portfolios of millions of records.

    Args:
        folder: Where to write (created if needed; existing files are replaced).
        customers: How many customers.
        seed: The seed of the random streams.
        start: First day of the period.
        end: Last day of the period (inclusive).
        currency: The currency of every amount.
        format: ``"csv"`` or ``"jsonl"``.
        compress: Gzip the files (``.gz``).
        chunk: Records of one kind held in memory before they are spilled.

    Returns:
        The path of each file, by record kind.

    Raises:
        UsageError: A bad count, period, format or chunk.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     paths = write_generated(tmp, customers=3, chunk=5)
        ...     sorted(paths), paths["customers"].name
        (['complaints', 'customers', 'touchpoints', 'transactions'], 'customers.csv')
    """
    if customers < 0:
        raise UsageError(f"customers must be zero or more, not {customers}.")
    if end < start:
        raise UsageError(f"end ({end}) must not be before start ({start}).")
    if format not in ("jsonl", "csv"):
        raise UsageError(f"format must be 'jsonl' or 'csv', not {format!r}.")
    if chunk < 1:
        raise UsageError(f"chunk must be at least 1, not {chunk}.")
    Money.zero(currency)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = {name: target / f"{name}.{format}{'.gz' if compress else ''}" for name in _FILES}
    collecting = gc.isenabled()
    gc.disable()  # as in `generate`: the records form no cycles
    try:
        return _write_generated(target, paths, chunk, customers, seed, start, end, currency, format)
    finally:
        if collecting:
            gc.enable()


def _write_generated(
    target: Path,
    paths: dict[str, Path],
    chunk: int,
    customers: int,
    seed: int,
    start: date,
    end: date,
    currency: str,
    format: str,
) -> dict[str, Path]:
    with tempfile.TemporaryDirectory(dir=target, prefix=".spool-") as scratch:
        spools = {
            name: _Spool(_FILES[name], time_field, Path(scratch), chunk, format == "csv")
            for name, time_field in _TIME_FIELDS.items()
        }
        people = _generated(customers, seed, start, end, currency, spools)
        if format == "csv":
            write_csv(paths["customers"], people, entity=Customer)
        else:
            write_jsonl(paths["customers"], people)
        for name, spool in spools.items():
            spool.write(paths[name])
    return paths


_TIME_FIELDS = {
    "transactions": "occurred_at",
    "touchpoints": "occurred_at",
    "complaints": "received_at",
}


def _generated(
    customers: int, seed: int, start: date, end: date, currency: str, spools: dict[str, _Spool]
) -> Iterator[Customer]:
    for customer, sales, contacts, grievances in generate_records(
        customers, seed, start, end, currency
    ):
        spools["transactions"].add(sales)
        spools["touchpoints"].add(contacts)
        spools["complaints"].add(grievances)
        yield customer


def _read_packaged(name: str, entity: type[_E]) -> tuple[_E, ...]:
    resource = resources.files(__name__) / "sample" / f"{name}.jsonl.gz"
    with resource.open("rb") as raw, gzip.GzipFile(fileobj=raw) as unzipped:
        text = io.TextIOWrapper(unzipped, encoding="utf-8")
        return tuple(read_jsonl(text, entity))


def load_sample() -> Dataset:
    """Load the embedded sample portfolio (500 customers, 2023 to 2025, CNY).

    Examples:
        >>> sample = load_sample()
        >>> len(sample.customers), sample.start.year, sample.end.year
        (500, 2023, 2025)
        >>> history = sample.histories["C-00001"]
        >>> history.customer.id
        'C-00001'
    """
    return Dataset(
        customers=_read_packaged("customers", Customer),
        transactions=_read_packaged("transactions", Transaction),
        touchpoints=_read_packaged("touchpoints", CareTouchpoint),
        complaints=_read_packaged("complaints", Complaint),
        start=SAMPLE_START,
        end=SAMPLE_END,
    )


def _find(folder: Path, name: str) -> Path | None:
    found = [
        folder / f"{name}{suffix}"
        for suffix in (".csv", ".csv.gz", ".jsonl", ".jsonl.gz")
        if (folder / f"{name}{suffix}").is_file()
    ]
    if len(found) > 1:
        listed = ", ".join(p.name for p in found)
        raise UsageError(f"Cannot read {name} from {folder}: several files match ({listed}).")
    return found[0] if found else None


def _read_kind(folder: Path, name: str, entity: type[_E]) -> list[_E]:
    path = _find(folder, name)
    if path is None:
        return []
    if ".csv" in path.suffixes:
        return list(read_csv(path, entity))
    return list(read_jsonl(path, entity))


def read_dataset(folder: str | Path) -> Dataset:
    """Read a portfolio folder written by [`Dataset.write`][crmcore.datasets.Dataset.write].

    The folder holds ``customers``, ``transactions``, ``touchpoints`` and
    ``complaints`` files, each ``.csv`` or ``.jsonl`` (optionally ``.gz``). A
    missing file means no records of that kind. ``start`` and ``end`` are the
    dates of the earliest and latest record (``None`` with no records).
    Records are put in time order, ties by id, as in a generated dataset.

    Raises:
        InvalidRecord: A row is not a valid entity (file, line and field named).
        UsageError: Two files match one record kind (say ``customers.csv`` and
            ``customers.jsonl``).

    Examples:
        >>> import tempfile
        >>> small = generate(customers=5)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     _ = small.write(tmp, format="csv")
        ...     read_dataset(tmp).transactions == small.transactions
        True
    """
    base = Path(folder)
    transactions = _sorted(_read_kind(base, "transactions", Transaction), "occurred_at")
    touchpoints = _sorted(_read_kind(base, "touchpoints", CareTouchpoint), "occurred_at")
    complaints = _sorted(_read_kind(base, "complaints", Complaint), "received_at")
    days = [t.occurred_at.date() for t in transactions]
    days += [p.occurred_at.date() for p in touchpoints]
    days += [c.received_at.date() for c in complaints]
    return Dataset(
        customers=tuple(_read_kind(base, "customers", Customer)),
        transactions=transactions,
        touchpoints=touchpoints,
        complaints=complaints,
        start=min(days, default=None),
        end=max(days, default=None),
    )
