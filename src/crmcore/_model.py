"""The base every crmcore value type shares, for every layer of the package.

`Value` (frozen, validated, personal fields masked in reprs), `Vocabulary`
(string enumerations whose ``str()`` is their value), and two helpers for hot
paths: `trusted` (build a model from values crmcore computed itself) and
`tuple_record_schema` (named tuples that read and write JSON objects).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from enum import Enum
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    create_model,
)
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

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # help() and IDEs show the fields with their plain types, not pydantic's
        # validators (a Customer's generated signature runs to 3,000 characters)
        type.__setattr__(cls, "__signature__", readable_signature(cls))

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in self.personal_fields and value not in (None, ()):
                yield name, "***"
            else:
                yield name, value


_Model = TypeVar("_Model", bound=BaseModel)


def readable_signature(cls: type[BaseModel]) -> inspect.Signature:
    """A model's keyword-only signature with each field's plain type and default.

    Examples:
        >>> class Point(Value):
        ...     x: Annotated[int, "a constraint"]
        ...     label: str | None = None
        >>> str(readable_signature(Point))
        '(*, x: int, label: str | None = None)'
    """
    parameters = []
    for name, field in cls.model_fields.items():
        if field.is_required():
            default: Any = inspect.Parameter.empty
        elif field.default_factory in (dict, list, tuple, set, frozenset):
            default = _Shown(repr(field.default_factory()))
        elif field.default_factory is not None:  # never called here: it may have effects
            default = _Shown("<factory>")
        elif isinstance(field.default, Enum):
            default = _Shown(f"{type(field.default).__name__}.{field.default.name}")
        else:
            default = field.default
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=_Shown(type_name(field.annotation)),
            )
        )
    return inspect.Signature(parameters)


class _Shown(str):
    """Text that a signature shows as it is, without quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def type_name(annotation: Any) -> str:
    """An annotation as a reader writes it: no ``Annotated`` metadata, unions with ``|``.

    Examples:
        >>> from typing import Optional
        >>> type_name(Optional[Annotated[tuple[int, ...], "meta"]])
        'tuple[int, ...] | None'
    """
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return type_name(args[0])
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "None"
    if annotation is AwareDatetime:
        return "datetime"
    name = getattr(annotation, "__name__", None)
    return name if isinstance(name, str) else repr(annotation)


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
