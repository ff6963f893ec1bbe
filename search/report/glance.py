"""The report's at-a-glance figures: every method's test errors with their 95 % intervals
beside the paper's anchors, validation-error curves against optimiser steps, and one grid
of slice plots per study (a conditional parameter drawn over the trials that have it)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import optuna
from optuna.trial import TrialState

from search.report.figures import save_log_log
from search.report.paired import configuration
from search.report.protocol import ProtocolResult
from search.report.tables import PAPER_ANCHORS, MethodRow
from search.report.readers.retrain_reader import RetrainRow

__all__ = ["errors_interval", "errors_points", "methods_figure", "png_methods", "png_val_curves",
           "slice_grid", "val_curve_series"]

# label, mean, low, high, kind ("measured" or "paper")
Point = tuple[str, float, float, float, str]


def errors_interval(group: RetrainRow) -> tuple[int, float, float, float]:
    """Runs, mean test errors and their 95 % Student-t interval, as a log axis draws them
    (the mean alone below two runs; the lower end at least 1)."""
    s = group.errors_summary()
    low, high = (s.mean, s.mean) if math.isnan(s.ci_low) else (s.ci_low, s.ci_high)
    return s.n, s.mean, max(low, 1.0), high


def errors_points(rows: Sequence[MethodRow], protocol: Sequence[ProtocolResult]
                  ) -> list[Point]:
    """Measured rows (mean and 95 % Student-t interval of test errors), then the paper's
    anchors (mean ± std as quoted)."""
    points: list[Point] = []
    measured = [(r.method, r.retrain) for r in rows if r.retrain is not None]
    # Named by configuration: the reference and a searched one can both run the protocol.
    measured += [(f"{p.row.method} ({configuration(p.row)}), official protocol", p.row)
                 for p in protocol]
    for label, group in measured:
        n, mean, low, high = errors_interval(group)
        points.append((f"{label} (n={n})", mean, low, high, "measured"))
    for name, mean, std in PAPER_ANCHORS:
        spread = std or 0.0
        points.append((f"paper: {name}", mean, max(mean - spread, 1.0), mean + spread, "paper"))
    return points


def methods_figure(points: Sequence[Point]) -> object:
    """Plotly: one marker per row, error bars to the interval, log axis."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for kind, colour in (("measured", "#1f77b4"), ("paper", "#7f7f7f")):
        mine = [p for p in points if p[4] == kind]
        fig.add_trace(go.Scatter(
            x=[p[1] for p in mine], y=[p[0] for p in mine], mode="markers",
            marker={"color": colour, "size": 9}, name=kind,
            error_x={"type": "data", "symmetric": False,
                     "array": [p[3] - p[1] for p in mine],
                     "arrayminus": [p[1] - p[2] for p in mine]}))
    fig.update_layout(title="Test errors /10,000 at 100 labels: ours (mean, 95 % CI) and the "
                            "paper's (mean ± std)",
                      xaxis={"type": "log", "title": "test errors out of 10,000"},
                      yaxis={"autorange": "reversed"}, height=120 + 28 * len(points))
    return fig


def png_methods(points: Sequence[Point], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 1.0 + 0.32 * len(points)))
    ys = np.arange(len(points))[::-1]
    for y, (_, mean, low, high, kind) in zip(ys, points):
        colour = "tab:blue" if kind == "measured" else "tab:gray"
        ax.errorbar([mean], [y], xerr=[[mean - low], [high - mean]], fmt="o", color=colour,
                    capsize=3)
    ax.set_yticks(ys)
    ax.set_yticklabels([p[0] for p in points], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("test errors out of 10,000 (log)")
    # Two lines: long row labels leave the axes too narrow for one.
    ax.set_title("Ours: mean and 95 % CI (blue)\nthe paper's: mean ± std (grey)", fontsize=9)
    ax.grid(True, axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def val_curve_series(groups: Sequence[tuple[str, RetrainRow]]
                     ) -> list[tuple[str, list[int], list[float]]]:
    """(label, steps, mean validation errors) per group, over its runs' curves, at the
    steps every curve reached alike (runs of one configuration share their epoch size)."""
    series = []
    for label, group in groups:
        by_step: dict[int, list[float]] = defaultdict(list)
        for member in group.members:
            for step, errors in member.val_errors_in_steps():
                by_step[step].append(errors)
        if by_step:
            steps = sorted(by_step)
            series.append((label, steps, [float(np.mean(by_step[s])) for s in steps]))
    return series


def png_val_curves(series: Sequence[tuple[str, list[int], list[float]]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, steps, errors in series:
        ax.plot(steps, errors, label=label, linewidth=1.2)
    return save_log_log(fig, ax, path, "optimiser steps (main phase)",
                        "validation errors per 10,000",
                        "Learning curves of the retrained winners (mean over seeds)")


def slice_grid(study: optuna.Study, columns: int = 4) -> object | None:
    """Plotly: validation accuracy against every parameter, one small panel each; a
    conditional parameter's panel holds only the trials that sampled it."""
    from plotly.subplots import make_subplots

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = sorted({p for t in done for p in t.params})
    if not names:
        return None
    rows = math.ceil(len(names) / columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=names,
                        vertical_spacing=min(0.3, 0.6 / rows))
    for i, name in enumerate(names):
        have = [t for t in done if name in t.params]
        values = [t.params[name] for t in have]
        xs = [str(v) if isinstance(v, (str, bool)) else v for v in values]
        row, col = divmod(i, columns)
        fig.add_scatter(x=xs, y=[t.value for t in have], mode="markers",
                        marker={"size": 6, "color": [t.number for t in have],
                                "colorscale": "Blues"},
                        text=[f"trial {t.number}" for t in have], showlegend=False,
                        row=row + 1, col=col + 1)
        if getattr(have[0].distributions.get(name), "log", False):
            fig.update_xaxes(type="log", row=row + 1, col=col + 1)
    fig.update_layout(height=260 * rows, title=f"{study.study_name}: validation accuracy "
                      "against each parameter (darker = later trial)")
    return fig
