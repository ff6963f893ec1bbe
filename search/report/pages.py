"""The report's pages: ``REPORT.md`` (PNG renderings, readable on a repository page) and
``report.html`` (interactive plotly figures, loading plotly's JavaScript from ``plots/``)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna

from search.analysis import RetrainRow, StudyRow
from search.report.figures import (
    curve_figure,
    gan_grid,
    png_curve,
    png_slices,
    png_sweep,
    retrain_grids,
    sampler_figure,
    study_figures,
    sweep_figure,
)
from search.report.glance import (
    errors_points,
    methods_figure,
    png_methods,
    png_val_curves,
    slice_grid,
    val_curve_series,
)
from search.report.protocol import (
    PROTOCOL,
    ProtocolResult,
    curve_series,
    seed_table,
    summary_table,
)
from search.report.protocol import anchors_measured as _anchors_measured
from search.report.tables import (
    MethodRow,
    anchor_table,
    label_sweep,
    main_table,
    num,
    sweep_table,
    sweep_tests_table,
)

__all__ = ["write_report"]


def _md(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _html_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


# A study's figures shown in report.html besides its slice grid; the rest are linked.
_SHOWN = ("history", "importances", "contour_width_depth")

# The file plotly writes beside a page for ``include_plotlyjs="directory"``.
_PLOTLY_JS = "plotly.min.js"


def _figure_page(figure: Any, page: Path) -> str:
    """Writes ``figure`` as its own page (plotly.js shared once per folder) and returns the
    same plot as a ``div`` for report.html, which loads that same shared copy."""
    figure.write_html(page, include_plotlyjs="directory")
    return f'<div class="plot">{figure.to_html(full_html=False, include_plotlyjs=False)}</div>'


def _protocol_sections(results: Sequence[ProtocolResult], beside: Mapping[str, Any],
                       plots: Path) -> tuple[list[str], list[str], list[Path]]:
    """Markdown lines, HTML sections and files of the official-protocol results."""
    md: list[str] = []
    sections: list[str] = []
    written: list[Path] = []
    paper = (PROTOCOL.steps, *PROTOCOL.single[:2])
    for i, result in enumerate(results):
        row = result.row
        title = (f"The paper's protocol, measured: {row.method} {row.study}#{row.trial}, "
                 f"profile {row.profile_label}, {row.n_labeled} labels "
                 f"({row.labeled_subset})")
        tables = [summary_table(result), seed_table(result)]
        md += [f"## {title}", "", *[x for t in tables for x in (_md(*t), "")]]
        section = f"<h2>{html.escape(title)}</h2>" + "".join(_html_table(*t) + "<br>"
                                                             for t in tables)
        series = curve_series(result, beside)
        if series:
            png = png_curve(series, paper, plots / f"protocol_curve_{i}.png")
            page = plots / f"protocol_curve_{i}.html"
            md += [f"![test errors against steps](plots/{png.name}) "
                   f"[interactive](plots/{page.name})", "",
                   "The curve is a monitor: no decision read it; the number reported is the "
                   "error after the last epoch.", ""]
            section += _figure_page(curve_figure(series, paper), page)
            written += [png, page]
        sections.append(section)
    return md, sections, written


def _overview(rows: Sequence[MethodRow], protocol: Sequence[ProtocolResult],
              plots: Path) -> tuple[list[str], list[str], list[Path]]:
    """The figures at the top: test errors per method beside the paper's, and the
    retrained winners' validation errors against steps."""
    points = errors_points(rows, protocol)
    png = png_methods(points, plots / "methods.png")
    page = plots / "methods.html"
    md = [f"![test errors per method](plots/{png.name}) [interactive](plots/{page.name})", ""]
    html_parts = [_figure_page(methods_figure(points), page)]
    written = [png, page]
    series = val_curve_series([(r.method, r.retrain) for r in rows if r.retrain is not None]
                              + [(f"{p.row.method}, official", p.row) for p in protocol])
    if series:
        curves = png_val_curves(series, plots / "val_curves.png")
        md += ["Learning curves of the retrained winners: validation errors against "
               "optimiser steps.", "", f"![validation errors against steps](plots/"
               f"{curves.name})", ""]
        html_parts.append(f'<img alt="learning curves" src="plots/{curves.name}">')
        written.append(curves)
    return md, html_parts, written


