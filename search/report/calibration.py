"""The report's fidelity calibrations: per calibrated study, Kendall's tau of every rung
against the full budget (both readings of a rung's value, 90 % bootstrap intervals),
where pruning starts, what the calibration cost, and tau against steps as a plot."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import optuna

from search.calibration import (Calibration, RungRow, calibration_trials, full_runs,
                                measure, stored_calibration)
from search.report.markup import Section, html_table, md_table

__all__ = ["calibration_sections", "cut_before_start", "held_on_full_runs", "png_tau"]

_READING = {"last": "value at the rung", "best": "best value so far"}


def _start(c: Calibration) -> str:
    if c.start is None:
        return f"none reaches {c.threshold:g}: pruning off"
    return f"{c.start_label} ({_READING[c.mode]}, tau {c.tau_at(c.start):+.2f})"


def png_tau(name: str, c: Calibration, path: Path) -> Path:
    """Tau against the rung, both readings with their intervals, the threshold and the
    chosen start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for mode, colour in (("last", "tab:blue"), ("best", "tab:orange")):
        rows = [r for r in c.rows[mode] if not math.isnan(r.tau)]
        x = [r.step + 1 for r in rows]
        ax.plot(x, [r.tau for r in rows], marker="o", color=colour, label=_READING[mode])
        ax.fill_between(x, [r.low for r in rows], [r.high for r in rows], color=colour,
                        alpha=0.15)
    ax.axhline(c.threshold, color="grey", linestyle="--", label=f"threshold {c.threshold:g}")
    if c.start is not None:
        ax.axvline(c.start + 1, color="black", linestyle=":", label="pruning starts")
    ax.set_xscale("log")
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("pruner step (reports so far)")
    ax.set_ylabel("Kendall's tau vs final value")
    ax.set_title(f"{name}: {len(c.trials)} configurations trained in full", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def cut_before_start(calibration: Calibration, study: optuna.Study) -> tuple[list[int], int]:
    """The trials of ``study`` (uncalibrated, the same method and profile) that its pruner
    cut before ``calibration``'s start, and how many it pruned in all: a pruner started
    where the calibration says would have run those on at least to its start (all of them
    when pruning is off). Refused infeasible trials, which report nothing, do not count."""
    pruned = [t for t in study.get_trials(deepcopy=False)
              if t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values]
    start = math.inf if calibration.start is None else calibration.start
    return [t.number for t in pruned if max(t.intermediate_values) < start], len(pruned)


def held_on_full_runs(study: optuna.Study, c: Calibration) -> dict[str, list[RungRow]]:
    """Tau at the calibration's rungs, under its chosen reading, measured again on the
    study's runs that reached the end: every one, and the search's alone (``{}`` while
    no search trial has). Did the calibration's draws speak for what the search proposed?
    The search's full runs are survivors of its pruner, a narrower sample than the
    calibration's random draws, which lowers tau by itself."""
    full = full_runs(study.get_trials(deepcopy=False))
    tagged = {t.number for t in calibration_trials(study)}
    searched = [t for t in full if t.number not in tagged]
    if not searched:
        return {}
    rungs = [last for last, _ in c.reported()]
    labels = {r.step: r.label for r in rungs}
    return {
        f"{name} ({len(runs)})": measure(
            [t.intermediate_values for t in runs], [float(t.value) for t in runs],
            [r.step for r in rungs], c.phase_start, labels.__getitem__)[c.mode]
        for name, runs in (("every full run", full), ("the search's full runs", searched))
    }


def _old_cuts(name: str, c: Calibration, studies: Sequence[optuna.Study]) -> list[str]:
    calibrated = next(s for s in studies if s.study_name == name)
    setting = {k: calibrated.user_attrs.get(k) for k in ("method", "profile")}
    lines = []
    for other in studies:
        if (other.study_name == name or stored_calibration(other) is not None
                or any(other.user_attrs.get(k) != v for k, v in setting.items())):
            continue
        cut, pruned = cut_before_start(c, other)
        if pruned:
            where = "pruning off" if c.start is None else f"the start, {c.start_label}"
            listed = ", ".join(f"#{n}" for n in cut) or "none"
            lines.append(f"{other.study_name}: {len(cut)} of its {pruned} pruned trials were "
                         f"cut before {where} ({listed}); started there, its pruner would "
                         "have run them on at least that far.")
    return lines


def calibration_sections(studies: Sequence[optuna.Study], plots: Path) -> Section:
    """A summary of every calibrated study (with its hours), then per study its tau table
    and plot; nothing when no study was calibrated."""
    found = [(s, c) for s in studies if (c := stored_calibration(s)) is not None]
    if not found:
        return [], [], []
    title = "Fidelity calibration: do the cheap rungs rank like the full budget?"
    caption = ("Each calibration trains its configurations (the method's reference and "
               "random draws) to the top rung without pruning; per rung, Kendall's tau "
               "between the rung's value and the final validation accuracy, with a 90 % "
               "bootstrap interval. Pruning starts at the first rung whose tau reaches "
               "the threshold, under the reading of a rung's value that gets there first.")
    head = ["study", "configurations", "pruning starts at", "calibration h"]
    body = [[s.study_name, str(len(c.trials)) + (f" (+{len(c.excluded)} without value)"
                                                 if c.excluded else ""),
             _start(c), f"{c.seconds / 3600:.2f}"] for s, c in found]
    md = [f"## {title}", "", caption, "", md_table(head, body), ""]
    parts = [f"<h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>"
             + html_table(head, body)]
    written = []
    for study, c in found:
        name = study.study_name
        rung_head = ["rung", "configurations", "tau, value at the rung",
                     "tau, best value so far"]
        # A rung no configuration reported at (an autoencoder's pretraining, which gives
        # the pruner nothing) is said once under the table, not listed empty.
        rung_body = [[last.label, str(last.n), last.text(), best.text()]
                     for last, best in c.reported()]
        again = held_on_full_runs(study, c)
        for column, rows in again.items():
            rung_head.append(f"tau on {column}, {_READING[c.mode]}")
            for cells, row in zip(rung_body, rows, strict=True):
                cells.append(row.text())
        silent = c.silent()
        png = png_tau(name, c, plots / f"{name}__calibration.png")
        written.append(png)
        cuts = _old_cuts(name, c, studies)
        if again:
            cuts.insert(0, "The last two columns measure tau again on the study's runs that "
                           "reached the end, the calibration's and the search's (their "
                           "number in brackets): does the calibration hold for what the "
                           "search proposed? The search's are survivors of its pruner, a "
                           "narrower sample than random draws, which lowers tau by itself.")
        if silent:
            cuts.insert(0, f"No configuration reported a value at {len(silent)} rung(s) "
                           f"({silent[0]} to {silent[-1]}): the method gives the pruner "
                           "nothing there, so no pruner can judge at them.")
        md += [f"### {name}: calibration", "", md_table(rung_head, rung_body), "",
               f"Pruning starts at: {_start(c)}.", "", *[x for line in cuts for x in (line, "")],
               f"![tau against steps](plots/{png.name})", ""]
        parts.append(f"<h3>{html.escape(name)}: calibration</h3>"
                     + html_table(rung_head, rung_body)
                     + f"<p>Pruning starts at: {html.escape(_start(c))}.</p>"
                     + "".join(f"<p>{html.escape(line)}</p>" for line in cuts)
                     + f'<img alt="tau against steps" src="plots/{png.name}">')
    return md, parts, written
