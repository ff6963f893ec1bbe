"""The comparison report: ``REPORT.md`` and ``report.html`` over every study in a database.

Main table (baseline first, one row per method): trials finished/pruned/failed, best
validation accuracy, retrained test accuracy with its 95 % Student-t interval, test errors
out of 10,000, the difference to the baseline with Welch's t-test, compute hours. Beside
it the paper anchors, quoted from Salimans et al. 2016 (not measured here). Then per
study: validation accuracy against every hyperparameter, width x depth contour,
hyperparameter importances, optimisation history, intermediate values (where pruning cut
trials); a best-so-far comparison where a method was searched with several samplers; the
GAN's generated digits. The HTML loads plotly's JavaScript from ``plots/`` (no CDN, works
offline), the copy its interactive pages share; the markdown embeds PNG renderings so it
reads on a repository page.
"""

from __future__ import annotations

import html
import math
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState
from scipy import stats

from search.analysis import RetrainRow, StudyRow
from storage.artifacts import resolve_file

__all__ = ["PAPER_ANCHORS", "PAPER_LABEL_SWEEP", "MethodRow", "label_sweep", "method_rows",
           "write_report"]

BASELINE = "supervised"

# MNIST, 100 labels, test errors out of 10,000 (Salimans et al. 2016, Table 1).
PAPER_ANCHORS: list[tuple[str, float, float | None]] = [
    ("Improved-GAN, feature matching", 93, 6.5),
    ("Improved-GAN, ensemble of 10", 86, 5.6),
    ("ADGM", 96, 2),
    ("Ladder network", 106, 37),
    ("Skip DGM", 132, 7),
    ("CatGAN", 191, 10),
    ("Virtual adversarial", 212, None),
    ("DGN", 333, 14),
]

# The feature-matching GAN on MNIST by number of labels: test errors out of 10,000, mean and
# std over 10 labeled subsets (Salimans et al. 2016, Table 1).
PAPER_LABEL_SWEEP: dict[int, tuple[float, float]] = {
    20: (1677, 452), 50: (221, 136), 100: (93, 6.5), 200: (90, 4.2),
}


def _baseline_first(methods: Iterable[str]) -> list[str]:
    """Method names sorted, the baseline first: the order of every table."""
    return sorted(methods, key=lambda m: (m != BASELINE, m))


@dataclass(frozen=True)
class MethodRow:
    """One method across its studies, with its main retrain group."""

    method: str
    studies: str
    complete: int
    pruned: int
    failed: int
    best_val_accuracy: float | None
    retrain: RetrainRow | None
    errors_diff_to_baseline: float | None
    welch_p: float | None
    compute_hours: float


def _main_group(rows: Sequence[RetrainRow], n_labeled: int = 100) -> RetrainRow | None:
    # The search's own labeled subset first: a label sweep also holds 100-label groups,
    # whose subset is redrawn per run, and those belong to the sweep's table.
    candidates = [r for r in rows if r.n_labeled == n_labeled]
    return max(candidates, key=lambda r: (r.labeled_subset == "fixed", r.runs),
               default=None)


def _welch(mine: Sequence[int], theirs: Sequence[int]) -> tuple[float, float | None]:
    """Difference of mean test errors and Welch's p (None below two runs a side)."""
    diff = sum(mine) / len(mine) - sum(theirs) / len(theirs)
    if len(mine) < 2 or len(theirs) < 2:
        return diff, None
    return diff, float(stats.ttest_ind(mine, theirs, equal_var=False).pvalue)


