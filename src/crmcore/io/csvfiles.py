"""CSV files: read with every bad row named (a stray quote loses no row), and written."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel

from crmcore._validation import OnError, ReadLimits
from crmcore.entities import Customer
from crmcore.errors import FieldProblem, InvalidRecord, UnsupportedType
from crmcore.io._fastrows import row_builder
from crmcore.io.files import (
    CsvRecords,
    Source,
    check_partition,
    json_loader,
    open_text,
    source_name,
)
from crmcore.io.layout import (
    check_header,
    column_mapping,
    csv_cells,
    csv_columns,
    entity_layout,
    money_loc_renamer,
    unflatten,
)
from crmcore.io.readers import (
    DEFAULT_LIMITS,
    OWNER_FIELD,
    E,
    RecordReader,
    entity_rows,
    open_for_writing,
    owns,
    unreadable_once,
)


def read_csv(
    source: Source,
    entity: type[E],
    *,
    on_error: OnError = "raise",
    columns: Mapping[str, str] | None = None,
    limits: ReadLimits | None = None,
    partition: tuple[int, int] | None = None,
) -> RecordReader[E]:
    r"""Read entities from a CSV file with a header row (layout in the module docs).

    Args:
        source: A path (``.gz`` for gzip) or an open text stream.
        entity: The entity class to validate each row into.
        on_error: ``"raise"`` to stop at the first bad row, ``"collect"`` to
            keep going and record it in the reader's ``errors``.
        columns: The file's column names that differ from crmcore's, mapped
            to crmcore's (``{"client": "customer_id"}``); errors name the
            file's columns.
        limits: The limits of lines, cells, JSON depth and numbers (`ReadLimits()`).
        partition: ``(index, count)``: read only the rows of the customers in
            partition ``index`` of ``count`` (see *Partitions* above).

    Returns:
        A lazy [`RecordReader`][crmcore.io.RecordReader].

    Raises:
        InvalidRecord: The header has an unknown column or lacks a required one
            (always raised, line 1), or a row is not a valid entity (with
            ``on_error="raise"``).
        UnreadableFile: The file cannot be opened or read on (with
            ``on_error="raise"``).
        UsageError: Two of ``columns`` are mapped to one name.

    Examples:
        >>> import io
        >>> from crmcore import Transaction
        >>> text = io.StringIO(
        ...     "id,customer_id,occurred_at,amount,amount.currency\n"
        ...     "T-1,C-1,2024-05-01,99.00,CNY\n"
        ... )
        >>> [str(t.amount) for t in read_csv(text, Transaction)]
        ['99.00 CNY']
    """
    limits = limits or DEFAULT_LIMITS
    layout = entity_layout(entity)
    by_name = {column.name: column for column in layout}
    name = source_name(source)
    mapping, theirs = column_mapping(columns)

    def rows() -> Iterator[tuple[int, dict[str, Any] | list[FieldProblem] | BaseModel]]:
        with csv_file(source, name, limits) as found:
            if found is None:
                return
            records, line, names = found
            header = [mapping.get(column, column) for column in names]
            check_header(header, by_name, name, line, theirs)
            breaks = [by_name[column].multiline for column in header]
            record = row_reader(entity, header, limits)
            owner = header.index(OWNER_FIELD[entity is Customer])
            for start, cells in records.rows(len(header), breaks.__getitem__):
                if isinstance(cells, FieldProblem):
                    if owns(partition, None):
                        yield start, [cells]
                elif partition is None or owns(partition, cells[owner]):
                    yield start, record(cells)

    check_partition(partition)
    money = money_loc_renamer(layout)
    return RecordReader(
        entity_rows(unreadable_once(rows(), partition), entity, lambda loc: theirs(money(loc))),
        name,
        on_error,
        limits.kept_errors,
    )


def row_reader(
    entity: type[E], header: list[str], limits: ReadLimits | None = None
) -> Callable[[Sequence[str]], E | dict[str, Any] | list[FieldProblem]]:
    """What a row of text cells under ``header`` (crmcore's column names) holds.

    The entity itself for a plain row (built by the fields' own rules),
    otherwise the nested mapping to validate, or the problems of its JSON
    cells. Shared by `read_csv` and the dataframe engines, which read the
    same layout.
    """
    by_name = {column.name: column for column in entity_layout(entity)}
    limits = limits or DEFAULT_LIMITS
    load = json_loader(limits.max_json_depth, limits.max_number_digits)
    fast = row_builder(entity, header)

    def read(cells: Sequence[str]) -> E | dict[str, Any] | list[FieldProblem]:
        built = None if fast is None else fast(cells)
        if built is not None:  # a plain row, checked by the fields' own rules
            return built  # type: ignore[return-value]  # the builder of ``entity``
        return unflatten(zip(header, cells, strict=True), by_name, load)

    return read


@contextmanager
def csv_file(
    source: Source, name: str, limits: ReadLimits
) -> Iterator[tuple[CsvRecords, int, list[str]] | None]:
    """A CSV file's records, the header's line and its cells (``None`` for an empty file).

    A broken header fails the whole file.
    """
    stream, owned = open_text(source, csv_mode=True)
    try:
        records = CsvRecords(stream, name, limits.max_line_chars, limits.max_cell_chars)
        found = records.header()
        if found is None:
            yield None
            return
        line, cells = found
        if isinstance(cells, FieldProblem):
            raise InvalidRecord(name, line, [cells])
        yield records, line, cells
    finally:
        if owned:
            stream.close()


def write_csv(
    target: Source, records: Iterable[BaseModel], *, entity: type[BaseModel] | None = None
) -> int:
    """Write entities as CSV with a header row (layout in the module docs).

    Args:
        target: A path (``.gz`` for gzip) or an open text stream.
        records: Entities of one class.
        entity: The entity class; taken from the first record when omitted.
            With no records and no ``entity`` the file is left empty (and reads
            back as no records); with ``entity`` it gets the header only.

    Returns:
        The number of records written.

    Raises:
        UnsupportedType: A record is not of the file's entity class.

    Examples:
        >>> import io
        >>> from crmcore import Customer
        >>> out = io.StringIO()
        >>> write_csv(out, [Customer(id="C-1", segment={"size": "large"})])
        1
        >>> out.getvalue().splitlines()[1].startswith('C-1,individual,')
        True
    """
    remaining = iter(records)
    first = next(remaining, None)
    if entity is None and first is not None:
        entity = type(first)
    stream, owned = open_for_writing(target, csv_newline=True)
    count = 0
    try:
        if entity is None:
            return 0
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(csv_columns(entity))
        for record in itertools.chain(() if first is None else (first,), remaining):
            if type(record) is not entity:
                raise UnsupportedType(
                    f"Cannot write a {type(record).__name__} to a CSV file of "
                    f"{entity.__name__} records: one file holds one kind of record."
                )
            writer.writerow(csv_cells(record))
            count += 1
    finally:
        if owned:
            stream.close()
    return count
