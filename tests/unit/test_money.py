from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from crmcore import CurrencyMismatch, Money
from crmcore.money import minor_units, register_currency


class Priced(BaseModel):
    price: Money


def test_an_amount_keeps_its_decimal_digits() -> None:
    assert Money("99.00", "CNY").amount == Decimal("99.00")
    assert str(Money("99.00", "CNY")) == "99.00 CNY"


def test_a_float_is_taken_by_its_shortest_repr() -> None:
    assert Money(0.1, "CNY").amount == Decimal("0.1")
    assert Money(0.1, "CNY") + Money(0.2, "CNY") == Money("0.3", "CNY")


def test_integers_and_decimals_are_accepted() -> None:
    assert Money(5, "USD").amount == Decimal(5)
    assert Money(Decimal("1.25"), "USD").amount == Decimal("1.25")


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity", float("nan"), float("inf")])
def test_nan_and_infinities_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"amount\n.*finite number"):
        Money(bad, "CNY")  # type: ignore[arg-type]


def test_magnitudes_above_ten_to_the_fifteenth_are_rejected() -> None:
    assert Money(Decimal(10) ** 15, "CNY").amount == Decimal(10) ** 15
    with pytest.raises(ValidationError, match="must not exceed 10\\^15"):
        Money(Decimal(10) ** 15 + 1, "CNY")
    with pytest.raises(ValidationError, match="must not exceed 10\\^15"):
        Money(-(Decimal(10) ** 15) - 1, "CNY")


def test_more_than_eighteen_decimal_places_are_rejected() -> None:
    assert Money("0." + "1" * 18, "CNY")
    with pytest.raises(ValidationError, match="at most 18 decimal places"):
        Money("0." + "1" * 19, "CNY")


@pytest.mark.parametrize("bad", [True, False, None, [1], {"a": 1}])
def test_non_numbers_are_rejected(bad: object) -> None:
    with pytest.raises(ValidationError, match="amount must be a number"):
        Money(bad, "CNY")  # type: ignore[arg-type]


def test_text_that_is_not_a_number_is_rejected() -> None:
    with pytest.raises(ValidationError, match="decimal number in ASCII digits such as"):
        Money("twelve", "CNY")


@pytest.mark.parametrize("code", ["cny", "CN", "CNYY", "C1Y", "", " CNY", 840])
def test_a_currency_must_be_three_capital_letters(code: object) -> None:
    with pytest.raises(ValidationError, match=r"currency\n.*three-letter ISO 4217 code"):
        Money("1", code)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["XXQ", "ABC", "DEM", "ZZZ"])
def test_a_currency_must_be_on_the_iso_4217_list(code: str) -> None:
    with pytest.raises(ValidationError, match=r"currency\n.*not on the list"):
        Money("1", code)


def test_each_currency_knows_its_minor_units() -> None:
    assert [minor_units(c) for c in ("CNY", "JPY", "KWD", "CLF", "XAU")] == [2, 0, 3, 4, None]
    with pytest.raises(ValueError, match="'XXQ' is not an ISO 4217 currency code"):
        minor_units("XXQ")


def test_a_private_currency_can_be_registered_for_the_process() -> None:
    register_currency("QPT", 0)
    assert Money("1200", "QPT").currency == "QPT" and minor_units("QPT") == 0
    register_currency("QPT", 0)  # the same again is harmless
    with pytest.raises(ValueError, match="known with 0"):
        register_currency("QPT", 2)
    with pytest.raises(ValueError, match="three capital letters"):
        register_currency("qpt", 0)


@pytest.mark.parametrize("text", ["1_000", "١٢", "１２", "12_5.0", "0x10", "1,000"])
def test_amount_text_is_ascii_digits_without_separators(text: str) -> None:
    with pytest.raises(ValidationError, match="decimal number in ASCII digits"):
        Money(text, "CNY")


def test_a_float_is_refused_when_it_is_not_the_decimal_that_was_meant() -> None:
    with pytest.raises(ValidationError, match="a float with more than 15 significant digits"):
        Money(0.1 + 0.2, "CNY")
    assert Money(0.1, "CNY").amount == Decimal("0.1")
    assert Money(1234567.89, "CNY").amount == Decimal("1234567.89")


def test_both_bad_fields_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        Money("nan", "usd")
    assert [e["loc"] for e in info.value.errors()] == [("amount",), ("currency",)]


