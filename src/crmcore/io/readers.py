"""What the readers share: the reader and its result, partitions, compressed writing."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from crmcore._validation import OnError, ReadLimits, problems_of
from crmcore.errors import FieldProblem, InvalidRecord, UnreadableFile, UsageError
from crmcore.io.files import (
    Source,
    partition_of,
)

E = TypeVar("E", bound=BaseModel)
R = TypeVar("R")
_T = TypeVar("_T")


# -- reading --------------------------------------------------------------------------


DEFAULT_LIMITS = ReadLimits()


Row = tuple[int, "R | list[FieldProblem]"]


class RecordReader(Generic[R]):
    """An iterator of validated records read from a file, with the bad rows it met.

    Iterate over it to get the records. With ``on_error="collect"``, ``errors``
    holds one [`InvalidRecord`][crmcore.errors.InvalidRecord] per bad row read
    so far, in file order: the first ``kept_errors`` of them (`ReadLimits`),
    while ``error_count`` counts them all. A file that cannot be read on
    ([`UnreadableFile`][crmcore.errors.UnreadableFile]) ends the records, as
    the last error.

    Attributes:
        source: The name of the file (or ``"<stream>"``).
        errors: The bad rows met so far (always empty with ``on_error="raise"``).
        error_count: How many bad rows were met, kept or not.
        records_read: The number of good records returned so far.
        line: The line on which the last record returned begins (0 before the first).
    """

    def __init__(
        self,
        rows: Iterator[Row[R]],
        source: str,
        on_error: OnError,
        kept_errors: int = DEFAULT_LIMITS.kept_errors,
    ) -> None:
        if on_error not in ("raise", "collect"):
            raise UsageError(f"on_error must be 'raise' or 'collect', not {on_error!r}.")
        self._rows = rows
        self._kept = kept_errors
        self.source = source
        self.on_error: OnError = on_error
        self.errors: list[InvalidRecord] = []
        self.error_count = 0
        self.records_read = 0
        self.line = 0

    def __iter__(self) -> RecordReader[R]:
        return self

    def __next__(self) -> R:
        try:
            for line, row in self._rows:
                if not isinstance(row, list):
                    self.records_read += 1
                    self.line = line
                    return row
                self._bad(InvalidRecord(self.source, line, row))
        except UnreadableFile as error:
            self._bad(error)
        raise StopIteration

    def _bad(self, error: InvalidRecord) -> None:
        if self.on_error == "raise":
            raise error
        self.error_count += 1
        if len(self.errors) < self._kept:
            self.errors.append(error)

    def collect(self) -> ReadResult[R]:
        r"""Read the remaining records and return them with the bad rows met.

        Examples:
            >>> import io
            >>> from crmcore import Customer
            >>> from crmcore.io import read_jsonl
            >>> text = io.StringIO('{"id": "C-1"}\n{"id": ""}\n')
            >>> result = read_jsonl(text, Customer, on_error="collect").collect()
            >>> [c.id for c in result.records], [e.line for e in result.errors]
            (['C-1'], [2])
        """
        records = list(self)
        return ReadResult(records=records, errors=list(self.errors), error_count=self.error_count)


@dataclass(frozen=True)
class ReadResult(Generic[R]):
    """The good records of a file and the bad rows, each with its reasons."""

    records: list[R]
    errors: list[InvalidRecord] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        """True when no row was bad."""
        return not self.errors and not self.error_count


def entity_rows(
    rows: Iterator[tuple[int, dict[str, Any] | list[FieldProblem] | BaseModel]],
    entity: type[E],
    rename: Callable[[str], str],
) -> Iterator[Row[E]]:
    """Rows as entities: validated mappings, or the problems found, numbered as they came."""
    validate = entity.model_validate
    for line, row in rows:
        if isinstance(row, (list, entity)):
            yield line, row
            continue
        try:
            yield line, validate(row)
        except ValidationError as exc:
            yield line, problems_of(exc, rename)


OWNER_FIELD = {True: "id", False: "customer_id"}


def owns(partition: tuple[int, int] | None, owner: Any) -> bool:
    """Whether a row whose customer id is ``owner`` is read in ``partition``.

    A row without a readable customer id (text) is read in partition 0 only,
    so that every row is read, and every bad row reported, exactly once.
    """
    if partition is None:
        return True
    index, count = partition
    if not isinstance(owner, str):
        return index == 0
    return partition_of(owner, count) == index


def unreadable_once(rows: Iterator[_T], partition: tuple[int, int] | None) -> Iterator[_T]:
    """The rows; a file that cannot be read on is reported by partition 0 only."""
    try:
        yield from rows
    except UnreadableFile:
        if owns(partition, None):
            raise


# -- writing ------------------------------------------------------------------------


class _GzipWriter(io.TextIOWrapper):
    """Gzip text output with no name or time in its header: equal data, equal bytes."""

    def __init__(self, raw: IO[bytes], *, encoding: str, newline: str | None) -> None:
        self._raw = raw
        zipped = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        super().__init__(zipped, encoding=encoding, newline=newline)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_for_writing(target: Source, *, csv_newline: bool) -> tuple[IO[str], bool]:
    """Return a text stream to write to and whether it was opened here (then close it).

    A path ending in ``.gz`` is gzipped with no name or time in the header,
    so equal data gives equal bytes; an open stream is returned as it is.
    """
    if not isinstance(target, (str, os.PathLike)):
        return target, False
    path = Path(target)
    newline = "" if csv_newline else None
    if path.suffix == ".gz":
        return _GzipWriter(path.open("wb"), encoding="utf-8", newline=newline), True
    return path.open("w", encoding="utf-8", newline=newline), True
