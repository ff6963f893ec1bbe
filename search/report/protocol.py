"""The paper's protocol, measured: runs of a reference configuration under the ``official``
profile, against Salimans et al. 2016's figures.

Per-seed test errors (with the monitor curve's values at fixed step counts, and the
confusions that make most of them), the mean with
its Student-t interval, Welch's t-test against the paper's mean (its std over 10 seeds
taken as a sample of 10), the ensemble of the runs' saved softmax outputs, compute hours,
and the test-error curve against optimiser steps. The curve is a monitor: no decision of
any run read it, and the number reported is the error after the last epoch.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from search.report.readers.retrain_reader import RetrainRow, ensemble_errors
from search.stats import summarize
from storage.urls import StorageError

__all__ = ["PROTOCOL", "ProtocolResult", "curve_series", "protocol_results",
           "read_epoch_log", "test_labels", "top_confusions"]


@dataclass(frozen=True)
class PaperProtocol:
    """Where the paper's numbers apply: the profile and method, and the quoted figures."""

    profile: str
    method: str
    single: tuple[float, float, int]  # mean, std, seeds
    ensemble: tuple[float, float, int]  # mean, std, models
    steps: int
    marks: tuple[int, ...]  # steps at which the per-seed table reads the curve


# MNIST, 100 labels, test errors out of 10,000 (Salimans et al. 2016, Table 1): the
# feature-matching GAN over 10 seeds, and an ensemble of 10 such models. 300 epochs of
# 600 steps in the official script.
PROTOCOL = PaperProtocol(profile="official", method="gan", single=(93.0, 6.5, 10),
                         ensemble=(86.0, 5.6, 10), steps=180_000,
                         marks=(30_000, 60_000, 120_000, 180_000))


