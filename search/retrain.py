"""Retraining the winners: the best configurations trained K times, then scored on test.

This is the only code that reads the test set. Each run uses model seed ``0..K-1`` and the
same early stopping on validation as the search; with ``vary_labeled`` the labeled subset
is redrawn per run (data seed = run seed), as Salimans et al. average over subsets.
Every run is stored in the study database (``storage.results``) as soon as it ends, and a
rerun reuses the stored seeds, so an interrupted retrain tops up; the summary is the mean,
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

__all__ = ["Candidate", "count_errors", "retrain"]


@dataclass(frozen=True)
class Candidate:
    """A configuration to retrain: where it came from and its parameters."""

    study_name: str
    trial: FrozenTrial


def count_errors(model: object, test: TestData, batch_size: int) -> int:
    """Misclassified test images."""
    logits = model.predict(test.x, batch_size=batch_size, verbose=0)  # type: ignore[attr-defined]
    return int(np.sum(np.argmax(logits, axis=1) != test.y))


def retrain(
    method: Method,
    candidates: Sequence[Candidate],
    search_data: Callable[[int], SearchData],
    test: TestData,
    budget: Budget,
    runs: int,
    data_seed: int,
    vary_labeled: bool,
    store: RetrainStore,
    on_run: Callable[[RetrainRun], None] = lambda run: None,
    pretrain_cache: Any = None,
    artifact_dir: Path | None = None,
) -> list[RetrainRun]:
    """Trains each candidate ``runs`` times and scores every run once on ``test``.

    Args:
        method: The method the candidates belong to.
        candidates: Configurations to retrain.
        search_data: Builds the search data for a data seed (cached by the caller).
        test: The official test set.
        budget: Training budget (same early stopping as the search).
        runs: Runs per candidate, model seeds ``0..runs-1``.
        data_seed: Data seed when ``vary_labeled`` is off.
        vary_labeled: Redraw the labeled subset per run with data seed = run seed.
        store: Where each run is persisted as soon as it ends.
        on_run: Called after each run (progress output).
        pretrain_cache: Cache of pretrained encoders (runs share pretraining per seed).
        artifact_dir: Folder for per-run files (e.g. GAN samples), ``None`` for none.
    """
    done = []
    for candidate in candidates:
        params = dict(candidate.trial.params)
        for seed in range(runs):
            run_data_seed = seed if vary_labeled else data_seed
            data = search_data(run_data_seed)
            planned = RetrainRun(
                study_name=candidate.study_name, method=method.name,
                source_trial=candidate.trial.number, params=params, profile=budget.name,
                n_labeled=data.n_labeled, seed=seed, data_seed=run_data_seed,
                vary_labeled=vary_labeled, val_accuracy=float("nan"),
                test_accuracy=float("nan"), test_errors=-1, test_size=len(test.y),
                epochs=0, seconds=0.0)
            stored = store.find(planned)
            if stored is not None:
                # An earlier, interrupted retrain already ran this seed: reuse it, so that
                # rerunning the command tops up instead of training (and storing) it twice.
                on_run(stored)
                done.append(stored)
                continue
            artifact = None
            if artifact_dir is not None:
                artifact = artifact_dir / candidate.study_name / (
                    f"retrain_trial{candidate.trial.number}_labels{data.n_labeled}"
                    f"_seed{seed}_data{run_data_seed}")
            context = RunContext(seed=seed, pretrain_cache=pretrain_cache,
                                 artifact_path=artifact)
            result = train(method, params, data, budget, context)
            errors = count_errors(result.model, test, budget.eval_batch_size)
            run = replace(
                planned,
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
