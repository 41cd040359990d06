"""Money: an exact decimal amount together with its ISO 4217 currency code.

Money never uses binary floating point for arithmetic. Amounts are
``decimal.Decimal``; adding or subtracting two amounts is
exact whatever the default decimal context says. A float given as input is
read by its shortest representation, so ``0.1`` becomes ``Decimal("0.1")``.

Rules for an amount given as input (from Python, JSON or CSV):

* a ``Decimal``, ``int``, ``float`` or decimal string (booleans are refused);
* a string is written with ASCII digits, an optional sign, decimal point and
  exponent, and optional surrounding spaces (``"99.00"``, ``" 1e3 "``);
  underscores, other digits, ``NaN`` and ``Infinity`` are refused;
* a float is read by its shortest representation and may need at most 15
  significant digits: every decimal of 15 digits or fewer survives the trip
  through a float, so ``0.1`` is ``Decimal("0.1")``, while
  ``0.1 + 0.2 == 0.30000000000000004`` is refused as not the decimal anyone
  typed (give such amounts as strings or ``Decimal``);
* finite, at most 10^15 in magnitude (a guard against unit and typing
  mistakes; totals that crmcore computes may exceed it);
* at most 18 decimal places.

The currency is an active ISO 4217 code in capitals (``"CNY"``, ``"USD"``,
``"EUR"``, ``"XAU"``, ``"XXX"``...); lower case is refused rather than
silently changed, and so is a code ISO 4217 does not list (``"XXQ"``).
`minor_units` tells each currency's decimal places; `register_currency`
adds a code for the whole process (a private unit, or one ISO adds later).

Error messages never repeat the amount or the currency given.

Equality never raises: amounts in different currencies are simply unequal.
Adding, subtracting, dividing or ordering (``<``, ``<=``, ``>``, ``>=``)
amounts in different currencies raises
[`CurrencyMismatch`][crmcore.errors.CurrencyMismatch].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any, NoReturn

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import (
    InitErrorDetails,
    PydanticCustomError,
    ValidationError,
    core_schema,
)

from crmcore._currencies import MINOR_UNITS
from crmcore.errors import ConfigurationError, CurrencyMismatch, UsageError

__all__ = [
    "MAX_AMOUNT",
    "MAX_DECIMAL_PLACES",
    "MAX_FLOAT_DIGITS",
    "Money",
    "minor_units",
    "register_currency",
]

#: The largest magnitude an amount given as input may have.
MAX_AMOUNT = Decimal(10) ** 15
#: The largest number of decimal places an amount given as input may have.
MAX_DECIMAL_PLACES = 18

#: The most significant digits a float amount may need (the digits a float holds exactly).
MAX_FLOAT_DIGITS = 15

_CURRENCY = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_SPECIAL = {"nan", "snan", "inf", "infinity"}
_CODES: dict[str, int | None] = dict(MINOR_UNITS)
# Addition and subtraction in this context never round: the precision is the
# largest the decimal module allows, so the result keeps every digit.
_EXACT = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


def parse_amount(value: object) -> Decimal:
    """Read an amount given as input, raising ``PydanticCustomError`` on a bad one."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "money_amount_type", "amount must be a number or a decimal string, not a boolean"
        )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        if amount.is_finite() and len(amount.normalize().as_tuple().digits) > MAX_FLOAT_DIGITS:
            raise PydanticCustomError(
                "money_amount_float",
                "amount is a float with more than {digits} significant digits, which is not "
                "the decimal that was meant (such as 0.1 + 0.2); give it as a string or Decimal",
                {"digits": MAX_FLOAT_DIGITS},
            )
    elif isinstance(value, str):
        if _DECIMAL.fullmatch(value) is None:
            if value.strip().lstrip("+-").lower() in _SPECIAL:
                raise PydanticCustomError(
                    "money_amount_finite", "amount must be a finite number, not NaN or infinity"
                )
            raise PydanticCustomError(
                "money_amount_parsing",
                "amount must be a decimal number in ASCII digits such as '99.00'",
            )
        amount = Decimal(value)
    else:
        raise PydanticCustomError(
            "money_amount_type",
            "amount must be a number or a decimal string, not {type_name}",
            {"type_name": type(value).__name__},
        )
    if not amount.is_finite():
        raise PydanticCustomError(
            "money_amount_finite", "amount must be a finite number, not NaN or infinity"
        )
    if abs(amount) > MAX_AMOUNT:
        raise PydanticCustomError(
            "money_amount_magnitude", "amount must not exceed 10^15 in magnitude"
        )
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise PydanticCustomError(
            "money_amount_places",
            "amount must have at most {places} decimal places",
            {"places": MAX_DECIMAL_PLACES},
        )
    return amount


