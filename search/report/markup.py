"""The report's building blocks: tables as markdown and HTML, and a plotly figure written
as its own page and embedded in report.html."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["PLOTLY_JS", "Section", "figure_page", "html_table", "md_table"]

# A report section: its markdown lines, its HTML parts, the files it wrote.
Section = tuple[list[str], list[str], list[Path]]

# The file plotly writes beside a page for ``include_plotlyjs="directory"``.
PLOTLY_JS = "plotly.min.js"


def md_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def html_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


def figure_page(figure: Any, page: Path) -> str:
    """Writes ``figure`` as its own page (plotly.js shared once per folder) and returns the
    same plot as a ``div`` for report.html, which loads that same shared copy."""
    figure.write_html(page, include_plotlyjs="directory")
    return f'<div class="plot">{figure.to_html(full_html=False, include_plotlyjs=False)}</div>'
