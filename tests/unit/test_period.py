from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from crmcore import Period
from crmcore.strategies import timestamps


class Window(BaseModel):
    window: Period


@pytest.mark.parametrize(
    ("text", "months", "days"),
    [
        ("P12M", 12, 0),
        ("P1Y", 12, 0),
        ("P1Y6M", 18, 0),
        ("P90D", 0, 90),
        ("P2W", 0, 14),
        ("P1M3D", 1, 3),
    ],
)
def test_a_period_is_read_from_an_iso_8601_duration(text: str, months: int, days: int) -> None:
    period = Period.parse(text)
    assert (period.months, period.days) == (months, days)


@pytest.mark.parametrize("text", ["", "P", "12M", "P1.5M", "PT4H", "P-1D", "P1D2M"])
def test_anything_else_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(text)


def test_a_period_must_be_longer_than_zero() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        Period()


@pytest.mark.parametrize("part", [-1, 1.5, True])
def test_a_part_must_be_a_whole_number_of_zero_or_more(part: object) -> None:
    with pytest.raises(ValueError, match="days must be a whole number"):
        Period(days=part)  # type: ignore[arg-type]


def test_twelve_months_and_one_year_are_the_same_period() -> None:
    assert Period(months=12) == Period(years=1)
    assert hash(Period(months=12)) == hash(Period.parse("P1Y"))
    assert Period(days=7) == Period(weeks=1)
    assert Period(days=30) != Period(months=1)


def test_a_period_writes_itself_in_iso_8601() -> None:
    assert [str(Period.parse(t)) for t in ("P18M", "P2W", "P1Y1D")] == ["P1Y6M", "P14D", "P1Y1D"]
    assert repr(Period(months=3)) == "Period('P3M')"


def test_one_month_after_the_31st_of_january_is_the_end_of_february() -> None:
    jan_31 = datetime(2023, 1, 31, 9, tzinfo=timezone.utc)
    assert Period(months=1).after(jan_31) == datetime(2023, 2, 28, 9, tzinfo=timezone.utc)
    assert Period(months=1).before(datetime(2024, 3, 31, tzinfo=timezone.utc)).day == 29


@given(timestamps(), st.integers(0, 60), st.integers(0, 400))
def test_period_arithmetic_agrees_with_dateutil(moment: datetime, months: int, days: int) -> None:
    if months == days == 0:
        days = 1
    period = Period(months=months, days=days)
    delta = relativedelta(months=months, days=days)
    assert period.after(moment) == moment + delta
    assert period.before(moment) == moment - delta
    assert period.to_relativedelta() == delta


@given(timestamps(), st.integers(0, 120), st.integers(0, 100))
def test_every_span_of_a_period_lies_between_its_shortest_and_longest(
    moment: datetime, months: int, days: int
) -> None:
    if months == days == 0:
        days = 1
    period = Period(months=months, days=days)
    assert period.shortest <= period.after(moment) - moment <= period.longest


def test_pydantic_reads_a_period_from_text_a_period_or_whole_days() -> None:
    assert Window(window="P6M").window == Period(months=6)
    assert Window(window=Period(days=3)).window == Period(days=3)
    assert Window(window=timedelta(days=90)).window == Period(days=90)
    assert Window.model_validate_json('{"window": "P1Y"}').model_dump_json() == '{"window":"P1Y"}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("P1X", "is not a period"),
        (timedelta(hours=5), "must be whole days"),
        (12, "a period must be an ISO 8601 duration"),
    ],
)
def test_pydantic_refuses_other_values_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        Window(window=value)
    assert caught.value.errors()[0]["loc"] == ("window",)


def test_the_json_schema_describes_an_iso_duration() -> None:
    schema = Window.model_json_schema()["properties"]["window"]
    assert schema["type"] == "string"
    assert schema["pattern"].startswith("^P")


def test_a_period_survives_pickling() -> None:
    assert pickle.loads(pickle.dumps(Period(years=2, days=3))) == Period(months=24, days=3)


def test_the_day_of_a_moment_is_its_own_calendar_day() -> None:
    from datetime import date as day

    from crmcore.period import day_of

    assert day_of("2025-03-01T23:30:00+08:00") == day(2025, 3, 1)  # not the UTC day
    assert day_of(day(2025, 3, 1)) == day(2025, 3, 1)
    with pytest.raises(ValueError, match="Invalid isoformat"):
        day_of("March 1st")
