"""What each method's result cost and how its winner was chosen: budgets in optimiser
steps and hours, test errors against compute hours, and the selection tables (each
candidate's validation accuracy over fresh seeds, the one retrained marked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from search.report.figures import save_log_log
from search.report.glance import errors_interval
from search.report.readers.study_reader import StudyRow
from search.report.tables import MethodRow, num
from storage.selection import REDRAWN

__all__ = ["budget_table", "compute_figure", "compute_points", "machines_line",
           "png_compute", "selection_table"]

# label, compute hours, mean test errors, 95 % interval low, high
ComputePoint = tuple[str, float, float, float, float]


def budget_table(rows: Sequence[MethodRow], measurements: Sequence[StudyRow] = ()
                 ) -> tuple[list[str], list[list[str]]]:
    """Per row: the retrain's profile, steps and hours per run, and the hours of search
    (and of its calibration, within them), selection and retrains; then one row per
    calibration that ran as a study of its own (``measurements``), which no method's row
    counts."""
    head = ["method", "retrain profile", "optimiser steps per run (incl. pretraining)",
            "epochs per run", "hours per run", "search h", "of which calibration h",
            "selection h", "retrain h", "total h"]
    body = []
    for r in rows:
        g = r.retrain
        steps = None if g is None else g.steps_per_run()
        epochs = [m.epochs for m in g.members] if g is not None else []
        body.append([
            r.method, "–" if g is None else g.profile_label,
            "–" if steps is None else f"{steps:,}",
            "–" if not epochs else f"{np.mean(epochs):.0f}",
            "–" if g is None or not g.runs else f"{g.seconds / g.runs / 3600:.2f}",
            f"{r.search_hours:.2f}", f"{r.calibration_hours:.2f}", f"{r.selection_hours:.2f}",
            f"{r.retrain_hours:.2f}", f"{r.compute_hours:.2f}"])
    for m in measurements:
        hours = f"{m.compute_hours:.2f}"
        body.append([f"{m.label} [{m.profile}]: calibration only ({m.study})", "–", "–",
                     "–", "–", "–", hours, "–", "–", hours])
    return head, body


def selection_table(rows: Sequence[MethodRow]) -> tuple[list[str], list[list[str]]] | None:
    """Every candidate of every row's selection; ``None`` when no row ran one."""
    head = ["method", "candidate", "selection profile", "labels (data seed)", "runs",
            "val accuracy (mean ± std)", "per run", "steps per run", "hours", "chosen"]
    body = []
    for r in rows:
        for g in sorted(r.selection, key=lambda g: (g.selection, -g.summary.mean)):
            s = g.summary
            body.append([r.method, f"{g.study}#{g.trial}"
                         + (" (reference)" if g.reference else ""),
                         (f"{g.profile} [{g.budget}]" if g.budget else g.profile)
                         + (" (fidelity check)" if g.check else ""),
                         f"{g.n_labeled} ("
                         + ("redrawn per run" if g.data_seed == REDRAWN else str(g.data_seed))
                         + ")", str(s.n), f"{num(s.mean)} ± {num(s.std)}",
                         ", ".join(f"{a:.4f}" for a in g.accuracies),
                         "–" if g.steps is None else f"{g.steps:,}", f"{g.seconds / 3600:.2f}",
                         "yes" if g.chosen else "pending" if g.pending else ""])
    return (head, body) if body else None


def machines_line(rows: Sequence[MethodRow]) -> str:
    """How many of the rows' retrain and selection runs each CPU trained: hours from
    different machines add up in the tables, so the report says which they were."""
    cpus = [m.cpu for r in rows if r.retrain is not None for m in r.retrain.members]
    cpus += [cpu for r in rows for g in r.selection for cpu in g.cpus]
    counts = Counter(cpus)
    parts = [f"{cpu}: {n}" for cpu, n in sorted(counts.items(), key=lambda c: -c[1])
             if cpu is not None]
    if counts[None]:
        parts.append(f"not recorded (trained before runs stored their CPU): {counts[None]}")
    return "Retrain and selection runs by the CPU that trained them: " + "; ".join(parts) + "."


def compute_points(rows: Sequence[MethodRow]) -> list[ComputePoint]:
    """Rows with a retrain: total compute hours against mean test errors and their 95 %
    Student-t interval (the mean alone below two runs)."""
    points = []
    for r in rows:
        if r.retrain is None or r.compute_hours <= 0:
            continue
        n, mean, low, high = errors_interval(r.retrain)
        points.append((f"{r.method} (n={n})", r.compute_hours, mean, low, high))
    return points


def compute_figure(points: Sequence[ComputePoint]) -> object:
    """Plotly: test errors against compute hours, one marker per method, log axes."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, hours, mean, low, high in points:
        fig.add_trace(go.Scatter(
            x=[hours], y=[mean], mode="markers+text", text=[label], textposition="top center",
            name=label, error_y={"type": "data", "symmetric": False, "array": [high - mean],
                                 "arrayminus": [mean - low]}))
    fig.update_layout(title="Test errors /10,000 (mean, 95 % CI) against compute hours "
                            "(search + selection + retrains)",
                      xaxis={"type": "log", "title": "compute hours"},
                      yaxis={"type": "log", "title": "test errors out of 10,000"})
    return fig


def png_compute(points: Sequence[ComputePoint], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, hours, mean, low, high in points:
        ax.errorbar([hours], [mean], yerr=[[mean - low], [high - mean]], fmt="o", capsize=3,
                    label=label)
    return save_log_log(fig, ax, path, "compute hours (search + selection + retrains)",
                        "test errors out of 10,000",
                        "Test errors (mean, 95 % CI) against compute hours")
