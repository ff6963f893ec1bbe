"""Command line of ``run_study.py``: search a method, or retrain its best configurations.

No method-specific code lives here: names resolve through the registries, and every
invalid input ends in one line on stderr and exit code 2, before anything is created.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NoReturn

__all__ = ["UsageError", "build_parser", "checkpoint_dir", "main", "retrain_worker",
           "search_worker", "set_threads"]


class UsageError(ValueError):
    """Bad command-line input."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the user should see the problem at once.
        self.exit(2, f"{self.prog}: error: {message}\n")


def set_threads(threads: int) -> None:
    """Sizes TensorFlow's thread pools; must run before TensorFlow executes any op."""
    import tensorflow as tf

    # Retracing warnings are expected: every trial builds a new model.
    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    except RuntimeError:
        # TensorFlow already ran in this process (main() called twice, as in the tests):
        # its pools keep the size they were started with.
        pass


def _number(cast: Callable[[str], float], noun: str, least: float,
            strict: bool = False) -> Callable[[str], float]:
    """An argparse type: ``cast`` the text, then require ``>= least`` (``> least`` if
    ``strict``); NaN never passes."""
    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not (value > least or (value == least and not strict)):
            bound = f"more than {least}" if strict else f"at least {least}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


_positive = _number(int, "a whole number", 1)
_non_negative = _number(int, "a whole number", 0)
_seconds = _number(float, "a number of seconds", 0, strict=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; help lists the registered names."""
    from objectives import METHODS, PROFILES
    from search.pruners import PRUNERS
    from search.samplers import SAMPLERS
    from storage import DEFAULT_STORAGE

    parser = _Parser(
        prog="run_study.py",
        description=(
            "Search the hyperparameters of a semi-supervised MNIST method with Optuna, "
            "or (--retrain) retrain its best configurations and score them on the test set."
        ),
    )
    parser.add_argument("--method", required=True,
                        help=f"method: {', '.join(METHODS.names())}; to search several side "
                        "by side: a comma list or 'all'")
    parser.add_argument("--sampler", default=None,
                        help=f"sampler: {', '.join(SAMPLERS.names())} (default tpe; with "
                        "--retrain, restricts the studies searched for the best trial)")
    parser.add_argument("--pruner", default="median",
                        help=f"pruner: {', '.join(PRUNERS.names())} (default median)")
    parser.add_argument("--n-trials", type=_positive, default=20,
                        help="finished (complete or pruned) trials the study should reach; "
                        "rerunning tops up to this number (default 20)")
    parser.add_argument("--profile", default="bench",
                        help=f"training budget: {', '.join(PROFILES.names())} (default bench)")
    parser.add_argument("--storage", default=DEFAULT_STORAGE,
                        help=f"SQLAlchemy URL of the study database (default {DEFAULT_STORAGE})")
    parser.add_argument("--study-name", default=None,
                        help="study name (default <method>-<sampler>)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the MNIST IDX .gz files or mnist.npz "
                        "(default $MNIST_DIR, else keras.datasets.mnist)")
    parser.add_argument("--n-labeled", type=_positive, default=100,
                        help="labeled images, balanced over the 10 classes (default 100)")
    parser.add_argument("--data-seed", type=_non_negative, default=0,
                        help="seed of the labeled subset (default 0)")
    parser.add_argument("--seed", type=_non_negative, default=0,
                        help="model seed of search trials; also seeds the sampler (default 0)")
    parser.add_argument("--timeout", type=_seconds, default=None,
                        help="stop starting new trials after this many seconds")
    parser.add_argument("--retrain", type=_positive, nargs="?", const=5, default=None,
                        metavar="K",
                        help="retrain the best configuration K times (default 5; seeds "
                        "0..K-1) and score it on the test set, instead of searching; runs "
                        "already stored for the same seeds are reused, so a rerun tops up")
    parser.add_argument("--reference", action="store_true",
                        help="with --retrain: retrain the method's reference configuration "
                        "(the GAN's: the official MNIST setting) instead of searched trials; "
                        "needs no study")
    parser.add_argument("--top", type=_positive, default=1,
                        help="with --retrain: retrain the N best configurations (default 1)")
    parser.add_argument("--vary-labeled", action="store_true",
                        help="with --retrain: redraw the labeled subset per run "
                        "(data seed = run seed)")
    parser.add_argument("--workers", type=_positive, default=1,
                        help="worker processes per study (with --retrain: the runs still "
                        "to make are split between them); they share the cores (default 1)")
    parser.add_argument("--threads", type=_positive, default=os.cpu_count() or 1,
                        help="TensorFlow threads in all, split between the worker "
                        "processes (default: all cores)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="folder for per-epoch checkpoints of trials and retrain runs "
                        "(default <database>-files/checkpoints beside a SQLite file, "
                        "ssl-hpo-files/checkpoints for a server URL)")
    parser.add_argument("--heartbeat-interval", type=_positive, default=30,
                        help="seconds between a running trial's heartbeats (default 30)")
    parser.add_argument("--grace-period", type=_positive, default=90,
                        help="seconds without heartbeat after which a trial is taken for "
                        "dead, failed and re-run (default 90)")
    return parser


@lru_cache(maxsize=None)
def _usage_errors() -> tuple[type[Exception], ...]:
    from objectives import DataError
    from search.study import SearchError
    from spaces import SpaceError, UnknownNameError
    from storage import StorageError

    return (UsageError, UnknownNameError, SpaceError, DataError, StorageError, SearchError)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _method_names(text: str) -> list[str]:
    from objectives import METHODS

    names = METHODS.names() if text == "all" else [n.strip() for n in text.split(",") if n]
    for name in names:
        METHODS.get(name)
    if len(set(names)) != len(names) or not names:
        raise UsageError(f"--method lists a method twice or none: {text!r}")
    return names


def _load_search_data(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from objectives import make_search_data, resolve_source

    source = resolve_source(args.data_dir)
    return source, make_search_data(*source.load_train(), args.n_labeled, args.data_seed)


def _objective(args: argparse.Namespace, method_name: str, data,  # type: ignore[no-untyped-def]
               progress: bool = False):
    from objectives import Objective, get_method, get_profile
    from objectives.cache import PretrainCache
    from storage import files_dir

    files = files_dir(args.storage)
    return Objective(
        get_method(method_name), data, get_profile(args.profile), args.seed,
        pretrain_cache=PretrainCache(files / "pretrain-cache"), artifact_dir=files / "artifacts",
        checkpoint_dir=checkpoint_dir(args), storage_url=args.storage, progress=progress,
    )


def checkpoint_dir(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Where trials and retrain runs keep their per-epoch checkpoints."""
    from pathlib import Path

    from storage import files_dir

    return Path(args.checkpoint_dir) if args.checkpoint_dir else (
        files_dir(args.storage) / "checkpoints")


def search_worker(args: argparse.Namespace, method_name: str, study_name: str, index: int,
                  threads: int, quiet: bool = False,
                  data=None) -> None:  # type: ignore[no-untyped-def]
    """One search worker; module level, so a parallel search can spawn it.

    ``quiet`` silences the per-trial log lines (the parent shows progress bars instead);
    ``data`` is the parent's search data when the search runs in-process, a spawned
    worker loads its own.
    """
    import optuna

    from objectives import get_method, get_profile
    from search.pruners import make_pruner
    from search.samplers import make_sampler
    from search.workers import run_worker

    set_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING if quiet else optuna.logging.INFO)
    method = get_method(method_name)
    objective = _objective(args, method_name, data if data is not None
                           else _load_search_data(args)[1], progress=not quiet)
    sampler = make_sampler(args.sampler or "tpe", method.space, args.seed, worker=index)
    run_worker(args.storage, study_name, sampler, make_pruner(args.pruner, get_profile(
        args.profile)), objective, args.n_trials, heartbeat_interval=args.heartbeat_interval,
        grace_period=args.grace_period, timeout=args.timeout)


