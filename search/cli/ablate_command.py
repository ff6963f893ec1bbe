"""``run_study.py --ablate TRIAL``: the path from the method's reference to a trial of the
study, each differing parameter reverted alone, trained on redrawn labeled draws and
scored on validation only (``search.winners.ablation``)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from search.cli.common import UsageError, check_feasible, load_named_study, set_threads

if TYPE_CHECKING:  # TensorFlow loads only once the input is checked
    from search.running.workers import Turns
    from storage.selection import SelectionRun

__all__ = ["ablate_command", "ablate_worker"]


def _report(run: SelectionRun) -> None:
    print(f"  {run.notes.get('ablation')} seed {run.seed}: val {run.val_accuracy:.4f}, "
          f"{run.epochs} epochs, {run.seconds:.1f} s", flush=True)


def ablate_worker(args: argparse.Namespace, budget_name: str, planned: list[SelectionRun],
                  threads: int, turns: Turns) -> None:
    """One ablation worker; module level, so a parallel ablation can spawn it."""
    from search.cli.select_command import train_selection

    set_threads(threads)
    train_selection(args, budget_name, planned, _report, turns)


def ablate_command(args: argparse.Namespace) -> int:
    """Plans (or tops up) the ablation of trial ``args.ablate`` and prints its table."""
    from objectives import get_method, get_profile
    from search.cli.select_command import train_planned
    from search.stats import summarize
    from search.winners.ablation import (
        REFERENCE, WINNER, ablation_candidates, plan_ablation, variants)
    from storage import open_storage, require_database
    from storage.selection import record_ablation

    method = get_method(args.method)
    if method.reference_params is None:
        raise UsageError(f"method {method.name!r} has no reference configuration to "
                         "ablate towards")
    if not args.study_name:
        raise UsageError("--ablate needs --study-name: the study that holds the trial")
    require_database(args.storage)
    study = load_named_study(args)
    trial = next((t for t in study.get_trials(deepcopy=False) if t.number == args.ablate),
                 None)
    if trial is None or not trial.params:
        raise UsageError(f"{args.study_name} has no trial #{args.ablate} with parameters")
    # As a selection does: the profile and label count the study searched under.
    budget = get_profile(args.select_profile or study.user_attrs.get("profile")
                         or args.profile)
    n_labeled = int(study.user_attrs.get("n_labeled", args.n_labeled))
    configurations = variants(method.space, trial.params, method.reference_params)
    if len(configurations) == 1:
        raise UsageError(f"{args.study_name}#{args.ablate} is the reference configuration: "
                         "nothing to ablate")
    candidates = ablation_candidates(method, args.study_name, args.ablate, configurations)
    check_feasible(method, candidates, budget, "ablated")
    planned = plan_ablation(method, candidates, [label for label, _ in configurations],
                            budget, args.select_seeds, n_labeled)
    reverted = [label for label, _ in configurations if label not in (WINNER, REFERENCE)]
    print(f"ablating {args.study_name}#{args.ablate} towards the reference: "
          f"{len(reverted)} parameter(s) reverted one at a time"
          + (", then all at once (the reference)" if len(reverted) > 1 else "")
          + f", {args.select_seeds} redrawn labeled draws each, validation only, profile "
          f"{budget.name}", flush=True)
    # Recorded before any run trains, so a report made meanwhile lists what is to come.
    record_ablation(open_storage(args.storage), args.study_name, planned)
    runs, code = train_planned(args, budget.name, planned, ablate_worker, _report)
    if len(runs) < len(planned):
        print(f"{len(planned) - len(runs)} ablation run(s) missing: a worker failed; rerun "
              "the same command to train them", file=sys.stderr)
        return code or 1
    by_label = {label: summarize([r.val_accuracy for r in runs
                                  if r.notes.get("ablation") == label])
                for label, _ in configurations}
    winner = by_label[WINNER].mean
    for label, summary in by_label.items():
        change = ("" if label == WINNER
                  else f"  ({summary.mean - winner:+.4f} vs #{args.ablate} as searched)")
        print(f"  {label}: val {summary.mean:.4f} ± {summary.std:.4f} (n={summary.n}){change}")
    return code
