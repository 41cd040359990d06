"""Field types shared by the entities: aware timestamps, ids, non-negative money."""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from crmcore.money import Money

#: The earliest instant a record may carry (inclusive, UTC).
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
#: The end of the instants a record may carry (exclusive, UTC).
END_OF_TIME = datetime(2200, 1, 1, tzinfo=timezone.utc)
#: The earliest and latest calendar dates (birthdays, anniversaries) accepted.
FIRST_DATE, LAST_DATE = date(1000, 1, 1), date(2199, 12, 31)

# RFC 3339 / ISO 8601 extended format: a date, or a date and time with a UTC offset.
_ISO_MOMENT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)


# 2024-05-01T09:30:00+08:00, with or without microseconds: what most files hold
_USUAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{6})?[+-]\d\d:\d\d", re.ASCII)
_OFFSETS: dict[str, timezone] = {}  # filled with the offsets met, each with its shared zone
# local times a day inside the range: in it whatever their UTC offset
_SURELY_AFTER, _SURELY_BEFORE = datetime(1900, 1, 2), datetime(2199, 12, 31)


def median_span(spans: Iterable[timedelta]) -> timedelta:
    """The median of time spans (the mean of the middle two for an even count).

    Raises:
        statistics.StatisticsError: No span was given.
    """
    return statistics.median(spans)  # type: ignore[type-var]  # timedeltas add and halve


def as_utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


_NAIVE = (
    "datetime must be timezone-aware (such as 2024-05-01T09:30:00+08:00); "
    "a naive datetime is ambiguous"
)
_FORMAT = (
    "must be an ISO 8601 date (2024-05-01) or date-time with a UTC offset "
    "(2024-05-01T09:30:00+08:00)"
)


def parse_moment(text: str, *, bounded: bool = True) -> datetime:
    """Read an ISO 8601 date or date-time; the same rules on every Python version.

    Surrounding whitespace is ignored. A bare date means 00:00 UTC; a
    date-time needs a UTC offset (``Z``, ``+08:00``, ``+0800`` or ``+08``);
    seconds may carry up to six decimals. Week dates, ordinal dates and
    numbers are refused. The instant must lie in the accepted range, unless
    ``bounded`` is false (for instants crmcore derived itself).

    Raises:
        PydanticCustomError: The text breaks one of these rules.
    """
    if _USUAL.fullmatch(text) is not None:  # the usual shape, read by the standard library
        zone = _OFFSETS.get(text[-6:])
        if zone is not None:
            local = datetime.fromisoformat(text[:-6])
            if _SURELY_AFTER <= local < _SURELY_BEFORE:  # in range whatever the offset
                return datetime.combine(local, local.time(), zone)
    match = _ISO_MOMENT.fullmatch(text.strip())
    if match is None:
        raise PydanticCustomError("timestamp_format", _FORMAT)
    year, month, day, hour, minute, second, fraction, utc, sign, hours, minutes = match.groups()
    if hour is not None and utc is None and sign is None:
        raise PydanticCustomError("naive_datetime", _NAIVE)
    if fraction is not None and len(fraction) > 6:
        raise PydanticCustomError(
            "timestamp_precision", "a time may carry at most six decimals of a second"
        )
    try:
        zone = timezone.utc
        if sign is not None:
            offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
            zone = shared_zone(-offset if sign == "-" else offset)
            if minutes is not None and len(_OFFSETS) < 1000:  # ±HH:MM, the usual shape's
                _OFFSETS[f"{sign}{hours}:{minutes}"] = zone
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        raise PydanticCustomError(
            "timestamp_value", "is not a real date, time or UTC offset"
        ) from None
    return in_range(moment) if bounded else moment


def in_range(moment: datetime) -> datetime:
    """``moment`` itself, if it lies in the instants crmcore accepts.

    Raises:
        PydanticCustomError: It is earlier than 1900-01-01 or not earlier than
            2200-01-01 (UTC).
    """
    if not EARLIEST <= moment < END_OF_TIME:
        raise PydanticCustomError(
            "timestamp_range",
            "must be from 1900-01-01 up to the end of 2199 (UTC): "
            "crmcore refuses instants outside it as likely typing mistakes",
        )
    return moment


_ZONES: dict[timedelta, timezone] = {timedelta(0): timezone.utc}