def method_rows(studies: Sequence[StudyRow], retrains: Sequence[RetrainRow]) -> list[MethodRow]:
    """Aggregates studies per method; Welch's t-test of test errors against the baseline.

    The retrain group shown for a method is its 100-label group on the search's fixed
    labeled subset, else its 100-label group with the most runs.
    """
    by_method: dict[str, list[StudyRow]] = defaultdict(list)
    for row in studies:
        by_method[row.method].append(row)
    order = _baseline_first(by_method)
    groups = {m: _main_group([r for r in retrains if r.method == m]) for m in order}
    base = groups.get(BASELINE)
    out = []
    for method in order:
        rows = by_method[method]
        group = groups[method]
        diff = p_value = None
        if group is not None and base is not None and method != BASELINE:
            diff, p_value = _welch(group.errors, base.errors)
        values = [r.best_val_accuracy for r in rows if r.best_val_accuracy is not None]
        out.append(MethodRow(
            method=method,
            studies=", ".join(r.study for r in rows),
            complete=sum(r.complete for r in rows),
            pruned=sum(r.pruned for r in rows),
            failed=sum(r.failed for r in rows),
            best_val_accuracy=max(values) if values else None,
            retrain=group,
            errors_diff_to_baseline=diff,
            welch_p=p_value,
            compute_hours=sum(r.compute_hours for r in rows)
            + sum(r.seconds for r in retrains if r.method == method) / 3600.0,
        ))
    return out


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _p_value(p: float | None) -> str:
    # Three decimals would print a highly significant difference as "p=0.000".
    if p is None or math.isnan(p):
        return "p –"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _main_table(rows: Sequence[MethodRow]) -> tuple[list[str], list[list[str]]]:
    head = ["method", "finished / pruned / failed", "best val acc", "test acc (95 % CI)",
            "test errors /10k (mean ± std, n)", "Δ errors vs baseline (Welch p)",
            "compute h"]
    body = []
    for r in rows:
        g = r.retrain
        if g is None:
            acc = "not retrained"
        elif g.runs < 2:
            acc = f"{_num(g.test_accuracy_mean)} (one run: no interval)"
        else:
            acc = (f"{_num(g.test_accuracy_mean)} ({_num(g.test_accuracy_ci_low)}–"
                   f"{_num(g.test_accuracy_ci_high)})")
        err = (f"{g.test_errors_mean:.1f} ± {_num(g.test_errors_std, 1)}, n={g.runs}"
               f" ({g.labeled_subset} labels)") if g else "–"
        diff = "–" if r.errors_diff_to_baseline is None else (
            f"{r.errors_diff_to_baseline:+.1f} ({_p_value(r.welch_p)})")
        body.append([r.method, f"{r.complete + r.pruned} / {r.pruned} / {r.failed}",
                     _num(r.best_val_accuracy), acc, err, diff, f"{r.compute_hours:.2f}"])
    return head, body


def _anchor_table() -> tuple[list[str], list[list[str]]]:
    head = ["model (Salimans et al. 2016, Table 1)", "test errors /10k", "source"]
    body = [[name, f"{mean:g}" + (f" ± {std:g}" if std is not None else ""),
             "quoted, not measured"] for name, mean, std in PAPER_ANCHORS]
    return head, body


def label_sweep(retrains: Sequence[RetrainRow]) -> dict[str, dict[int, RetrainRow]]:
    """Per method (baseline first) and label count: the retrain group whose labeled subset
    was redrawn per run, as the paper's sweep does; the one with most runs if several."""
    sweep: dict[str, dict[int, RetrainRow]] = defaultdict(dict)
    for row in retrains:
        if row.labeled_subset != "varied per run":
            continue
        held = sweep[row.method].get(row.n_labeled)
        if held is None or row.runs > held.runs:
            sweep[row.method][row.n_labeled] = row
    return {m: sweep[m] for m in _baseline_first(sweep)}


def _sweep_table(sweep: dict[str, dict[int, RetrainRow]]) -> tuple[list[str], list[list[str]]]:
    labels = sorted({n for groups in sweep.values() for n in groups} | set(PAPER_LABEL_SWEEP))
    head = ["labels", *sweep, "Improved-GAN (paper, quoted)"]
    body = []
    for n in labels:
        cells = [str(n)]
        for groups in sweep.values():
            g = groups.get(n)
            cells.append("–" if g is None else
                         f"{g.test_errors_mean:.0f} ± {_num(g.test_errors_std, 0)} (n={g.runs})")
        paper = PAPER_LABEL_SWEEP.get(n)
        cells.append("–" if paper is None else f"{paper[0]:g} ± {paper[1]:g}")
        body.append(cells)
    return head, body


def _sweep_tests_table(sweep: dict[str, dict[int, RetrainRow]]
                       ) -> tuple[list[str], list[list[str]]] | None:
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
            diff, p = _welch(group.errors, base[n].errors)
            cells.append(f"{diff:+.0f} ({_p_value(p)})")
        body.append(cells)
    return ["labels", *(f"{m} − {BASELINE}" for m in others)], body


def _sweep_series(sweep: dict[str, dict[int, RetrainRow]]
                  ) -> list[tuple[str, list[int], list[float], list[float]]]:
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


