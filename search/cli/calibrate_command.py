"""``run_study.py --calibrate N``: a study's fidelity calibration before its search.

The search command calls :func:`plan_calibration` per study (enqueue what is missing, or
say the stored calibration stands), runs the planned calibration trials on its workers
without pruning, then :func:`finish_calibration` measures and stores the outcome, and
:func:`search_pruning` configures every search worker's pruner from it.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import optuna

from search.calibration import (
    calibrate,
    calibration_configs,
    calibration_trials,
    describe,
    enqueue_calibration,
    in_flight_search_trials,
    pending,
    stored_calibration,
)
from search.cli.common import UsageError
from search.running.study import counts, finished_count

__all__ = ["check_calibration_args", "finish_calibration", "plan_calibration",
           "search_pruning"]


def check_calibration_args(args: argparse.Namespace) -> None:
    """Refuses calibration flags that cannot work, before anything is created."""
    if args.calibrate is None:
        if args.recalibrate or args.tau_threshold is not None:
            raise UsageError("--recalibrate and --tau-threshold only apply with --calibrate")
        return
    if args.retrain is not None:
        raise UsageError("--calibrate applies to searches, not to --retrain")
    if args.calibrate < 3:
        raise UsageError(f"--calibrate needs at least 3 configurations for a rank "
                         f"correlation, got {args.calibrate}")
    threshold = 0.6 if args.tau_threshold is None else args.tau_threshold
    if not -1.0 < threshold <= 1.0:  # NaN fails too
        raise UsageError(f"--tau-threshold must lie in (-1, 1], got {args.tau_threshold}")
    args.tau_threshold = threshold
    if (args.sampler or "tpe") == "grid":
        raise UsageError("--calibrate sets where pruning starts; the grid sampler walks "
                         "a fixed grid, so calibrate a tpe or random search")
    if args.pruner == "none":
        raise UsageError("--calibrate sets where the pruner starts; with --pruner none "
                         "there is nothing to calibrate")
    if args.calibrate > args.n_trials:
        raise UsageError(f"--calibrate {args.calibrate} trials would exceed --n-trials "
                         f"{args.n_trials}; calibration trials count towards it")


def plan_calibration(args: argparse.Namespace, method: Any, budget: Any,
                     study: optuna.Study, fixed: dict[str, Any]) -> int | None:
    """Enqueues the calibration trials ``study`` still needs; returns the finished-trial
    target the calibration phase runs to, or ``None`` when the stored one stands.

    A recalibration cut short (its trials still waiting or running) resumes without
    ``--recalibrate``: the stored outcome no longer stands for the study's trials.
    """
    stored = stored_calibration(study)
    if stored is not None and not args.recalibrate and not pending(study):
        print(f"study {study.study_name!r} is calibrated already (--recalibrate to measure "
              "again):", flush=True)
        print(describe(study.study_name, stored), flush=True)
        return None

    def feasible(params: Mapping[str, Any]) -> bool:
        from objectives.encoder import InfeasibleConfig

        try:
            method.check(params, budget)
        except InfeasibleConfig:
            return False
        return True

    try:
        configs = calibration_configs(method.space, args.calibrate, args.seed,
                                      method.reference_params, feasible, fixed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    reference = method.reference_params is not None and bool(configs) and \
        configs[0] == method.space.point(method.reference_params)
    done = sum(counts(t) for t in calibration_trials(study))
    flying = in_flight_search_trials(study)
    if flying and done < args.calibrate:
        listed = ", ".join(f"#{n}" for n in flying)
        raise UsageError(f"study {study.study_name!r} has search trials running or waiting "
                         f"({listed}): a calibration now would count them towards its "
                         "target or run them unpruned; stop its search workers and fail "
                         "those trials first (docs/calibration.md, 'On resume')")
    enqueue_calibration(study, configs, reference)
    return finished_count(study) + max(0, args.calibrate - done)


def finish_calibration(args: argparse.Namespace, method: Any, budget: Any,
                       study: optuna.Study) -> None:
    """Measures the finished calibration of ``study``, stores it and prints the block."""
    outcome = calibrate(study, args.tau_threshold, method.pruning_steps(budget) - 1,
                        method.pretrain_steps(budget),
                        lambda step: method.step_label(budget, step), seed=args.seed)
    print(describe(study.study_name, outcome), flush=True)


def search_pruning(args: argparse.Namespace, method: Any, budget: Any,
                   study_name: str) -> tuple[optuna.pruners.BasePruner, bool]:
    """The pruner of a search worker and whether it reads the best value so far: from the
    study's calibration where it has one, else the registry's default.

    Raises:
        UsageError: If the study's calibration was started and not finished: its
            waiting trials would otherwise run under an uncalibrated pruner.
    """
    from search.running.pruners import make_pruner
    from storage import open_storage

    study = optuna.load_study(study_name=study_name, storage=open_storage(args.storage))
    steps = method.pruning_steps(budget)
    calibration = stored_calibration(study)
    if calibration is None:
        if pending(study):
            raise UsageError(f"study {study_name!r} has an unfinished calibration: rerun "
                             "with the same --calibrate N to finish it")
        return make_pruner(args.pruner, budget, steps), False
    pruner = make_pruner(args.pruner, budget, steps, start=calibration.start,
                         off=calibration.start is None)
    return pruner, calibration.mode == "best"