def write_report(out: Path, studies: Sequence[optuna.Study], study_rows: Sequence[StudyRow],
                 rows: Sequence[MethodRow], retrains: Sequence[RetrainRow],
                 study_urls: Mapping[str, str] | None = None,
                 protocol: Sequence[ProtocolResult] = (),
                 beside_curves: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Writes ``REPORT.md``, ``report.html`` and the figures under ``out``.

    Args:
        out: Output folder.
        studies: The studies, for their plots.
        study_rows: Their summaries.
        rows: The main table's rows.
        retrains: Every retrain group.
        study_urls: Study name to the storage URL its trials' files are recorded against.
        protocol: Official-protocol results, shown beside the paper's figures.
        beside_curves: Named per-seed (step, test errors) curves drawn beside theirs.

    Returns:
        ``{"md": ..., "html": ..., "plots": [...]}`` paths.
    """
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    head, body = main_table(rows)
    anchor_head, anchor_body = anchor_table(_anchors_measured(protocol))
    protocol_md, protocol_html, written = _protocol_sections(protocol, beside_curves or {},
                                                             plots)
    overview_md, overview_html, drawn = _overview(rows, protocol, plots)
    written += drawn
    md = ["# ssl-hpo report", "", "MNIST, validation = training images 50,000–59,999, test = "
          "the official 10,000 images (touched only by retraining).", "", *overview_md,
          "## Methods compared (ours, measured)", "", _md(head, body), "",
          "## Paper anchors (MNIST, 100 labels)", "", _md(anchor_head, anchor_body), "",
          *protocol_md]
    if retrains:
        md += ["## All retrain groups", "", _md(
            ["method", "config", "profile", "labels", "labeled subset", "runs", "test acc",
             "95 % CI", "errors mean ± std"],
            [[r.method, f"{r.study}#{r.trial}", r.profile_label, str(r.n_labeled),
              r.labeled_subset,
              str(r.runs), num(r.test_accuracy_mean),
              f"{num(r.test_accuracy_ci_low)}–{num(r.test_accuracy_ci_high)}",
              f"{r.test_errors_mean:.1f} ± {num(r.test_errors_std, 1)}"] for r in retrains]),
            ""]
    sections = [*overview_html,
                f"<h2>Methods compared (ours, measured)</h2>{_html_table(head, body)}",
                f"<h2>Paper anchors (MNIST, 100 labels)</h2>"
                f"{_html_table(anchor_head, anchor_body)}", *protocol_html]
    sweep = label_sweep(retrains)
    if sweep:
        sweep_head, sweep_body = sweep_table(sweep)
        png = png_sweep(sweep, plots / "label_sweep.png")
        page = plots / "label_sweep.html"
        title = "Test errors vs labels (labeled subset redrawn per run)"
        md += [f"## {title}", "", _md(sweep_head, sweep_body), ""]
        section = f"<h2>{title}</h2>{_html_table(sweep_head, sweep_body)}"
        tests = sweep_tests_table(sweep)
        if tests is not None:
            caption = ("Test errors against the baseline's at the same label count "
                       "(Welch's t-test, runs unpaired):")
            md += [caption, "", _md(*tests), ""]
            section += f"<p>{caption}</p>{_html_table(*tests)}"
        md += [f"![label sweep](plots/{png.name}) [interactive](plots/{page.name})", ""]
        sections.append(section + _figure_page(sweep_figure(sweep), page))
        written += [png, page]
    for study in studies:
        figures = study_figures(study)
        if not figures:
            continue
        md += [f"## {study.study_name}", ""]
        png = png_slices(study, plots / f"{study.study_name}__slices.png")
        if png is not None:
            md += [f"![{study.study_name}](plots/{png.name})", ""]
            written.append(png)
        links = []
        parts = [f"<h2>{html.escape(study.study_name)}</h2>"]
        grid = slice_grid(study)
        if grid is not None:  # one panel per parameter instead of a page each
            page = plots / f"{study.study_name}__slices.html"
            parts.append(_figure_page(grid, page))
            written.append(page)
        for name, figure in figures.items():
            page = plots / f"{study.study_name}__{name}.html"
            if name in _SHOWN:
                parts.append(_figure_page(figure, page))
            else:
                figure.write_html(page, include_plotlyjs="directory")
            written.append(page)
            links.append(f"[{name}](plots/{page.name})")
        md += ["Interactive: " + ", ".join(links), ""]
        parts.append("<p>Each parameter on its own page: " + ", ".join(
            f'<a href="plots/{study.study_name}__{name}.html">{html.escape(name)}</a>'
            for name in figures if name not in _SHOWN) + "</p>")
        sections.append("".join(parts))
    for method in sorted({s.user_attrs.get("method") for s in studies}):
        fig = sampler_figure(studies, method)
        if fig is not None:
            page = plots / f"{method}__samplers.html"
            sections.append(f"<h2>{html.escape(method)}: samplers compared</h2>"
                            + _figure_page(fig, page))
            written.append(page)
            md += [f"## {method}: samplers compared", "",
                   f"[best so far]({'plots/' + page.name})", ""]
    grid = gan_grid([s for s in studies if s.user_attrs.get("method") == "gan"], plots,
                    study_urls)
    if grid is not None:
        md += ["## GAN: generated digits of the best trial", "",
               f"![samples](plots/{grid.name})", ""]
        sections.append(f'<h2>GAN: generated digits of the best trial</h2><img alt="samples" '
                        f'src="plots/{grid.name}">')
        written.append(grid)
    for row in retrains:
        copied = retrain_grids(row, plots)
        if not copied:
            continue
        title = (f"{row.method}: generated digits of the retrained {row.study}#{row.trial} "
                 f"({row.n_labeled} labels, {row.labeled_subset} subset)")
        md += [f"## {title}", "", " ".join(f"![seed {seed}](plots/{png.name})"
                                           for seed, png in copied), ""]
        sections.append(f"<h2>{html.escape(title)}</h2>" + "".join(
            f'<figure style="display:inline-block"><img alt="seed {seed}" '
            f'src="plots/{png.name}"><figcaption>seed {seed}</figcaption></figure>'
            for seed, png in copied))
        written += [png for _, png in copied]
    (out / "REPORT.md").write_text("\n".join(md))
    # The figure pages already wrote plotly.js to plots/; embedding a second 4.8 MB copy
    # would not make the report standalone, since its images live in plots/ as well.
    script = (f'<script src="plots/{_PLOTLY_JS}"></script>'
              if any(p.suffix == ".html" for p in written) else "")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>ssl-hpo report</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px}</style>"
            f"{script}</head><body><h1>ssl-hpo report</h1>"
            + "".join(sections) + "</body></html>")
    (out / "report.html").write_text(page)
    return {"md": out / "REPORT.md", "html": out / "report.html", "plots": written}  # type: ignore[dict-item]
