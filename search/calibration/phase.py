"""Fidelity calibration, the study's side: which configurations run in full, and what the
study keeps of them.

A calibration is the first step of a study. Its configurations are the method's
reference (where it has one) and draws of the space's random sampler from the study's
seed, each feasible and distinct; they are enqueued as ordinary trials tagged
``calibration``, run to the top rung without pruning, and count towards ``--n-trials``
like any other. Once they are finished, :func:`calibrate` measures every rung
(``search.calibration.rungs``) and stores the outcome on the study, where every later
worker, resume and the report read it (:func:`stored_calibration`). A calibrated study is
not calibrated again unless asked. Optuna-only: the caller brings the feasibility check.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from search.calibration.rungs import Calibration, candidate_steps, choose, measure
from search.running.study import counts, reference_point
from spaces.base import SearchSpace

__all__ = [
    "ATTR",
    "calibrate",
    "calibration_configs",
    "calibration_only",
    "calibration_trials",
    "describe",
    "enqueue_calibration",
    "in_flight_search_trials",
    "pending",
    "stored_calibration",
]

ATTR = "calibration"  # the study's user attribute holding the stored outcome
TAG = "calibration"  # the trials' user attribute marking a calibration trial
INDEX = "calibration_index"
# A few draws are refused as infeasible or repeated; this many without N is a space
# that cannot give N distinct feasible configurations.
MAX_DRAWS = 2000


def calibration_configs(space: SearchSpace, n: int, seed: int,
                        reference: Mapping[str, Any] | None,
                        feasible: Callable[[Mapping[str, Any]], bool],
                        fixed: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The ``n`` configurations of a calibration: ``reference`` first, where there is one,
    then draws of Optuna's random sampler seeded with ``seed``, skipping infeasible and
    repeated ones. The same arguments give the same list, so a resume enqueues the same.
    Parameters the study holds (``fixed``) keep their values in every draw; a reference
    that disagrees with them is left out, and one that lacks a parameter has it at its
    first grid value.

    Raises:
        ValueError: If the space cannot give ``n`` distinct feasible configurations.
    """
    fixed = dict(fixed or {})
    ref = reference_point(space, reference, fixed)
    configs: list[dict[str, Any]] = [] if ref is None else [ref]
    sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    if fixed:
        sampler = optuna.samplers.PartialFixedSampler(fixed, sampler)
    draws = optuna.create_study(sampler=sampler)
    for _ in range(MAX_DRAWS):
        if len(configs) >= n:
            break
        trial = draws.ask()
        params = space.suggest(trial)
        draws.tell(trial, 0.0)
        if params not in configs and feasible(params):
            configs.append(params)
    if len(configs) < n:
        raise ValueError(f"the {space.name} space gave {len(configs)} distinct feasible "
                         f"configurations in {MAX_DRAWS} draws, fewer than --calibrate {n}")
    return configs[:n]


def calibration_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The study's calibration trials, any state."""
    return [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get(TAG)]


def calibration_only(study: optuna.Study) -> bool:
    """Whether every counted trial of ``study`` is a calibration trial: a measurement
    study (``--calibrate N --n-trials N``), kept out of the methods' rows."""
    counted = [t for t in study.get_trials(deepcopy=False) if counts(t)]
    return bool(counted) and len(calibration_trials(study)) > 0 and all(
        t.user_attrs.get("calibration") for t in counted)


def pending(study: optuna.Study) -> int:
    """Calibration trials enqueued or running, not yet finished."""
    return sum(t.state in (TrialState.WAITING, TrialState.RUNNING)
               for t in calibration_trials(study))


def in_flight_search_trials(study: optuna.Study) -> list[int]:
    """Trials of ``study`` that are no calibration trial and are running or waiting: a
    calibration phase would count them towards its target, or pop them and run them
    without pruning."""
    return [t.number for t in study.get_trials(deepcopy=False)
            if t.state in (TrialState.WAITING, TrialState.RUNNING) and not t.user_attrs.get(TAG)]