def _search(args: argparse.Namespace) -> int:
    from objectives import get_method, get_profile
    from search.pruners import make_pruner
    from search.runtime import device_line
    from search.samplers import make_sampler
    from search.study import default_study_name, open_study, study_tags
    from search.workers import progress_of, run_parallel
    from storage import mask_url, open_storage, parse_storage_url

    sampler_name = args.sampler or "tpe"
    names = _method_names(args.method)
    if args.study_name and len(names) > 1:
        raise UsageError("--study-name names one study; it cannot go with several methods")
    budget = get_profile(args.profile)
    if budget.fold_validation:
        raise UsageError(f"profile {budget.name!r} folds the validation images into the "
                         "unlabeled pool, so nothing can be searched on them: use it with "
                         "--retrain")
    methods = [get_method(name) for name in names]
    samplers = [make_sampler(sampler_name, m.space, args.seed) for m in methods]
    pruner = make_pruner(args.pruner, budget)
    parse_storage_url(args.storage)
    source, data = _load_search_data(args)  # bad data stops here, before any study exists

    storage = open_storage(args.storage)
    print(device_line(), flush=True)
    targets = []
    for method, sampler in zip(methods, samplers):
        name = args.study_name or default_study_name(method.name, sampler_name)
        tags = study_tags(method.name, sampler_name, args.pruner, budget.name,
                          args.n_labeled, args.data_seed, args.seed)
        open_study(storage, name, sampler, pruner, tags, first_params=method.reference_params)
        targets.append((name, args.n_trials))
        print(f"study {name!r} in {mask_url(args.storage)}: data {source.describe()}, "
              f"{args.n_labeled} labels, profile {budget.name}, {args.workers} worker(s)",
              flush=True)
    processes = len(targets) * args.workers
    threads = max(1, args.threads // processes)
    started = time.perf_counter()
    if processes == 1:
        search_worker(args, names[0], targets[0][0], 0, threads, data=data)
        code = 0
        print(progress_of(storage, targets[0][0]).line(args.n_trials))
    else:
        del data  # each worker loads its own copy
        bars = sys.stderr.isatty()
        jobs = [(args, method_name, study_name, index, threads, bars)
                for method_name, (study_name, _) in zip(names, targets)
                for index in range(args.workers)]
        code = run_parallel(args.storage, targets, search_worker, jobs, show_progress=bars)
    print(f"{time.perf_counter() - started:.1f} s")
    return code


class _RetrainInputs:
    """What every retrain process needs: data, test set, store and caches."""

    def __init__(self, args: argparse.Namespace) -> None:
        from objectives import make_search_data, make_test_data, resolve_source
        from objectives.cache import PretrainCache
        from storage import RetrainStore, files_dir

        source = resolve_source(args.data_dir)
        self.images, self.labels = source.load_train()
        self.test = make_test_data(*source.load_test())
        self.store = RetrainStore(args.storage)
        files = files_dir(args.storage)
        self.pretrain_cache = PretrainCache(files / "pretrain-cache")
        self.artifact_dir = files / "artifacts"
        self.checkpoint_dir = checkpoint_dir(args)
        self._n_labeled = args.n_labeled
        self._data: dict[int, object] = {}
        self._make = make_search_data

    def search_data(self, seed: int):  # type: ignore[no-untyped-def]
        if seed not in self._data:
            self._data[seed] = self._make(self.images, self.labels, self._n_labeled, seed)
        return self._data[seed]

    def run(self, args: argparse.Namespace, planned) -> list:  # type: ignore[no-untyped-def]
        from objectives import get_method, get_profile
        from search.retrain import retrain

        return retrain(get_method(args.method), planned, self.search_data, self.test,
                       get_profile(args.profile), self.store, on_run=_report_run,
                       pretrain_cache=self.pretrain_cache, artifact_dir=self.artifact_dir,
                       checkpoint_dir=self.checkpoint_dir)


def _report_run(run) -> None:  # type: ignore[no-untyped-def]
    print(f"  {run.study_name}#{run.source_trial} seed {run.seed} data seed "
          f"{run.data_seed}: val {run.val_accuracy:.4f}, test {run.test_accuracy:.4f} "
          f"({run.test_errors} errors), {run.epochs} epochs, {run.seconds:.1f} s",
          flush=True)


def retrain_worker(args: argparse.Namespace, planned: list, threads: int) -> None:
    """One retrain worker; module level, so a parallel retrain can spawn it."""
    set_threads(threads)
    _RetrainInputs(args).run(args, planned)


def _best_candidates(args: argparse.Namespace, method):  # type: ignore[no-untyped-def]
    """The ``--top`` best finished trials of the method's studies (or ``--study-name``)."""
    import optuna

    from search.retrain import Candidate
    from search.study import best_trials, method_studies
    from storage import mask_url, open_storage, require_database

    require_database(args.storage)
    storage = open_storage(args.storage)
    if args.study_name:
        try:
            studies = [optuna.load_study(study_name=args.study_name, storage=storage)]
        except KeyError:
            raise UsageError(f"no study {args.study_name!r} in {mask_url(args.storage)}") from None
    else:
        studies = method_studies(storage, method.name, args.sampler)
    ranked = sorted(
        (Candidate(s.study_name, t) for s in studies for t in best_trials(s, args.top)),
        key=lambda c: c.trial.value,
        reverse=True,
    )[: args.top]
    if not ranked:
        raise UsageError(
            f"no finished trial of method {method.name!r} in {mask_url(args.storage)}; "
            "run a search first"
        )
    return ranked


def _retrain(args: argparse.Namespace) -> int:
    from objectives import InfeasibleConfig, get_method, get_profile
    from search.retrain import Candidate, pending_shares, plan_runs
    from search.runtime import device_line
    from search.stats import summarize
    from search.workers import run_parallel
    from storage import parse_storage_url

    method = get_method(args.method)
    budget = get_profile(args.profile)
    if args.sampler is not None:
        from search.samplers import SAMPLERS

        SAMPLERS.get(args.sampler)
    parse_storage_url(args.storage)
    if args.reference:
        if method.reference_params is None:
            raise UsageError(f"method {method.name!r} has no reference configuration")
        ranked = [Candidate.reference(method)]
    else:
        ranked = _best_candidates(args, method)
    for candidate in ranked:
        try:
            method.check(candidate.trial.params, budget)
        except InfeasibleConfig as exc:
            raise UsageError(f"{candidate.study_name}#{candidate.trial.number} cannot be "
                             f"retrained under profile {budget.name!r}: {exc}") from None
    inputs = _RetrainInputs(args)  # bad data stops here, before anything is trained
    planned = plan_runs(method, ranked, budget, args.retrain, args.n_labeled, args.data_seed,
                        args.vary_labeled, len(inputs.test.y))
    labeled = "labeled subset redrawn per run" if args.vary_labeled else (
        f"labeled subset fixed (data seed {args.data_seed})")
    print(device_line(), flush=True)
    print(f"retraining {len(ranked)} configuration(s) x {args.retrain} seeds, "
          f"profile {budget.name}, {labeled}, {args.workers} worker(s)", flush=True)
    code = 0
    if args.workers == 1:
        runs = inputs.run(args, planned)
    else:
        shares = [share for share in pending_shares(planned, inputs.store, args.workers)
                  if share]
        threads = max(1, args.threads // max(1, len(shares)))
        if shares:
            code = run_parallel(args.storage, [], retrain_worker,
                                [(args, share, threads) for share in shares])
        found = [inputs.store.find(run) for run in planned]
        runs = [run for run in found if run is not None]
        if len(runs) < len(planned):
            print(f"{len(planned) - len(runs)} run(s) missing: a worker failed; rerun the "
                  "same command to train them", file=sys.stderr)
            code = code or 1
    for candidate in ranked:
        mine = [r for r in runs if r.source_trial == candidate.trial.number
                and r.study_name == candidate.study_name]
        if not mine:
            continue
        acc = summarize([r.test_accuracy for r in mine])
        err = summarize([r.test_errors for r in mine])
        print(f"{candidate.study_name}#{candidate.trial.number}: test accuracy "
              f"{acc.mean:.4f} (95% CI {acc.ci_low:.4f}..{acc.ci_high:.4f}, n={acc.n}); "
              f"test errors {err.mean:.1f} +- {err.std:.1f} / {mine[0].test_size}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.top > 1 and args.retrain is None:
            raise UsageError("--top only applies with --retrain")
        if args.reference and args.retrain is None:
            raise UsageError("--reference only applies with --retrain")
        if args.grace_period <= args.heartbeat_interval:
            raise UsageError("--grace-period must exceed --heartbeat-interval")
        if args.checkpoint_dir is not None:
            from storage import check_folder

            check_folder(args.checkpoint_dir, "--checkpoint-dir")
        set_threads(args.threads)
        return _retrain(args) if args.retrain else _search(args)
    except _usage_errors() as exc:
        print(f"run_study.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Optuna has already failed the running trial and stored why.
        print("run_study.py: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
