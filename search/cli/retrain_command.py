"""``run_study.py``'s retrain command: the best trials (or the method's reference
configuration) retrained with several seeds and scored once on the test set."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from search.cli.common import (
    UsageError, check_feasible, checkpoint_dir, load_named_study, set_threads, stopped_by)

if TYPE_CHECKING:  # TensorFlow loads only once the input is checked
    from objectives.base import Method
    from objectives.budget import Budget
    from objectives.data import SearchData
    from search.running.workers import Turns
    from search.winners.retraining import Candidate
    from storage.results import RetrainRun

__all__ = ["retrain_command", "retrain_worker"]


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
        self._data: dict[int, SearchData] = {}
        self._make = make_search_data

    def search_data(self, seed: int) -> SearchData:
        """The search split with labeled subset ``seed``, made once per seed."""
        if seed not in self._data:
            self._data[seed] = self._make(self.images, self.labels, self._n_labeled, seed)
        return self._data[seed]

    def run(self, args: argparse.Namespace, planned: Iterable[RetrainRun]
            ) -> list[RetrainRun]:
        """Trains (or reuses) ``planned`` in this process."""
        from objectives import get_method, get_profile
        from search.winners.retraining import retrain

        return retrain(get_method(args.method), planned, self.search_data, self.test,
                       get_profile(args.profile), self.store, on_run=_report_run,
                       pretrain_cache=self.pretrain_cache, artifact_dir=self.artifact_dir,
                       checkpoint_dir=self.checkpoint_dir)


def _report_run(run: RetrainRun) -> None:
    print(f"  {run.study_name}#{run.source_trial} seed {run.seed} data seed "
          f"{run.data_seed}: val {run.val_accuracy:.4f}, test {run.test_accuracy:.4f} "
          f"({run.test_errors} errors), {run.epochs} epochs, {run.seconds:.1f} s"
          + stopped_by(run.notes), flush=True)


def retrain_worker(args: argparse.Namespace, planned: list[RetrainRun], threads: int,
                   turns: Turns) -> None:
    """One retrain worker, taking its turns at ``planned``; module level, so a parallel
    retrain can spawn it."""
    set_threads(threads)
    _RetrainInputs(args).run(args, turns.take(planned))


def _value(candidate: Candidate) -> float:
    """A candidate's search value (``best_trials`` returns finished trials only)."""
    assert candidate.trial.value is not None
    return candidate.trial.value


def _best_candidates(args: argparse.Namespace, method: Method, count: int) -> list[Candidate]:
    """The ``count`` best finished trials of the method's studies (or ``--study-name``)."""
    from search.running.study import best_trials, method_studies
    from search.winners.retraining import Candidate
    from storage import mask_url, open_storage, require_database

    require_database(args.storage)
    if args.study_name:
        studies = [load_named_study(args)]
    else:
        studies = method_studies(open_storage(args.storage), method.name, args.sampler)
    ranked = sorted(
        (Candidate(s.study_name, t, dict(s.user_attrs))
         for s in studies for t in best_trials(s, count)),
        key=_value,
        reverse=True,
    )[:count]
    if not ranked:
        raise UsageError(
            f"no finished trial of method {method.name!r} in {mask_url(args.storage)}; "
            "run a search first"
        )
    return ranked


def _select_only(args: argparse.Namespace, method: Method, ranked: list[Candidate]) -> int:
    """``--retrain 0``: the selection alone, so that a campaign can look at its choice
    before paying for the retrains; one ``selected:`` line per chosen configuration."""
    from objectives import resolve_source
    from search.cli.select_command import select_command
    from search.running.runtime import device_line

    resolve_source(args.data_dir).load_train()  # bad data stops here; test stays unread
    print(device_line(), flush=True)
    if len(ranked) > 1:
        ranked, code, _ = select_command(args, method, ranked)
        if code:  # runs missing: no choice to report
            return code
    for candidate in ranked[: args.top]:
        # A search enqueues the reference as a trial: its test runs may exist elsewhere.
        print(f"selected: {candidate.study_name}#{candidate.trial.number}"
              + (" (the method's reference configuration)"
                 if candidate.trial.user_attrs.get("reference") else ""), flush=True)
    return 0


def _restate(url: str, method: Method, budget: Budget) -> None:
    """Moves the runs a restated profile still computes to its new fingerprint
    (``storage.migrations``), so that they are reused and paired as before."""
    from dataclasses import replace

    from objectives.profiles import RESTATEMENTS
    from storage.migrations import restate_budget

    if budget.name not in RESTATEMENTS:
        return
    fields, why, same = RESTATEMENTS[budget.name]
    old = method.budget_fingerprint(replace(budget, **fields))
    new = method.budget_fingerprint(budget)
    if old != new and (moved := restate_budget(url, method.name, budget.name, old, new,
                                               why, same)):
        print(f"{moved} {budget.name} run(s) stored under [{old}] restated as [{new}]: "
              f"{why}", flush=True)


def retrain_command(args: argparse.Namespace) -> int:
    """``run_study.py --retrain K``: the chosen configurations trained K times, on test."""
    from objectives import get_method, get_profile
    from search.winners.retraining import Candidate, pending_runs, plan_runs
    from search.running.runtime import device_line
    from search.stats import summarize
    from search.running.workers import run_in_turns
    from storage import parse_storage_url

    method = get_method(args.method)
    budget = get_profile(args.profile)
    parse_storage_url(args.storage)
    if args.reference:
        if method.reference_params is None:
            raise UsageError(f"method {method.name!r} has no reference configuration")
        ranked = [Candidate.reference(method)]
    else:
        ranked = _best_candidates(args, method, max(args.top, args.select))
    if args.retrain == 0:
        return _select_only(args, method, ranked)
    check_feasible(method, ranked, budget, "retrained")
    inputs = _RetrainInputs(args)  # bad data stops here, before anything is trained
    _restate(args.storage, method, budget)
    print(device_line(), flush=True)
    selected_at = None
    if len(ranked) > 1 and args.select > 1 and not args.reference:
        from search.cli.select_command import select_command

        ranked, code, selected_at = select_command(args, method, ranked)
        if code:
            return code
    ranked = ranked[: args.top]
    planned = plan_runs(method, ranked, budget, args.retrain, args.n_labeled, args.data_seed,
                        args.vary_labeled, len(inputs.test.y), selected_at)
    labeled = "labeled subset redrawn per run" if args.vary_labeled else (
        f"labeled subset fixed (data seed {args.data_seed})")
    print(f"retraining {len(ranked)} configuration(s) x {args.retrain} seeds, "
          f"profile {budget.name}, {labeled}, {args.workers} worker(s)", flush=True)
    for candidate in ranked:
        seeds = {r.seed for r in planned if r.source_trial == candidate.trial.number
                 and r.study_name == candidate.study_name}
        for seed in sorted(set(range(max(seeds) + 1)) - seeds):
            print(f"  seed {seed} left out: {candidate.study_name}#{candidate.trial.number}"
                  " was searched with it, on these labels and profile (its test score "
                  "would carry the search's luck)", flush=True)
    code = 0
    if args.workers == 1:
        runs = inputs.run(args, planned)
    else:
        pending = pending_runs(planned, inputs.store)
        inputs.store.ensure_schema()  # once, before workers race to create it
        code = run_in_turns(args.storage, retrain_worker, (args,), pending, args.workers,
                            args.threads)
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
