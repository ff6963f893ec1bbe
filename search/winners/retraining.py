"""Retraining the winners: the best configurations trained K times, then scored on test.

This is the only code that reads the test set (:mod:`search.winners.scoring` scores it). The K
runs take model seeds 0, 1, 2, ..., skipping the one that would repeat the candidate's
own search run (:func:`search.running.study.repeats_search`), with the same early stopping on
validation as the search;
with ``vary_labeled`` the labeled subset is redrawn per run (data seed = run seed), as
Salimans et al. average over subsets. Every run is stored in the study database
(``storage.results``) as soon as it ends, and a rerun reuses the stored seeds, so an
interrupted retrain tops up, and the runs still to make can be shared between worker
processes; the summary is the mean, the sample standard deviation and a Student-t
confidence interval with n-1 degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import count, islice
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import optuna
from optuna.trial import FrozenTrial

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.cache import cache_key
from objectives.data import SearchData, TestData
from objectives.progress import EpochProgress
from objectives.training import release, train
from search.winners.scoring import TestCurve, errors_of, softmax, test_logits
from search.running.study import repeats_search
from storage.artifacts import record_file, upload_to_study
from storage.results import RetrainRun, RetrainStore, RunStore

__all__ = ["Candidate", "pending_runs", "plan_runs", "retrain", "run_key"]

# A planned run of either store: a retrain, or a selection's validation-only run.
Run = TypeVar("Run")


@dataclass(frozen=True)
class Candidate:
    """A configuration to retrain: where it came from and its parameters.

    ``searched`` holds its study's tags (``search.running.study.study_tags``: the profile, label
    count and data seed it was searched under); empty for a reference configuration,
    which was never searched.
    """

    study_name: str
    trial: FrozenTrial
    searched: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def reference(cls, method: Method) -> Candidate:
        """The method's reference configuration (e.g. the paper's), as study
        ``<method>-reference``, trial -1: retrained without any search."""
        if method.reference_params is None:
            raise ValueError(f"method {method.name!r} has no reference configuration")
        params = dict(method.reference_params)
        # Never run as a trial: it has parameters and no value.
        trial = optuna.trial.create_trial(state=optuna.trial.TrialState.WAITING, params=params,
                                          distributions=method.space.distributions(params))
        trial.number = -1
        return cls(f"{method.name}-reference", trial)


def plan_runs(
    method: Method,
    candidates: Sequence[Candidate],
    budget: Budget,
    runs: int,
    n_labeled: int,
    data_seed: int,
    vary_labeled: bool,
    test_size: int,
    selected_at: str | None = None,
) -> list[RetrainRun]:
    """The runs a retrain consists of, measured fields still empty.

    Args:
        method: The method the candidates belong to.
        candidates: Configurations to retrain.
        budget: Training budget (same early stopping as the search).
        runs: Runs per candidate: the first ``runs`` model seeds from 0 up, less the one
            that would repeat the candidate's search run (same seed, labeled subset and
            profile as its study's trials), whose test score would carry the search's luck.
        n_labeled: Labeled images per run.
        data_seed: Data seed when ``vary_labeled`` is off.
        vary_labeled: Redraw the labeled subset per run with data seed = run seed.
        test_size: Images in the test set.
        selected_at: Profile of the selection that chose the candidates, recorded in
            each run's notes (the report tells the real selection from fidelity checks
            by it); ``None`` when no selection ran.
    """
    return [
        RetrainRun(
            study_name=candidate.study_name, method=method.name,
            source_trial=candidate.trial.number, params=dict(candidate.trial.params),
            profile=budget.name, n_labeled=n_labeled, seed=seed,
            data_seed=seed if vary_labeled else data_seed, vary_labeled=vary_labeled,
            val_accuracy=float("nan"), test_accuracy=float("nan"), test_errors=-1,
            test_size=test_size, epochs=0, seconds=0.0,
            budget=method.budget_fingerprint(budget),
            notes={} if selected_at is None else {"selected_at": selected_at})
        for candidate in candidates
        for seed in islice(
            (seed for seed in count()
             if not repeats_search(candidate.searched, budget.name, n_labeled, seed,
                                   seed if vary_labeled else data_seed)),
            runs)
    ]


def run_key(run: RetrainRun) -> str:
    """A short hash of what defines a retrain run: its checkpoint's name."""
    return cache_key({"study": run.study_name, "trial": run.source_trial,
                      "params": run.params, "profile": run.profile, "budget": run.budget,
                      "n_labeled": run.n_labeled, "seed": run.seed,
                      "data_seed": run.data_seed})[:16]


