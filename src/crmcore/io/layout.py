"""The CSV layout of an entity: its columns, how a record becomes cells and cells a record."""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from crmcore._types import Text
from crmcore._validation import mapping_problem, unwrap
from crmcore.errors import FieldProblem, InvalidRecord, UsageError
from crmcore.io.files import (
    JsonProblem,
)
from crmcore.money import Money


@dataclass(frozen=True)
class Column:
    """One CSV column of an entity: its name, the field path it fills, its kind."""

    name: str
    path: tuple[str, ...]
    kind: Literal["scalar", "json", "money", "currency"]
    required: bool
    multiline: bool = False  # free text (and JSON) may span lines; nothing else may


def entity_layout(
    model: type[BaseModel], prefix: tuple[str, ...] = (), required: bool = True
) -> list[Column]:
    """The columns of an entity, nested models flattened to dotted names."""
    columns: list[Column] = []
    for name, info in model.model_fields.items():
        inner, _ = unwrap(info.annotation)
        path = (*prefix, name)
        dotted = ".".join(path)
        needed = required and info.is_required()
        if inner is Money:
            columns.append(Column(dotted, path, "money", needed))
            columns.append(Column(f"{dotted}.currency", path, "currency", needed))
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            columns.extend(entity_layout(inner, path, needed))
        elif typing.get_origin(inner) in (tuple, list, dict, set, frozenset):
            columns.append(Column(dotted, path, "json", needed, multiline=True))
        else:
            text = info.annotation == Text or Text in typing.get_args(info.annotation)
            columns.append(Column(dotted, path, "scalar", needed, multiline=text))
    return columns


def csv_columns(entity: type[BaseModel]) -> list[str]:
    """Return the CSV column names of an entity, in the order the writer uses.

    Examples:
        >>> from crmcore import Transaction
        >>> csv_columns(Transaction)[:6]
        ['id', 'customer_id', 'occurred_at', 'kind', 'amount', 'amount.currency']
    """
    return [column.name for column in entity_layout(entity)]


@functools.cache
def layout_of(entity: type[BaseModel]) -> tuple[Column, ...]:
    """The columns of an entity (computed once per class)."""
    return tuple(entity_layout(entity))


def csv_cells(record: BaseModel) -> list[str]:
    """Return a record's CSV cells as `write_csv` writes them, in `csv_columns` order.

    Examples:
        >>> from crmcore import Customer
        >>> csv_cells(Customer(id="C-1"))[:2]
        ['C-1', 'individual']
    """
    columns = layout_of(type(record))
    row = flatten(record.model_dump(mode="json"), columns)
    return [row[c.name] for c in columns]


def money_loc_renamer(columns: list[Column]) -> Callable[[str], str]:
    """How an error's field path under a money field names its CSV column."""
    money = {c.name for c in columns if c.kind == "money"}

    def rename(loc: str) -> str:
        head, _, tail = loc.rpartition(".")
        if head in money and tail == "amount":
            return head
        return loc

    return rename


def cell_text(value: Any) -> str:
    """A JSON-ready value as the text of one CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def flatten(data: dict[str, Any], columns: Sequence[Column]) -> dict[str, str]:
    """A record's JSON form as CSV cells by column name."""
    row: dict[str, str] = {}
    for column in columns:
        value: Any = data
        for part in column.path:
            value = value.get(part) if isinstance(value, dict) else None
        if column.kind == "money":
            value = value["amount"] if isinstance(value, dict) else None
        elif column.kind == "currency":
            value = value["currency"] if isinstance(value, dict) else None
        row[column.name] = cell_text(value)
    return row


def unflatten(
    cells: Iterable[tuple[str, str]], columns: dict[str, Column], load: Callable[[str], Any]
) -> dict[str, Any] | list[FieldProblem]:
    """The cells of a row as the nested data an entity validates."""
    data: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for name, text in cells:
        if text == "":
            continue
        column = columns[name]
        value: Any = text
        if column.kind == "json":
            try:
                value = load(text)
            except JsonProblem as exc:
                problems.append(FieldProblem(name, f"must be JSON text: {exc}"))
                continue
        target = data
        for part in column.path[:-1]:
            target = target.setdefault(part, {})
        leaf = column.path[-1]
        if column.kind == "money":
            target.setdefault(leaf, {})["amount"] = value
        elif column.kind == "currency":
            target.setdefault(leaf, {})["currency"] = value
        else:
            target[leaf] = value
    return problems or data


def column_of(entity: type[BaseModel]) -> Callable[[str], str]:
    """The CSV column an error's field path names (``amount.amount`` is the column ``amount``)."""
    return money_loc_renamer(entity_layout(entity))


def check_columns(entity: type[BaseModel], names: list[str], source: str) -> None:
    """Refuse a table whose columns are not those of ``entity`` (as a CSV header, line 1).

    Raises:
        InvalidRecord: An unknown or repeated column, or a required one missing.
    """
    check_header(names, {c.name: c for c in entity_layout(entity)}, source, 1)


def column_mapping(
    columns: Mapping[str, str] | None,
) -> tuple[dict[str, str], Callable[[str], str]]:
    """The renaming of a file's names to crmcore's, and back (for messages)."""
    mapping = dict(columns or {})
    back = {ours: theirs for theirs, ours in mapping.items()}
    if len(back) != len(mapping):
        raise UsageError(mapping_problem(mapping))

    def theirs(loc: str) -> str:
        head, dot, tail = loc.partition(".")
        return back.get(loc) or (back[head] + dot + tail if head in back else loc)

    return mapping, theirs


def check_header(
    header: list[str],
    columns: dict[str, Column],
    source: str,
    line: int,
    theirs: Callable[[str], str] = lambda name: name,
) -> None:
    """Refuse a header with an unknown, repeated or missing column (``InvalidRecord``)."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for column in header:
        if column not in columns:
            problems.append(FieldProblem(theirs(column), "is not a known column"))
        elif column in seen:
            problems.append(FieldProblem(theirs(column), "appears twice in the header"))
        seen.add(column)
    for expected in columns.values():
        if expected.required and expected.name not in seen:
            problems.append(
                FieldProblem(theirs(expected.name), "is a required column but is missing")
            )
    if problems:
        raise InvalidRecord(source, line, problems)