def shared_zone(offset: timedelta) -> timezone:
    """The one ``timezone`` object crmcore uses for a fixed UTC offset."""
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES.setdefault(offset, timezone(offset))
    return zone


def _shared_zone(value: datetime, offset: timedelta) -> datetime:
    """The same moment with one shared ``timezone`` object per fixed UTC offset.

    Comparing or subtracting two datetimes is several times faster when their
    ``tzinfo`` is the same object, and a history compares its timestamps often.
    Named zones (``zoneinfo``) and named fixed offsets are left as they are.
    """
    zone = value.tzinfo
    if type(zone) is not timezone:
        return value
    shared = shared_zone(offset)
    if zone is shared or zone.tzname(None) != shared.tzname(None):
        return value
    return value.replace(tzinfo=shared)


def to_timestamp(value: Any, *, bounded: bool = True) -> Any:
    """The rules of `Timestamp`: an aware datetime in range, from text, a date or a datetime."""
    check = in_range if bounded else _unchecked
    if isinstance(value, str):
        return parse_moment(value, bounded=bounded)  # in a shared zone already
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError("naive_datetime", _NAIVE)
        check(value)
    elif isinstance(value, date):
        value = check(as_utc_midnight(value))
    elif isinstance(value, (int, float, Decimal)):
        raise PydanticCustomError(
            "timestamp_type",
            "must be an ISO 8601 date or date-time, not a number (a number is not an instant here)",
        )
    else:
        return value  # left to pydantic, whose message names the type expected
    offset = value.utcoffset()
    assert offset is not None  # checked above or set by parse_moment
    return _shared_zone(value, offset)


def _unchecked(moment: datetime) -> datetime:
    return moment


def _derived(value: Any) -> Any:
    return to_timestamp(value, bounded=False)


def _calendar_date(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if _ISO_MOMENT.fullmatch(text) is None or len(text) != 10:
            raise PydanticCustomError("date_format", "must be an ISO 8601 date such as 2024-05-01")
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise PydanticCustomError("date_value", "is not a real date") from None
    elif isinstance(value, datetime):
        raise PydanticCustomError("date_type", "must be a date, not a date and time")
    elif isinstance(value, (int, float, Decimal)):
        raise PydanticCustomError("date_type", "must be an ISO 8601 date, not a number")
    if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError("date_range", "must be a date from the year 1000 to 2199")
    return value


#: A timezone-aware timestamp from 1900-01-01 up to the end of 2199 (UTC). A
#: bare date (``date`` or ``"2024-05-01"``) means 00:00 UTC of that day; a
#: naive datetime, a number and any text but ISO 8601 are refused.
Timestamp = Annotated[AwareDatetime, BeforeValidator(to_timestamp)]


_MOMENT: TypeAdapter[datetime] = TypeAdapter(Timestamp)


def to_moment(value: object, name: str = "as_of") -> datetime:
    """A moment given to a function (``as_of``, ``at``...), by the rules of `Timestamp`.

    A bare date is 00:00 UTC that day; naive datetimes and numbers are refused
    with pydantic's ``ValidationError``, titled with the parameter's ``name``.
    """
    try:
        return _MOMENT.validate_python(value)
    except ValidationError as exc:
        raise ValidationError.from_exception_data(
            name,
            [
                {
                    "type": PydanticCustomError(str(error["type"]), error["msg"]),
                    "loc": error["loc"],
                    "input": error["input"],
                }
                for error in exc.errors()
            ],
        ) from None


#: A timezone-aware instant that crmcore derived (a window's start, an SLA
#: deadline): the rules of `Timestamp` but the range, since a setting may
#: carry it beyond the instants records may hold.
DerivedTimestamp = Annotated[AwareDatetime, BeforeValidator(_derived)]

#: A calendar date from the year 1000 to 2199 (``date`` or ``"2024-05-01"``).
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


# Control characters (C0, DEL, C1), the Unicode line and paragraph separators, and
# lone surrogates (not text: no encoding can write them).
# (The JSON Schema patterns leave surrogates out: a validator counting UTF-16 units
# would take the two halves of an emoji for them.)
_BREAKS = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029"
_CONTROLS = "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f"
_SURROGATES = "\\ud800-\\udfff"
_LINE_BREAKS = re.compile(f"[{_BREAKS}{_SURROGATES}]")
_TEXT_CONTROLS = re.compile(f"[{_CONTROLS}{_SURROGATES}]")


def _check_text(value: str, limit: int, what: str, one_line: bool) -> str:
    if not value or value != value.strip():
        raise PydanticCustomError(
            "blank_or_padded",
            "{what} must not be empty or start or end with whitespace",
            {"what": what},
        )
    if len(value) > limit:
        raise PydanticCustomError(
            "too_long", "{what} must be at most {limit} characters", {"what": what, "limit": limit}
        )
    if not value.isprintable():  # cheap for the usual text; the pattern decides
        if one_line and _LINE_BREAKS.search(value) is not None:
            raise PydanticCustomError(
                "control_character",
                "{what} must be one line, with no control characters",
                {"what": what},
            )
        if not one_line and _TEXT_CONTROLS.search(value) is not None:
            raise PydanticCustomError(
                "control_character",
                "{what} must hold no control characters but tabs and line breaks",
                {"what": what},
            )
    return value


def check_label(value: str) -> str:
    """``value`` itself if it is a valid label (the rules of `Label`)."""
    return _check_text(value, 200, "a label", True)


def check_text(value: str) -> str:
    """``value`` itself if it is valid free text (the rules of `Text`)."""
    return _check_text(value, 10_000, "text", False)


def check_id(value: str) -> str:
    """``value`` itself if it is a valid id (the rules of `Id`).

    Raises:
        PydanticCustomError: It breaks a rule; the message says which.
    """
    return _check_text(value, 128, "an id", True)


# One line: a non-space character, then any but breaks and controls, ending on a non-space.
_ONE_LINE = f"^[^\\s{_BREAKS}](?:[^{_BREAKS}]*[^\\s{_BREAKS}])?$"
_MULTI_LINE = f"^[^\\s{_CONTROLS}](?:[^{_CONTROLS}]*[^\\s{_CONTROLS}])?$"

#: An identifier: 1 to 128 characters on one line, no control characters, no
#: leading or trailing whitespace.
Id = Annotated[
    str,
    AfterValidator(check_id),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128, "pattern": _ONE_LINE}),
]

