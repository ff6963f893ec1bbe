"""Name-keyed registries, the one lookup mechanism for spaces, methods, samplers and pruners.

Adding a method, sampler or pruner means registering a factory under a name; no caller
ever branches on the name itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["Registry", "UnknownNameError"]

T = TypeVar("T")


class UnknownNameError(ValueError):
    """Raised when a registry is asked for a name it does not hold."""


class Registry(Generic[T]):
    """A mapping from names to entries with a helpful error for unknown names.

    Args:
        kind: What the entries are ("method", "sampler", ...), used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> T:
        """Adds ``entry`` under ``name``; registering a name twice is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        """Returns the entry for ``name``.

        Raises:
            UnknownNameError: If ``name`` is not registered.
        """
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; choose from: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)
