"""Retrain runs for analysis: grouped by configuration and setting, each group with its
runs' records (seed, errors, test-error curve, saved softmax, CPU), and their ensemble.
Reads only, through ``storage.results`` (and the studies' tags through Optuna);
TensorFlow-free. A stored run that repeats its study's own search run (a retrain made
before retrains skipped that seed) is left out: its test score carries the search's luck.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Container, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from search.stats import Summary, summarize
from search.running.study import repeats_search
from storage.artifacts import resolve_file
from storage.results import RetrainStore
from storage.urls import read_storage

__all__ = ["RetrainRow", "RunRecord", "ensemble_errors", "mean_steps", "repeats_note",
           "retrain_rows"]


@dataclass(frozen=True)
class RunRecord:
    """One retrain run, as the report's per-seed tables and curves need it.

    ``curve`` holds the monitor's (epoch, test errors) points; ``steps_per_epoch``
    converts them to optimiser steps when the run recorded it.
    """

    seed: int
    data_seed: int
    test_errors: int
    epochs: int
    seconds: float
    curve: tuple[tuple[int, int], ...] = ()
    steps_per_epoch: int | None = None
    softmax: Path | None = None
    samples_png: Path | None = None
    val_curve: tuple[tuple[int, float], ...] = ()
    steps: int | None = None
    pretrain_steps: int | None = None
    cpu: str | None = None  # None: trained before runs stored their CPU

    def val_errors_in_steps(self, size: int = 10_000) -> tuple[tuple[int, float], ...]:
        """Validation errors per ``size`` images against optimiser steps (epochs times the
        run's average steps per epoch); empty if the run recorded no curve or steps."""
        if not self.val_curve or not self.steps or not self.epochs:
            return ()
        per_epoch = self.steps / self.epochs
        return tuple((round(e * per_epoch), (1.0 - acc) * size) for e, acc in self.val_curve)

    def curve_in_steps(self) -> tuple[tuple[int, int], ...] | None:
        """The curve against steps, ``None`` if the run did not record its epoch size."""
        if not self.steps_per_epoch:
            return None
        return tuple((epoch * self.steps_per_epoch, errors) for epoch, errors in self.curve)


@dataclass(frozen=True)
class RetrainRow:
    """Retrain runs of one configuration under one setting, summarised.

    ``search_repeats`` counts the stored runs left out because they repeat the search
    trial's own run (see :func:`retrain_rows`). ``newest`` is when its last run finished
    (UTC, ISO 8601): between two groups of one setting with as many runs, the report
    shows the newer, made under the profile's current values. ``selected_at`` is the
    profile of the selection that chose the configuration, as its runs recorded it
    (``None`` for runs made before they did, or without a selection).
    """

    method: str
    study: str
    trial: int
    profile: str
    budget: str
    n_labeled: int
    labeled_subset: str
    runs: int
    val_accuracy_mean: float
    test_accuracy_mean: float
    test_accuracy_ci_low: float
    test_accuracy_ci_high: float
    test_errors_mean: float
    test_errors_std: float
    test_size: int
    errors: tuple[int, ...]
    seconds: float
    members: tuple[RunRecord, ...] = field(default=(), repr=False)
    search_repeats: int = 0
    newest: str = ""
    selected_at: str | None = None

    @property
    def preference(self) -> tuple[int, str]:
        """Between two groups of one setting, the greater is shown: more runs, then newer."""
        return (self.runs, self.newest)

    @property
    def profile_label(self) -> str:
        """The profile's name, with its fingerprint when one was stored."""
        return f"{self.profile} [{self.budget}]" if self.budget else self.profile

    @property
    def sample_grids(self) -> tuple[tuple[int, str], ...]:
        """(seed, path) of the generated-sample grids the runs wrote."""
        return tuple((m.seed, str(m.samples_png)) for m in self.members if m.samples_png)

    def saved_members(self) -> list[RunRecord]:
        """The runs whose saved test softmax file is still on disk."""
        return [m for m in self.members if m.softmax is not None and m.softmax.exists()]

    def saved_softmax(self) -> list[Path]:
        """The runs' saved test softmax files that are still on disk."""
        return [m.softmax for m in self.saved_members() if m.softmax is not None]

    def steps_per_run(self) -> int | None:
        """Optimiser steps of a run (see :func:`mean_steps`)."""
        return mean_steps((m.steps, m.pretrain_steps) for m in self.members)

    def errors_summary(self) -> Summary:
        """Mean, std and Student-t interval of the test errors."""
        return summarize(list(self.errors))


def mean_steps(runs: Iterable[tuple[int | None, int | None]]) -> int | None:
    """Optimiser steps per run, main phase plus pretraining, from (steps, pretrain steps)
    per run: the mean over the runs that recorded their steps."""
    steps = [main + (pretrain or 0) for main, pretrain in runs if main]
    return round(sum(steps) / len(steps)) if steps else None


def _record(url: str, run: dict[str, Any]) -> RunRecord:
    notes = run["notes"]
    # JSON turned the curve's epoch keys into strings.
    curve = tuple(sorted((int(e), int(v)) for e, v in notes.get("test_curve", {}).items()))
    return RunRecord(
        seed=int(run["seed"]), data_seed=int(run["data_seed"]),
        test_errors=int(run["test_errors"]), epochs=int(run["epochs"]),
        seconds=float(run["seconds"]), curve=curve,
        steps_per_epoch=notes.get("steps_per_epoch"),
        softmax=resolve_file(url, notes["test_softmax"]) if "test_softmax" in notes else None,
        samples_png=resolve_file(url, notes["samples_png"]) if "samples_png" in notes else None,
        val_curve=tuple(sorted((int(e), float(v))
                               for e, v in notes.get("val_curve", {}).items())),
        steps=notes.get("steps"),
        pretrain_steps=notes.get("pretrain_steps"),
        cpu=notes.get("cpu"),
    )


def _study_tags(url: str, studies: Collection[str]) -> dict[str, Mapping[str, Any]]:
    """The tags (user attributes) of those of ``studies`` stored at ``url``."""
    storage = read_storage(url) if studies else None
    if storage is None:
        return {}
    return {s.study_name: s.user_attrs for s in storage.get_all_studies()
            if s.study_name in studies}


def retrain_rows(url: str, studies: Collection[str],
                 reference_methods: Container[str] | None = None) -> list[RetrainRow]:
    """Retrain runs grouped by configuration and setting.

    A run with the model seed, labeled subset and profile of its study's search trials
    (:func:`search.running.study.repeats_search`) is left out and counted in its row's
    ``search_repeats``.

    Args:
        url: Storage URL.
        studies: Studies whose retrained trials are kept.
        reference_methods: Methods whose reference runs (retrained without a search,
            trial -1) are kept too; ``None`` for every method's.
    """
    tags = _study_tags(url, studies)
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    repeats: dict[tuple[Any, ...], int] = defaultdict(int)
    for run in RetrainStore(url).runs():
        reference = run["source_trial"] < 0 and (
            reference_methods is None or run["method"] in reference_methods)
        if run["study_name"] in studies or reference:
            # A profile retuned under the same name is a different budget: its own group.
            key = (run["method"], run["study_name"], run["source_trial"], run["profile"],
                   run["budget"], run["n_labeled"], bool(run["vary_labeled"]),
                   run["test_size"])
            if repeats_search(tags.get(run["study_name"], {}), run["profile"],
                              run["n_labeled"], run["seed"], run["data_seed"]):
                repeats[key] += 1
            else:
                groups[key].append(run)
    rows = []
    for key, runs in sorted(groups.items()):
        method, study, trial, profile, budget, n_labeled, vary, size = key
        acc: Summary = summarize([r["test_accuracy"] for r in runs])
        err: Summary = summarize([r["test_errors"] for r in runs])
        rows.append(RetrainRow(
            method=method, study=study, trial=trial, profile=profile, budget=budget,
            n_labeled=n_labeled, labeled_subset="varied per run" if vary else "fixed",
            runs=acc.n,
            val_accuracy_mean=summarize([r["val_accuracy"] for r in runs]).mean,
            test_accuracy_mean=acc.mean,
            test_accuracy_ci_low=acc.ci_low,
            test_accuracy_ci_high=acc.ci_high,
            test_errors_mean=err.mean,
            test_errors_std=err.std,
            test_size=size,
            errors=tuple(int(r["test_errors"]) for r in runs),
            seconds=float(sum(r["seconds"] for r in runs)),
            members=tuple(_record(url, r) for r in runs),
            search_repeats=repeats[key],
            newest=max(str(r["created_at"]) for r in runs),
            selected_at=_selected_at(runs),
        ))
    return rows


def _selected_at(runs: Iterable[Mapping[str, Any]]) -> str | None:
    """The selection profile the runs recorded, when they agree on one."""
    profiles = {r["notes"].get("selected_at") for r in runs}
    return profiles.pop() if len(profiles) == 1 else None


def repeats_note(rows: Iterable[RetrainRow]) -> str:
    """The sentence that says how many stored runs the rows leave out as repeats of their
    search trial's run; empty when none."""
    left_out = sum(r.search_repeats for r in rows)
    if not left_out:
        return ""
    return (f"{left_out} stored run(s) left out: each repeats its search trial's own run "
            "(same model seed, labels and profile), whose luck ranked the trial.")


def ensemble_errors(row: RetrainRow, labels: np.ndarray) -> tuple[int, int] | None:
    """Test errors of the runs' averaged softmax outputs, and how many runs it averaged.

    ``None`` when fewer than two runs left a softmax file that is still on disk.
    """
    files = row.saved_softmax()
    if len(files) < 2:
        return None
    mean = np.mean([np.load(f).astype(np.float32) for f in files], axis=0)
    if mean.shape[0] != len(labels):
        raise ValueError(f"softmax files of {row.study}#{row.trial} hold {mean.shape[0]} "
                         f"predictions, the test set {len(labels)} labels")
    return int(np.sum(mean.argmax(axis=1) != labels)), len(files)
