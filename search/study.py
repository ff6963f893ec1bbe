"""The search: creating/resuming studies and running trials until the target is reached.

A study is named ``<method>-<sampler>`` unless the user names it, and is tagged with the
method, sampler, pruner, profile and data settings, so retraining and analysis can find a
method's studies without the user repeating them. Rerunning the same command resumes the
study and tops it up to ``n_trials`` finished (complete or pruned) trials.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = [
    "COMPARABILITY_TAGS",
    "FINISHED",
    "GatedObjective",
    "SearchError",
    "SearchOutcome",
    "SkippedTrial",
    "best_trials",
    "default_study_name",
    "counts",
    "finished_count",
    "infeasible",
    "method_studies",
    "open_study",
    "run_search",
    "study_tags",
    "summarize_study",
]

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# Tags that must match when a study is resumed: trials under other values are not comparable.
COMPARABILITY_TAGS = ("method", "profile", "n_labeled", "data_seed", "fixed")


class SearchError(ValueError):
    """A study cannot be used as asked (wrong method, nothing finished, ...)."""


@dataclass(frozen=True)
class SearchOutcome:
    """Trial counts of a study after a run."""

    complete: int
    pruned: int
    failed: int
    best_value: float | None
    best_params: Mapping[str, Any] | None
    infeasible: int = 0


def study_tags(method: str, sampler: str, pruner: str, profile: str, n_labeled: int,
               data_seed: int, seed: int, fixed: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """The user attributes a search study carries; :data:`COMPARABILITY_TAGS` must match on
    resume. ``fixed`` (parameters held, as a JSON text) is tagged only when some are."""
    tags = {"method": method, "sampler": sampler, "pruner": pruner, "profile": profile,
            "n_labeled": n_labeled, "data_seed": data_seed, "seed": seed}
    if fixed:
        tags["fixed"] = json.dumps(dict(fixed), sort_keys=True)
    return tags


def default_study_name(method: str, sampler: str,
                       fixed: Mapping[str, Any] | None = None) -> str:
    """``<method>-<sampler>`` (plus ``-<name>-<value>`` per held parameter), the study a
    plain ``run_study.py`` command resumes."""
    held = "".join(f"-{k}-{v}" for k, v in sorted((fixed or {}).items()))
    return f"{method}-{sampler}{held}"


def open_study(
    storage: optuna.storages.BaseStorage,
    study_name: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    tags: Mapping[str, Any],
    first_params: Mapping[str, Any] | None = None,
) -> optuna.Study:
    """Creates or resumes ``study_name``, tagged with ``tags`` (method, sampler, ...).

    ``first_params`` (a method's reference configuration) is enqueued when the study has
    no trial yet, so it runs first; do this once, before any worker starts.

    Raises:
        SearchError: If the existing study was made for another method, profile, label
            count or data seed.
    """
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        direction="maximize",
        load_if_exists=True,
    )
    for key in COMPARABILITY_TAGS:
        existing = study.user_attrs.get(key)
        if key in tags and existing is not None and existing != tags[key]:
            raise SearchError(
                f"study {study_name!r} was run with {key}={existing!r}, not {tags[key]!r}; "
                "its trials would not be comparable (use another --study-name)"
            )
    for key, value in tags.items():
        study.set_user_attr(key, value)
    if first_params is not None and not study.get_trials(deepcopy=False):
        study.enqueue_trial(dict(first_params), user_attrs={"reference": True})
    return study


def infeasible(trial: FrozenTrial) -> bool:
    """Whether the trial was refused as infeasible (a constraint > 0) before it trained."""
    return any(v > 0 for v in trial.constraints.values())


def counts(trial: FrozenTrial) -> bool:
    """Whether the trial counts towards ``n_trials``: complete or pruned, and feasible."""
    return trial.state in FINISHED and not infeasible(trial)


def finished_count(study: optuna.Study) -> int:
    """Complete plus pruned feasible trials: the trials that count towards ``n_trials``."""
    return sum(counts(t) for t in study.get_trials(deepcopy=False, states=FINISHED))


class SkippedTrial(RuntimeError):
    """A trial that must not run: the target is already met, or its grid point is taken."""


def _live(trial: FrozenTrial) -> bool:
    """Whether the trial counts, or may still count, towards the target."""
    return counts(trial) or trial.state in (TrialState.RUNNING, TrialState.WAITING)


class GatedObjective:
    """Wraps an objective so parallel workers never overshoot the target or repeat a grid
    point.

    Trial numbers are handed out atomically by the storage, so a trial decides from the
    trials numbered below it alone: if ``n_trials`` of them are live (complete, pruned,
    running or waiting) it is surplus, and if one of them holds the same grid point it is
    a duplicate. Either way it ends as FAIL with the reason, runs nothing, and does not
    count; the first ``n_trials`` live trials are exactly the ones that run.

    Args:
        objective: The real objective.
        n_trials: The study's target of finished trials.
    """

    def __init__(self, objective: Any, n_trials: int) -> None:
        self.objective = objective
        self.n_trials = n_trials

    def __call__(self, trial: optuna.Trial) -> float:
        trials = trial.study.get_trials(deepcopy=False)
        me = next(t for t in trials if t.number == trial.number)
        earlier = [t for t in trials if t.number < trial.number and _live(t)]
        if len(earlier) >= self.n_trials:
            trial.set_user_attr("fail_reason", "skipped: the target was already reached")
            trial.study.stop()
            raise SkippedTrial(f"{len(earlier)} earlier trials already meet the target")
        grid_id = me.system_attrs.get("grid_id")
        if grid_id is not None:
            earlier = self._settled(trial, earlier)
        twin = next((t.number for t in earlier if grid_id is not None
                     and t.system_attrs.get("grid_id") == grid_id), None)
        if twin is not None:
            trial.set_user_attr("fail_reason", f"skipped: grid point of trial {twin}")
            raise SkippedTrial(f"grid point {grid_id} is trial {twin}'s")
        return self.objective(trial)


    @staticmethod
    def _settled(trial: optuna.Trial, earlier: list[FrozenTrial]) -> list[FrozenTrial]:
        # An earlier trial is created before the grid sampler writes its grid point; wait
        # (briefly) until every earlier running trial has one, or a race could pass unseen.
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and any(
            t.state == TrialState.RUNNING and "grid_id" not in t.system_attrs for t in earlier
        ):
            time.sleep(0.05)
            numbers = {t.number for t in earlier}
            earlier = [t for t in trial.study.get_trials(deepcopy=False)
                       if t.number in numbers and _live(t)]
        return earlier


class _StopAt:
    """Stops the study once ``n_trials`` trials count (optuna's MaxTrialsCallback would
    count the infeasible ones too)."""

    def __init__(self, n_trials: int) -> None:
        self.n_trials = n_trials

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if finished_count(study) >= self.n_trials:
            study.stop()


class _FailureGuard:
    """Stops a run in which every trial keeps failing, instead of looping for ever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.consecutive = 0
        self.tripped = False

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        wasted = trial.state == TrialState.FAIL or infeasible(trial)
        self.consecutive = self.consecutive + 1 if wasted else 0
        if self.consecutive >= self.limit:
            self.tripped = True
            optuna.logging.get_logger("ssl_hpo").warning(
                "stopping: %d trials in a row failed (see their fail_reason)", self.consecutive
            )
            study.stop()


def run_search(
    study: optuna.Study,
    objective: Any,
    n_trials: int,
    timeout: float | None = None,
    max_consecutive_failures: int = 20,
    poll_seconds: float = 5.0,
) -> SearchOutcome:
    """Runs trials until ``study`` has ``n_trials`` finished trials (or the grid runs out).

    Safe to call from several processes on one study: see :class:`GatedObjective`.
    Infeasible configurations, non-finite losses and any other exception fail their trial
    (reason stored) and the search goes on; failed trials do not count towards
    ``n_trials``. Trials still running elsewhere are waited for; a killed worker's is
    re-run once its heartbeat is stale, so a rerun right after a crash finishes the job.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    guard = _FailureGuard(max_consecutive_failures)
    while finished_count(study) < n_trials and not guard.tripped:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        study.optimize(
            GatedObjective(objective, n_trials),
            n_trials=None,
            timeout=left,
            # One trial's exception must never end the study: it fails, with its reason.
            catch=(Exception,),
            callbacks=[_StopAt(n_trials), guard],
        )
        if not _await_running(study, n_trials, deadline, poll_seconds):
            break
    return summarize_study(study)


def _await_running(study: optuna.Study, n_trials: int, deadline: float | None,
                   poll_seconds: float) -> bool:
    """Waits while running trials hold the target open; ``True`` to run trials again.

    The gate counts running trials as live, so a worker stops when the target is covered.
    A running trial of a killed worker (rerun right after a crash) covers it until its
    heartbeat goes stale: wait for each running trial to finish (another worker's) or to
    be failed as stale and re-enqueued (a killed one's), then run what is left.
    """
    interval = getattr(study._storage, "get_heartbeat_interval", lambda: None)()
    if interval is None:  # without heartbeats a dead trial would never be noticed
        return False
    announced = False
    while finished_count(study) < n_trials:
        states = [t.state for t in study.get_trials(deepcopy=False)]
        if TrialState.WAITING in states:
            return True
        if TrialState.RUNNING not in states:
            # Nothing held the target open: the search stopped for its own reasons (grid
            # exhausted, failures, timeout). After a wait, a running trial has ended.
            return announced
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if not announced:
            print(f"waiting for {states.count(TrialState.RUNNING)} running trial(s) of other "
                  "or killed workers: a killed worker's trial is re-run once its heartbeat "
                  "is stale", file=sys.stderr, flush=True)
            announced = True
        time.sleep(poll_seconds)
        with warnings.catch_warnings():  # "experimental" since Optuna 2.9, in every poll
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    return False


def summarize_study(study: optuna.Study) -> SearchOutcome:
    """Trial counts and the best trial of ``study``."""
    trials = study.get_trials(deepcopy=False)
    by_state = {state: sum(t.state == state for t in trials) for state in TrialState}
    refused = sum(infeasible(t) for t in trials)
    best = best_trials(study, 1)
    return SearchOutcome(
        complete=by_state[TrialState.COMPLETE],
        pruned=by_state[TrialState.PRUNED] - refused,
        failed=by_state[TrialState.FAIL],
        infeasible=refused,
        best_value=best[0].value if best else None,
        best_params=best[0].params if best else None,
    )


def best_trials(study: optuna.Study, top: int) -> list[FrozenTrial]:
    """The ``top`` completed trials, best first."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(done, key=lambda t: t.value, reverse=True)[:top]


def method_studies(
    storage: optuna.storages.BaseStorage, method: str, sampler: str | None = None
) -> list[optuna.Study]:
    """Studies in ``storage`` tagged with ``method`` (and ``sampler`` if given)."""
    found = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        attrs = summary.user_attrs
        if attrs.get("method") != method:
            continue
        if sampler is not None and attrs.get("sampler") != sampler:
            continue
        found.append(optuna.load_study(study_name=summary.study_name, storage=storage))
    return found

