"""The report's figures: per-study plots (optuna.visualization), the sampler comparison,
and the PNG renderings and sample grids the markdown page embeds."""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import optuna
from optuna.trial import TrialState

from search.report.readers.study_reader import RetrainRow
from search.report.protocol import Series as CurveSeries
from storage.artifacts import resolve_file

if TYPE_CHECKING:  # pyplot loads only when a figure is drawn
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["curve_figure", "png_curve", "sampler_figure", "save_log_log", "study_figures"]


def curve_figure(series: Sequence[CurveSeries], paper: tuple[int, float, float]) -> object:
    """Test errors against optimiser steps, mean ± std bands, the paper's final figure
    (steps, mean, std) as a point with its error bar."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, steps, means, stds, runs) in enumerate(series):
        fig.add_trace(go.Scatter(x=steps, y=means, error_y={"type": "data", "array": stds},
                                 mode="lines+markers", name=name, legendgroup=str(i)))
        for k, (run_steps, errors) in enumerate(runs):
            fig.add_trace(go.Scatter(x=run_steps, y=errors, mode="lines", opacity=0.35,
                                     line={"width": 1}, name=f"{name}: run {k}",
                                     legendgroup=str(i), showlegend=False))
    fig.add_trace(go.Scatter(x=[paper[0]], y=[paper[1]], mode="markers",
                             error_y={"type": "data", "array": [paper[2]]},
                             marker={"symbol": "star", "size": 12},
                             name=f"paper: {paper[1]:g} ± {paper[2]:g}"))
    fig.update_layout(title="Test errors /10,000 against optimiser steps (a monitor: no "
                            "decision reads it)",
                      xaxis={"type": "log", "title": "optimiser steps"},
                      yaxis={"type": "log", "title": "test errors out of 10,000"})
    return fig


def png_curve(series: Sequence[CurveSeries], paper: tuple[int, float, float],
              path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for name, steps, means, stds, runs in series:
        mean, std = np.array(means), np.array(stds)
        (line,) = ax.plot(steps, mean, marker="o", markersize=3, label=name)
        ax.fill_between(steps, np.maximum(mean - std, 1), mean + std, alpha=0.15,
                        color=line.get_color())
        for run_steps, errors in runs:
            ax.plot(run_steps, errors, linewidth=0.8, alpha=0.45, color=line.get_color())
    ax.errorbar([paper[0]], [paper[1]], yerr=[paper[2]], marker="*", markersize=10,
                color="black", linestyle="none", capsize=3,
                label=f"paper: {paper[1]:g} ± {paper[2]:g}")
    return save_log_log(fig, ax, path, "optimiser steps", "test errors out of 10,000",
                        "Test errors against steps "
                        "(mean ± std over seeds, each seed faint; a monitor)")


def save_log_log(fig: Figure, ax: Axes, path: Path, xlabel: str, ylabel: str,
                 title: str) -> Path:
    """Finishes a curve plot on log-log axes with a grid and a legend, saves and closes it."""
    import matplotlib.pyplot as plt

    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


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
        best: list[float] = []
        xs, ts, elapsed = [], [], 0.0
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


def png_slices(study: optuna.Study, path: Path) -> Path | None:
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


def gan_grid(studies: Sequence[optuna.Study], out: Path,
             urls: Mapping[str, str] | None) -> Path | None:
    """Copies the sample grid of the best GAN trial (``urls``: study name to the storage
    URL its files are recorded against). A grid whose source is gone (written on another
    machine) but which an earlier report already copied beside it is kept."""
    best = None
    for study in studies:
        url = (urls or {}).get(study.study_name)
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            png = t.user_attrs.get("samples_png")
            if png and (best is None or t.value > best[0]):
                best = (t.value, resolve_file(url, png) if url else Path(png),
                        study.study_name, t.number)
    if best is None:
        return None
    return _copied(best[1], out / f"{best[2]}__trial{best[3]}_samples.png")


def _copied(source: Path, target: Path) -> Path | None:
    """``target``, copied from ``source`` if that exists, else as an earlier report left it;
    ``None`` if neither exists."""
    if source.exists():
        shutil.copyfile(source, target)
        return target
    return target if target.exists() else None


def grid_groups(retrains: Sequence[RetrainRow]) -> list[RetrainRow]:
    """One retrain group per setting (study, trial, profile, labels, subset) whose runs
    wrote sample grids: the one with most runs, the newer on a tie, as the tables pick.

    Groups of one setting differ only in the profile's fingerprint (a profile retuned
    since), and runs made before artifact names carried it share their files.
    """
    chosen: dict[tuple, RetrainRow] = {}
    for row in retrains:
        if not row.sample_grids:
            continue
        key = (row.study, row.trial, row.profile, row.n_labeled, row.labeled_subset)
        held = chosen.get(key)
        if held is None or row.preference > held.preference:
            chosen[key] = row
    return list(chosen.values())


def retrain_grids(row: RetrainRow, out: Path) -> list[tuple[int, Path]]:
    """Copies the sample grids a retrain group's runs wrote (or keeps earlier copies)."""
    copied = []
    for seed, source in sorted(row.sample_grids):
        target = _copied(Path(source), out / (
            f"{row.study}__retrain_trial{row.trial}_labels{row.n_labeled}"
            f"_{'varied' if row.labeled_subset != 'fixed' else 'fixed'}_{row.profile}"
            f"_seed{seed}.png"))
        if target is not None:
            copied.append((seed, target))
    return copied
