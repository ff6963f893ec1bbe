"""The label sweep: test errors against the number of labels, one table, Welch's tests
against the baseline, paired tests against the best method on the same labeled draws and
one plot per profile, beside the paper's sweep (its Table 1)."""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from search.report.readers.study_reader import RetrainRow, StudyRow
from search.report.markup import figure_page, html_table, md_table
from search.report.paired import Pairing, pair
from search.report.sections import Section
from search.report.tables import BASELINE, baseline_first, num, p_text, welch

__all__ = ["PAPER_LABEL_SWEEP", "Sweep", "label_sweeps", "png_sweep", "sweep_figure",
           "sweep_paired_table", "sweep_sections", "sweep_table", "sweep_tests_table"]

# Method column -> label count -> retrain group.
Sweep = dict[str, dict[int, RetrainRow]]

# The feature-matching GAN on MNIST by number of labels: test errors out of 10,000, mean and
# std over 10 labeled subsets (Salimans et al. 2016, Table 1).
PAPER_LABEL_SWEEP: dict[int, tuple[float, float]] = {
    20: (1677, 452), 50: (221, 136), 100: (93, 6.5), 200: (90, 4.2),
}


def label_sweeps(retrains: Sequence[RetrainRow], studies: Sequence[StudyRow] = ()
                 ) -> dict[str, Sweep]:
    """The label sweeps, one per profile, in the order the retrain rows come (the order of
    the databases given): per method column and label count, the retrain group whose
    labeled subset was redrawn per run, as the paper's sweep does; the one with most runs
    if several, the newer on a tie (a profile retuned since the older was made).

    A study that held parameters fixed (the unaugmented baseline) is a column of its own,
    named as in the main table; the baseline comes first. Budgets are never mixed in one
    table: a 60,000-step GAN beside a 1,000-step one says nothing about labels. Reference
    runs (the official protocol, retrained without a search) have their own section, and
    so has a searched winner retrained only under that protocol: one column at one label
    count compares nothing, and is no sweep.
    """
    labels = {s.study: s.label for s in studies}
    sweeps: dict[str, Sweep] = defaultdict(lambda: defaultdict(dict))
    for row in retrains:
        if row.labeled_subset != "varied per run" or row.trial < 0:
            continue
        column = sweeps[row.profile][labels.get(row.study, row.method)]
        held = column.get(row.n_labeled)
        if held is None or row.preference > held.preference:
            column[row.n_labeled] = row
    return {profile: {m: columns[m] for m in baseline_first(columns)}
            for profile, columns in sweeps.items()
            if len(columns) > 1 or any(len(groups) > 1 for groups in columns.values())}


def sweep_table(sweep: Sweep) -> tuple[list[str], list[list[str]]]:
    labels = sorted({n for groups in sweep.values() for n in groups} | set(PAPER_LABEL_SWEEP))
    head = ["labels", *sweep, "Improved-GAN (paper, quoted)"]
    body = []
    for n in labels:
        cells = [str(n)]
        for groups in sweep.values():
            g = groups.get(n)
            cells.append("–" if g is None else
                         f"{g.test_errors_mean:.0f} ± {num(g.test_errors_std, 0)} (n={g.runs})")
        paper = PAPER_LABEL_SWEEP.get(n)
        cells.append("–" if paper is None else f"{paper[0]:g} ± {paper[1]:g}")
        body.append(cells)
    return head, body


def sweep_tests_table(sweep: Sweep) -> tuple[list[str], list[list[str]]] | None:
    """Each method against the baseline at each label count: Δ errors and Welch's p."""
    base = sweep.get(BASELINE)
    others = [m for m in sweep if m != BASELINE]
    if base is None or not others:
        return None
    body = []
    for n in sorted(base):
        cells = [str(n)]
        for method in others:
            group = sweep[method].get(n)
            if group is None:
                cells.append("–")
                continue
            diff, p = welch(group.errors, base[n].errors)
            cells.append(f"{diff:+.0f} ({p_text(p)})")
        body.append(cells)
    return ["labels", *(f"{m} − {BASELINE}" for m in others)], body


