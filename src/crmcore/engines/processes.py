"""The two passes of the portfolio analysis over customer partitions, here or in worker processes.

The analysis has two passes (see `crmcore.portfolio`). The customers are
split into partitions by a stable hash of their id, each with its records
(a record goes where its customer goes). Pass 1 takes each partition's
records in and digests each customer (value, currency, purchase summary,
yearly spend); the digests of all partitions make the portfolio-wide
quantities (currency groups, pyramids, RFM quintiles, the purchase model).
Pass 2 makes each customer's line from its own records and those
quantities. The partitions' results then merge into the report of the
whole, equal to the one `crmcore.portfolio.analyze` makes of the same
records.

A partition comes as rows of text cells (a table's, see ``crmcore.engines.frames``),
as something that reads its rows itself in the worker (`Deferred`), or as a
part of a folder's files that crmcore's own readers read (`FilePart`), so
that the pure engine too can spread over processes. Nothing here needs a
dataframe library.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import ForkServerContext, SpawnContext
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from crmcore._intake import RecordKind
from crmcore._validation import OnError, ReadLimits
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import CrmError, DuplicateId, InvalidRecord
from crmcore.io import RecordReader, read_csv, read_jsonl
from crmcore.io.csvfiles import row_reader
from crmcore.io.layout import column_of
from crmcore.portfolio import (
    AnalysisRun,
    Digest,
    Part,
    PassContext,
    PortfolioReport,
    Taken,
    assemble,
    digest_accounts,
    merged_counts,
    report_lines,
    take_records,
    warn_of_repeats,
)

__all__ = [
    "ENTITIES",
    "KINDS",
    "OWNER",
    "Deferred",
    "Failure",
    "FilePart",
    "Inputs",
    "Rows",
    "Settings",
    "Unread",
    "analyze_files",
    "finish",
    "first_pass",
    "raise_first",
    "run_files",
    "run_local",
    "second_pass",
    "tally",
]

KINDS: tuple[RecordKind, ...] = ("customers", "transactions", "touchpoints", "complaints")
ENTITIES: dict[RecordKind, type[Any]] = {
    "customers": Customer,
    "transactions": Transaction,
    "touchpoints": CareTouchpoint,
    "complaints": Complaint,
}
#: The column that says whose a row is: a customer's own id, a record's customer id.
OWNER: dict[RecordKind, str] = {
    "customers": "id",
    "transactions": "customer_id",
    "touchpoints": "customer_id",
    "complaints": "customer_id",
}


class Rows(NamedTuple):
    """One partition's rows of one kind: the header, and (row number, cells) per row.

    The rows are a list, or an iterator read once (a local table's only partition).
    """

    header: list[str]
    rows: list[tuple[int, list[str]]] | Iterator[tuple[int, list[str]]]


Inputs = dict[RecordKind, Rows]


class Settings(NamedTuple):
    """What every partition is told: the analysis's settings."""

    run: AnalysisRun
    on_error: OnError
    names: dict[RecordKind, str]  # how errors name each kind's table


def _records(inputs: Inputs) -> dict[RecordKind, Iterator[tuple[int, Any]]]:
    return {kind: _read(kind, rows) for kind, rows in inputs.items()}


def _read(kind: RecordKind, rows: Rows) -> Iterator[tuple[int, Any]]:
    read = row_reader(ENTITIES[kind], rows.header)
    for number, cells in rows.rows:
        yield number, read(cells)


class Failure(NamedTuple):
    """A partition's first bad record, placed so the earliest of all partitions is raised."""

    place: tuple[int, int]
    error: CrmError


class FilePart(NamedTuple):
    """One customer partition of a folder's files, read by crmcore's readers in a worker."""

    files: dict[RecordKind, tuple[str, dict[str, str] | None]]  # path, the file's column names
    limits: ReadLimits
    partition: int
    partitions: int


class Unread(NamedTuple):
    """The rows of one kind crmcore's readers could not read: the first ones, and how many."""

    errors: list[InvalidRecord]
    error_count: int


def _file_readers(part: FilePart, on_error: OnError) -> dict[RecordKind, RecordReader[Any]]:
    readers: dict[RecordKind, RecordReader[Any]] = {}
    for kind, (path, columns) in part.files.items():
        read = read_csv if ".csv" in Path(path).suffixes else read_jsonl
        readers[kind] = read(
            path,
            ENTITIES[kind],
            on_error=on_error,
            columns=columns,
            limits=part.limits,
            partition=(part.partition, part.partitions),
        )
    return readers


def first_pass(
    inputs: Inputs | FilePart, settings: Settings
) -> tuple[Taken, list[Digest]] | Failure:
    """Take one partition's records in and digest its customers (or say what was bad)."""
    taken = _taken_in(inputs, settings)
    if isinstance(taken, Failure):
        return taken
    return taken, digest_accounts(taken, settings.run)


def _taken_in(inputs: Inputs | FilePart, settings: Settings) -> Taken | Failure:
    """One partition's records, taken in (or what was bad)."""
    readers: dict[RecordKind, RecordReader[Any]] = {}
    if isinstance(inputs, FilePart):
        readers = _file_readers(inputs, settings.on_error)
        records: dict[RecordKind, Any] = dict(readers)
    else:
        records = _records(inputs)
    customers = records.pop("customers", iter(()))
    try:
        taken = take_records(
            Taken(),
            customers,
            records,
            settings.run,
            check_ids=False,
            on_error=settings.on_error,
            progress=None,
            tables=None if readers else settings.names,
            columns=column_of,
        )
    except InvalidRecord as error:
        kind = next((k for k in KINDS if error.source == settings.names.get(k)), "customers")
        return Failure((KINDS.index(kind), error.line), error)
    except DuplicateId as error:  # only customers: records' ids are counted, not refused
        if isinstance(inputs, FilePart):  # the reader's line of the repeat is not kept here
            return Failure((0, 0), error)
        return Failure((0, _repeat_row(inputs, error.id)), error)
    taken.unread = {kind: Unread(r.errors, r.error_count) for kind, r in readers.items()}
    return taken


def _repeat_row(inputs: Inputs, customer_id: str) -> int:
    header, rows = inputs["customers"]
    where = header.index("id")
    seen = [n for n, cells in rows if cells[where] == customer_id]
    return seen[1] if len(seen) > 1 else 0


def second_pass(taken: Taken, context: PassContext, settings: Settings) -> Part:
    """Make one partition's customer lines."""
    return report_lines(taken, context, settings.run)


def raise_first(failures: Sequence[Failure]) -> None:
    """Raise the bad record the pure analysis would have met first, if any."""
    if failures:
        raise min(failures, key=lambda f: f.place).error


def finish(
    settings: Settings,
    takens: Sequence[Taken],
    digests: Iterable[Digest],
    run_second: Callable[[PassContext], Sequence[Part]],
) -> PortfolioReport:
    """The counts, the context from every digest, the second pass, and the merged report."""
    counts = merged_counts(takens)
    for taken in takens:  # counted: the ids' fingerprints are no longer needed
        taken.ids = {}
    warn_of_repeats(counts)
    context = PassContext(digests, settings.run)
    return assemble(settings.run, context, takens, run_second(context), counts)


def run_local(
    parts: Sequence[Inputs] | Sequence[Deferred], settings: Settings, workers: int
) -> PortfolioReport:
    """Both passes over local partitions: here, or one worker process per partition."""
    return _run(parts, settings, workers)[0]


def run_files(
    parts: Sequence[FilePart], settings: Settings, workers: int
) -> tuple[PortfolioReport, dict[RecordKind, Unread]]:
    """Both passes over the customer partitions of files, each read by crmcore's readers.

    Returns the report and, by kind, the rows the readers could not read
    (the first ``kept_errors`` of all partitions, in line order, and their count).
    """
    if len(parts) > max(workers, 1):
        report, takens = _run_bounded(parts, settings, workers)
    else:
        report, takens = _run(parts, settings, workers)
    unread: dict[RecordKind, Unread] = {}
    for kind in parts[0].files if parts else ():
        found = [taken.unread[kind] for taken in takens]
        errors = sorted((e for u in found for e in u.errors), key=lambda e: e.line)
        kept = parts[0].limits.kept_errors
        unread[kind] = Unread(errors[:kept], sum(u.error_count for u in found))
    return report, unread


def _run(
    parts: Sequence[Inputs] | Sequence[Deferred] | Sequence[FilePart],
    settings: Settings,
    workers: int,
) -> tuple[PortfolioReport, list[Taken]]:
    if workers <= 1 or len(parts) <= 1:
        firsts = [first_pass(_inputs(inputs), settings) for inputs in parts]
        raise_first([f for f in firsts if isinstance(f, Failure)])
        done = [f for f in firsts if not isinstance(f, Failure)]
        takens = [taken for taken, _ in done]
        report = finish(
            settings,
            takens,
            [d for _, found in done for d in found],
            lambda context: [second_pass(t, context, settings) for t in takens],
        )
        return report, takens
    return _run_workers(parts, settings)


def _inputs(given: Inputs | Deferred | FilePart) -> Inputs | FilePart:
    if isinstance(given, (dict, FilePart)):
        return given
    return given.read()


def _worker(
    connection: Any, inputs: Inputs | Deferred | FilePart, settings: Settings
) -> None:  # pragma: no cover
    # runs in a child process (coverage does not follow it); tested through run_local
    first = first_pass(_inputs(inputs), settings)
    if isinstance(first, Failure):
        connection.send(("failed", first, None))
        return
    taken, digests = first
    connection.send(("digested", tally(taken), digests))
    context = connection.recv()
    if context is None:
        return
    connection.send(("done", second_pass(taken, context, settings), None))


def tally(taken: Taken) -> Taken:
    """What the merge needs of an intake: its counts and lists, without the accounts."""
    light = Taken()
    light.counts, light.ids, light.unknown, light.rejected = (
        taken.counts,
        taken.ids,
        taken.unknown,
        taken.rejected,
    )
    light.ratings, light.sla, light.unread = taken.ratings, taken.sla, taken.unread
    return light


def _context() -> ForkServerContext | SpawnContext:
    """How worker processes start: from a server that has imported crmcore once, if possible.

    A forkserver gives fresh processes, without the parent's threads and
    without a per-worker import; where the platform has none, they spawn.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crmcore.engines.processes"])
        return context
    return multiprocessing.get_context("spawn")


def _run_workers(
    parts: Sequence[Inputs] | Sequence[Deferred] | Sequence[FilePart], settings: Settings
) -> tuple[PortfolioReport, list[Taken]]:
    context = _context()
    pipes, processes = [], []
    try:
        for inputs in parts:
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, inputs, settings), daemon=True)
            process.start()
            pipes.append(mine)
            processes.append(process)
        answers = [_receive(pipe, process) for pipe, process in zip(pipes, processes, strict=True)]
        failures = [a[1] for a in answers if a[0] == "failed"]
        if failures:
            for pipe, answer in zip(pipes, answers, strict=True):
                if answer[0] != "failed":  # a failed worker has ended; the others wait
                    pipe.send(None)
            raise_first(failures)
        takens = [a[1] for a in answers]

        def second(context: PassContext) -> list[Part]:
            for pipe in pipes:
                pipe.send(context)
            return [
                _receive(pipe, process)[1] for pipe, process in zip(pipes, processes, strict=True)
            ]

        report = finish(settings, takens, [d for a in answers for d in a[2]], second)
        return report, takens
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - only when something went wrong
                process.terminate()


def _receive(pipe: Any, process: Any) -> Any:
    try:
        return pipe.recv()
    except EOFError:  # pragma: no cover - a worker that died
        raise RuntimeError(
            f"A worker process of the analysis ended without an answer "
            f"(exit code {process.exitcode})."
        ) from None


def _digested(part: FilePart, settings: Settings) -> tuple[Taken, list[Digest]] | Failure:
    """Pass 1 over a partition read from files: its tally and digests, its accounts let go."""
    first = first_pass(part, settings)
    return first if isinstance(first, Failure) else (tally(first[0]), first[1])


def _lined(part: FilePart, settings: Settings, context: PassContext) -> Part:
    """Pass 2 over a partition read from files again: its customers' lines."""
    taken = _taken_in(part, settings)
    if isinstance(taken, Failure):  # pragma: no cover - the files changed between the passes
        raise taken.error
    return second_pass(taken, context, settings)


def _run_bounded(
    parts: Sequence[FilePart], settings: Settings, workers: int
) -> tuple[PortfolioReport, list[Taken]]:
    """Both passes, holding one partition's accounts at a time in each of ``workers`` processes.

    Each partition is read twice: in pass 1 for its digests (its accounts are
    then let go) and in pass 2 for its lines, with only its customers' part
    of the context. The workers' memory follows the size of a partition; this
    process keeps every customer's digest (then the context) and line.
    """
    pool = ProcessPoolExecutor(workers, mp_context=_context()) if workers > 1 else None

    def second(context: PassContext) -> list[Part]:
        slices = (context.sliced(ids) for ids in members)
        tasks = ((p, settings, c) for p, c in zip(parts, slices, strict=True))
        lines = _each(pool, workers, _lined, tasks)
        if pool is not None:  # the workers end before the report is put together
            pool.shutdown(wait=True)
        return lines

    try:
        firsts = _each(pool, workers, _digested, ((part, settings) for part in parts))
        raise_first([f for f in firsts if isinstance(f, Failure)])
        takens = [taken for taken, _ in firsts]
        members = [[d.customer_id for d in digests] for _, digests in firsts]
        digests = [found for _, found in firsts]
        del firsts
        return finish(settings, takens, _drained(digests), second), takens
    except BrokenProcessPool:  # pragma: no cover - only when a worker was killed
        raise RuntimeError(
            "A worker process of the analysis ended without an answer (killed, or out of memory?)."
        ) from None
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _each(
    pool: ProcessPoolExecutor | None,
    workers: int,
    function: Callable[..., Any],
    tasks: Iterator[tuple[Any, ...]],
) -> list[Any]:
    """``function`` over the tasks, in order, here or in the pool.

    At most one task more than there are workers waits in the pool, so that
    the tasks (a context slice each, in pass 2) are made as they are taken.
    """
    if pool is None:
        return [function(*task) for task in tasks]
    found: list[Any] = []
    waiting: deque[Future[Any]] = deque()
    for task in tasks:
        waiting.append(pool.submit(function, *task))
        if len(waiting) > workers:
            found.append(waiting.popleft().result())
    found.extend(future.result() for future in waiting)
    return found


def _drained(lists: list[list[Digest]]) -> Iterator[Digest]:
    """The items of several lists, each list let go once read."""
    while lists:
        yield from lists.pop()


class Deferred(Protocol):
    """A partition that reads its own rows, in the worker that analyses it."""

    def read(self) -> Inputs:
        """The partition's rows."""


def analyze_files(
    files: dict[RecordKind, tuple[str, dict[str, str] | None]],
    *,
    as_of: Any,
    config: Any,
    workers: int,
    partitions: int | None = None,
) -> tuple[PortfolioReport, dict[RecordKind, Unread]]:
    """The portfolio analysis of a folder's files in ``workers`` processes, each reading its part.

    The customers are split into ``partitions`` (default: one per worker).
    Every worker reads the files with crmcore's readers (``config.reading``)
    and keeps the rows of its partition of the customers; bad rows are
    collected. With more partitions than workers, each worker takes one
    partition at a time and reads it twice (see `_run_bounded`), so that
    memory is bounded by a partition's size. The report equals the one of
    `crmcore.portfolio.analyze` over readers of the same files; the rows the
    readers could not read come back by kind.
    """
    names = {kind: path for kind, (path, _) in files.items()}
    settings = Settings(AnalysisRun(config, as_of), "collect", names)
    count = workers if partitions is None else partitions
    parts = [FilePart(files, config.reading, n, count) for n in range(count)]
    return run_files(parts, settings, min(workers, count))
