"""Fidelity calibration, the measurement: how well each rung ranks like the top rung.

Given the learning curves of configurations trained in full (the values they reported to
the pruner, step by step) and their final values, :func:`measure` computes, for every rung
the pruner could start at, Kendall's tau between the rung's values and the final values,
with a bootstrap 90 % interval (``scipy.stats``), under two readings of a rung's value:
the value reported at the rung (``last``) and the best value reported so far in the same
phase (``best``; a GAN that collapses after an early peak reads differently under each).
:func:`choose` then picks where pruning starts and under which reading. TensorFlow-free.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "MODES",
    "Calibration",
    "RungRow",
    "candidate_steps",
    "choose",
    "measure",
    "rung_value",
]

MODES = ("last", "best")
# Below this many configurations a rank correlation says nothing.
MIN_CONFIGS = 3


@dataclass(frozen=True)
class RungRow:
    """Kendall's tau at one rung under one reading of the rung's value.

    Attributes:
        step: The pruner's step (0-based: the value reported after step + 1 epochs).
        label: The step in the user's units, e.g. ``epoch 20 (10,000 steps)``.
        n: Configurations with a value at the rung and a final value.
        tau: Kendall's tau-b against the final values; NaN below three configurations.
        low: Lower end of the bootstrap 90 % interval.
        high: Upper end of the interval.
    """

    step: int
    label: str
    n: int
    tau: float
    low: float
    high: float

    def text(self) -> str:
        """``+0.64 [+0.05, +1.00]``, or ``–`` where tau is undefined."""
        if math.isnan(self.tau):
            return "–"
        # + 0.0 turns a -0.0 from rounding a tiny negative end into +0.00.
        low, tau, high = (round(x, 2) + 0.0 for x in (self.low, self.tau, self.high))
        return f"{tau:+.2f} [{low:+.2f}, {high:+.2f}]"


@dataclass(frozen=True)
class Calibration:
    """The outcome of a study's calibration, as stored on the study.

    Attributes:
        threshold: The tau a rung had to reach.
        mode: How a rung's value is read (``last`` or ``best``), chosen by the data.
        start: The first step the pruner may judge at; ``None``: pruning off.
        start_label: ``start`` in the user's units (``""`` when off).
        trials: Numbers of the calibration trials whose curves were used.
        excluded: Calibration trials that ended without a final value (a collapse guard).
        seconds: Wall time of all calibration trials.
        rows: ``{mode: [RungRow, ...]}``, every candidate rung under both readings.
        phase_starts: The first step of each phase (``[0, pretraining epochs]`` for a
            method that pretrains); calibrations stored before it was kept read ``[0]``.
    """

    threshold: float
    mode: str
    start: int | None
    start_label: str
    trials: list[int]
    excluded: list[int] = field(default_factory=list)
    seconds: float = 0.0
    rows: dict[str, list[RungRow]] = field(default_factory=dict)
    phase_starts: list[int] = field(default_factory=lambda: [0])

    def phase_start(self, step: int) -> int:
        """The first step of the phase ``step`` is in."""
        return max(s for s in self.phase_starts if s <= step)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (NaN as ``None``)."""
        def clean(v: Any) -> Any:
            return None if isinstance(v, float) and math.isnan(v) else v

        data = asdict(self)
        data["rows"] = {m: [{k: clean(v) for k, v in row.items()} for row in rows]
                        for m, rows in data["rows"].items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The inverse of :meth:`to_dict`."""
        def row(r: Mapping[str, Any]) -> RungRow:
            return RungRow(**{k: (math.nan if v is None else v) for k, v in r.items()})

        fields_ = dict(data)
        fields_["rows"] = {m: [row(r) for r in rows] for m, rows in data["rows"].items()}
        return cls(**fields_)

    def reported(self) -> list[tuple[RungRow, RungRow]]:
        """Each rung some configuration reported at, as (value at the rung, best value so
        far) rows: what a table of the calibration lists."""
        return [(last, best) for last, best in zip(self.rows["last"], self.rows["best"])
                if last.n]

    def silent(self) -> list[str]:
        """Labels of the rungs no configuration reported a value at (an autoencoder gives
        the pruner nothing while it pretrains): no pruner can judge there."""
        return [r.label for r in self.rows.get("last", []) if not r.n]

    def tau_at(self, step: int) -> float:
        """The chosen reading's tau at ``step`` (NaN if not a candidate rung)."""
        return next((r.tau for r in self.rows.get(self.mode, []) if r.step == step),
                    math.nan)


def candidate_steps(top: int, phase_starts: Sequence[int] = (0,)) -> list[int]:
    """The rungs the pruner could start at, below the top step ``top``.

    Epoch counts grow by half each time (1, 2, 3, 4, 6, 9, 13, ...) from the start of every
    phase, so a 120-epoch run gets a dozen rungs rather than 120, and a pretraining method
    gets its first pretraining epochs, its last pretraining step and its first fine-tuning
    epochs.
    """
    steps: set[int] = set()
    starts = sorted(set(phase_starts))
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else top
        if i + 1 < len(starts):
            steps.add(end - 1)  # the phase's last step
        epochs = 1
        while start + epochs - 1 < end:
            steps.add(start + epochs - 1)
            epochs = max(epochs + 1, math.floor(epochs * 1.5))
    return sorted(s for s in steps if 0 <= s < top)


def rung_value(curve: Mapping[int, float], step: int, mode: str,
               phase_start: int = 0) -> float | None:
    """A configuration's value at rung ``step``, from its reported ``curve``.

    A run that stopped before the rung (early stopping) keeps its last value: that is where
    it would stand when the pruner got there. ``best`` takes the best value reported since
    ``phase_start``, so a pretraining signal never meets a validation accuracy.
    """
    seen = [v for s, v in curve.items() if phase_start <= s <= step and math.isfinite(v)]
    if not seen:
        return None
    if mode == "best":
        return max(seen)
    return curve[max(s for s in curve if phase_start <= s <= step)]


def _tau(x: np.ndarray, y: np.ndarray) -> float:
    tau = stats.kendalltau(x, y).statistic
    # A resample whose values are all tied carries no rank information.
    return 0.0 if math.isnan(tau) else float(tau)


def _row(step: int, label: str, x: list[float], y: list[float], seed: int) -> RungRow:
    if len(x) < MIN_CONFIGS or len(set(x)) < 2 or len(set(y)) < 2:
        return RungRow(step, label, len(x), math.nan, math.nan, math.nan)
    xa, ya = np.asarray(x), np.asarray(y)
    with warnings.catch_warnings():  # degenerate resamples, handled by _tau
        warnings.simplefilter("ignore")
        interval = stats.bootstrap((xa, ya), _tau, paired=True, vectorized=False,
                                   confidence_level=0.9, n_resamples=1000,
                                   method="percentile", rng=np.random.default_rng(seed)
                                   ).confidence_interval
    return RungRow(step, label, len(x), _tau(xa, ya), float(interval.low),
                   float(interval.high))


def measure(curves: Sequence[Mapping[int, float]], finals: Sequence[float],
            steps: Sequence[int], phase_start: Callable[[int], int],
            label: Callable[[int], str], seed: int = 0) -> dict[str, list[RungRow]]:
    """Tau at every step in ``steps``, under both readings of a rung's value.

    Args:
        curves: Per configuration, ``{step: reported value}``.
        finals: Per configuration, its value at the top rung (the objective).
        steps: The candidate rungs (:func:`candidate_steps`).
        phase_start: The first step of the phase that ``step`` is in.
        label: ``step`` in the user's units.
        seed: Seeds the bootstrap, so a table is reproduced exactly.
    """
    table: dict[str, list[RungRow]] = {}
    for mode in MODES:
        rows = []
        for step in steps:
            pairs = [(v, f) for curve, f in zip(curves, finals)
                     if (v := rung_value(curve, step, mode, phase_start(step))) is not None]
            rows.append(_row(step, label(step), [p[0] for p in pairs],
                             [p[1] for p in pairs], seed))
        table[mode] = rows
    return table


def _first_reaching(rows: Sequence[RungRow], threshold: float) -> RungRow | None:
    return next((r for r in rows if not math.isnan(r.tau) and r.tau >= threshold), None)


def choose(table: Mapping[str, Sequence[RungRow]], threshold: float
           ) -> tuple[str, RungRow | None]:
    """The reading and the rung where pruning starts: the earliest rung whose tau reaches
    ``threshold`` under either reading; on a tie, the reading whose taus from there on are
    higher on average. ``(mode, None)`` when no rung reaches it: pruning off."""
    found = {m: _first_reaching(rows, threshold) for m, rows in table.items()}

    def later_mean(mode: str) -> float:
        start = found[mode]
        taus = [r.tau for r in table[mode]
                if start is not None and r.step >= start.step and not math.isnan(r.tau)]
        return float(np.mean(taus)) if taus else -math.inf

    reached = {m: row for m in MODES if (row := found.get(m)) is not None}
    if not reached:
        return MODES[0], None
    mode = min(reached, key=lambda m: (reached[m].step, -later_mean(m)))
    return mode, reached[mode]
