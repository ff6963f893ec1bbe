"""Noise-aware winner selection, before the test set is touched.

A search ranks configurations by one run each, and one configuration's validation
accuracy varies by more across runs than good configurations differ from each other: the
top trial is partly the luckiest. So the top ``k`` trials of a method's studies are
trained again and scored on validation only; the configuration with the best mean goes on
to the test set. With 100 labels, which 100 dominates the spread (the GAN: 109.6 ± 3.0
test errors over model seeds on one subset, 147.0 ± 49.6 over five redrawn subsets), so
by default every selection run redraws the labeled subset: run ``i`` trains with data
seed and model seed ``SELECTION_SEED_BASE + i``. The older selection, fresh model seeds
on the search's subset, stays available (``redraw=False``).

Selection seeds start at :data:`SELECTION_SEED_BASE`, so they never repeat the search's
seeds (whose values picked the candidates) nor the retrains' (the first K from 0, data
seeds included when a retrain redraws its labels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.cache import cache_key
from objectives.data import SearchData
from objectives.progress import EpochProgress
from objectives.training import release, train
from search.winners.retraining import Candidate
from search.stats import Summary, summarize
from storage.selection import SELECTION_SEED_BASE, SelectionRun, SelectionStore

__all__ = ["SELECTION_SEED_BASE", "Selected", "plan_selection", "rank", "run_selection"]


def plan_selection(method: Method, candidates: Sequence[Candidate], budget: Budget,
                   seeds: int, n_labeled: int, data_seed: int,
                   redraw: bool = False) -> list[SelectionRun]:
    """The validation runs of a selection, measured fields still empty.

    Args:
        method: The candidates' method.
        candidates: The top trials.
        budget: The selection's profile.
        seeds: Runs per candidate.
        n_labeled: Labels per run.
        data_seed: The search's labeled subset, used by every run unless ``redraw``.
        redraw: Each run ``i`` draws its own subset: data seed = model seed =
            ``SELECTION_SEED_BASE + i``, the same pairs for every candidate, so that
            candidates meet on the same labeled images.
    """
    return [
        SelectionRun(study_name=c.study_name, method=method.name,
                     source_trial=c.trial.number, params=dict(c.trial.params),
                     profile=budget.name, budget=method.budget_fingerprint(budget),
                     n_labeled=n_labeled,
                     data_seed=SELECTION_SEED_BASE + i if redraw else data_seed,
                     seed=SELECTION_SEED_BASE + i,
                     val_accuracy=float("nan"), epochs=0, seconds=0.0)
        for c in candidates for i in range(seeds)
    ]


def run_selection(
    method: Method,
    planned: Iterable[SelectionRun],
    data: SearchData | Callable[[int], SearchData],
    budget: Budget,
    store: SelectionStore,
    on_run: Callable[[SelectionRun], None] = lambda run: None,
    pretrain_cache: Any = None,
    checkpoint_dir: Path | None = None,
) -> list[SelectionRun]:
    """Trains each planned run not stored yet (validation only) and stores it.

    Args:
        method: The method the candidates belong to.
        planned: From :func:`plan_selection` (or a worker's turns at them).
        data: The search data (no test images) of the runs' one labeled subset, or a
            function from a data seed to the search data of that subset.
        budget: The selection's training budget.
        store: Where runs are kept; stored runs are reused, so a rerun tops up.
        on_run: Called after each run.
        pretrain_cache: Cache of pretrained encoders.
        checkpoint_dir: Folder for per-epoch checkpoints (a killed run resumes).
    """
    def data_for(seed: int) -> SearchData:
        if callable(data):
            return data(seed)
        if seed != data.data_seed:
            raise ValueError(f"a run of data seed {seed} given the data of seed "
                             f"{data.data_seed}")
        return data

    done = []
    for planned_run in planned:
        run = store.find(planned_run)
        if run is None:
            checkpoint = None
            if checkpoint_dir is not None:
                # The parameters' hash tells apart runs of one trial under other
                # parameters (an ablation's variants).
                checkpoint = (checkpoint_dir / planned_run.study_name
                              / f"select-trial{planned_run.source_trial}"
                                f"-{planned_run.budget}-seed{planned_run.seed}"
                                f"-{cache_key(dict(planned_run.params))[:8]}.ckpt")
            label = (f"{planned_run.study_name}#{planned_run.source_trial} selection seed "
                     f"{planned_run.seed}")
            context = RunContext(seed=planned_run.seed, pretrain_cache=pretrain_cache,
                                 checkpoint=checkpoint, callbacks=[EpochProgress(label)])
            result = train(method, dict(planned_run.params), data_for(planned_run.data_seed),
                           budget, context)
            run = replace(planned_run, val_accuracy=result.val_accuracy,
                          epochs=result.epochs, seconds=result.seconds,
                          notes={**planned_run.notes, **context.notes})
            store.add(run)
            release()
        on_run(run)
        done.append(run)
    return done


@dataclass(frozen=True)
class Selected:
    """One candidate's selection: its search value and its re-evaluated accuracies."""

    candidate: Candidate
    accuracies: tuple[float, ...]

    @property
    def summary(self) -> Summary:
        return summarize(list(self.accuracies))

    @property
    def label(self) -> str:
        return f"{self.candidate.study_name}#{self.candidate.trial.number}"


def rank(candidates: Sequence[Candidate], runs: Sequence[SelectionRun]) -> list[Selected]:
    """Candidates by mean selection accuracy, best first (ties: the search's order)."""
    selected = [
        Selected(c, tuple(r.val_accuracy for r in runs
                          if r.study_name == c.study_name and r.source_trial == c.trial.number))
        for c in candidates
    ]
    return sorted(selected, key=lambda s: -s.summary.mean if s.accuracies else float("inf"))