def parse_currency(value: object) -> str:
    """Read a currency code given as input, raising ``PydanticCustomError`` on a bad one."""
    if not isinstance(value, str) or value not in _CODES:
        if isinstance(value, str) and _CURRENCY.fullmatch(value) is not None:
            raise PydanticCustomError(
                "money_currency_unknown",
                "currency must be an ISO 4217 code; this one is not on the list "
                "(register_currency() adds a private code)",
            )
        raise PydanticCustomError(
            "money_currency",
            "currency must be a three-letter ISO 4217 code in capitals, such as 'CNY'",
        )
    return value


def minor_units(currency: str) -> int | None:
    """The decimal places of a currency's minor unit, or ``None`` where it has none.

    Raises:
        UsageError: ``currency`` is not a known code.

    Examples:
        >>> minor_units("CNY"), minor_units("JPY"), minor_units("BHD"), minor_units("XAU")
        (2, 0, 3, None)
    """
    try:
        return _CODES[currency]
    except KeyError:
        raise UsageError(f"{currency!r} is not an ISO 4217 currency code.") from None


def register_currency(code: str, places: int | None) -> None:
    """Accept ``code`` as a currency from now on, in this whole process.

    For a private unit (loyalty points, a company scrip) or a code ISO 4217
    adds after this release. Call it once at start-up, before reading data.

    Args:
        code: Three capital letters.
        places: The decimal places of its minor unit, or ``None``.

    Raises:
        ConfigurationError: ``code`` is not three capital letters, ``places`` is not
            ``None`` or 0 to 6, or ``code`` is already known with other places.

    Examples:
        >>> register_currency("PTS", 0)
        >>> Money("1200", "PTS")
        Money('1200', 'PTS')
    """
    if _CURRENCY.fullmatch(code) is None:
        raise ConfigurationError(
            f"Cannot register currency {code!r}: a code is three capital letters."
        )
    if places is not None and (isinstance(places, bool) or not 0 <= places <= 6):
        raise ConfigurationError(
            f"Cannot register currency {code!r}: places must be None or 0 to 6, not {places!r}."
        )
    if _CODES.get(code, places) != places:
        raise ConfigurationError(
            f"Cannot register currency {code!r} with {places} places: "
            f"it is known with {_CODES[code]}."
        )
    _CODES[code] = places


def _serialize(money: Money, info: core_schema.SerializationInfo[Any]) -> dict[str, Any]:
    if info.mode_is_json():
        return {"amount": format(money.amount, "f"), "currency": money.currency}
    return {"amount": money.amount, "currency": money.currency}


