from __future__ import annotations

import pytest

from spaces import SPACES, Registry, UnknownNameError


def test_registry_lookup_and_unknown_name() -> None:
    reg: Registry[int] = Registry("thing")
    reg.register("a", 1)
    assert reg.get("a") == 1 and "a" in reg and reg.names() == ["a"]
    with pytest.raises(UnknownNameError, match="unknown thing 'b'; choose from: a"):
        reg.get("b")
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 2)


def test_a_deferred_entry_is_made_once_on_its_first_lookup() -> None:
    made: list[str] = []

    def make() -> int:
        made.append("b")
        return 2

    reg: Registry[int] = Registry("thing")
    reg.register("a", 1)
    reg.register_deferred("b", make)
    # Listing, membership and checking a name make nothing.
    reg.require("b")
    assert reg.names() == ["a", "b"] and "b" in reg and list(reg) == ["a", "b"]
    assert made == []
    assert reg.get("b") == 2 and reg.get("b") == 2 and made == ["b"]
    with pytest.raises(UnknownNameError, match="unknown thing 'c'; choose from: a, b"):
        reg.require("c")
    with pytest.raises(ValueError, match="already registered"):
        reg.register_deferred("a", make)


def test_every_space_is_registered_by_method_name() -> None:
    assert "supervised" in SPACES
