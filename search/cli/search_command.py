"""``run_study.py``'s search command: studies opened and tagged, then one worker in-process
or several as processes, with progress."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from search.cli.common import UsageError, checkpoint_dir, method_names, set_threads

if TYPE_CHECKING:  # TensorFlow loads only once the input is checked
    import optuna

    from objectives import Objective
    from objectives.data import MnistSource, SearchData

__all__ = ["load_search_data", "search_command", "search_worker"]


def load_search_data(args: argparse.Namespace) -> tuple[MnistSource, SearchData]:
    """The data source of ``--data-dir`` and the search's split of its training images."""
    from objectives import make_search_data, resolve_source

    source = resolve_source(args.data_dir)
    return source, make_search_data(*source.load_train(), args.n_labeled, args.data_seed)


def _objective(args: argparse.Namespace, method_name: str, data: SearchData,
               progress: bool = False, **options: Any) -> Objective:
    from objectives import Objective, get_method, get_profile
    from objectives.cache import PretrainCache
    from storage import files_dir

    files = files_dir(args.storage)
    return Objective(
        get_method(method_name), data, get_profile(args.profile), args.seed,
        pretrain_cache=PretrainCache(files / "pretrain-cache"), artifact_dir=files / "artifacts",
        checkpoint_dir=checkpoint_dir(args), storage_url=args.storage, progress=progress,
        **options,
    )


def _fixed(sampler: optuna.samplers.BaseSampler, fixed: dict[str, Any]
           ) -> optuna.samplers.BaseSampler:
    """``sampler``, or Optuna's partial-fixed wrapper of it when parameters are held."""
    import optuna

    return optuna.samplers.PartialFixedSampler(fixed, sampler) if fixed else sampler


def search_worker(args: argparse.Namespace, method_name: str, study_name: str, index: int,
                  threads: int, quiet: bool = False,
                  data: SearchData | None = None) -> None:
    """One search worker; module level, so a parallel search can spawn it.

    ``quiet`` silences the per-trial log lines (the parent shows progress bars instead);
    ``data`` is the parent's search data when the search runs in-process, a spawned
    worker loads its own. With ``args.phase == "calibrate"`` the worker runs the study's
    enqueued calibration trials in full (no pruning; a failed one is replaced by a draw of
    the random sampler), else it searches with the pruner the study's calibration set.
    """
    import optuna

    from objectives import get_method, get_profile
    from search.cli.calibrate_command import search_pruning
    from search.running.samplers import make_sampler
    from search.running.workers import run_worker

    set_threads(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING if quiet else optuna.logging.INFO)
    method = get_method(method_name)
    budget = get_profile(args.profile)
    calibrating = getattr(args, "phase", "search") == "calibrate"
    if calibrating:
        pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
        options: dict[str, Any] = {"tags": {"calibration": True}}
    else:
        pruner, best = search_pruning(args, method, budget, study_name)
        options = {"best_so_far": best}
    objective = _objective(args, method_name, data if data is not None
                           else load_search_data(args)[1], progress=not quiet, **options)
    fixed = method.space.parse_fixed(args.fix)
    sampler_name = "random" if calibrating else args.sampler or "tpe"

    def sampler(joined_at: int) -> optuna.samplers.BaseSampler:
        return _fixed(make_sampler(sampler_name, method.space, args.seed,
                                   worker=index, resumed_at=joined_at), fixed)

    run_worker(args.storage, study_name, sampler, pruner, objective, args.n_trials,
               heartbeat_interval=args.heartbeat_interval, grace_period=args.grace_period,
               timeout=args.timeout)


