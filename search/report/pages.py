"""The report's pages: ``REPORT.md`` (PNG renderings, readable on a repository page) and
``report.html`` (interactive plotly figures, loading plotly's JavaScript from ``plots/``)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import optuna

from search.report.readers.study_reader import RetrainRow, StudyRow
from search.report.ablation import Ablation, ablation_sections
from search.report.calibration import calibration_sections
from search.report.paired import paired_sections, pairings
from search.report.reference import Importances, reference_choices, reference_sections
from search.report.figures import (
    gan_grid,
    grid_groups,
    png_slices,
    retrain_grids,
    sampler_figure,
    study_figures,
)
from search.report.glance import slice_grid
from search.report.markup import PLOTLY_JS, figure_page, html_table, md_table
from search.report.protocol import ProtocolResult
from search.report.protocol import anchors_measured as _anchors_measured
from search.report.sections import costs, overview, protocol_sections
from search.report.sweep import sweep_sections
from search.report.tables import (
    MethodRow,
    anchor_table,
    main_table,
    num,
)
from search.report.readers.retrain_reader import repeats_note

__all__ = ["write_report"]


# A study's figures shown in report.html besides its slice grid; the rest are linked.
_SHOWN = ("history", "importances", "contour_width_depth")


def _importances(study: optuna.Study) -> Importances:
    """The study's parameter importances; none below two finished trials."""
    finished = len(study.get_trials(deepcopy=False,
                                    states=(optuna.trial.TrialState.COMPLETE,)))
    return Importances(optuna.importance.get_param_importances(study) if finished >= 2
                       else {}, finished)


def write_report(out: Path, studies: Sequence[optuna.Study], study_rows: Sequence[StudyRow],
                 rows: Sequence[MethodRow], retrains: Sequence[RetrainRow],
                 study_urls: Mapping[str, str] | None = None,
                 protocol: Sequence[ProtocolResult] = (),
                 beside_curves: Mapping[str, Any] | None = None,
                 ablations: Sequence[Ablation] = ()) -> dict[str, Any]:
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
        ablations: The ablations of the reported studies (``search.report.ablation``).

    Returns:
        ``{"md": ..., "html": ..., "plots": [...]}`` paths.
    """
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    head, body = main_table(rows)
    anchor_head, anchor_body = anchor_table(_anchors_measured(protocol))
    protocol_md, protocol_html, written = protocol_sections(protocol, beside_curves or {},
                                                            plots)
    overview_md, overview_html, drawn = overview(rows, protocol, plots)
    costs_md, costs_html, spent = costs(rows, plots,
                                        [r for r in study_rows if r.calibration_only])
    calibration_md, calibration_html, measured = calibration_sections(studies, plots)
    ensembles = {(p.row.study, p.row.trial): p.ensemble for p in protocol if p.ensemble}
    paired = pairings(retrains)
    selections = [g for row in rows for g in row.selection]
    explained = {pairing.challenger.study for pairing in paired} | {
        g.study for g in reference_choices(selections)}
    importances = {s.study_name: _importances(s) for s in studies
                   if s.study_name in explained}
    paired_md, paired_html, drawn_pairs = paired_sections(paired, ensembles, plots,
                                                          importances)
    chose_md, chose_html, _ = reference_sections(selections, importances, retrains)
    ablation_md, ablation_html, _ = ablation_sections(ablations)
    written += drawn + spent + measured + drawn_pairs
    md = ["# ssl-hpo report", "", "MNIST, validation = training images 50,000–59,999, test = "
          "the official 10,000 images (touched only by retraining).", "", *overview_md,
          "## Methods compared (ours, measured)", "", md_table(head, body), "",
          *costs_md, *calibration_md, "## Paper anchors (MNIST, 100 labels)", "",
          md_table(anchor_head, anchor_body), "", *protocol_md, *paired_md, *chose_md,
          *ablation_md]
    if retrains:
        md += ["## All retrain groups", "", md_table(
            ["method", "config", "profile", "labels", "labeled subset", "runs", "test acc",
             "95 % CI", "errors mean ± std"],
            [[r.method, f"{r.study}#{r.trial}", r.profile_label, str(r.n_labeled),
              r.labeled_subset,
              str(r.runs), num(r.test_accuracy_mean),
              f"{num(r.test_accuracy_ci_low)}–{num(r.test_accuracy_ci_high)}",
              f"{r.test_errors_mean:.1f} ± {num(r.test_errors_std, 1)}"] for r in retrains]),
            ""]
        note = repeats_note(retrains)
        if note:
            md += [note, ""]
    sections = [*overview_html,
                f"<h2>Methods compared (ours, measured)</h2>{html_table(head, body)}",
                *costs_html, *calibration_html,
                f"<h2>Paper anchors (MNIST, 100 labels)</h2>"
                f"{html_table(anchor_head, anchor_body)}", *protocol_html, *paired_html,
                *chose_html, *ablation_html]
    sweep_md, sweep_html, drawn = sweep_sections(retrains, study_rows, plots)
    md += sweep_md
    sections += sweep_html
    written += drawn
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
            parts.append(figure_page(grid, page))
            written.append(page)
        for name, figure in figures.items():
            page = plots / f"{study.study_name}__{name}.html"
            if name in _SHOWN:
                parts.append(figure_page(figure, page))
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
                            + figure_page(fig, page))
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
    for row in grid_groups(retrains):
        copied = retrain_grids(row, plots)
        if not copied:
            continue
        title = (f"{row.method}: generated digits of the retrained {row.study}#{row.trial} "
                 f"({row.n_labeled} labels, {row.labeled_subset} subset, "
                 f"{row.profile_label})")
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
    script = (f'<script src="plots/{PLOTLY_JS}"></script>'
              if any(p.suffix == ".html" for p in written) else "")
    document = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>ssl-hpo report</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px}</style>"
            f"{script}</head><body><h1>ssl-hpo report</h1>"
            + "".join(sections) + "</body></html>")
    (out / "report.html").write_text(document)
    return {"md": out / "REPORT.md", "html": out / "report.html", "plots": written}
