"""Building the commonest entities from CSV cells without a validation pass per row.

Reading a large transactions or touchpoints file is mostly spent validating
each row into its model. The rows that reach a portfolio are nearly always of
a plain shape: ISO instants with an offset, plain decimal amounts, enum
values written as crmcore writes them, ``true`` and ``false``. For those, a
builder here checks each cell by the very rules of the entity's fields (the
same functions the fields' validators call) and builds the entity directly.
Anything else — an empty required cell, an unusual spelling pydantic might
still accept, a rule broken — is declined (``None``), and the caller
validates the row the usual way, so that accepted values and error messages
stay exactly those of the model. Tests check, row by row, that an entity
built here equals the validated one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticCustomError

from crmcore._model import trusted
from crmcore._types import MAX_DURATION, check_id, check_label, check_text, parse_moment
from crmcore.entities import CareTouchpoint, Feedback, Transaction
from crmcore.money import Money, parse_currency

__all__ = ["PLAIN_AMOUNT", "RowBuilder", "known_currency", "row_builder"]

#: Cells of one row → the entity, or None when the row must be validated the usual way.
RowBuilder = Callable[[Sequence[str]], BaseModel | None]

#: A decimal amount surely valid as it is: no need to check more.
PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,18})?")
_COUNT = re.compile(r"[1-9][0-9]{0,8}")
_DURATION = re.compile(r"PT(?:([0-9]{1,6})H)?(?:([0-9]{1,6})M)?(?:([0-9]{1,6})S)?")
_BOOLS = {"true": True, "false": False}


class _Declined(Exception):
    """The row is not of the plain shape: validate it the usual way."""


def _amount(text: str) -> Decimal:
    if PLAIN_AMOUNT.fullmatch(text) is None:
        raise _Declined
    return Decimal(text)


def _remembered(check: Callable[[str], object], limit: int) -> Callable[[str], str]:
    """``check`` of text that repeats (labels, currency codes): each valid text checked once."""
    valid: set[str] = set()

    def checked(text: str) -> str:
        if text not in valid:
            check(text)
            if len(valid) < limit:
                valid.add(text)
        return text

    return checked


_known_label = _remembered(check_label, 10_000)
#: ``text`` itself if it is a currency code (remembered once seen, for speed).
known_currency = _remembered(parse_currency, 1000)


def _bool(text: str) -> bool:
    value = _BOOLS.get(text)
    if value is None:
        raise _Declined
    return value


def _count(text: str) -> int:
    if _COUNT.fullmatch(text) is None:
        raise _Declined
    return int(text)


def _rating(low: int, high: int) -> Callable[[str], int]:
    def read(text: str) -> int:
        if not (text.isascii() and text.isdigit() and len(text) <= 2):
            raise _Declined
        value = int(text)
        if not low <= value <= high or text != str(value):
            raise _Declined
        return value

    return read


def _duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text)
    if match is None or text == "PT":
        raise _Declined
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    value = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if value > MAX_DURATION:
        raise _Declined
    return value


def _enum(kind: type[Enum]) -> Callable[[str], Enum]:
    members = {member.value: member for member in kind}

    def read(text: str) -> Enum:
        member = members.get(text)
        if member is None:
            raise _Declined
        return member

    return read


def _check_covered(model: type[BaseModel], *names: Any) -> None:
    """Fail at import if ``model`` gained a field that no reader here knows."""
    missing = set(model.model_fields).difference(*names)
    if missing:  # pragma: no cover - a new field without a reader here
        raise AssertionError(f"no fast reader for {model.__name__}.{sorted(missing)}")


_TRANSACTION_READERS: dict[str, Callable[[str], Any]] = {
    "id": check_id,
    "customer_id": check_id,
    "occurred_at": parse_moment,
    "kind": _enum(Transaction.model_fields["kind"].annotation),  # type: ignore[arg-type]
    "quantity": _count,
    "product": _known_label,
    "category": _known_label,
    "channel": _known_label,
    "designated": _bool,
    "promotion": _bool,
    "selection_time": _duration,
    "refund_of": check_id,
}
_TRANSACTION_MONEY = ("amount", "list_amount", "cost")

_TOUCHPOINT_READERS: dict[str, Callable[[str], Any]] = {
    "id": check_id,
    "customer_id": check_id,
    "occurred_at": parse_moment,
    "stage": _enum(CareTouchpoint.model_fields["stage"].annotation),  # type: ignore[arg-type]
    "channel": _enum(CareTouchpoint.model_fields["channel"].annotation),  # type: ignore[arg-type]
    "function": _enum(CareTouchpoint.model_fields["function"].annotation),  # type: ignore[arg-type]
    "direction": _enum(CareTouchpoint.model_fields["direction"].annotation),  # type: ignore[arg-type]
    "purpose": _known_label,
    "responded": _bool,
}
_TOUCHPOINT_MONEY = ("cost",)
_FEEDBACK_READERS: dict[str, Callable[[str], Any]] = {
    "recommend": _rating(0, 10),
    "satisfaction": _rating(1, 5),
    "praise": _bool,
    "referral": _bool,
    "competitor_attitude": _enum(
        Feedback.model_fields["competitor_attitude"].annotation.__args__[0]  # type: ignore[union-attr]
    ),
    "note": check_text,
}


class _Layout:
    """Where each field's cells are in a header, worked out once per file."""

    def __init__(
        self,
        model: type[BaseModel],
        header: Sequence[str],
        readers: dict[str, Callable[[str], Any]],
        money: Sequence[str],
        prefix: str = "",
    ) -> None:
        self.model = model
        self.defaults = {
            name: field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items()
            if not field.is_required()
        }
        self.order = tuple(model.model_fields)
        self.required = tuple(
            name for name, field in model.model_fields.items() if field.is_required()
        )
        position = {name: index for index, name in enumerate(header)}
        self.scalars = tuple(
            (name, position[prefix + name], read)
            for name, read in readers.items()
            if prefix + name in position
        )
        self.money = tuple(
            (name, position.get(prefix + name), position.get(prefix + name + ".currency"))
            for name in money
        )

    def values(self, cells: Sequence[str]) -> dict[str, Any] | None:
        """The fields given by the cells (None: none at all), or `_Declined`."""
        values: dict[str, Any] = {}
        for name, index, read in self.scalars:
            text = cells[index]
            if text != "":
                values[name] = read(text)
        for name, amount_at, currency_at in self.money:
            amount = "" if amount_at is None else cells[amount_at]
            code = "" if currency_at is None else cells[currency_at]
            if amount == "" and code == "":
                continue
            if amount == "" or code == "":
                raise _Declined
            values[name] = Money._trusted(_amount(amount), known_currency(code))
        return values or None

    def build(self, values: dict[str, Any]) -> BaseModel:
        for name in self.required:
            if name not in values:
                raise _Declined
        defaults = self.defaults  # in the fields' order, as validation makes them
        every = {name: values[name] if name in values else defaults[name] for name in self.order}
        model = trusted(self.model, every)
        object.__setattr__(model, "__pydantic_fields_set__", set(values))
        return model