def sweep_paired_table(sweep: Sweep) -> tuple[list[str], list[list[str]]] | None:
    """Each method against the lowest mean at the same label count, draw by draw.

    Redrawn runs with the same data seed trained on the same labeled images, whichever the
    method, and the draw moves the errors more than the method's seed does: pairing them
    is the fair test where Welch's, which ignores it, would drown a difference in the
    draws' spread. A cell gives the mean difference over the shared draws, on how many the
    method did better, and the paired t-test; ``None`` when no two methods share 2 draws.
    """
    methods = list(sweep)
    body = []
    for n in sorted({n for groups in sweep.values() for n in groups}):
        groups = {m: sweep[m][n] for m in methods if n in sweep[m]}
        leader = min(groups, key=lambda m: groups[m].test_errors_mean)
        cells = [_paired_cell(pair(groups[leader], groups[m]))
                 if m in groups and m != leader else "–" for m in methods]
        if any(c != "–" for c in cells):
            body.append([str(n), leader, *cells])
    if not body:
        return None
    return ["labels", "lowest mean", *(f"{m} − lowest" for m in methods)], body


def _paired_cell(pairing: Pairing | None) -> str:
    if pairing is None:
        return "–"
    diffs = pairing.differences
    return (f"{sum(diffs) / len(diffs):+.0f} on {len(diffs)}, better on {pairing.wins}, "
            f"{p_text(pairing.p_value)}")


def sweep_series(sweep: Sweep) -> list[tuple[str, list[int], list[float], list[float]]]:
    """(name, labels, mean errors, std) per method, then the paper's."""
    series = []
    for method, groups in sweep.items():
        ns = sorted(groups)
        series.append((method, ns, [groups[n].test_errors_mean for n in ns],
                       [0.0 if math.isnan(groups[n].test_errors_std) else
                        groups[n].test_errors_std for n in ns]))
    ns = sorted(PAPER_LABEL_SWEEP)
    series.append(("Improved-GAN (paper)", ns, [PAPER_LABEL_SWEEP[n][0] for n in ns],
                   [PAPER_LABEL_SWEEP[n][1] for n in ns]))
    return series


def _title(profile: str | None) -> str:
    return "Test errors vs labels" + (f", profile {profile}" if profile else "")


def sweep_figure(sweep: Sweep, profile: str | None = None) -> object:
    """Test errors against the number of labels, one line a method, beside the paper's."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, ns, means, stds in sweep_series(sweep):
        fig.add_trace(go.Scatter(x=ns, y=means, error_y={"type": "data", "array": stds},
                                 mode="lines+markers", name=name,
                                 line={"dash": "dash"} if "paper" in name else None))
    fig.update_layout(title=f"{_title(profile)} (test errors /10,000, mean ± std over runs)",
                      xaxis={"type": "log", "title": "labeled images"},
                      yaxis={"type": "log", "title": "test errors out of 10,000"})
    return fig


def png_sweep(sweep: Sweep, path: Path, profile: str | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = sweep_series(sweep)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, ns, means, stds in series:
        ax.errorbar(ns, means, yerr=stds, marker="o", capsize=3, label=name,
                    linestyle="--" if "paper" in name else "-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sorted({n for _, ns, _, _ in series for n in ns}))
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.get_xaxis().set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("labeled images")
    ax.set_ylabel("test errors out of 10,000")
    ax.set_title(f"{_title(profile)} (mean ± std over runs)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def sweep_sections(retrains: Sequence[RetrainRow], studies: Sequence[StudyRow],
                   plots: Path) -> Section:
    """Markdown lines, HTML sections and files of the label sweeps, one per profile."""
    md: list[str] = []
    sections: list[str] = []
    written: list[Path] = []
    for profile, sweep in label_sweeps(retrains, studies).items():
        head, body = sweep_table(sweep)
        png = png_sweep(sweep, plots / f"label_sweep_{profile}.png", profile)
        page = plots / f"label_sweep_{profile}.html"
        title = f"Test errors vs labels, profile {profile} (labeled subset redrawn per run)"
        md += [f"## {title}", "", md_table(head, body), ""]
        section = f"<h2>{html.escape(title)}</h2>{html_table(head, body)}"
        tests = sweep_tests_table(sweep)
        if tests is not None:
            caption = ("Test errors against the baseline's at the same label count "
                       "(Welch's t-test, runs unpaired):")
            md += [caption, "", md_table(*tests), ""]
            section += f"<p>{caption}</p>{html_table(*tests)}"
        paired = sweep_paired_table(sweep)
        if paired is not None:
            caption = ("Test errors against the lowest mean at the same label count, on the "
                       "same labeled draws (runs paired by data seed; mean difference over "
                       "the shared draws, draws on which the method did better, paired "
                       "t-test):")
            md += [caption, "", md_table(*paired), ""]
            section += f"<p>{caption}</p>{html_table(*paired)}"
        md += [f"![label sweep, {profile}](plots/{png.name}) [interactive](plots/{page.name})",
               ""]
        sections.append(section + figure_page(sweep_figure(sweep, profile), page))
        written += [png, page]
    return md, sections, written
