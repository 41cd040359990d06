"""The base of the entities: a value with an identity."""

from __future__ import annotations

from pydantic import Field

from crmcore._model import Value
from crmcore._types import Id


class Entity(Value):
    """An immutable record with an identity.

    Two entities are equal when all their fields are equal; the hash depends on
    the kind and the id only, so entities whose free-form mappings are unhashable
    can still be put in sets and used as keys.
    """

    id: Id = Field(description="The record's id, unique among records of its kind.")

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self.id))