def _run_workers(args: argparse.Namespace, runs: list[tuple[str, str, int]],
                 data: SearchData | None, phase: str) -> int:
    """Runs ``(method, study, target)`` each on ``args.workers`` workers: in this process
    when that is one worker, else as processes sharing ``args.threads``."""
    from search.running.workers import progress_of, run_parallel
    from storage import open_storage

    processes = len(runs) * args.workers
    threads = max(1, args.threads // processes)
    phased = [(argparse.Namespace(**{**vars(args), "n_trials": target, "phase": phase}),
               method, study) for method, study, target in runs]
    if processes == 1:
        job_args, method, study = phased[0]
        search_worker(job_args, method, study, 0, threads, data=data)
        print(progress_of(open_storage(args.storage), study).line(runs[0][2]))
        return 0
    bars = sys.stderr.isatty()
    jobs = [(job_args, method, study, index, threads, bars)
            for job_args, method, study in phased for index in range(args.workers)]
    return run_parallel(args.storage, [(study, target) for _, study, target in runs],
                        search_worker, jobs, show_progress=bars)


def search_command(args: argparse.Namespace) -> int:
    """``run_study.py`` without ``--retrain``: creates or resumes the studies and runs them."""
    from objectives import get_method, get_profile
    from search.running.pruners import make_pruner
    from search.calibration import pending
    from search.cli.calibrate_command import finish_calibration, plan_calibration
    from search.running.runtime import device_line
    from search.running.samplers import make_sampler
    from search.running.study import (
        default_study_name, open_study, reference_point, study_tags)
    from storage import mask_url, open_storage, parse_storage_url

    sampler_name = args.sampler or "tpe"
    names = method_names(args.method)
    if args.study_name and len(names) > 1:
        raise UsageError("--study-name names one study; it cannot go with several methods")
    budget = get_profile(args.profile)
    if budget.fold_validation:
        raise UsageError(f"profile {budget.name!r} folds the validation images into the "
                         "unlabeled pool, so nothing can be searched on them: use it with "
                         "--retrain")
    methods = [get_method(name) for name in names]
    fixed = [m.space.parse_fixed(args.fix) for m in methods]  # bad --fix stops here
    samplers = [_fixed(make_sampler(sampler_name, m.space, args.seed), f)
                for m, f in zip(methods, fixed)]
    pruner = make_pruner(args.pruner, budget)
    parse_storage_url(args.storage)
    source, data = load_search_data(args)  # bad data stops here, before any study exists

    storage = open_storage(args.storage)
    print(device_line(), flush=True)
    runs, calibrations = [], []
    for method, sampler, held in zip(methods, samplers, fixed):
        name = args.study_name or default_study_name(method.name, sampler_name, held)
        tags = study_tags(method.name, sampler_name, args.pruner, budget.name,
                          args.n_labeled, args.data_seed, args.seed, held)
        # A calibration enqueues the reference itself, as its first configuration.
        reference = reference_point(method.space, method.reference_params, held)
        study = open_study(storage, name, sampler, pruner, tags,
                           first_params=None if args.calibrate else reference)
        if args.calibrate:
            target = plan_calibration(args, method, budget, study, held)
            if target is not None:
                calibrations.append((method, study, target))
        runs.append((method.name, name, args.n_trials))
        print(f"study {name!r} in {mask_url(args.storage)}: data {source.describe()}, "
              f"{args.n_labeled} labels, profile {budget.name}, {args.workers} worker(s)",
              flush=True)
    started = time.perf_counter()
    code = 0
    if calibrations:
        print(f"calibration: {', '.join(s.study_name for _, s, _ in calibrations)}, each "
              "configuration trained in full without pruning", flush=True)
        code = _run_workers(args, [(m.name, s.study_name, t) for m, s, t in calibrations],
                            data, "calibrate")
        for method, study, _ in calibrations:
            if pending(study):  # interrupted: the rerun finishes it
                return code or 1
            finish_calibration(args, method, budget, study)
    # Several workers load their own copies; this process's goes before they start.
    shared: SearchData | None = data if len(runs) * args.workers == 1 else None
    del data
    code = _run_workers(args, runs, shared, "search") or code
    print(f"{time.perf_counter() - started:.1f} s")
    return code