def _transaction(header: Sequence[str]) -> RowBuilder:
    layout = _Layout(Transaction, header, _TRANSACTION_READERS, _TRANSACTION_MONEY)
    purchase = Transaction.model_fields["kind"].default

    def build(cells: Sequence[str]) -> BaseModel | None:
        try:
            values = layout.values(cells)
            if values is None:
                return None
            amount: Money | None = values.get("amount")
            if amount is None:
                return None
            for name in ("list_amount", "cost"):
                other = values.get(name)
                if other is not None and other.currency != amount.currency:
                    return None
            listed = values.get("list_amount")
            if listed is not None and listed.amount < amount.amount:
                return None
            if "refund_of" in values and values.get("kind", purchase) is purchase:
                return None
            return layout.build(values)
        except (_Declined, PydanticCustomError):
            return None

    return build


def _touchpoint(header: Sequence[str]) -> RowBuilder:
    layout = _Layout(CareTouchpoint, header, _TOUCHPOINT_READERS, _TOUCHPOINT_MONEY)
    feedback = _Layout(Feedback, header, _FEEDBACK_READERS, (), prefix="feedback.")

    def build(cells: Sequence[str]) -> BaseModel | None:
        try:
            values = layout.values(cells)
            if values is None:
                return None
            said = feedback.values(cells)
            if said is not None:
                values["feedback"] = feedback.build(said)
            return layout.build(values)
        except (_Declined, PydanticCustomError):
            return None

    return build


_BUILDERS: dict[type[BaseModel], Callable[[Sequence[str]], RowBuilder]] = {
    Transaction: _transaction,
    CareTouchpoint: _touchpoint,
}
_check_covered(Transaction, _TRANSACTION_READERS, _TRANSACTION_MONEY)
_check_covered(CareTouchpoint, _TOUCHPOINT_READERS, _TOUCHPOINT_MONEY, ["feedback"])
_check_covered(Feedback, _FEEDBACK_READERS)


def row_builder(entity: type[BaseModel], header: Sequence[str]) -> RowBuilder | None:
    """The fast builder of ``entity`` for a file with this header (crmcore's names), if any.

    Examples:
        >>> from crmcore.entities import Transaction
        >>> build = row_builder(Transaction, ["id", "customer_id", "occurred_at", "amount",
        ...                                   "amount.currency"])
        >>> build(["T-1", "C-1", "2024-05-01T10:00:00+08:00", "9.50", "CNY"]).amount
        Money('9.50', 'CNY')
        >>> build(["T-1", "C-1", "2024-05-01T10:00:00+08:00", "-9.50", "CNY"]) is None
        True
    """
    make = _BUILDERS.get(entity)
    return None if make is None else make(header)