def test_addition_and_subtraction_are_exact() -> None:
    big = Money("999999999999999.99", "CNY")
    tiny = Money("0.000000000000000001", "CNY")
    assert (big + tiny).amount == Decimal("999999999999999.990000000000000001")
    assert (big + tiny - big) == tiny


def test_sum_works_from_the_integer_zero() -> None:
    assert sum([Money("1.10", "EUR"), Money("2.20", "EUR")]) == Money("3.30", "EUR")
    assert sum([Money("1", "EUR")], Money.zero("EUR")) == Money("1", "EUR")


@pytest.mark.parametrize(
    ("operation", "verb"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "subtract"),
        (lambda a, b: a < b, "compare"),
        (lambda a, b: a >= b, "compare"),
        (lambda a, b: a / b, "divide"),
    ],
)
def test_mixing_currencies_raises_naming_both_codes(operation, verb) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CurrencyMismatch, match=f"Cannot {verb} CNY and USD amounts") as info:
        operation(Money("1", "CNY"), Money("1", "USD"))
    assert (info.value.left, info.value.right) == ("CNY", "USD")
    assert info.value.code == "currency_mismatch"


def test_summing_mixed_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatch):
        sum([Money("1", "CNY"), Money("1", "USD")])


def test_equality_across_currencies_is_false_not_an_error() -> None:
    assert Money("1", "CNY") != Money("1", "USD")
    assert Money("1.0", "CNY") == Money("1.00", "CNY")
    assert len({Money("1.0", "CNY"), Money("1.00", "CNY"), Money("1", "USD")}) == 2


def test_money_is_not_equal_to_a_bare_number() -> None:
    assert Money("1", "CNY") != Decimal(1)
    with pytest.raises(TypeError):
        _ = Money("1", "CNY") < 2  # type: ignore[operator]


def test_multiplying_by_an_integer_or_decimal_scales_the_amount() -> None:
    assert Money("2.50", "CNY") * 3 == Money("7.50", "CNY")
    assert Decimal("0.5") * Money("3", "CNY") == Money("1.5", "CNY")


def test_multiplying_by_a_float_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = Money("2.50", "CNY") * 1.5  # type: ignore[operator]


def test_dividing_two_amounts_gives_a_ratio() -> None:
    assert Money("30", "CNY") / Money("120", "CNY") == Decimal("0.25")


def test_negation_and_absolute_value() -> None:
    assert -Money("3", "CNY") == Money("-3", "CNY")
    assert abs(Money("-3", "CNY")) == Money("3", "CNY")
    assert +Money("3", "CNY") == Money("3", "CNY")


def test_zero_is_falsy() -> None:
    assert not Money.zero("CNY")
    assert Money("0.01", "CNY")


def test_money_is_immutable() -> None:
    price = Money("1", "CNY")
    with pytest.raises(AttributeError, match="immutable"):
        price.amount = Decimal(2)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del price.currency


def test_money_survives_pickle_and_copy() -> None:
    price = Money("12.34", "JPY")
    assert pickle.loads(pickle.dumps(price)) == price
    assert copy.deepcopy(price) is price


def test_repr_and_format() -> None:
    assert repr(Money("1E+3", "CNY")) == "Money('1000', 'CNY')"
    assert f"{Money('1234.5', 'CNY'):,.2f}" == "1,234.50 CNY"


def test_json_form_is_a_decimal_string_and_a_code() -> None:
    dumped = Priced(price=Money("99.00", "CNY")).model_dump_json()
    assert json.loads(dumped) == {"price": {"amount": "99.00", "currency": "CNY"}}
    assert Priced.model_validate_json(dumped).price == Money("99.00", "CNY")


def test_python_dump_keeps_the_decimal() -> None:
    assert Priced(price=Money("1.5", "CNY")).model_dump() == {
        "price": {"amount": Decimal("1.5"), "currency": "CNY"}
    }


def test_validation_in_a_model_names_the_nested_field() -> None:
    with pytest.raises(ValidationError, match=r"price\.amount\n.*finite"):
        Priced.model_validate({"price": {"amount": "nan", "currency": "CNY"}})
    with pytest.raises(ValidationError, match=r"price\.extra"):
        Priced.model_validate({"price": {"amount": "1", "currency": "CNY", "extra": 1}})


def test_json_schema_describes_the_json_form() -> None:
    schema = TypeAdapter(Money).json_schema()
    assert schema["required"] == ["amount", "currency"]
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
