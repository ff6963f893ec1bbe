"""The methods, found by name: :data:`METHODS` holds one instance of each, made on its
first lookup, so that a command line lists the names (or refuses an unknown one) without
importing TensorFlow. Adding a method means adding its module and registering it here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from spaces.registry import Registry

if TYPE_CHECKING:
    from objectives.base import Method

__all__ = ["METHODS", "get_method"]


def _instance(name: str, cls: str) -> Callable[[], Method]:
    """Makes method ``cls`` of module ``objectives.<name>``, importing it then."""
    return lambda: getattr(importlib.import_module(f"objectives.{name}"), cls)()


METHODS: Registry[Method] = Registry("method")
for _name, _cls in (("supervised", "Supervised"), ("autoencoder", "Autoencoder"),
                    ("contrastive", "Contrastive"), ("gan", "Gan"), ("fixmatch", "FixMatch")):
    METHODS.register_deferred(_name, _instance(_name, _cls))


def get_method(name: str) -> Method:
    """Returns the registered method ``name``."""
    return METHODS.get(name)