class Money:
    """An exact amount of money in one currency; immutable and hashable.

    Args:
        amount: A ``Decimal``, ``int``, ``float`` (read by its shortest repr)
            or decimal string.
        currency: Three capital letters, an ISO 4217 code such as ``"CNY"``.

    Raises:
        pydantic.ValidationError: The amount or the currency breaks a rule;
            the message names the field and the rule.

    Examples:
        >>> price = Money("99.00", "CNY")
        >>> price + Money(0.1, "CNY")
        Money('99.10', 'CNY')
        >>> sum([price, price, price])
        Money('297.00', 'CNY')
        >>> print(price * 2)
        198.00 CNY
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | float | str, currency: str) -> None:
        errors: list[InitErrorDetails] = []
        checked_amount = Decimal(0)
        checked_currency = ""
        try:
            checked_amount = parse_amount(amount)
        except PydanticCustomError as exc:
            errors.append({"type": exc, "loc": ("amount",), "input": amount})
        try:
            checked_currency = parse_currency(currency)
        except PydanticCustomError as exc:
            errors.append({"type": exc, "loc": ("currency",), "input": currency})
        if errors:
            raise ValidationError.from_exception_data("Money", errors, hide_input=True)
        object.__setattr__(self, "amount", checked_amount)
        object.__setattr__(self, "currency", checked_currency)

    @classmethod
    def _trusted(cls, amount: Decimal, currency: str) -> Money:
        """Build a Money from parts that are already known to be valid."""
        money = _new(cls)
        _set_amount(money, amount)
        _set_currency(money, currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return an amount of zero in ``currency``.

        Examples:
            >>> Money.zero("EUR")
            Money('0', 'EUR')
        """
        return cls(Decimal(0), currency)

    # -- immutability ------------------------------------------------------------
    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Cannot set {name!r} on Money: Money is immutable.")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Cannot delete {name!r} on Money: Money is immutable.")

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self.amount), self.currency))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Money:
        return self

    # -- display -----------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money({format(self.amount, 'f')!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"

    def __format__(self, spec: str) -> str:
        """Format the amount with ``spec`` and append the currency code.

        Examples:
            >>> f"{Money('1234.5', 'CNY'):,.2f}"
            '1,234.50 CNY'
        """
        return f"{format(self.amount, spec or 'f')} {self.currency}"

    # -- equality and order ------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def _same_currency(self, other: Money, operation: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(operation, self.currency, other.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    # -- arithmetic --------------------------------------------------------------
    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return Money._trusted(_EXACT.add(self.amount, other.amount), self.currency)

    def __radd__(self, other: object) -> Money:
        # ``sum()`` starts from the integer 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money._trusted(_EXACT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money._trusted(_EXACT.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._trusted(_EXACT.abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            return NotImplemented
        return Money._trusted(_EXACT.multiply(self.amount, Decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, other: object) -> Decimal:
        """Divide by an amount in the same currency, giving a ratio.

        The ratio is computed in the current decimal context (28 significant
        digits by default), so it may be rounded.

        Examples:
            >>> Money("30", "CNY") / Money("120", "CNY")
            Decimal('0.25')
        """
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "divide")
        return self.amount / other.amount

    # -- pydantic integration ----------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        parts = core_schema.typed_dict_schema(
            {
                "amount": core_schema.typed_dict_field(
                    core_schema.no_info_plain_validator_function(parse_amount)
                ),
                "currency": core_schema.typed_dict_field(
                    core_schema.no_info_plain_validator_function(parse_currency)
                ),
            },
            extra_behavior="forbid",
        )
        from_parts = core_schema.no_info_after_validator_function(
            lambda d: cls._trusted(d["amount"], d["currency"]), parts
        )

        def accept_instances(
            value: object, handler: core_schema.ValidatorFunctionWrapHandler
        ) -> Any:
            if isinstance(value, cls):
                return value
            return require_parts(value, handler)

        def require_parts(value: object, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
            if not isinstance(value, Mapping):
                number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
                raise PydanticCustomError(
                    "money_parts",
                    "money needs an amount and a currency, such as Money('12.50', 'CNY') or "
                    "{example}, not {given}",
                    {
                        "example": "{'amount': '12.50', 'currency': 'CNY'}",
                        "given": f"a bare number ({value!r})" if number else repr(value)[:40],
                    },
                )
            return handler(value)

        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_wrap_validator_function(require_parts, from_parts),
            python_schema=core_schema.no_info_wrap_validator_function(accept_instances, from_parts),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialize, info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "title": "Money",
            "description": "An exact amount in one currency; the amount is a decimal string.",
            "type": "object",
            "properties": {
                "amount": {
                    "anyOf": [
                        {
                            "type": "string",
                            "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$",
                        },
                        {"type": "number"},
                    ],
                    "description": "Decimal amount, at most 10^15 in magnitude.",
                },
                "currency": {
                    "type": "string",
                    "pattern": "^[A-Z]{3}$",
                    "description": "ISO 4217 currency code.",
                },
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }


# The slot descriptors, for building trusted values without object.__setattr__.
_new = object.__new__
_set_amount = vars(Money)["amount"].__set__
_set_currency = vars(Money)["currency"].__set__