#: Free text: not empty, no leading or trailing whitespace, at most 10,000
#: characters; it may span lines, but holds no control characters besides tabs
#: and line breaks.
Text = Annotated[
    str,
    AfterValidator(check_text),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 10_000, "pattern": _MULTI_LINE}),
]

#: A short label (name, region, channel, product...): at most 200 characters,
#: on one line, with no control characters.
Label = Annotated[
    str,
    AfterValidator(check_label),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": _ONE_LINE}),
]


def masked_keys(what: str) -> WrapValidator:
    """Validation of a free-form mapping whose errors never show its keys.

    The keys of a customer's ``segment`` or ``attributes`` are data, and may
    be personal (an e-mail address used as a key): an entry that breaks a rule
    is reported under the mapping's own name, with the rules it broke.
    """

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            rules = sorted({e["msg"] for e in exc.errors(include_url=False, include_input=False)})
            raise PydanticCustomError(
                "mapping_entry",
                "{what} has an entry that breaks a rule (its key is not shown): {rules}",
                {"what": what, "rules": "; ".join(rules)},
            ) from None

    return WrapValidator(check)


def check_non_negative(amount: Decimal) -> Decimal:
    """``amount`` itself if it is zero or more (the rule of `NonNegativeMoney`)."""
    if amount < 0:
        raise PydanticCustomError("money_non_negative", "amount must be greater than or equal to 0")
    return amount


def _non_negative(value: Money) -> Money:
    check_non_negative(value.amount)
    return value


#: Money whose amount is zero or more.
NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]

#: The longest duration a setting or a record may give: 100 years (36,525 days).
#: With instants within 1900-2199, every sum of an instant and such a duration
#: stays a valid datetime.
MAX_DAYS = 36_525
MAX_DURATION = timedelta(days=MAX_DAYS)

#: A duration from zero to 100 years.
NonNegativeDuration = Annotated[timedelta, Field(ge=timedelta(0), le=MAX_DURATION)]

#: A duration longer than zero and at most 100 years.
PositiveDuration = Annotated[timedelta, Field(gt=timedelta(0), le=MAX_DURATION)]

#: A number of days from 0 to 36,525 (100 years).
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]
