"""The code's layout rules, checked on the source: no import circle between modules (lazy
imports inside functions included: a circle they close only fails later, at call time),
no module past 250 lines, and no two module names apart by a plural only."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("search", "spaces", "objectives", "storage", "benchmarks")
SCRIPTS = ("run_study.py", "analyze.py")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for script in SCRIPTS:
        found[Path(script).stem] = ROOT / script
    return found


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that ``import name`` loads last (``a.b.c`` may be a name in
    ``a.b``); ``None`` outside the project."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports anywhere in its source."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            owners = {_owner(target, modules) for target in targets}
            graph[name] |= {owner for owner in owners if owner and owner != name}
    return graph


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` as the path that closes it, or ``None``."""
    try:
        # graphlib reads each set as the node's predecessors and reports the circle
        # against the edges; reversed, it follows the imports.
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as circle:
        return list(reversed(circle.args[1]))
    return None


def test_find_circle_finds_one_and_only_one() -> None:
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_import_graph_has_no_circle() -> None:
    modules = _modules()
    graph = import_graph(modules)
    assert sum(map(len, graph.values())) > len(modules)  # the reader sees the imports
    assert find_circle(graph) is None


@pytest.mark.parametrize("package", [*PACKAGES, "tests"])
def test_no_module_is_past_250_lines(package: str) -> None:
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 250}
    assert not long


def test_no_two_module_names_differ_by_a_plural_only() -> None:
    names = {path.stem for path in _modules().values()}
    assert not sorted(n for n in names if f"{n}s" in names or f"{n}es" in names)
