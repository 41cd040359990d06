"""Field types shared by the entities: aware timestamps, ids, non-negative money."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from crmcore.money import Money

_BARE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


_NAIVE = (
    "datetime must be timezone-aware (such as 2024-05-01T09:30:00+08:00); "
    "a naive datetime is ambiguous"
)


_ZONES: dict[timedelta, timezone] = {timedelta(0): timezone.utc}


def _shared_zone(value: datetime, offset: timedelta) -> datetime:
    """The same moment with one shared ``timezone`` object per fixed UTC offset.

    Comparing or subtracting two datetimes is several times faster when their
    ``tzinfo`` is the same object, and a history compares its timestamps often.
    Named zones (``zoneinfo``) and named fixed offsets are left as they are.
    """
    zone = value.tzinfo
    if type(zone) is not timezone:
        return value
    shared = _ZONES.get(offset)
    if shared is None:
        shared = _ZONES.setdefault(offset, timezone(offset))
    if zone is shared or zone.tzname(None) != shared.tzname(None):
        return value
    return value.replace(tzinfo=shared)


def _aware(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if _BARE_DATE.fullmatch(text):
            return as_utc_midnight(date.fromisoformat(text))
        try:
            # Python 3.10 does not read a trailing "Z"; later versions do.
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            return value  # left to pydantic, whose message says what is wrong
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset is None:
            raise PydanticCustomError("naive_datetime", _NAIVE)
        return _shared_zone(value, offset)
    if isinstance(value, date):
        return as_utc_midnight(value)
    return value


#: A timezone-aware timestamp. A bare date (``date`` or ``"2024-05-01"``)
#: means 00:00 UTC of that day; a naive datetime is refused.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_aware)]


def _trimmed(limit: int, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not value or value != value.strip():
            raise PydanticCustomError(
                "blank_or_padded",
                "{what} must not be empty or start or end with whitespace",
                {"what": what},
            )
        if len(value) > limit:
            raise PydanticCustomError(
                "too_long",
                "{what} must be at most {limit} characters",
                {"what": what, "limit": limit},
            )
        return value

    return AfterValidator(check)


_ONE_LINE = r"^\S(?:.*\S)?$"
_MULTI_LINE = r"^\S(?:[\s\S]*\S)?$"

#: An identifier: 1 to 128 characters, no leading or trailing whitespace.
Id = Annotated[
    str,
    _trimmed(128, "an id"),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128, "pattern": _ONE_LINE}),
]

#: Free text: not empty, no leading or trailing whitespace, at most 10,000 characters.
Text = Annotated[
    str,
    _trimmed(10_000, "text"),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 10_000, "pattern": _MULTI_LINE}),
]

#: A short label (name, region, channel, product...): at most 200 characters.
Label = Annotated[
    str,
    _trimmed(200, "a label"),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": _ONE_LINE}),
]


def _non_negative(value: Money) -> Money:
    if value.amount < 0:
        raise PydanticCustomError("money_non_negative", "amount must be greater than or equal to 0")
    return value


#: Money whose amount is zero or more.
NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]

#: A duration of zero or more.
NonNegativeDuration = Annotated[timedelta, Field(ge=timedelta(0))]
