"""Retraining the winners: the best configurations trained K times, then scored on test.

This is the only code that reads the test set. Each run uses model seed ``0..K-1`` and the
same early stopping on validation as the search; with ``vary_labeled`` the labeled subset
is redrawn per run (data seed = run seed), as Salimans et al. average over subsets.
Every run is stored in the study database (``storage.results``) as soon as it ends, and a
rerun reuses the stored seeds, so an interrupted retrain tops up, and the runs still to
make can be shared between worker processes; the summary is the mean,
the sample standard deviation and a Student-t confidence interval with n-1 degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial

from objectives.base import Method, RunContext
from objectives.data import SearchData, TestData
from objectives.profiles import Budget
from objectives.training import release, train
from storage.results import RetrainRun, RetrainStore

__all__ = ["Candidate", "count_errors", "pending_shares", "plan_runs", "retrain"]


@dataclass(frozen=True)
class Candidate:
    """A configuration to retrain: where it came from and its parameters."""

    study_name: str
    trial: FrozenTrial


def count_errors(model: object, test: TestData, batch_size: int) -> int:
    """Misclassified test images."""
    logits = model.predict(test.x, batch_size=batch_size, verbose=0)  # type: ignore[attr-defined]
    return int(np.sum(np.argmax(logits, axis=1) != test.y))


def plan_runs(
    method: Method,
    candidates: Sequence[Candidate],
    budget: Budget,
    runs: int,
    n_labeled: int,
    data_seed: int,
    vary_labeled: bool,
    test_size: int,
) -> list[RetrainRun]:
    """The runs a retrain consists of, measured fields still empty.

    Args:
        method: The method the candidates belong to.
        candidates: Configurations to retrain.
        budget: Training budget (same early stopping as the search).
        runs: Runs per candidate, model seeds ``0..runs-1``.
        n_labeled: Labeled images per run.
        data_seed: Data seed when ``vary_labeled`` is off.
        vary_labeled: Redraw the labeled subset per run with data seed = run seed.
        test_size: Images in the test set.
    """
    return [
        RetrainRun(
            study_name=candidate.study_name, method=method.name,
            source_trial=candidate.trial.number, params=dict(candidate.trial.params),
            profile=budget.name, n_labeled=n_labeled, seed=seed,
            data_seed=seed if vary_labeled else data_seed, vary_labeled=vary_labeled,
            val_accuracy=float("nan"), test_accuracy=float("nan"), test_errors=-1,
            test_size=test_size, epochs=0, seconds=0.0, budget=budget.fingerprint)
        for candidate in candidates
        for seed in range(runs)
    ]


def pending_shares(planned: Sequence[RetrainRun], store: RetrainStore,
                   workers: int) -> list[list[RetrainRun]]:
    """Splits the planned runs not stored yet between ``workers`` processes, round robin.

    The split is made once, before any worker starts, so two workers never train the same
    run; seeds a worker does not get are left to the others.
    """
    pending = [run for run in planned if store.find(run) is None]
    return [pending[index::workers] for index in range(workers)]


def retrain(
    method: Method,
    planned: Sequence[RetrainRun],
    search_data: Callable[[int], SearchData],
    test: TestData,
    budget: Budget,
    store: RetrainStore,
    on_run: Callable[[RetrainRun], None] = lambda run: None,
    pretrain_cache: Any = None,
    artifact_dir: Path | None = None,
) -> list[RetrainRun]:
    """Trains each planned run (see :func:`plan_runs`) and scores it once on ``test``.

    Args:
        method: The method the runs belong to.
        planned: The runs to make, from :func:`plan_runs`.
        search_data: Builds the search data for a data seed (cached by the caller).
        test: The official test set.
        budget: Training budget (same early stopping as the search).
        store: Where each run is persisted as soon as it ends.
        on_run: Called after each run (progress output).
        pretrain_cache: Cache of pretrained encoders (runs share pretraining per seed).
        artifact_dir: Folder for per-run files (e.g. GAN samples), ``None`` for none.
    """
    done = []
    for planned_run in planned:
        stored = store.find(planned_run)
        if stored is not None:
            # An earlier, interrupted retrain (or another worker) already ran this seed:
            # reuse it, so that rerunning the command tops up instead of training it twice.
            on_run(stored)
            done.append(stored)
            continue
        data = search_data(planned_run.data_seed)
        artifact = None
        if artifact_dir is not None:
            artifact = artifact_dir / planned_run.study_name / (
                f"retrain_trial{planned_run.source_trial}_labels{data.n_labeled}"
                f"_seed{planned_run.seed}_data{planned_run.data_seed}")
        context = RunContext(seed=planned_run.seed, pretrain_cache=pretrain_cache,
                             artifact_path=artifact)
        result = train(method, dict(planned_run.params), data, budget, context)
        errors = count_errors(result.model, test, budget.eval_batch_size)
        run = replace(
            planned_run,
            val_accuracy=result.val_accuracy,
            test_accuracy=1.0 - errors / len(test.y),
            test_errors=errors,
            epochs=result.epochs,
            seconds=result.seconds,
            notes={**context.notes,
                   **({"stop_reason": result.stop_reason} if result.stop_reason else {})},
        )
        store.add(run)
        on_run(run)
        done.append(run)
        release()
    return done
