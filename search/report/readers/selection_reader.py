"""Selection runs for analysis: each candidate's validation accuracies over fresh seeds,
grouped per selection, with the one the selection chose.

A selection's choice is the one it recorded on its studies when it finished
(:func:`storage.selection.record_selection`). Selections made before that record were
finished when a retrain followed them; their choice is the best mean, as
:func:`search.winners.select.rank` picks it. Any other selection is still training: it
is marked ``pending`` and chooses nothing yet.

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
from storage.selection import SelectionStore, recorded_selections, selection_key

__all__ = ["SelectionGroup", "mark_checks", "selection_groups"]


@dataclass(frozen=True)
class SelectionGroup:
    """One candidate of one selection: its re-evaluated validation accuracies.

    ``check`` marks a selection that only checked another's ranking at a costlier profile
    (``benchmarks/selection_fidelity.py``): no retrain followed it. ``reference`` marks
    the trial its search enqueued as the method's reference configuration (the GAN's
    paper setting): chosen, it says the search found nothing better. ``pending`` marks a
    selection whose runs are still being trained: none of its candidates is chosen yet.
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
    cpus: tuple[str | None, ...] = ()  # per run, None where it stored none
    chosen: bool = False
    check: bool = False
    reference: bool = False
    pending: bool = False

    @property
    def summary(self) -> Summary:
        """Mean, std and Student-t interval of the validation accuracies."""
        return summarize(list(self.accuracies))

    @property
    def selection(self) -> tuple[str, str, str, int, int]:
        """What candidates of one selection share: study, profile, budget, labels, subset."""
        return (self.study, self.profile, self.budget, self.n_labeled, self.data_seed)


def selection_groups(url: str, studies: Collection[optuna.Study],
                     retrained: Collection[tuple[str, int]] = ()) -> list[SelectionGroup]:
    """The selection runs of ``studies`` at ``url``, one group per candidate and selection,
    in stored order, each selection's choice marked ``chosen``.

    Args:
        url: The database.
        studies: The studies whose selections to read, as loaded for the report.
        retrained: (study, trial) of every retrained configuration: a selection without a
            record that one of its candidates' retrains followed was finished.
    """
    names = {study.study_name for study in studies}
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in sorted(SelectionStore(url).runs(), key=lambda r: r["seed"]):
        if run["study_name"] in names:
            grouped[(run["method"], run["study_name"], run["source_trial"],
                     *selection_key(run))].append(run)
    references = {(study.study_name, t.number) for study in studies
                  for t in study.get_trials(deepcopy=False) if t.user_attrs.get("reference")}
    groups = [
        SelectionGroup(method=method, study=study, trial=trial, profile=profile,
                       budget=budget, n_labeled=n_labeled, data_seed=data_seed,
                       accuracies=tuple(float(r["val_accuracy"]) for r in runs),
                       seconds=float(sum(r["seconds"] for r in runs)),
                       steps=mean_steps((r["notes"].get("steps"),
                                         r["notes"].get("pretrain_steps")) for r in runs),
                       cpus=tuple(r["notes"].get("cpu") for r in runs),
                       reference=(study, trial) in references)
        for (method, study, trial, profile, budget, n_labeled, data_seed), runs
        in grouped.items()
    ]
    recorded = {(study.study_name, *key): chosen for study in studies
                for key, chosen in recorded_selections(study).items()}
    members: dict[tuple[Any, ...], list[SelectionGroup]] = defaultdict(list)
    for group in groups:
        members[group.selection].append(group)
    choices = {key: recorded.get(key) or _legacy_choice(candidates, retrained)
               for key, candidates in members.items()}
    return [replace(g, pending=True) if choices[g.selection] is None
            else replace(g, chosen=(g.study, g.trial) in choices[g.selection])
            for g in groups]


def _legacy_choice(candidates: Sequence[SelectionGroup],
                   retrained: Collection[tuple[str, int]]) -> set[tuple[str, int]] | None:
    """A selection without a record: finished if a retrain of a candidate followed it,
    and then its choice is the best mean (ties: the first stored); else ``None``."""
    if not any((g.study, g.trial) in retrained for g in candidates):
        return None
    best = max(candidates, key=lambda g: g.summary.mean)
    return {(best.study, best.trial)}


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