def pending_runs(planned: Sequence[Run], store: RunStore) -> list[Run]:
    """The planned runs not stored yet: what parallel workers share
    (:class:`search.running.workers.Turns`)."""
    return [run for run in planned if store.find(run) is None]


def retrain(
    method: Method,
    planned: Iterable[RetrainRun],
    search_data: Callable[[int], SearchData],
    test: TestData,
    budget: Budget,
    store: RetrainStore,
    on_run: Callable[[RetrainRun], None] = lambda run: None,
    pretrain_cache: Any = None,
    artifact_dir: Path | None = None,
    checkpoint_dir: Path | None = None,
) -> list[RetrainRun]:
    """Trains each planned run (see :func:`plan_runs`) and scores it once on ``test``.

    Args:
        method: The method the runs belong to.
        planned: The runs to make, from :func:`plan_runs` (or a worker's turns at them).
        search_data: Builds the search data for a data seed (cached by the caller).
        test: The official test set.
        budget: Training budget (same early stopping as the search).
        store: Where each run is persisted as soon as it ends.
        on_run: Called after each run (progress output).
        pretrain_cache: Cache of pretrained encoders (runs share pretraining per seed).
        artifact_dir: Folder for per-run files (e.g. GAN samples), ``None`` for none.
        checkpoint_dir: Folder for per-epoch checkpoints: a run killed midway resumes
            from its last epoch when the same retrain is run again; ``None`` for none.
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
            # The key tells apart runs that differ only in profile or budget, which would
            # otherwise overwrite each other's samples and test softmax.
            artifact = artifact_dir / planned_run.study_name / (
                f"retrain_trial{planned_run.source_trial}_labels{data.n_labeled}"
                f"_seed{planned_run.seed}_data{planned_run.data_seed}_{run_key(planned_run)}")
        checkpoint = None
        if checkpoint_dir is not None:
            checkpoint = (checkpoint_dir / planned_run.study_name
                          / f"retrain-{run_key(planned_run)}.ckpt")
        curve = ([TestCurve(test, budget.test_curve_every, budget.eval_batch_size)]
                 if budget.test_curve_every else [])
        label = f"{planned_run.study_name}#{planned_run.source_trial} seed {planned_run.seed}"
        context = RunContext(seed=planned_run.seed, pretrain_cache=pretrain_cache,
                             artifact_path=artifact, checkpoint=checkpoint,
                             callbacks=[*curve, EpochProgress(label)])
        result = train(method, dict(planned_run.params), data, budget, context)
        logits = test_logits(result.model, test, budget.eval_batch_size)
        errors = errors_of(logits, test)
        files = dict(context.files)
        if artifact is not None:
            # Softmax outputs, so that runs can be ensembled later without retraining.
            files["test_softmax"] = artifact.with_name(artifact.name + "_test_softmax.npy")
            files["test_softmax"].parent.mkdir(parents=True, exist_ok=True)
            np.save(files["test_softmax"], softmax(logits).astype(np.float16))
        # Validation accuracy per epoch (on the monitored images), for learning curves.
        val_curve = {i + 1: round(float(h["val_accuracy"]), 5)
                     for i, h in enumerate(result.history) if "val_accuracy" in h}
        notes = {**planned_run.notes, **context.notes, "val_curve": val_curve,
                 **({"test_curve": curve[0].errors,
                     "steps_per_epoch": curve[0].steps_per_epoch} if curve else {}),
                 **{name: record_file(store.url, path) for name, path in files.items()}}
        if "samples_png" in files:  # optuna-dashboard shows it on the source study's page
            artifact_id = upload_to_study(store.url, planned_run.study_name,
                                          files["samples_png"])
            if artifact_id is not None:
                notes["samples_png_artifact_id"] = artifact_id
        run = replace(
            planned_run,
            val_accuracy=result.val_accuracy,
            test_accuracy=1.0 - errors / len(test.y),
            test_errors=errors,
            epochs=result.epochs,
            seconds=result.seconds,
            notes=notes,
        )
        store.add(run)
        on_run(run)
        done.append(run)
        release()
    return done
