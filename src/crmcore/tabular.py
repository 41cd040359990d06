"""Results as tables: typed columns that become pandas or polars dataframes.

Every tabular result of crmcore (the sections of a portfolio report, care
plans, cohort tables, pyramids, KPIs, RFM rows, at-risk lists, a history's
records) turns into a `Table`, and a table into a dataframe of either library
with one convention:

* money is two columns: the amount as a decimal (``name``) and its currency
  (``name_currency``); other exact amounts are decimals too;
* timestamps are timezone-aware, in UTC; dates are dates; durations durations;
* enumerations are their values, as strings; a tuple of them is one string,
  the values joined by ``"; "``;
* a float that is not a number (NaN) is a missing value, null in both
  libraries; a decimal needs at most 38 whole digits;
* every column has its type from the result's definition, never from the
  first rows, so a column of nulls keeps its type, and an empty table keeps
  its columns.

pandas columns are typed as well: ``string``, ``Int64``, ``Float64``,
``boolean``, ``datetime64[us, UTC]``, ``timedelta64[us]``, and pyarrow's
``decimal128`` and ``date32`` (pandas has no decimal or date type of its own;
``pip install 'crmcore[pandas]'`` brings pyarrow). A decimal column has 38
digits; its scale is the largest number of decimal places among its values
(0 when it holds none), as far as 38 digits allow: a quotient such as a cost
per contact, worked out to 28 digits, is rounded (half to even) to fit.

Nested records and mappings are not columns: a result that holds them
offers their own tables (a history's transactions, a report's sections).
"""

from __future__ import annotations

import html
import importlib
import types
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin, get_type_hints

from pydantic import AwareDatetime, BaseModel

from crmcore.errors import UsageError
from crmcore.money import Money

__all__ = ["Column", "ColumnType", "Table", "Tabular", "figures_table", "mapping_table"]

ColumnType = Literal[
    "text", "integer", "number", "boolean", "decimal", "timestamp", "date", "duration"
]
_TYPES: tuple[str, ...] = get_args(ColumnType)

_HTML_ROWS = 20  # rows a notebook shows before "… more rows"
_PRECISION = 38  # digits of a decimal column, pyarrow's and polars' largest
_CONTEXT = Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN)


class Column(NamedTuple):
    """One column of a `Table`: its name, its type and what it holds."""

    name: str
    type: ColumnType
    description: str = ""


