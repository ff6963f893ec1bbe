"""The search, in parallel: worker processes on one study, crash recovery, progress.

Workers are processes (TensorFlow does not share a process well), each given its share of
the cores. They coordinate only through the study database: trial numbers come from the
storage, :class:`search.running.runner.GatedObjective` keeps them from overshooting the target or
repeating a grid point, and heartbeats let a surviving or restarted worker fail and re-run
a trial whose worker was killed.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import optuna
from optuna.trial import TrialState

from search.running.runner import run_search
from search.running.study import SearchOutcome, summarize_study
from storage.urls import mask_url, open_storage

__all__ = ["Progress", "Turns", "run_in_turns", "run_parallel", "run_worker"]

Job = TypeVar("Job")


def run_worker(
    url: str,
    study_name: str,
    sampler: Callable[[int], optuna.samplers.BaseSampler],
    pruner: optuna.pruners.BasePruner,
    objective: Callable[[optuna.Trial], float],
    n_trials: int,
    heartbeat_interval: int | None = 30,
    grace_period: int | None = 90,
    timeout: float | None = None,
) -> SearchOutcome:
    """One worker: joins ``study_name`` with heartbeats on and runs trials to the target.

    ``sampler`` makes the worker's sampler from how many trials the study held when the
    worker joined it, so a resumed search draws fresh proposals.
    """
    storage = open_storage(url, heartbeat_interval=heartbeat_interval,
                           grace_period=grace_period)
    joined_at = len(storage.get_all_trials(storage.get_study_id_from_name(study_name),
                                           deepcopy=False))
    study = optuna.load_study(study_name=study_name, storage=storage,
                              sampler=sampler(joined_at), pruner=pruner)
    return run_search(study, objective, n_trials, timeout=timeout)


@dataclass(frozen=True)
class Progress:
    """Counts of one study, as the progress line shows them."""

    study: str
    complete: int
    pruned: int
    failed: int
    running: int
    best: float | None
    infeasible: int = 0

    def line(self, target: int) -> str:
        best = "-" if self.best is None else f"{self.best:.4f}"
        return (f"{self.study}: {self.complete + self.pruned}/{target} finished "
                f"({self.pruned} pruned, {self.failed} failed, {self.infeasible} infeasible, "
                f"{self.running} running), best {best}")


def progress_of(storage: optuna.storages.BaseStorage, study_name: str) -> Progress:
    """Reads the counts of ``study_name``."""
    study = optuna.load_study(study_name=study_name, storage=storage)
    trials = study.get_trials(deepcopy=False)
    outcome = summarize_study(study)
    return Progress(study_name, outcome.complete, outcome.pruned, outcome.failed,
                    sum(t.state == TrialState.RUNNING for t in trials), outcome.best_value,
                    outcome.infeasible)


class Turns:
    """Hands one list of jobs (retrain or selection runs) to worker processes one job at a
    time, to whichever asks first.

    A split made up front leaves a core idle once its worker's share is done while the
    other still has long runs queued (a selection's runs last 4 to 55 minutes); taking
    turns keeps every worker busy to the end. Each job goes to exactly one worker. Pass
    the one instance to every process at its start (as a ``run_parallel`` argument), with
    the same job list.
    """

    def __init__(self) -> None:
        # A shared counter under its own lock: the index of the next job to hand out.
        self._next = mp.get_context("spawn").Value("q", 0)

    def take(self, jobs: Sequence[Job]) -> Iterator[Job]:
        """Yields the jobs this process gets, each claimed just before it is yielded."""
        while True:
            with self._next.get_lock():
                index = self._next.value
                self._next.value = index + 1
            if index >= len(jobs):
                return
            yield jobs[index]


def run_parallel(
    url: str,
    targets: Sequence[tuple[str, int]],
    worker: Callable[..., Any],
    worker_args: Sequence[tuple[Any, ...]],
    poll_seconds: float = 2.0,
    show_progress: bool | None = None,
) -> int:
    """Starts one process per ``worker_args`` entry and follows the studies until all end.

    Args:
        url: Storage URL (for progress only).
        targets: ``(study name, n_trials)`` of every study the workers share.
        worker: Picklable function run in each process.
        worker_args: Arguments of each process.
        poll_seconds: Progress refresh period.
        show_progress: Progress bars; default: only when stderr is a terminal.

    Returns:
        0 if every worker ended normally, 130 after Ctrl-C, else 1.
    """
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    context = mp.get_context("spawn")
    processes = [context.Process(target=worker, args=args, daemon=False)
                 for args in worker_args]
    for process in processes:
        process.start()
    storage = open_storage(url)  # once: the progress loop polls it every few seconds
    bars = _bars(targets) if show_progress else None
    try:
        while any(p.is_alive() for p in processes):
            time.sleep(poll_seconds)
            if bars is not None:
                _refresh(bars, storage, targets)
    except KeyboardInterrupt:
        # The terminal sent SIGINT to the workers too: each fails its running trial
        # (Optuna records it) and exits; give them time to write that down.
        for process in processes:
            process.join(timeout=60)
        print(f"interrupted; rerun the same command to resume ({mask_url(url)})",
              file=sys.stderr)
        return 130
    finally:
        if bars is not None:
            _refresh(bars, storage, targets)
            for bar in bars.values():
                bar.close()
    for name, target in targets:
        print(progress_of(storage, name).line(target))
    crashed = [p.exitcode for p in processes if p.exitcode != 0]
    if crashed:
        print(f"{len(crashed)} worker(s) ended abnormally (exit codes {crashed}); their "
              "trials are re-run by heartbeat recovery on the next run", file=sys.stderr)
        return 1
    return 0


def run_in_turns(url: str, worker: Callable[..., Any], leading: tuple[Any, ...],
                 jobs: Sequence[Any], workers: int, threads: int) -> int:
    """Shares ``jobs`` between up to ``workers`` processes, each running
    ``worker(*leading, jobs, its threads, turns)`` and taking its :class:`Turns` at them;
    the ``threads`` are split between the processes. Returns ``run_parallel``'s code (0
    when there is nothing to do)."""
    started = min(workers, len(jobs))
    if not started:
        return 0
    each = (*leading, jobs, max(1, threads // started), Turns())
    return run_parallel(url, [], worker, [each] * started)


def _bars(targets: Sequence[tuple[str, int]]) -> dict[str, Any]:
    from tqdm import tqdm

    return {name: tqdm(total=target, desc=name, position=i, leave=True, unit="trial")
            for i, (name, target) in enumerate(targets)}


def _refresh(bars: dict[str, Any], storage: optuna.storages.BaseStorage,
             targets: Sequence[tuple[str, int]]) -> None:
    for name, target in targets:
        progress = progress_of(storage, name)
        bar = bars[name]
        bar.n = min(progress.complete + progress.pruned, target)
        bar.set_postfix_str(f"pruned {progress.pruned}, failed {progress.failed}, best "
                            f"{'-' if progress.best is None else f'{progress.best:.4f}'}")
        bar.refresh()
