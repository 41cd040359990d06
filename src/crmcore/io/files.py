"""Reading text files without losing a record: numbered lines, bad bytes, CSV records, JSON.

Everything here turns a failure of reading into a problem named by its line:
bytes that are not UTF-8 (the line is reported, reading goes on), a
compressed file that is truncated or not compressed at all (reading stops
there), a line or a cell over its limit, JSON nested too deep or holding
absurd numbers. CSV records are cut by the csv module in strict mode; a
record broken by a stray quote is reported at the line where it began, and
reading resumes on the line after it, so the rows a stray quote swallowed
are read after all.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Union

from crmcore.errors import FieldProblem, UnreadableFile, UsageError

Source = Union[str, "os.PathLike[str]", IO[str]]

_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, escaped by Python
_LINE_ENDS = ("\n", "\r")


def partition_of(owner: str, partitions: int) -> int:
    """The partition of a customer id among ``partitions`` (stable across processes and runs)."""
    return zlib.crc32(owner.encode("utf-8", "surrogatepass")) % partitions


def check_partition(partition: tuple[int, int] | None) -> None:
    """Refuse a partition that is not ``(index, count)`` with ``0 <= index < count``."""
    if partition is None:
        return
    index, count = partition
    if not (isinstance(index, int) and isinstance(count, int) and 0 <= index < count):
        raise UsageError(
            f"partition must be (index, count) with 0 <= index < count, not {partition!r}."
        )


def source_name(source: Source) -> str:
    """How errors name a source: its path, or the name of an open stream."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def open_text(source: Source, *, csv_mode: bool) -> tuple[IO[str], bool]:
    """The text stream of ``source`` and whether it was opened here (and must be closed).

    Files are read as UTF-8 (a byte-order mark is skipped); bytes that are not
    UTF-8 are kept escaped, so that the line holding them can be named.
    """
    if not isinstance(source, (str, os.PathLike)):
        return source, False
    path = Path(source)
    try:
        raw: Any = gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # noqa: SIM115
    except OSError as exc:
        raise UnreadableFile(source_name(source), 0, _os_reason(exc)) from exc
    text = io.TextIOWrapper(
        raw, encoding="utf-8-sig", errors="surrogateescape", newline="" if csv_mode else None
    )
    return text, True


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _stop_reason(exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile):
        if str(exc).startswith("Not a gzipped file"):
            return "the file is not gzip-compressed, though its name ends in .gz"
        return f"the compressed data is damaged ({exc}); nothing after it is read"
    if isinstance(exc, EOFError):
        return "the compressed data ends early (a truncated .gz file); nothing after it is read"
    if isinstance(exc, zlib.error):
        return "the compressed data is damaged; nothing after it is read"
    if isinstance(exc, UnicodeDecodeError):
        return "the stream is not UTF-8 text; nothing after it is read"
    assert isinstance(exc, OSError)
    return f"the file cannot be read on ({_os_reason(exc)})"


# A line: its number, its text (with its line end) and what is wrong with it, if anything.
Line = tuple[int, str, "str | None"]


def _trouble(text: str, stream: IO[str], max_chars: int) -> tuple[str, str | None]:
    """A line as read, and its problem: too long (the rest skipped) or bytes not UTF-8."""
    if len(text) > max_chars and not text.endswith(_LINE_ENDS):
        while True:  # skip the rest of the line, a piece at a time
            rest = stream.readline(max_chars + 1)
            if not rest or rest.endswith(_LINE_ENDS):
                break
        return text[:max_chars] + "\n", f"is longer than {max_chars:,} characters (max_line_chars)"
    bad = None if text.isascii() else _UNDECODABLE.search(text)
    if bad is not None:
        return text, f"holds bytes that are not UTF-8 (at character {bad.start() + 1})"
    return text, None


