"""The report's sections, each as markdown lines, HTML parts and the files it wrote: the
overview figures at the top, what each result cost with the selection tables, and the
paper's protocol measured."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from search.report.costs import (
    budget_table,
    compute_figure,
    compute_points,
    machines_line,
    png_compute,
    selection_table,
)
from search.report.figures import curve_figure, png_curve
from search.report.glance import (
    errors_points,
    methods_figure,
    png_methods,
    png_val_curves,
    val_curve_series,
)
from search.report.markup import Section, figure_page, html_table, md_table
from search.report.protocol import (
    PROTOCOL,
    ProtocolResult,
    curve_series,
    seed_table,
    summary_table,
)
from search.report.readers.study_reader import StudyRow
from search.report.tables import MethodRow

__all__ = ["Section", "costs", "overview", "protocol_sections"]



def protocol_sections(results: Sequence[ProtocolResult], beside: Mapping[str, Any],
                       plots: Path) -> Section:
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
        md += [f"## {title}", "", *[x for t in tables for x in (md_table(*t), "")]]
        section = f"<h2>{html.escape(title)}</h2>" + "".join(html_table(*t) + "<br>"
                                                             for t in tables)
        series = curve_series(result, beside)
        if series:
            png = png_curve(series, paper, plots / f"protocol_curve_{i}.png")
            page = plots / f"protocol_curve_{i}.html"
            md += [f"![test errors against steps](plots/{png.name}) "
                   f"[interactive](plots/{page.name})", "",
                   "The curve is a monitor: no decision read it; the number reported is the "
                   "error after the last epoch.", ""]
            section += figure_page(curve_figure(series, paper), page)
            written += [png, page]
        sections.append(section)
    return md, sections, written


def overview(rows: Sequence[MethodRow], protocol: Sequence[ProtocolResult],
              plots: Path) -> Section:
    """The figures at the top: test errors per method beside the paper's, and the
    retrained winners' validation errors against steps."""
    points = errors_points(rows, protocol)
    png = png_methods(points, plots / "methods.png")
    page = plots / "methods.html"
    md = [f"![test errors per method](plots/{png.name}) [interactive](plots/{page.name})", ""]
    html_parts = [figure_page(methods_figure(points), page)]
    written = [png, page]
    series = val_curve_series([(r.method, r.retrain) for r in rows if r.retrain is not None]
                              + [(f"{p.row.method}, official", p.row) for p in protocol])
    if series:
        curves = png_val_curves(series, plots / "val_curves.png")
        caption = ("Learning curves of the retrained winners: validation errors against "
                   "optimiser steps, on the subset each profile monitors every epoch (the "
                   "first 1,000 or 2,000 validation images, scaled to 10,000): a run's final "
                   "validation score over all 10,000 can differ.")
        md += [caption, "", f"![validation errors against steps](plots/{curves.name})", ""]
        html_parts.append(f"<p>{html.escape(caption)}</p>"
                          f'<img alt="learning curves" src="plots/{curves.name}">')
        written.append(curves)
    return md, html_parts, written


def costs(rows: Sequence[MethodRow], plots: Path, measurements: Sequence[StudyRow] = ()
          ) -> Section:
    """Budgets in steps and hours and test errors against compute hours (when a row was
    retrained), with the calibration-only studies' hours (``measurements``), and the
    selection tables (when a selection ran, retrained or not)."""
    md: list[str] = []
    parts: list[str] = []
    written: list[Path] = []
    points = compute_points(rows)
    if points:
        title = "What each result cost: optimiser steps and compute hours"
        budget = budget_table(rows, measurements)
        png = png_compute(points, plots / "compute.png")
        page = plots / "compute.html"
        caption = ("Wall-clock hours on the 2-core CPUs that trained the runs; retrain "
                   "hours count every retrain of the row's studies, the label sweep's "
                   "included. Steps: the retrain runs' mean. A calibrated search's "
                   "calibration trials are search trials whose values count, so their "
                   "hours are part of its search hours; a calibration run as a study of "
                   "its own measures the rungs and chooses nothing, so it has a row of its "
                   "own and no method's total counts it. " + machines_line(rows))
        md += [f"## {title}", "", caption, "", md_table(*budget), "",
               f"![test errors against compute hours](plots/{png.name}) "
               f"[interactive](plots/{page.name})", ""]
        parts.append(f"<h2>{title}</h2><p>{html.escape(caption)}</p>{html_table(*budget)}"
                     + figure_page(compute_figure(points), page))
        written += [png, page]
    selection = selection_table(rows)
    if selection is not None:
        caption = ("Winner selection, before the test set is touched: each study's top "
                   "trials trained again with fresh model seeds (and labeled subsets, where "
                   "the labels column says redrawn) and scored on validation "
                   "only; the best mean (\"chosen\") is the configuration retrained on test.")
        if any(g.reference for r in rows for g in r.selection):
            caption += (" \"(reference)\" marks the trial a search started from, the "
                        "method's reference configuration (the GAN's paper setting): "
                        "chosen, it means the search found nothing better.")
        if any(g.pending for r in rows for g in r.selection):
            caption += (" \"pending\": that selection's runs are still being trained; it "
                        "chooses once they are all stored.")
        if any(g.check for r in rows for g in r.selection):
            caption += (" A fidelity check reruns a cheaper selection at the retrain's "
                        "profile to see whether it ranks the candidates alike; it chooses "
                        "nothing, and its hours are not the method's.")
        md += ["## Winner selection (validation only)", "", caption, "",
               md_table(*selection), ""]
        parts.append(f"<h2>Winner selection (validation only)</h2><p>{html.escape(caption)}"
                     f"</p>{html_table(*selection)}")
    return md, parts, written
