"""Validation shared by the readers and the analysis: problems named by field, with no data."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmcore.errors import FieldProblem

#: What to do with a bad record: raise at once, or collect it and go on.
OnError = Literal["raise", "collect"]


def unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip ``Annotated`` and ``X | None``; return the inner type and whether None is allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                return annotation, optional
            annotation = args[0]
        else:
            return annotation, optional


def problems_of(
    exc: ValidationError, rename: Callable[[str], str] = lambda loc: loc
) -> list[FieldProblem]:
    """The problems of a validation error, one per field, with no input values in them.

    (The keys of free-form mappings, which are data, are kept out of the
    error locations by their fields' own validation: see ``masked_keys``.)
    """
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = ".".join(str(part) for part in error["loc"])
        problems.append(FieldProblem(rename(loc) if loc else None, error["msg"]))
    return problems


class ReadLimits(BaseModel):
    """The limits a reader holds a file to, so that no file can exhaust memory or crash it.

    Examples:
        >>> ReadLimits().max_cell_chars
        131072
        >>> ReadLimits.model_validate_json('{"max_json_depth": 8}').max_json_depth
        8
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_line_chars: int = Field(
        default=1_048_576,
        ge=1_000,
        le=1 << 30,
        description="The longest physical line read; a longer one is a bad row (and skipped).",
    )
    max_cell_chars: int = Field(
        default=131_072,
        ge=100,
        le=1 << 30,
        description="The longest CSV cell; a quoted cell may span lines up to this length.",
    )
    max_json_depth: int = Field(
        default=32, ge=2, le=500, description="How deep JSON arrays and objects may nest."
    )
    max_number_digits: int = Field(
        default=100, ge=20, le=4000, description="The most digits a JSON number may have."
    )
    kept_errors: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        description="How many bad rows a collecting reader keeps in full; later ones are counted.",
    )


def mapping_problem(mapping: Mapping[str, str]) -> str | None:
    """What is wrong with a column mapping (two names mapped to one), or ``None``.

    Examples:
        >>> mapping_problem({"client": "customer_id", "buyer": "customer_id"})
        "Two of the columns ['buyer', 'client'] are mapped to one name, 'customer_id'."
        >>> mapping_problem({"client": "customer_id"}) is None
        True
    """
    seen: dict[str, list[str]] = {}
    for theirs, ours in mapping.items():
        seen.setdefault(ours, []).append(theirs)
    for ours, names in seen.items():
        if len(names) > 1:
            return f"Two of the columns {sorted(names)} are mapped to one name, {ours!r}."
    return None
