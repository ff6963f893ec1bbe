"""The search loop: trials run until a study reaches its target, safely from several
processes at once.

:func:`run_search` tops a study up to ``n_trials`` counted trials; :class:`GatedObjective`
keeps parallel workers from overshooting the target or repeating a grid point; the guards
stop a run whose trials all fail, a rerun right after a crash waits for the killed
worker's trial to be failed and re-run, and a worker whose trial another process finished
first goes on.
"""

from __future__ import annotations

import sys
import time
import warnings
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from search.running.study import SearchOutcome, counts, finished_count, infeasible, summarize_study

__all__ = ["GatedObjective", "SkippedTrial", "run_search"]


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
        self.number: int | None = None  # the trial running now (or last)

    def __call__(self, trial: optuna.Trial) -> float:
        self.number = trial.number
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
    """Stops this worker once ``n_trials`` trials count or are running elsewhere (optuna's
    MaxTrialsCallback would count the infeasible ones too). Another trial asked for then
    could only be failed by the gate as surplus, an empty FAIL in the study; the running
    ones are awaited instead (:func:`_await_running`, which re-runs a killed worker's)."""

    def __init__(self, n_trials: int) -> None:
        self.n_trials = n_trials

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        trials = study.get_trials(deepcopy=False)
        if sum(counts(t) or t.state == TrialState.RUNNING for t in trials) >= self.n_trials:
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
        gated = GatedObjective(objective, n_trials)
        try:
            study.optimize(
                gated,
                n_trials=None,
                timeout=left,
                # One trial's exception must never end the study: it fails, with its reason.
                catch=(Exception,),
                callbacks=[_StopAt(n_trials), guard],
            )
        except (ValueError, AssertionError):
            if not _taken(study, gated.number):
                raise
            print(f"trial {gated.number} finished by another worker first; going on",
                  file=sys.stderr, flush=True)
            continue
        if not _await_running(study, n_trials, deadline, poll_seconds):
            break
    return summarize_study(study)


def _taken(study: optuna.Study, number: int | None) -> bool:
    """Whether this worker's last trial was finished by another process.

    It happens to a live worker under load: a heartbeat written late gets its trial failed
    as stale by another worker, which re-enqueues and runs a copy (before SQLite took its
    write lock at BEGIN, two workers could also pop one waiting trial). Optuna's tell then
    refuses the finished trial (``Cannot tell a COMPLETE trial``, or an internal assertion
    for a FAIL one). The study stays consistent, holding the other process's outcome; only
    this worker's result is lost, so the worker goes on instead of dying.
    """
    if number is None:
        return False
    trial = next((t for t in study.get_trials(deepcopy=False) if t.number == number), None)
    return trial is not None and trial.state.is_finished()


def _await_running(study: optuna.Study, n_trials: int, deadline: float | None,
                   poll_seconds: float) -> bool:
    """Waits while running trials hold the target open; ``True`` to run trials again.

    The gate counts running trials as live, so a worker stops when the target is covered.
    A running trial of a killed worker (rerun right after a crash) covers it until its
    heartbeat goes stale: wait for each running trial to finish (another worker's) or to
    be failed as stale and re-enqueued (a killed one's), then run what is left.

    Optuna never calls a trial stale that has no heartbeat at all, which is what a worker
    killed between creating its trial and starting the trial's heartbeat leaves. So a
    trial seen running for a grace period gets one heartbeat from here: a live worker's
    own heartbeats carry on as before, a dead one's trial turns stale a grace period later.
    """
    storage = study._storage
    interval = getattr(storage, "get_heartbeat_interval", lambda: None)()
    if interval is None:  # without heartbeats a dead trial would never be noticed
        return False
    grace = getattr(storage, "grace_period", None) or 2 * interval
    seen: dict[int, float] = {}  # running trial id -> when this wait first saw it
    announced = False
    while finished_count(study) < n_trials:
        trials = study.get_trials(deepcopy=False)
        states = [t.state for t in trials]
        now = time.monotonic()
        for t in trials:
            if t.state == TrialState.RUNNING and now - seen.setdefault(t._trial_id, now) > grace:
                storage.record_heartbeat(t._trial_id)
                seen[t._trial_id] = float("inf")  # once
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
