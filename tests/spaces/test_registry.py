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


def test_every_space_is_registered_by_method_name() -> None:
    assert "supervised" in SPACES
