"""Name-keyed registries, the one lookup mechanism for spaces, methods, samplers and pruners,
and the lazily loaded public names of a package.

Adding a method, sampler or pruner means registering a factory under a name; no caller
ever branches on the name itself. A package's names load on first use
(:func:`lazy_exports`), so that importing one TensorFlow-free module of it (the command
line's parser needs ``objectives.profiles``, a report reader ``search.running.study``)
does not import TensorFlow with the package's other modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "UnknownNameError", "lazy_exports"]

T = TypeVar("T")


class UnknownNameError(ValueError):
    """Raised when a registry is asked for a name it does not hold."""


class _Deferred(Generic[T]):
    """An entry not yet made: ``make()`` builds it on first lookup."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make = make


class Registry(Generic[T]):
    """A mapping from names to entries with a helpful error for unknown names.

    Args:
        kind: What the entries are ("method", "sampler", ...), used in error messages.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | _Deferred[T]] = {}

    def register(self, name: str, entry: T) -> T:
        """Adds ``entry`` under ``name``; registering a name twice is a programming error."""
        self._add(name, entry)
        return entry

    def register_deferred(self, name: str, make: Callable[[], T]) -> None:
        """Adds the entry ``make()`` returns under ``name``, made on its first lookup:
        listing the names (a command line's help, an unknown name's error) imports
        nothing that the entries need."""
        self._add(name, _Deferred(make))

    def _add(self, name: str, entry: T | _Deferred[T]) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry

    def require(self, name: str) -> None:
        """Checks that ``name`` is registered, without making a deferred entry.

        Raises:
            UnknownNameError: If ``name`` is not registered.
        """
        if name not in self._entries:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; choose from: {', '.join(self.names())}")

    def get(self, name: str) -> T:
        """Returns the entry for ``name``.

        Raises:
            UnknownNameError: If ``name`` is not registered.
        """
        self.require(name)
        entry = self._entries[name]
        if isinstance(entry, _Deferred):
            entry = self._entries[name] = entry.make()
        return entry

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)


def lazy_exports(package: str, exports: Mapping[str, str]
                 ) -> tuple[list[str], Callable[[str], Any]]:
    """``__all__`` and a module ``__getattr__`` for ``package``.

    Args:
        package: The package's ``__name__``.
        exports: Each public name and the module, relative to ``package``, that holds it.

    Returns:
        The sorted public names, and the ``__getattr__`` that imports a name's module on
        first use.
    """
    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return sorted(exports), getattr_
