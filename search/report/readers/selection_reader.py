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

from search.report.readers.retrain_reader import mean_steps
from search.stats import Summary, summarize
from storage.selection import REDRAWN, SelectionStore, redrawn

__all__ = ["SelectionGroup", "mark_checks", "selection_groups"]


@dataclass(frozen=True)
class SelectionGroup:
    """One candidate of one selection: its re-evaluated validation accuracies.

    ``check`` marks a selection that only checked another's ranking at a costlier profile
    (``benchmarks/selection_fidelity.py``): no retrain followed it.
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

    @property
    def summary(self) -> Summary:
        """Mean, std and Student-t interval of the validation accuracies."""
        return summarize(list(self.accuracies))

    @property
    def selection(self) -> tuple[str, str, str, int, int]:
        """What candidates of one selection share: study, profile, budget, labels, subset."""
        return (self.study, self.profile, self.budget, self.n_labeled, self.data_seed)


def selection_groups(url: str, studies: Collection[str]) -> list[SelectionGroup]:
    """The selection runs of ``studies`` at ``url``, one group per candidate and selection,
    each selection's best mean marked ``chosen``; selections in stored order."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in sorted(SelectionStore(url).runs(), key=lambda r: r["seed"]):
        if run["study_name"] in studies:
            subset = REDRAWN if redrawn(run["data_seed"], run["seed"]) else run["data_seed"]
            grouped[(run["method"], run["study_name"], run["source_trial"], run["profile"],
                     run["budget"], run["n_labeled"], subset)].append(run)
    groups = [
        SelectionGroup(method=method, study=study, trial=trial, profile=profile,
                       budget=budget, n_labeled=n_labeled, data_seed=data_seed,
                       accuracies=tuple(float(r["val_accuracy"]) for r in runs),
                       seconds=float(sum(r["seconds"] for r in runs)),
                       steps=mean_steps((r["notes"].get("steps"),
                                         r["notes"].get("pretrain_steps")) for r in runs))
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