class Table:
    """A result as rows of typed columns, ready for pandas, polars or a notebook.

    Args:
        name: What the table holds (``"tiers"``, ``"care_plan"``...).
        columns: The columns, in order.
        rows: One tuple of values per row, in the columns' order; ``None``
            for a missing value. Enumerations become their values and
            timestamps UTC.

    Raises:
        UsageError: A row has the wrong number of values, or a value does
            not fit its column (the message names the row and the column).

    Examples:
        >>> from datetime import date
        >>> table = Table("visits", [Column("day", "date"), Column("count", "integer")],
        ...               [(date(2025, 1, 6), 3), (date(2025, 1, 7), None)])
        >>> len(table), table.names
        (2, ('day', 'count'))
        >>> table.to_dicts()[1]
        {'day': datetime.date(2025, 1, 7), 'count': None}
    """

    __slots__ = ("_rows", "columns", "name")

    name: str
    columns: tuple[Column, ...]
    _rows: tuple[tuple[Any, ...], ...]

    def __init__(
        self, name: str, columns: Iterable[Column], rows: Iterable[Sequence[Any]] = ()
    ) -> None:
        self.name = name
        self.columns = tuple(columns)
        names = [column.name for column in self.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise UsageError(f"Table {name!r} names a column twice: {', '.join(repeated)}.")
        unknown = [c.name for c in self.columns if c.type not in _TYPES]
        if unknown:
            raise UsageError(
                f"Table {name!r}: column {unknown[0]!r} has no known type; the types: "
                f"{', '.join(_TYPES)}."
            )
        width = len(self.columns)
        checked = []
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                raise UsageError(
                    f"Row {number} of table {name!r} has {len(row)} values for {width} columns."
                )
            checked.append(
                tuple(
                    _cell(value, column, number, name)
                    for value, column in zip(row, self.columns, strict=True)
                )
            )
        self._rows = tuple(checked)

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    @property
    def rows(self) -> tuple[tuple[Any, ...], ...]:
        """The rows, as tuples in the columns' order."""
        return self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"Table({self.name!r}, {len(self._rows)} rows, columns={list(self.names)})"

    def column(self, name: str) -> list[Any]:
        """The values of one column.

        Raises:
            UsageError: The table has no such column.

        Examples:
            >>> Table("t", [Column("n", "integer")], [(1,), (2,)]).column("n")
            [1, 2]
        """
        try:
            index = self.names.index(name)
        except ValueError:
            raise UsageError(
                f"Table {self.name!r} has no column {name!r}; its columns: {', '.join(self.names)}."
            ) from None
        return [row[index] for row in self._rows]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts, column name to value.

        Examples:
            >>> Table("t", [Column("n", "integer")], [(1,)]).to_dicts()
            [{'n': 1}]
        """
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in self._rows]

    def extended(
        self,
        columns: Sequence[Column],
        values: Iterable[Sequence[Any]],
        *,
        front: bool = False,
    ) -> Table:
        """This table with more columns: ``values`` holds each row's new values.

        Args:
            columns: The new columns.
            values: One sequence of new values per row, in the rows' order.
            front: Put the new columns first instead of last.

        Raises:
            UsageError: ``values`` does not give one sequence per row.

        Examples:
            >>> table = Table("t", [Column("n", "integer")], [(1,), (2,)])
            >>> table.extended([Column("odd", "boolean")], [(True,), (False,)]).to_dicts()
            [{'n': 1, 'odd': True}, {'n': 2, 'odd': False}]
        """
        extra = [tuple(v) for v in values]
        if len(extra) != len(self._rows):
            raise UsageError(
                f"Table {self.name!r} has {len(self._rows)} rows; {len(extra)} were extended."
            )
        if front:
            return Table(
                self.name,
                (*columns, *self.columns),
                (e + r for e, r in zip(extra, self._rows, strict=True)),
            )
        return Table(
            self.name,
            (*self.columns, *columns),
            (r + e for r, e in zip(self._rows, extra, strict=True)),
        )

    def _decimals(self, index: int) -> tuple[int, list[Decimal | None]]:
        """The column's scale and its values at that scale (38 digits in all)."""
        values = [row[index] for row in self._rows]
        places = whole = 0
        for value in values:
            if value is not None:
                _, digits, exponent = value.as_tuple()
                assert isinstance(exponent, int)  # finite: checked on the way in
                places = max(places, -exponent)
                whole = max(whole, len(digits) + exponent)
        scale = max(0, min(places, _PRECISION - whole))
        step = Decimal(1).scaleb(-scale)
        return scale, [None if v is None else v.quantize(step, context=_CONTEXT) for v in values]

    def to_polars(self) -> Any:
        """The table as a polars DataFrame, typed by the columns (see the module's convention).

        Raises:
            ImportError: polars is not installed (``pip install 'crmcore[polars]'``).

        Examples:
            >>> from decimal import Decimal
            >>> table = Table("t", [Column("amount", "decimal"), Column("currency", "text")],
            ...               [(None, None), (Decimal("2.5"), "CNY")])
            >>> table.to_polars().dtypes
            [Decimal(precision=38, scale=1), String]
        """
        polars = _library("polars", self.name)
        data: dict[str, list[Any]] = {}
        schema: dict[str, Any] = {}
        for index, column in enumerate(self.columns):
            if column.type == "decimal":
                scale, data[column.name] = self._decimals(index)
                schema[column.name] = polars.Decimal(38, scale)
            else:
                data[column.name] = [row[index] for row in self._rows]
                schema[column.name] = _polars_type(polars, column.type)
        return polars.DataFrame(data, schema=schema)

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame, typed by the columns (see the module's convention).

        Raises:
            ImportError: pandas or pyarrow is not installed
                (``pip install 'crmcore[pandas]'``).

        Examples:
            >>> from decimal import Decimal
            >>> table = Table("t", [Column("amount", "decimal"), Column("n", "integer")],
            ...               [(None, None), (Decimal("2.5"), 4)])
            >>> [str(dtype) for dtype in table.to_pandas().dtypes]
            ['decimal128(38, 1)[pyarrow]', 'Int64']
        """
        pandas = _library("pandas", self.name)
        pyarrow = _library("pyarrow", self.name, extra="pandas")
        series: dict[str, Any] = {}
        for index, column in enumerate(self.columns):
            if column.type == "decimal":
                scale, values = self._decimals(index)
                dtype: Any = pandas.ArrowDtype(pyarrow.decimal128(38, scale))
            else:
                values = [row[index] for row in self._rows]
                dtype = _pandas_type(pandas, pyarrow, column.type)
            series[column.name] = pandas.Series(values, dtype=dtype)
        return pandas.DataFrame(series, columns=list(self.names))

    def _repr_html_(self) -> str:
        head = "".join(
            f'<th title="{html.escape(c.description)}">{html.escape(c.name)}</th>'
            for c in self.columns
        )
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_shown(v))}</td>" for v in row) + "</tr>"
            for row in self._rows[:_HTML_ROWS]
        )
        more = len(self._rows) - _HTML_ROWS
        rows = "row" if len(self._rows) == 1 else "rows"
        caption = f"{html.escape(self.name)}: {len(self._rows):,} {rows}"
        if more > 0:
            caption += f", the first {_HTML_ROWS} shown"
        return (
            f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )

    @classmethod
    def of(cls, name: str, records: Iterable[BaseModel | tuple[Any, ...]]) -> Table:
        """The table of records of one type: pydantic models or named tuples.

        The columns come from the type's fields (see the module's convention):
        money splits in two, nested records and mappings are left out.

        Args:
            name: What the table holds.
            records: Records of one type; an empty input gives an empty table
                with no columns (the type is unknown).

        Raises:
            UsageError: The records are not all of one type, or are neither
                pydantic models nor named tuples.

        Examples:
            >>> from crmcore import Money, Transaction
            >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2025-03-01T10:00:00Z",
            ...                    amount=Money("12.50", "CNY"))
            >>> table = Table.of("transactions", [sale])
            >>> table.names[:6]
            ('id', 'customer_id', 'occurred_at', 'kind', 'amount', 'amount_currency')
            >>> table.rows[0][4:6]
            (Decimal('12.50'), 'CNY')
        """
        items = list(records)
        if not items:
            return cls(name, ())
        kind = type(items[0])
        if any(type(item) is not kind for item in items):
            found = sorted({type(item).__name__ for item in items})
            raise UsageError(f"Table {name!r} takes records of one type, not {', '.join(found)}.")
        return cls.of_type(name, kind, items)

    @classmethod
    def of_type(cls, name: str, kind: type, records: Iterable[Any]) -> Table:
        """The table of records of a known type (the columns stay when there is no record).

        Examples:
            >>> from crmcore import Transaction
            >>> table = Table.of_type("transactions", Transaction, [])
            >>> len(table), table.names[:3]
            (0, ('id', 'customer_id', 'occurred_at'))
        """
        plan = _plan(kind)
        columns = [column for _, _, cols in plan for column in cols]
        return cls(name, columns, (_flatten(record, plan) for record in records))


class Tabular:
    """What a result with a table offers: pandas, polars and a notebook view.

    A subclass defines ``table()``; ``to_pandas()``, ``to_polars()`` and the
    HTML view follow from it.
    """

    def table(self) -> Table:
        """The result as a `Table`."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def to_pandas(self) -> Any:
        """The result's table as a pandas DataFrame (see `crmcore.tabular`)."""
        return self.table().to_pandas()

    def to_polars(self) -> Any:
        """The result's table as a polars DataFrame (see `crmcore.tabular`)."""
        return self.table().to_polars()

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