def sweep_figure(sweep: dict[str, dict[int, RetrainRow]]) -> object:
    """Test errors against the number of labels, one line a method, beside the paper's."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, ns, means, stds in _sweep_series(sweep):
        fig.add_trace(go.Scatter(x=ns, y=means, error_y={"type": "data", "array": stds},
                                 mode="lines+markers", name=name,
                                 line={"dash": "dash"} if "paper" in name else None))
    fig.update_layout(title="Test errors /10,000 vs labeled images (mean ± std over runs)",
                      xaxis={"type": "log", "title": "labeled images"},
                      yaxis={"type": "log", "title": "test errors out of 10,000"})
    return fig


def _png_sweep(sweep: dict[str, dict[int, RetrainRow]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = _sweep_series(sweep)
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
    ax.set_title("Test errors vs labels (mean ± std over runs)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _md(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def _html_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


# --- figures -------------------------------------------------------------------------------


def study_figures(study: optuna.Study) -> dict[str, object]:
    """Plotly figures of one study, by name (studies without completed trials: none)."""
    from optuna import visualization as vis

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return {}
    names = sorted({p for t in done for p in t.params})
    figures: dict[str, object] = {}
    for name in names:
        figures[f"val_vs_{name}"] = vis.plot_slice(study, params=[name],
                                                   target_name="val accuracy")
    pair = [p for p in ("latent_width", "depth") if p in names]
    if len(pair) == 2 and len(done) >= 2:
        figures["contour_width_depth"] = vis.plot_contour(study, params=pair,
                                                          target_name="val accuracy")
    if len(done) >= 2:
        try:
            figures["importances"] = vis.plot_param_importances(study)
        except (RuntimeError, ValueError):  # all values equal, or too few trials
            pass
    figures["history"] = vis.plot_optimization_history(study, target_name="val accuracy")
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        figures["intermediate"] = vis.plot_intermediate_values(study)
    return figures


def sampler_figure(studies: Sequence[optuna.Study], method: str) -> object | None:
    """Best-so-far validation accuracy vs trial number and vs wall time, one line a study."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    mine = [s for s in studies if s.user_attrs.get("method") == method]
    if len({s.user_attrs.get("sampler") for s in mine}) < 2:
        return None
    fig = make_subplots(rows=1, cols=2, subplot_titles=("vs trial number", "vs wall time (s)"))
    for study in mine:
        trials = sorted(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)),
                        key=lambda t: t.number)
        if not trials:
            continue
        best, xs, ts, elapsed = [], [], [], 0.0
        for t in trials:
            best.append(max(t.value, best[-1]) if best else t.value)
            elapsed += float(t.user_attrs.get("seconds", 0.0))
            xs.append(t.number + 1)
            ts.append(elapsed)
        label = f"{study.study_name} ({study.user_attrs.get('sampler')})"
        fig.add_trace(go.Scatter(x=xs, y=best, mode="lines+markers", name=label), 1, 1)
        fig.add_trace(go.Scatter(x=ts, y=best, mode="lines+markers", name=label,
                                 showlegend=False), 1, 2)
    fig.update_layout(title=f"{method}: best validation accuracy so far, by sampler")
    return fig


