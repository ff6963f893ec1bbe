"""Lazily loaded public names of a package, so that importing one TensorFlow-free module
of it (a report reader needs ``search.running.study``) does not import TensorFlow with
the package's other modules."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


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