# -- column plans -----------------------------------------------------------------

_Plan = tuple[tuple[str, str, tuple[Column, ...]], ...]  # field, how, columns


def _bare(annotation: Any) -> Any:
    """The type under Optional and Annotated."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _scalar(annotation: Any) -> ColumnType | None:
    kind = _bare(annotation)
    if get_origin(kind) is Literal:
        return "text" if all(isinstance(a, str) for a in get_args(kind)) else None
    if not isinstance(kind, type):
        return None
    for base, column_type in _SCALARS:
        if issubclass(kind, base):
            return column_type
    return None


_SCALARS: tuple[tuple[type, ColumnType], ...] = (
    (Enum, "text"),
    (str, "text"),
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (Decimal, "decimal"),
    (AwareDatetime, "timestamp"),
    (datetime, "timestamp"),
    (date, "date"),
    (timedelta, "duration"),
)


def _descriptions(kind: type[Any]) -> dict[str, str]:
    if issubclass(kind, BaseModel):
        return {n: f.description or "" for n, f in kind.model_fields.items()}
    return {}


@cache
def _plan(kind: Any) -> _Plan:
    if issubclass(kind, BaseModel):
        fields = {n: f.annotation for n, f in kind.model_fields.items()}
    elif issubclass(kind, tuple) and hasattr(kind, "_fields"):
        hints = get_type_hints(kind, include_extras=True)
        fields = {n: hints.get(n, Any) for n in kind._fields}
    else:
        raise UsageError(
            f"A table is made of pydantic models or named tuples, not {kind.__name__} records."
        )
    about = _descriptions(kind)
    plan: list[tuple[str, str, tuple[Column, ...]]] = []
    for name, annotation in fields.items():
        bare = _bare(annotation)
        text = about.get(name, "")
        column_type = _scalar(annotation)
        if column_type is not None:
            plan.append((name, "value", (Column(name, column_type, text),)))
        elif bare is Money:
            plan.append(
                (
                    name,
                    "money",
                    (Column(name, "decimal", text), Column(f"{name}_currency", "text", "ISO 4217")),
                )
            )
        elif get_origin(bare) is tuple and _scalar(get_args(bare)[0]) == "text":
            plan.append((name, "joined", (Column(name, "text", text),)))
        elif isinstance(bare, type) and issubclass(bare, BaseModel) and bare is not kind:
            inner = _plan(bare)
            columns = tuple(
                Column(f"{name}_{c.name}", c.type, c.description) for _, _, cs in inner for c in cs
            )
            plan.append((name, "nested", columns))
    return tuple(plan)


def _flatten(record: Any, plan: _Plan) -> list[Any]:
    values: list[Any] = []
    for name, how, columns in plan:
        value = getattr(record, name)
        if how == "value":
            values.append(value)
        elif how == "money":
            values.extend((None, None) if value is None else (value.amount, value.currency))
        elif how == "joined":
            values.append("; ".join(str(_plain(v)) for v in value))
        elif value is None:
            values.extend([None] * len(columns))
        else:
            inner: Any = type(value)
            values.extend(_flatten(value, _plan(inner)))
    return values


# -- cells ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _cell(value: Any, column: Column, row: int, table: str) -> Any:
    if value is None:
        return None
    value = _plain(value)
    kind = column.type
    ok: bool
    if kind == "text":
        ok = isinstance(value, str)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
        if ok:
            try:
                value = float(value)
            except OverflowError:
                ok = False
            else:
                if value != value:  # NaN: missing, as pandas takes it
                    return None
    elif kind == "decimal":
        ok = isinstance(value, (int, Decimal)) and not isinstance(value, bool)
        value = Decimal(value) if ok else value
        ok = ok and value.is_finite() and value.adjusted() < _PRECISION
    elif kind == "timestamp":
        ok = isinstance(value, datetime) and value.utcoffset() is not None
        value = value.astimezone(timezone.utc) if ok else value
    elif kind == "date":
        ok = isinstance(value, date) and not isinstance(value, datetime)
    else:
        ok = isinstance(value, timedelta)
    if not ok:
        raise UsageError(
            f"Row {row} of table {table!r}: column {column.name!r} takes a {kind} value, "
            f"not {type(value).__name__} {value!r}."
        )
    return value


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 10_000 else f"{value:.4g}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


# -- libraries --------------------------------------------------------------------


def _library(module: str, table: str, *, extra: str | None = None) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"Turning table {table!r} into a dataframe needs {module}: "
            f"pip install 'crmcore[{extra or module}]'."
        ) from exc


def _polars_type(polars: Any, kind: ColumnType) -> Any:
    return {
        "text": polars.String,
        "integer": polars.Int64,
        "number": polars.Float64,
        "boolean": polars.Boolean,
        "timestamp": polars.Datetime("us", "UTC"),
        "date": polars.Date,
        "duration": polars.Duration("us"),
    }[kind]


def _pandas_type(pandas: Any, pyarrow: Any, kind: ColumnType) -> Any:
    return {
        "text": pandas.StringDtype(),
        "integer": pandas.Int64Dtype(),
        "number": pandas.Float64Dtype(),
        "boolean": pandas.BooleanDtype(),
        "timestamp": "datetime64[us, UTC]",
        "date": pandas.ArrowDtype(pyarrow.date32()),
        "duration": "timedelta64[us]",
    }[kind]


def mapping_table(
    name: str, key: Column, value: Column, items: Mapping[Any, Any] | Iterable[tuple[Any, Any]]
) -> Table:
    """A two-column table of a mapping's keys and values, in the mapping's order.

    Examples:
        >>> mapping_table("stages", Column("stage", "text"), Column("customers", "integer"),
        ...               {"loyal": 3, "churned": 1}).rows
        (('loyal', 3), ('churned', 1))
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    return Table(name, (key, value), pairs)


