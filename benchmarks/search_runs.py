"""Shared plumbing of the search benchmarks (samplers, pruning): studies run through the CLI.

Every study is a plain ``run_study.py`` search in one benchmark database, named after its
sampler, pruner and seed, so an interrupted benchmark resumes where it stopped (rerun the
same command) and the raw trials stay browsable with optuna-dashboard. Several studies can
run side by side (``--jobs``), each with its share of the cores.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from benchmarks.common import ROOT, run_study
from search.running.study import FINISHED

METHOD = "supervised"

__all__ = ["StudySpec", "add_common_arguments", "best_after", "finished_trials", "load",
           "median_range", "run_all"]


@dataclass(frozen=True)
class StudySpec:
    """One benchmark study: the baseline searched with one sampler, pruner and seed."""

    sampler: str
    pruner: str
    seed: int
    trials: int

    @property
    def name(self) -> str:
        return f"{METHOD}-{self.sampler}-{self.pruner}-seed{self.seed}"


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every search benchmark takes."""
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--profile", default="bench")
    parser.add_argument("--storage", default=f"sqlite:///{ROOT / 'results' / 'bench-search.db'}",
                        help="benchmark database (studies resume from it; default "
                        "results/bench-search.db)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="studies run side by side, the cores split between them")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--report-only", action="store_true",
                        help="only tabulate what the database holds")
    parser.add_argument("--append", default=None, help="markdown file to append the table to")


def _run_one(spec: StudySpec, args: argparse.Namespace, threads: int) -> None:
    run_study({"method": METHOD, "sampler": spec.sampler, "pruner": spec.pruner,
               "seed": spec.seed, "n-trials": spec.trials, "study-name": spec.name,
               "profile": args.profile, "storage": args.storage, "threads": threads},
              args.data_dir)


def run_all(specs: Sequence[StudySpec], args: argparse.Namespace) -> None:
    """Runs (or tops up) every study, ``args.jobs`` at a time."""
    threads = max(1, args.threads // args.jobs)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for future in [pool.submit(_run_one, spec, args, threads) for spec in specs]:
            future.result()


def load(spec: StudySpec, storage: str) -> optuna.Study | None:
    """The stored study of ``spec``; ``None`` if the benchmark has not started it yet."""
    try:
        return optuna.load_study(study_name=spec.name, storage=storage)
    except KeyError:
        return None


def finished_trials(study: optuna.Study | None, limit: int) -> list[FrozenTrial]:
    """The first ``limit`` finished (complete or pruned) trials, in trial order."""
    if study is None:
        return []
    trials = study.get_trials(deepcopy=False, states=FINISHED)
    return sorted(trials, key=lambda t: t.number)[:limit]


def best_after(trials: Sequence[FrozenTrial], n: int) -> float:
    """Best validation accuracy among the first ``n`` trials (completed ones count).

    NaN while a study has fewer than ``n`` finished trials: a benchmark read mid-run must
    not pass off an unfinished study's best as its best after ``n``.
    """
    values = [t.value for t in trials[:n] if t.state == TrialState.COMPLETE]
    return max(values) if values and len(trials) >= n else float("nan")


def median_range(values: Sequence[float], fmt: str = "{:.4f}") -> str:
    """``median [min–max]`` of ``values``; NaNs (unfinished studies) are left out and
    the number of values kept is shown when some were."""
    arr = np.asarray(values, dtype=float)
    kept = arr[~np.isnan(arr)]
    if kept.size == 0:
        return "–"
    text = (f"{fmt.format(np.median(kept))} [{fmt.format(kept.min())}–"
            f"{fmt.format(kept.max())}]")
    return text if kept.size == arr.size else f"{text} (n={kept.size})"