def _png_slices(study: optuna.Study, path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = sorted({p for t in done for p in t.params})
    if not done or not names:
        return None
    cols = 4
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        pts = [(t.params[name], t.value) for t in done if name in t.params]
        xs = [str(x) if isinstance(x, (str, bool)) else x for x, _ in pts]
        ax.scatter(xs, [v for _, v in pts], s=14)
        dist = done[0].distributions.get(name)
        if getattr(dist, "log", False):
            ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(f"{study.study_name}: validation accuracy vs hyperparameters", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _gan_grid(studies: Sequence[optuna.Study], out: Path, url: str | None) -> Path | None:
    best = None
    for study in studies:
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            png = t.user_attrs.get("samples_png")
            path = None if not png else resolve_file(url, png) if url else Path(png)
            if path is not None and path.exists() and (best is None or t.value > best[0]):
                best = (t.value, path, study.study_name, t.number)
    if best is None:
        return None
    target = out / f"{best[2]}__trial{best[3]}_samples.png"
    shutil.copyfile(best[1], target)
    return target


def _retrain_grids(row: RetrainRow, out: Path) -> list[tuple[int, Path]]:
    """Copies the sample grids a retrain group's runs wrote (those still on disk)."""
    copied = []
    for seed, source in sorted(row.sample_grids):
        if Path(source).exists():
            target = out / (f"{row.study}__retrain_trial{row.trial}_labels{row.n_labeled}"
                            f"_{'varied' if row.labeled_subset != 'fixed' else 'fixed'}"
                            f"_seed{seed}.png")
            shutil.copyfile(source, target)
            copied.append((seed, target))
    return copied


# --- writing -------------------------------------------------------------------------------


# The file plotly writes beside a page for ``include_plotlyjs="directory"``.
_PLOTLY_JS = "plotly.min.js"


def _figure_page(figure: Any, page: Path) -> str:
    """Writes ``figure`` as its own page (plotly.js shared once per folder) and returns the
    same plot as a ``div`` for report.html, which loads that same shared copy."""
    figure.write_html(page, include_plotlyjs="directory")
    return f'<div class="plot">{figure.to_html(full_html=False, include_plotlyjs=False)}</div>'


def write_report(out: Path, studies: Sequence[optuna.Study], study_rows: Sequence[StudyRow],
                 rows: Sequence[MethodRow], retrains: Sequence[RetrainRow],
                 storage_url: str | None = None) -> dict[str, Path]:
    """Writes ``REPORT.md``, ``report.html`` and the figures under ``out``.

    ``storage_url`` resolves the files trials recorded relative to their database.

    Returns:
        ``{"md": ..., "html": ..., "plots": [...]}`` paths.
    """
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    head, body = _main_table(rows)
    anchor_head, anchor_body = _anchor_table()
    md = ["# ssl-hpo report", "", "MNIST, validation = training images 50,000–59,999, test = "
          "the official 10,000 images (touched only by retraining).", "",
          "## Methods compared (ours, measured)", "", _md(head, body), "",
          "## Paper anchors (MNIST, 100 labels)", "", _md(anchor_head, anchor_body), ""]
    if retrains:
        md += ["## All retrain groups", "", _md(
            ["method", "config", "profile", "labels", "labeled subset", "runs", "test acc",
             "95 % CI", "errors mean ± std"],
            [[r.method, f"{r.study}#{r.trial}", r.profile_label, str(r.n_labeled),
              r.labeled_subset,
              str(r.runs), _num(r.test_accuracy_mean),
              f"{_num(r.test_accuracy_ci_low)}–{_num(r.test_accuracy_ci_high)}",
              f"{r.test_errors_mean:.1f} ± {_num(r.test_errors_std, 1)}"] for r in retrains]),
            ""]
    sections = [f"<h2>Methods compared (ours, measured)</h2>{_html_table(head, body)}",
                f"<h2>Paper anchors (MNIST, 100 labels)</h2>"
                f"{_html_table(anchor_head, anchor_body)}"]
    written: list[Path] = []
    sweep = label_sweep(retrains)
    if sweep:
        sweep_head, sweep_body = _sweep_table(sweep)
        png = _png_sweep(sweep, plots / "label_sweep.png")
        page = plots / "label_sweep.html"
        title = "Test errors vs labels (labeled subset redrawn per run)"
        md += [f"## {title}", "", _md(sweep_head, sweep_body), ""]
        section = f"<h2>{title}</h2>{_html_table(sweep_head, sweep_body)}"
        tests = _sweep_tests_table(sweep)
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
        png = _png_slices(study, plots / f"{study.study_name}__slices.png")
        if png is not None:
            md += [f"![{study.study_name}](plots/{png.name})", ""]
            written.append(png)
        links = []
        parts = [f"<h2>{html.escape(study.study_name)}</h2>"]
        for name, figure in figures.items():
            page = plots / f"{study.study_name}__{name}.html"
            parts.append(_figure_page(figure, page))
            written.append(page)
            links.append(f"[{name}](plots/{page.name})")
        md += ["Interactive: " + ", ".join(links), ""]
        sections.append("".join(parts))
    for method in sorted({s.user_attrs.get("method") for s in studies}):
        fig = sampler_figure(studies, method)
        if fig is not None:
            page = plots / f"{method}__samplers.html"
            sections.append(f"<h2>{html.escape(method)}: samplers compared</h2>"
                            + _figure_page(fig, page))
            written.append(page)
            md += [f"## {method}: samplers compared", "", f"[best so far]({'plots/' + page.name})", ""]
    grid = _gan_grid([s for s in studies if s.user_attrs.get("method") == "gan"], plots,
                     storage_url)
    if grid is not None:
        md += ["## GAN: generated digits of the best trial", "", f"![samples](plots/{grid.name})", ""]
        sections.append(f'<h2>GAN: generated digits of the best trial</h2><img alt="samples" '
                        f'src="plots/{grid.name}">')
        written.append(grid)
    for row in retrains:
        copied = _retrain_grids(row, plots)
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
