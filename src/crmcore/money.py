"""Money: an exact decimal amount together with its ISO 4217 currency code.

Money never uses binary floating point for arithmetic. Amounts are
``decimal.Decimal``; adding or subtracting two amounts is
exact whatever the default decimal context says. A float given as input is
read by its shortest representation, so ``0.1`` becomes ``Decimal("0.1")``.

Rules for an amount given as input (from Python, JSON or CSV):

* a ``Decimal``, ``int``, ``float`` or decimal string (booleans are refused);
* finite: NaN and infinities are refused;
* at most 10^15 in magnitude (a guard against unit and typing mistakes;
  totals that crmcore computes may exceed it);
* at most 18 decimal places.

The currency is three capital letters (``"CNY"``, ``"USD"``, ``"EUR"``);
lower case is refused rather than silently changed. Any three letters are
accepted, so that private codes such as ``"XPT"`` or loyalty points can be
modelled.

Equality never raises: amounts in different currencies are simply unequal.
Adding, subtracting, dividing or ordering (``<``, ``<=``, ``>``, ``>=``)
amounts in different currencies raises
[`CurrencyMismatch`][crmcore.errors.CurrencyMismatch].
"""

from __future__ import annotations

import re
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

from crmcore.errors import CurrencyMismatch

__all__ = ["MAX_AMOUNT", "MAX_DECIMAL_PLACES", "Money"]

#: The largest magnitude an amount given as input may have.
MAX_AMOUNT = Decimal(10) ** 15
#: The largest number of decimal places an amount given as input may have.
MAX_DECIMAL_PLACES = 18

_CURRENCY = re.compile(r"[A-Z]{3}")
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
    elif isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise PydanticCustomError(
                "money_amount_parsing", "amount must be a decimal number such as '99.00'"
            ) from None
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
    if not isinstance(value, str) or _CURRENCY.fullmatch(value) is None:
        raise PydanticCustomError(
            "money_currency",
            "currency must be a three-letter ISO 4217 code in capitals, such as 'CNY'",
        )
    return value


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
            raise ValidationError.from_exception_data("Money", errors)
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
            return handler(value)

        return core_schema.json_or_python_schema(
            json_schema=from_parts,
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