_FIGURE_COLUMNS = (
    Column("figure", "text", "The field of the result."),
    Column("group", "text", "The breakdown's key; None for a figure of the whole."),
    Column("value", "number", "A count, share or mean; None for an amount."),
    Column("amount", "decimal", "An amount of money; None for other figures."),
    Column("currency", "text", "The amount's ISO 4217 code."),
)


def figures_table(name: str, result: BaseModel, *, skip: Iterable[str] = ()) -> Table:
    """A result of named figures as a long table: one row per figure and breakdown key.

    Counts, shares and means go to ``value``; exact amounts to ``amount``
    with the result's ``currency``; a mapping gives one row per key, its key
    in ``group``. Fields that are neither (dates, nested records, text) and
    those in ``skip`` are left out.

    Examples:
        >>> from datetime import date
        >>> from crmcore.retention import CareKpis
        >>> kpis = CareKpis(start=date(2025, 1, 1), end=date(2025, 1, 31), customers=2,
        ...     contacts=1, coverage=0.5, coverage_by_tier={}, coverage_by_stage={},
        ...     contacts_per_customer=0.5, by_channel={"phone": 1}, by_function={},
        ...     by_stage={}, response_rate=None, mean_recommend=None, mean_satisfaction=None,
        ...     satisfaction_change=None, satisfaction_pairs=0, cost=None, currency=None,
        ...     cost_per_contact=None, retained=1, cost_per_retained=None)
        >>> for row in figures_table("care_kpis", kpis).rows[:3]:
        ...     print(row)
        ('customers', None, 2.0, None, None)
        ('contacts', None, 1.0, None, None)
        ('coverage', None, 0.5, None, None)
    """
    left_out = set(skip)
    currency = getattr(result, "currency", None)
    rows: list[tuple[Any, ...]] = []
    for field, info in type(result).model_fields.items():
        if field in left_out:
            continue
        value = getattr(result, field)
        kind = _scalar(info.annotation)
        if isinstance(value, Mapping):
            if not value:
                rows.append((field, None, None, None, None))
            rows.extend((field, str(_plain(k)), float(v), None, None) for k, v in value.items())
        elif kind == "decimal":
            rows.append((field, None, None, value, None if value is None else currency))
        elif kind in ("integer", "number"):
            rows.append((field, None, None if value is None else float(value), None, None))
    return Table(name, _FIGURE_COLUMNS, rows)
