"""``run_study.py --retrain``'s selection step: the top ``--select`` trials re-trained
``--select-seeds`` times (each run on a redrawn labeled subset, or with
``--select-labels fixed`` on the search's), scored on validation only, ranked by their
mean."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from search.cli.common import (
    UsageError, check_feasible, checkpoint_dir, set_threads, stopped_by)

if TYPE_CHECKING:  # the commands import TensorFlow only once the input is checked
    from objectives.base import Method
    from objectives.budget import Budget
    from objectives.data import SearchData
    from search.running.workers import Turns
    from search.winners.retraining import Candidate
    from storage.selection import SelectionRun

__all__ = ["select_command", "select_worker", "train_planned", "train_selection"]


def _searched(ranked: list[Candidate], key: str) -> Any:
    """The one value of study tag ``key`` the candidates share."""
    values = {c.searched.get(key) for c in ranked}
    if len(values) != 1 or None in values:
        raise UsageError(f"the candidates were searched under different {key} values "
                         f"{sorted(map(str, values))}: select within one setting "
                         "(--study-name)")
    return values.pop()


def _profile(args: argparse.Namespace, ranked: list[Candidate]) -> Budget:
    """The selection's budget: ``--select-profile``, else the one the studies searched
    under, so that selection costs what a trial cost."""
    from objectives import get_profile

    return get_profile(args.select_profile or _searched(ranked, "profile"))


def train_selection(args: argparse.Namespace, budget_name: str, planned: list[SelectionRun],
                    on_run: Callable[[SelectionRun], None] | None = None,
                    turns: Turns | None = None) -> list[SelectionRun]:
    """Trains (or reuses) ``planned`` in this process, each run on its labeled subset, or
    with ``turns`` the runs this worker gets of them; ``on_run`` prints each (default: the
    selection's line)."""
    from functools import lru_cache

    from objectives import get_method, get_profile, make_search_data, resolve_source
    from objectives.cache import PretrainCache
    from search.winners.select import run_selection
    from storage import SelectionStore, files_dir

    images, labels = resolve_source(args.data_dir).load_train()

    @lru_cache(maxsize=None)
    def data(seed: int) -> SearchData:
        return make_search_data(images, labels, planned[0].n_labeled, seed)

    runs = planned if turns is None else turns.take(planned)
    return run_selection(get_method(args.method), runs, data, get_profile(budget_name),
                         SelectionStore(args.storage), on_run=on_run or _report,
                         pretrain_cache=PretrainCache(files_dir(args.storage)
                                                      / "pretrain-cache"),
                         checkpoint_dir=checkpoint_dir(args))


def _report(run: SelectionRun) -> None:
    print(f"  {run.study_name}#{run.source_trial} selection seed {run.seed}: val "
          f"{run.val_accuracy:.4f}, {run.epochs} epochs, {run.seconds:.1f} s"
          + stopped_by(run.notes), flush=True)


def select_worker(args: argparse.Namespace, budget_name: str, planned: list[SelectionRun],
                  threads: int, turns: Turns) -> None:
    """One selection worker; module level, so a parallel selection can spawn it."""
    set_threads(threads)
    train_selection(args, budget_name, planned, turns=turns)


def train_planned(args: argparse.Namespace, budget_name: str, planned: list[SelectionRun],
                  worker: Callable[..., None],
                  on_run: Callable[[SelectionRun], None] | None = None
                  ) -> tuple[list[SelectionRun], int]:
    """Trains (or reuses) ``planned``: in this process with one worker, else shared by up
    to ``args.workers`` processes running ``worker(args, budget_name, pending, threads,
    turns)``, each taking the next run not stored yet when it is free.
    Returns the stored runs (fewer than planned if a worker failed) and the exit code."""
    from search.running.workers import run_in_turns
    from search.winners.retraining import pending_runs
    from storage import SelectionStore

    if args.workers == 1:
        return train_selection(args, budget_name, planned, on_run), 0
    store = SelectionStore(args.storage)
    pending = pending_runs(planned, store)
    store.ensure_schema()  # once, before workers race to create it
    code = run_in_turns(args.storage, worker, (args, budget_name), pending, args.workers,
                        args.threads)
    return [r for r in (store.find(p) for p in planned) if r is not None], code


def select_command(args: argparse.Namespace, method: Method, ranked: list[Candidate]
                   ) -> tuple[list[Candidate], int, str]:
    """Runs (or tops up) the selection of ``ranked``; returns them best mean first, the
    exit code (non-zero when a worker failed and runs are missing) and the selection's
    profile, which the retrains record."""
    from search.winners.select import plan_selection, rank
    from storage import open_storage
    from storage.selection import record_selection

    budget = _profile(args, ranked)
    check_feasible(method, ranked, budget, "selected")
    # On the labeled subset the studies searched on, whatever this retrain's labels: a
    # label sweep retrains the configuration chosen at the search's setting.
    redraw = args.select_labels == "redrawn"
    planned = plan_selection(method, ranked, budget, args.select_seeds,
                             int(_searched(ranked, "n_labeled")),
                             int(_searched(ranked, "data_seed")), redraw=redraw)
    what = ("labeled subset and model seed redrawn per run, the same draws for every "
            "candidate" if redraw else "fresh model seeds on the search's labeled subset")
    print(f"selecting among the {len(ranked)} best trials: {args.select_seeds} runs each "
          f"({what}), validation only, profile {budget.name}", flush=True)
    runs, code = train_planned(args, budget.name, planned, select_worker)
    if len(runs) < len(planned):
        print(f"{len(planned) - len(runs)} selection run(s) missing: a worker failed; "
              "rerun the same command to train them", file=sys.stderr)
        return ranked, code or 1, budget.name
    order = rank(ranked, runs)
    record_selection(open_storage(args.storage), planned,
                     [(s.candidate.study_name, s.candidate.trial.number)
                      for s in order[:args.top]])
    for i, chosen in enumerate(order):
        s = chosen.summary
        print(f"  {chosen.label}: search {chosen.candidate.trial.value:.4f}, selection "
              f"{s.mean:.4f} ± {s.std:.4f} (n={s.n}){'  <- chosen' if i < args.top else ''}",
              flush=True)
    return [s.candidate for s in order], code, budget.name
