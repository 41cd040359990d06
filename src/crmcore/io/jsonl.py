"""JSON Lines: one record per line, read with every bad line named, and written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from crmcore._validation import OnError, ReadLimits
from crmcore.entities import Customer
from crmcore.errors import FieldProblem
from crmcore.io.files import (
    JsonProblem,
    Source,
    check_partition,
    json_loader,
    numbered_lines,
    open_text,
    source_name,
)
from crmcore.io.layout import column_mapping
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


def read_jsonl(
    source: Source,
    entity: type[E],
    *,
    on_error: OnError = "raise",
    columns: Mapping[str, str] | None = None,
    limits: ReadLimits | None = None,
    partition: tuple[int, int] | None = None,
) -> RecordReader[E]:
    r"""Read entities from a JSON Lines file (one JSON object per line).

    Args:
        source: A path (``.gz`` for gzip) or an open text stream.
        entity: The entity class to validate each line into.
        on_error: ``"raise"`` to stop at the first bad line, ``"collect"`` to
            keep going and record it in the reader's ``errors``.
        columns: The file's top-level keys that differ from crmcore's field
            names, mapped to crmcore's; errors name the file's keys.
        limits: The limits of lines, JSON depth and numbers (`ReadLimits()`).
        partition: ``(index, count)``: read only the lines of the customers in
            partition ``index`` of ``count`` (see *Partitions* above).

    Returns:
        A lazy [`RecordReader`][crmcore.io.RecordReader]; the file is read as
        you iterate.

    Raises:
        InvalidRecord: A line is not valid JSON or not a valid entity (with
            ``on_error="raise"``).
        UnreadableFile: The file cannot be opened or read on (with
            ``on_error="raise"``).
        UsageError: Two of ``columns`` are mapped to one name.

    Examples:
        >>> import io
        >>> from crmcore import Customer
        >>> text = io.StringIO('{"id": "C-1", "kind": "organization"}\n')
        >>> [c.kind.value for c in read_jsonl(text, Customer)]
        ['organization']
    """
    limits = limits or DEFAULT_LIMITS
    name = source_name(source)
    load = json_loader(limits.max_json_depth, limits.max_number_digits)

    check_partition(partition)
    owner = OWNER_FIELD[entity is Customer]

    def rows() -> Iterator[tuple[int, dict[str, Any] | list[FieldProblem]]]:
        stream, owned = open_text(source, csv_mode=False)
        try:
            for number, text, problem in numbered_lines(stream, name, limits.max_line_chars):
                if problem is not None:
                    if owns(partition, None):
                        yield number, [FieldProblem(None, problem)]
                    continue
                if not text.strip():
                    continue
                try:
                    value = load(text)
                except JsonProblem as exc:
                    if owns(partition, None):
                        yield number, [FieldProblem(None, str(exc))]
                    continue
                if not isinstance(value, dict):
                    if owns(partition, None):
                        yield number, [FieldProblem(None, "a line must hold one JSON object")]
                    continue
                if mapping:
                    value = {mapping.get(key, key): item for key, item in value.items()}
                if partition is not None and not owns(partition, value.get(owner)):
                    continue
                yield number, value
        finally:
            if owned:
                stream.close()

    mapping, theirs = column_mapping(columns)
    return RecordReader(
        entity_rows(unreadable_once(rows(), partition), entity, theirs),
        name,
        on_error,
        limits.kept_errors,
    )


#: The field that places a record in a partition: its customer's id.


def write_jsonl(target: Source, records: Iterable[BaseModel]) -> int:
    """Write entities as JSON Lines, one per line; fields that are ``None`` are left out.

    Returns:
        The number of records written.

    Examples:
        >>> import io
        >>> from crmcore import Customer
        >>> out = io.StringIO()
        >>> write_jsonl(out, [Customer(id="C-1")])
        1
        >>> out.getvalue().startswith('{"id":"C-1"')
        True
    """
    stream, owned = open_for_writing(target, csv_newline=False)
    count = 0
    try:
        for record in records:
            stream.write(record.model_dump_json(exclude_none=True))
            stream.write("\n")
            count += 1
    finally:
        if owned:
            stream.close()
    return count


# -- CSV layout ------------------------------------------------------------------------