@dataclass(frozen=True)
class ProtocolResult:
    """One group of official-protocol runs, with what the report shows about it."""

    row: RetrainRow
    welch_p: float | None
    ensemble: tuple[int, int] | None  # (errors, models)
    # Per seed, its most frequent (true class, predicted class, test images).
    confusions: Mapping[int, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        return self.row.seconds / 3600.0


def test_labels(data_dir: str | None) -> np.ndarray:
    """The official test labels, to score ensembles of saved softmax outputs.

    Raises:
        StorageError: If the data is missing or corrupt (the CLI's bad-input error).
    """
    from objectives.data import DataError, resolve_source  # imports TensorFlow: on demand

    try:
        return resolve_source(data_dir).load_test()[1]
    except DataError as exc:
        raise StorageError(f"cannot score the ensembles: {exc}") from None


def top_confusions(softmax: np.ndarray, labels: np.ndarray, k: int = 3
                   ) -> tuple[tuple[int, int, int], ...]:
    """The ``k`` most frequent (true class, predicted class, test images) errors."""
    counts = np.zeros((10, 10), dtype=np.int64)
    np.add.at(counts, (labels, softmax.argmax(axis=1)), 1)
    np.fill_diagonal(counts, 0)
    order = np.argsort(-counts, axis=None, kind="stable")[:k]
    return tuple((int(t), int(p), int(counts[t, p])) for t, p in
                 zip(*np.unravel_index(order, counts.shape)) if counts[t, p])


def protocol_results(retrains: Sequence[RetrainRow],
                     labels: Callable[[], np.ndarray]) -> list[ProtocolResult]:
    """The official-protocol groups, each tested against the paper.

    Args:
        retrains: Every retrain group; the others are skipped.
        labels: Returns the test labels that score the ensembles and the confusions;
            called only if a run left its softmax file.
    """
    out = []
    mean, std, n = PROTOCOL.single
    for row in retrains:
        if row.profile != PROTOCOL.profile or row.method != PROTOCOL.method:
            continue
        p = None
        if row.runs >= 2:
            ours = row.errors_summary()
            p = float(stats.ttest_ind_from_stats(ours.mean, ours.std, ours.n, mean, std, n,
                                                 equal_var=False).pvalue)
        saved = row.saved_members()
        truth = labels() if saved else None
        confusions = {m.seed: top_confusions(np.load(m.softmax), truth)  # type: ignore[arg-type]  # saved: a file, and truth loaded
                      for m in saved}
        out.append(ProtocolResult(row, p, ensemble_errors(row, truth)
                                  if len(saved) >= 2 else None, confusions))
    return out


def _at(curve: Sequence[tuple[int, int]] | None, step: int) -> str:
    values = dict(curve or ())
    return str(values[step]) if step in values else "–"


def seed_table(result: ProtocolResult) -> tuple[list[str], list[list[str]]]:
    """One line per run: the curve at the marks, the final errors, epochs and hours."""
    head = ["seed", "labeled subset (data seed)",
            *(f"test errors at {s // 1000}k steps (monitor)" for s in PROTOCOL.marks[:-1]),
            "final test errors (after the last epoch)", "most frequent (true → predicted)",
            "epochs", "hours"]
    body = [[str(m.seed), str(m.data_seed),
             *(_at(m.curve_in_steps(), s) for s in PROTOCOL.marks[:-1]),
             str(m.test_errors), _confusions(result.confusions.get(m.seed)), str(m.epochs),
             f"{m.seconds / 3600:.2f}"]
            for m in sorted(result.row.members, key=lambda m: m.seed)]
    return head, body


def _confusions(top: Sequence[tuple[int, int, int]] | None) -> str:
    return ", ".join(f"{t} → {p}: {n}" for t, p, n in top) if top else "–"


def _p(p: float | None) -> str:
    if p is None:
        return "–"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def summary_table(result: ProtocolResult) -> tuple[list[str], list[list[str]]]:
    """Ours against the paper, row by row."""
    s = result.row.errors_summary()
    mean, std, n = PROTOCOL.single
    e_mean, e_std, e_n = PROTOCOL.ensemble
    ci = "–" if math.isnan(s.ci_low) else f"{s.ci_low:.1f} – {s.ci_high:.1f}"
    ours_std = "–" if math.isnan(s.std) else f"{s.std:.1f}"
    ensemble = ("needs ≥ 2 saved softmax files and the test labels (--data-dir)"
                if result.ensemble is None
                else f"{result.ensemble[0]} (ensemble of {result.ensemble[1]})")
    steps = sorted({m.epochs * (m.steps_per_epoch or 0) for m in result.row.members})
    head = ["", "measured here", "Salimans et al. 2016 (quoted)"]
    body = [
        ["test errors /10k, one model: mean ± std",
         f"{s.mean:.1f} ± {ours_std} (n = {s.n} seeds)", f"{mean:g} ± {std:g} (n = {n})"],
        ["95 % CI of the mean (Student t)", ci, "–"],
        ["difference to the paper (Welch's t-test)",
         f"{s.mean - mean:+.1f} ({_p(result.welch_p)})", "–"],
        ["ensemble: softmax averaged over the models", ensemble,
         f"{e_mean:g} ± {e_std:g} (ensemble of {e_n})"],
        ["optimiser steps per run", ", ".join(f"{x:,}" for x in steps if x) or "not recorded",
         f"{PROTOCOL.steps:,}"],
        ["compute", f"{result.hours:.1f} h over {s.n} runs", "–"],
    ]
    return head, body


def anchors_measured(results: Sequence[ProtocolResult]) -> dict[int, str]:
    """What the anchor table's rows 0 (one model) and 1 (ensemble) measured here."""
    if not results:
        return {}
    best = max(results, key=lambda r: r.row.runs)
    s = best.row.errors_summary()
    spread = "" if math.isnan(s.std) else f" ± {s.std:.1f}"
    out = {0: f"{s.mean:.1f}{spread} (n = {s.n}, official protocol)"}
    if best.ensemble is not None:
        out[1] = f"{best.ensemble[0]} (ensemble of {best.ensemble[1]})"
    return out


# --- the curve -----------------------------------------------------------------------------

# name, steps, mean, std, and each run's own (steps, errors), drawn faint behind the mean
# so that one run far from the others shows as itself rather than as a wide band.
Series = tuple[str, list[int], list[float], list[float], list[tuple[list[int], list[int]]]]


def _mean_curve(name: str, curves: Sequence[Sequence[tuple[int, int]]]) -> Series:
    by_step: dict[int, list[int]] = defaultdict(list)
    for curve in curves:
        for step, errors in curve:
            by_step[step].append(errors)
    steps = sorted(by_step)
    summaries = [summarize(by_step[s]) for s in steps]
    runs = [([s for s, _ in c], [e for _, e in c]) for c in curves]
    return (f"{name} (n = {len(curves)})", steps, [x.mean for x in summaries],
            [0.0 if math.isnan(x.std) else x.std for x in summaries], runs)


def curve_series(result: ProtocolResult,
                 beside: Mapping[str, Sequence[Sequence[tuple[int, int]]]] | None = None
                 ) -> list[Series]:
    """Mean ± std over seeds of the runs' curves (in steps), then of each curve beside."""
    curves = [c for m in result.row.members if (c := m.curve_in_steps())]
    series = [_mean_curve(f"{result.row.study}, official protocol", curves)] if curves else []
    for name, others in (beside or {}).items():
        series.append(_mean_curve(name, others))
    return series


_SEED = re.compile(r"^seed (\d+)\s*$")
_EPOCH = re.compile(r"^\s*epoch (\d+): test errors (\d+)")
_STEPS = re.compile(r"(\d+) steps per epoch")


def read_epoch_log(path: Path, steps_per_epoch: int = 500
                   ) -> list[tuple[tuple[int, int], ...]]:
    """Per-seed (step, test errors) curves from a ``benchmarks/gan_paper_seeds.py`` log.

    The log names its epoch size in a "N steps per epoch" line; logs written before it
    did ran the paper preset over the 50,000-image pool: 500 steps of 100.
    """
    curves: dict[int, list[tuple[int, int]]] = defaultdict(list)
    seed = None
    for line in path.read_text().splitlines():
        if match := _STEPS.search(line):
            steps_per_epoch = int(match.group(1))
        elif match := _SEED.match(line):
            seed = int(match.group(1))
        elif (match := _EPOCH.match(line)) and seed is not None:
            curves[seed].append((int(match.group(1)) * steps_per_epoch, int(match.group(2))))
    return [tuple(c) for c in curves.values()]