def enqueue_calibration(study: optuna.Study, configs: list[dict[str, Any]],
                        reference: bool) -> int:
    """Enqueues the configurations no calibration trial holds yet; returns how many.

    A calibration index counts as held by a trial that counts, or is still waiting or
    running (a killed worker's is re-run by the heartbeat recovery with its attributes).
    One that failed with an exception is not held: its configuration is enqueued again.
    """
    held = {t.user_attrs.get(INDEX) for t in calibration_trials(study)
            if counts(t) or t.state in (TrialState.WAITING, TrialState.RUNNING)}
    added = 0
    for index, params in enumerate(configs):
        if index in held:
            continue
        attrs: dict[str, Any] = {TAG: True, INDEX: index}
        if reference and index == 0:
            attrs["reference"] = True
        study.enqueue_trial(params, user_attrs=attrs, skip_if_exists=False)
        added += 1
    return added


def stored_calibration(study: optuna.Study | optuna.study.StudySummary
                       ) -> Calibration | None:
    """The calibration stored on ``study``, or ``None`` if it was never calibrated."""
    text = study.user_attrs.get(ATTR)
    return None if text is None else Calibration.from_dict(json.loads(text))


def full_runs(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The trials that reached the end with a finite value: the runs a rung's ranking is
    measured against."""
    return [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None
            and math.isfinite(t.value)]


def calibrate(study: optuna.Study, threshold: float, top: int, pretrain_steps: int,
              label: Callable[[int], str], seed: int = 0) -> Calibration:
    """Measures the study's finished calibration trials and stores the outcome on it.

    Args:
        study: The study, its calibration trials finished.
        threshold: The tau a rung must reach for pruning to start there.
        top: The top step (the last step a full run reports).
        pretrain_steps: Steps before the main phase (pretraining epochs), 0 for none.
        label: A step in the user's units.
        seed: Seeds the bootstrap.
    """
    done = [t for t in calibration_trials(study) if counts(t)]
    used = full_runs(done)
    starts = [0, pretrain_steps] if pretrain_steps else [0]

    def phase_start(step: int) -> int:
        return pretrain_steps if pretrain_steps and step >= pretrain_steps else 0

    table = measure([t.intermediate_values for t in used], [float(t.value) for t in used],
                    candidate_steps(top, starts), phase_start, label, seed)
    mode, start = choose(table, threshold)
    outcome = Calibration(
        threshold=threshold, mode=mode, start=None if start is None else start.step,
        start_label="" if start is None else start.label,
        trials=[t.number for t in used],
        excluded=[t.number for t in done if t not in used],
        seconds=round(sum(float(t.user_attrs.get("seconds", 0.0)) for t in done), 1),
        rows=table, phase_starts=starts)
    study.set_user_attr(ATTR, json.dumps(outcome.to_dict(), sort_keys=True))
    return outcome


def describe(name: str, calibration: Calibration) -> str:
    """The block a calibration prints: the table, then where pruning starts, and why."""
    reported = calibration.reported()
    width = max([len(last.label) for last, _ in reported] + [4])
    lines = [f"calibration of {name!r}: {len(calibration.trials)} configurations trained in "
             "full; Kendall's tau of each rung against the final value, 90 % bootstrap "
             "interval"]
    if calibration.excluded:
        lines[0] += f" ({len(calibration.excluded)} more ended without a value: trials " \
                    f"{', '.join(map(str, calibration.excluded))})"
    lines.append(f"  {'rung':<{width}}  {'value at the rung':<22}  best value so far")
    for last, best in reported:
        lines.append(f"  {last.label:<{width}}  {last.text():<22}  {best.text()}")
    if silent := calibration.silent():
        lines.append(f"  no configuration reported at {len(silent)} rung(s), {silent[0]} to "
                     f"{silent[-1]}: no pruner can judge there")
    reading = "the value at the rung" if calibration.mode == "last" else \
        "the best value so far"
    if calibration.start is None:
        lines.append(f"  no rung reaches tau {calibration.threshold:g}: pruning is off "
                     "for this study")
    else:
        lines.append(f"  pruning starts at {calibration.start_label}, reading {reading} "
                     f"(tau {calibration.tau_at(calibration.start):+.2f} >= "
                     f"{calibration.threshold:g})")
    return "\n".join(lines)
