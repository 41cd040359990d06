"""A small cache keyed by object identity, for values derived from immutable configurations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class ByIdentity(Generic[K, V]):
    """Remembers ``derive(key)`` per key object, for a few keys at a time.

    Hashing a pydantic model hashes all its fields, which costs more than
    what is derived from it; identity is enough for frozen configurations.
    Each entry keeps its key alive, so a key's id cannot be reused by another
    object while the entry exists; past ``size`` keys the cache starts afresh.
    """

    def __init__(self, derive: Callable[[K], V], size: int = 32) -> None:
        self._derive = derive
        self._size = size
        self._entries: dict[int, tuple[K, V]] = {}

    def __call__(self, key: K) -> V:
        entry = self._entries.get(id(key))
        if entry is None or entry[0] is not key:
            if len(self._entries) >= self._size:
                self._entries.clear()
            entry = self._entries[id(key)] = (key, self._derive(key))
        return entry[1]
