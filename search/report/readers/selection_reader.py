"""Selection runs for analysis: each candidate's validation accuracies over fresh seeds,
grouped per selection, with the one the selection chose (the best mean, as
:func:`search.winners.select.rank` picks it).

Reads only, through ``storage.selection``; TensorFlow-free.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import optuna

from search.report.readers.retrain_reader import mean_steps
from search.stats import Summary, summarize
from storage.selection import REDRAWN, SelectionStore, redrawn
from storage.urls import read_storage

__all__ = ["SelectionGroup", "mark_checks", "selection_groups"]


@dataclass(frozen=True)
class SelectionGroup:
    """One candidate of one selection: its re-evaluated validation accuracies.

    ``check`` marks a selection that only checked another's ranking at a costlier profile
    (``benchmarks/selection_fidelity.py``): no retrain followed it. ``reference`` marks
    the trial its search enqueued as the method's reference configuration (the GAN's
    paper setting): chosen, it says the search found nothing better.
    """

    method: str
    study: str
    trial: int
    profile: str
    budget: str
    n_labeled: int
    data_seed: int  # REDRAWN when every run drew its own labeled subset
    accuracies: tuple[float, ...]
    seconds: float
    steps: int | None
    chosen: bool = False
    check: bool = False
    reference: bool = False

    @property
    def summary(self) -> Summary:
        """Mean, std and Student-t interval of the validation accuracies."""
        return summarize(list(self.accuracies))

    @property
    def selection(self) -> tuple[str, str, str, int, int]:
        """What candidates of one selection share: study, profile, budget, labels, subset."""
        return (self.study, self.profile, self.budget, self.n_labeled, self.data_seed)


def _references(url: str, studies: Collection[str]) -> set[tuple[str, int]]:
    """(study, trial) of each study's enqueued reference configuration; an ablation's
    runs are stored under a name that is no study, and have none."""
    storage = read_storage(url)
    found: set[tuple[str, int]] = set()
    for name in studies if storage is not None else ():
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            continue
        found |= {(name, t.number) for t in study.get_trials(deepcopy=False)
                  if t.user_attrs.get("reference")}
    return found


def selection_groups(url: str, studies: Collection[str]) -> list[SelectionGroup]:
    """The selection runs of ``studies`` at ``url``, one group per candidate and selection,
    each selection's best mean marked ``chosen``; selections in stored order."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in sorted(SelectionStore(url).runs(), key=lambda r: r["seed"]):
        if run["study_name"] in studies:
            subset = REDRAWN if redrawn(run["data_seed"], run["seed"]) else run["data_seed"]
            grouped[(run["method"], run["study_name"], run["source_trial"], run["profile"],
                     run["budget"], run["n_labeled"], subset)].append(run)
    references = _references(url, {key[1] for key in grouped})
    groups = [
        SelectionGroup(method=method, study=study, trial=trial, profile=profile,
                       budget=budget, n_labeled=n_labeled, data_seed=data_seed,
                       accuracies=tuple(float(r["val_accuracy"]) for r in runs),
                       seconds=float(sum(r["seconds"] for r in runs)),
                       steps=mean_steps((r["notes"].get("steps"),
                                         r["notes"].get("pretrain_steps")) for r in runs),
                       reference=(study, trial) in references)
        for (method, study, trial, profile, budget, n_labeled, data_seed), runs
        in grouped.items()
    ]
    best: dict[tuple[Any, ...], SelectionGroup] = {}
    for group in groups:
        held = best.get(group.selection)
        if held is None or group.summary.mean > held.summary.mean:
            best[group.selection] = group
    return [replace(g, chosen=g is best[g.selection]) for g in groups]


def mark_checks(groups: Sequence[SelectionGroup], retrain_profile: str | None,
                selected_at: str | None = None) -> list[SelectionGroup]:
    """``groups`` with the fidelity checks marked: the selections at a profile other than
    the one the retrains followed (``selected_at``, as they recorded it).

    A check (``benchmarks/selection_fidelity.py``) is neither the winner nor part of the
    method's cost. Retrains made before runs recorded their selection leave
    ``selected_at`` empty; then the pipeline's order decides: it retrained what the
    cheaper selection chose, so a selection at the retrain's own profile beside it can
    only be the check.
    """
    if selected_at is None:
        if retrain_profile is None or all(g.profile == retrain_profile for g in groups):
            return list(groups)
        return [replace(g, check=True, chosen=False) if g.profile == retrain_profile else g
                for g in groups]
    return [g if g.profile == selected_at else replace(g, check=True, chosen=False)
            for g in groups]
