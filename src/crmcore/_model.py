"""The base every crmcore value type shares, for every layer of the package.

`Value` (frozen, validated, personal fields masked in reprs), `Vocabulary`
(string enumerations whose ``str()`` is their value), and two helpers for hot
paths: `trusted` (build a model from values crmcore computed itself) and
`tuple_record_schema` (named tuples that read and write JSON objects).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from enum import Enum
from typing import Any, ClassVar, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler, create_model
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class Vocabulary(str, Enum):
    """A string enumeration whose ``str()`` is its value."""

    def __str__(self) -> str:
        return str(self.value)


class Value(BaseModel):
    """An immutable value object: validated, frozen, no unknown fields.

    The fields named in ``personal_fields`` may hold personal data (names,
    contact data, free text about a person): ``repr()`` and ``str()`` show
    them as ``'***'``.
    """

    personal_fields: ClassVar[tuple[str, ...]] = ()

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        ser_json_timedelta="iso8601",
        validate_default=True,
        # Records may carry personal data (names, notes, descriptions); error
        # messages name the field and the rule but never echo the input.
        hide_input_in_errors=True,
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The JSON Schema describes the data, so it takes the docstring's first
        # paragraph only, not the examples that follow it.
        json_schema = handler.resolve_ref_schema(handler(schema))
        summary = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
        json_schema["description"] = " ".join(summary.split())
        return json_schema

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in self.personal_fields and value not in (None, ()):
                yield name, "***"
            else:
                yield name, value


_Model = TypeVar("_Model", bound=BaseModel)


def trusted(cls: type[_Model], values: dict[str, Any]) -> _Model:
    """Build a model from values crmcore computed itself and knows to be valid.

    The same as ``cls.model_construct(**values)`` for a model without private
    attributes when every field is given (``values`` is kept, not copied), at a
    third of the cost, for hot paths: a lifecycle replay builds one state per
    customer. Callers pass every field; tests check that the result equals a
    validated copy.
    """
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


_set = object.__setattr__


def tuple_record_schema(
    cls: type[tuple[Any, ...]], handler: GetCoreSchemaHandler
) -> core_schema.CoreSchema:
    """The pydantic schema of a named tuple that reads and writes JSON objects.

    Hot paths build named tuples (``tuple.__new__`` is several times cheaper
    than a model). Input is validated, and the JSON Schema described, by a
    model made from the tuple's own annotations, named like the tuple.
    """
    hints = get_type_hints(cls, include_extras=True)
    fields = create_model(  # type: ignore[call-overload]
        cls.__name__,
        __base__=Value,
        __doc__=cls.__doc__,
        **{name: (hints[name], ...) for name in cls._fields},  # type: ignore[attr-defined]
    )
    schema = handler.generate_schema(fields)

    def accept(value: object, validate: core_schema.ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, cls):
            return value
        return cls(*validate(value).__dict__.values())

    def dump(value: tuple[Any, ...]) -> BaseModel:
        return fields.model_construct(**value._asdict())  # type: ignore[attr-defined]

    return core_schema.no_info_wrap_validator_function(
        accept,
        schema,
        serialization=core_schema.plain_serializer_function_ser_schema(dump, return_schema=schema),
    )
