"""The README and docs/: every relative link leads to a file of the repository, and the
README stays short enough to read in five minutes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "results" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text()) if "://" not in t]
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_the_readme_is_short_and_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, f"the README does not link docs/{page.name}"


def _commands(entry: str) -> list[list[str]]:
    """The ``python <entry> ...`` commands of the README's and docs' code blocks, as
    argument lists (continuation lines joined, comments cut; usage synopses with
    ``[...]`` left out)."""
    commands = []
    for page in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = re.sub(r"\\\n\s*", " ", page.read_text())
        for line in text.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(f"python {entry}") and "[" not in line:
                commands.append(shlex.split(line)[2:])
    return commands


@pytest.mark.parametrize("entry", ["run_study.py", "analyze.py"])
def test_every_documented_command_parses(entry: str) -> None:
    from search.cli import build_parser as run_study_parser

    import analyze

    parser = run_study_parser() if entry == "run_study.py" else analyze.build_parser()
    commands = _commands(entry)
    assert commands, f"no {entry} command found in the README or docs/"
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"documented command does not parse: python {entry} {' '.join(argv)}")