def numbered_lines(stream: IO[str], source: str, max_chars: int) -> Iterator[Line]:
    """The physical lines of ``stream``, numbered from 1.

    A line with bytes that are not UTF-8, or longer than ``max_chars``
    characters, comes with its problem (a long line cut to its first
    ``max_chars`` characters; the rest is skipped, never held in memory).

    Raises:
        UnreadableFile: The stream cannot be read on (a truncated or
            damaged compressed file, an I/O error); the line is the first
            one not read.
    """
    number = 0
    readline, limit = stream.readline, max_chars + 1
    try:
        while text := readline(limit):
            number += 1
            if number == 1 and text.startswith("\ufeff"):  # a byte-order mark in a text stream
                text = text[1:]
            yield (number, *_trouble(text, stream, max_chars))
    except (EOFError, zlib.error, OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(source, number + 1, _stop_reason(exc)) from exc


# A CSV record: the line it begins on, and its cells or the problem that broke it.
Record = tuple[int, "list[str] | FieldProblem"]


class CsvRecords:
    """The records of a CSV file, each with the line it begins on.

    The lines the csv parser took for the current record are kept, so that a
    record broken by a stray quote can be read again from its second line.
    The lines are read here, with the checks of `numbered_lines`, to keep the
    common case (one good line, one record) fast.

    Args:
        stream: The file's text, opened with ``newline=""``.
        source: The file's name, for errors.
        max_line_chars: The longest line accepted.
        max_cell_chars: The longest cell accepted.
    """

    def __init__(
        self, stream: IO[str], source: str, max_line_chars: int, max_cell_chars: int
    ) -> None:
        if csv.field_size_limit() < max_cell_chars:
            csv.field_size_limit(max_cell_chars)  # only ever raised; cells are checked here
        self._stream, self._source = stream, source
        self._max_line, self._max_cell = max_line_chars, max_cell_chars
        self._read = 0  # lines read from the stream
        self._pending: deque[tuple[int, str]] = deque()
        self._taken: list[tuple[int, str]] = []  # the current record's lines
        self._troubles: dict[int, str] = {}  # what is wrong with a line, for the few so
        self._reader = csv.reader(self._feed(), strict=True)

    def _feed(self) -> Iterator[str]:
        pending, taken, troubles = self._pending, self._taken, self._troubles
        stream, limit = self._stream, self._max_line + 1
        readline = stream.readline
        while True:
            if pending:
                line = pending.popleft()
            else:
                try:
                    text = readline(limit)
                except (EOFError, zlib.error, OSError, UnicodeDecodeError) as exc:
                    raise UnreadableFile(self._source, self._read + 1, _stop_reason(exc)) from exc
                if not text:
                    return
                self._read = number = self._read + 1
                if not text.isascii() or len(text) == limit:
                    if number == 1 and text.startswith("\ufeff"):
                        text = text[1:]
                    text, problem = _trouble(text, stream, self._max_line)
                    if problem is not None:
                        troubles[number] = problem
                line = (number, text)
            taken.append(line)
            yield line[1]

    def _resync(self) -> None:
        """Read again the lines after the first one of the current record."""
        self._pending.extendleft(reversed(self._taken[1:]))
        self._reader = csv.reader(self._feed(), strict=True)  # the old feed may have ended

    def _next(self) -> tuple[int, int, list[str] | str] | None:
        """The next record's first and last line, and its cells or what broke it."""
        taken = self._taken
        taken.clear()
        try:
            cells: list[str] | str = next(self._reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            cells = str(exc)
        if not taken:  # the parser ended without reading a line
            return None
        return taken[0][0], taken[-1][0], cells

    def header(self) -> Record | None:
        """The first record (``None`` for an empty file)."""
        found = self._next()
        while found is not None and found[2] == []:
            found = self._next()
        if found is None:
            return None
        start, end, cells = found
        problem = self._problem(start, end, cells, None)
        return start, problem if problem is not None else cells  # type: ignore[return-value]

    def rows(self, width: int, multiline: Callable[[int], bool]) -> Iterator[Record]:
        """The records after the header, blank lines skipped.

        Args:
            width: The number of cells a record must have.
            multiline: Whether the cell at a position may hold line breaks.
        """
        taken, reader, max_cell = self._taken, self._reader, self._max_cell
        troubles = self._troubles
        while True:
            # the common case first: a record of one good line
            taken.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                pass
            else:
                if len(taken) == 1:
                    number, text = taken[0]
                    if len(cells) == width and len(text) <= max_cell and number not in troubles:
                        yield number, cells
                        continue
                    if not cells:
                        continue
            # anything else: read the record again, slowly, to say what is wrong
            self._pending.extendleft(reversed(taken))
            self._reader = reader = csv.reader(self._feed(), strict=True)
            found = self._next()
            if found is None:
                return
            start, end, record = found
            if record == []:
                continue
            problem = self._problem(start, end, record, width)
            if problem is None and end > start:
                assert isinstance(record, list)
                problem = self._broken_line(record, start, end, multiline)
            reader = self._reader
            yield start, problem if problem is not None else record  # type: ignore[misc]

    def _broken_line(
        self, cells: list[str], start: int, end: int, multiline: Callable[[int], bool]
    ) -> FieldProblem | None:
        """The problem of a record spanning lines through a cell that must be one line."""
        for i, cell in enumerate(cells):
            if not multiline(i) and ("\n" in cell or "\r" in cell):
                self._resync()
                return FieldProblem(
                    None,
                    f"cell {i + 1} holds a line break, so the record runs from line {start} "
                    f"to {end}: is a quote opened on line {start} left unclosed?",
                )
        return None

    def _problem(
        self, start: int, end: int, cells: list[str] | str, width: int | None
    ) -> FieldProblem | None:
        taken = self._taken
        bad = next(((n, self._troubles[n]) for n, _ in taken if n in self._troubles), None)
        if bad is not None:
            number, what = bad
            where = "" if number == start else f"its line {number} "
            return FieldProblem(None, where + what)
        if isinstance(cells, str):  # the parser's own complaint
            if end > start:
                self._resync()
            return FieldProblem(None, _csv_reason(cells, start, end, self._max_cell))
        if width is not None and len(cells) != width:
            if end > start:
                self._resync()
            return FieldProblem(None, f"has {len(cells)} cells but the header has {width}")
        if sum(len(text) for _, text in taken) > self._max_cell:
            longest = max(range(len(cells)), key=lambda i: len(cells[i]))
            if len(cells[longest]) > self._max_cell:
                return FieldProblem(
                    None,
                    f"cell {longest + 1} is longer than {self._max_cell:,} characters "
                    "(max_cell_chars)",
                )
        return None


def _csv_reason(message: str, start: int, end: int, max_cell: int) -> str:
    if "field larger than field limit" in message:
        if end > start:
            return (
                f"has a quoted cell that runs past {max_cell:,} characters from line {start} "
                f"to line {end}: is a quote opened on line {start} left unclosed?"
            )
        return f"has a cell longer than {max_cell:,} characters (max_cell_chars)"
    if "unexpected end of data" in message:
        return f"has a quote opened on line {start} that is never closed"
    if "expected after" in message:
        if end > start:
            return (
                f"has a quote opened on line {start} that closes on line {end} inside a cell: "
                "is a stray quote left unclosed?"
            )
        return "has text after the closing quote of a cell (a stray quote?)"
    return f"is not valid CSV ({message})"


class JsonProblem(ValueError):
    """Why a JSON text was refused."""


def json_loader(max_depth: int, max_digits: int) -> Callable[[str], Any]:
    """A ``json.loads`` that refuses deep nesting, long numbers, NaN and infinities.

    The returned function raises `JsonProblem` naming the rule broken.
    """
    too_long = f"holds a number of more than {max_digits} digits (max_number_digits)"

    def integer(text: str) -> int:
        if len(text.lstrip("-")) > max_digits:
            raise JsonProblem(too_long)
        return int(text)

    def real(text: str) -> float:
        if len(text) > max_digits + 10:  # sign, point and exponent besides the digits
            raise JsonProblem(too_long)
        value = float(text)
        if not math.isfinite(value):
            raise JsonProblem("holds a number too large for a float")
        return value

    def constant(name: str) -> Any:
        raise JsonProblem(f"holds {name}, which is not JSON")

    def load(text: str) -> Any:
        if text.count("[") + text.count("{") > max_depth and _depth(text) > max_depth:
            raise JsonProblem(f"nests deeper than {max_depth} levels (max_json_depth)")
        try:
            value = json.loads(text, parse_int=integer, parse_float=real, parse_constant=constant)
        except json.JSONDecodeError as exc:
            raise JsonProblem(f"is not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise JsonProblem("nests too deep to read") from None
        if _SURROGATE_ESCAPE.search(text) is not None and not _is_text(value):
            raise JsonProblem("holds the escape of a lone surrogate, which is not text")
        return value

    return load


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # the escape of a surrogate in JSON text
_ANY_SURROGATE = re.compile("[\ud800-\udfff]")


def _is_text(value: Any) -> bool:
    """Whether every string in a JSON value is real text (no lone surrogate from an escape)."""
    if isinstance(value, str):
        return value.isascii() or _ANY_SURROGATE.search(value) is None
    if isinstance(value, dict):
        return all(_is_text(k) and _is_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    return True


def _depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings ignored)."""
    deepest = depth = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
