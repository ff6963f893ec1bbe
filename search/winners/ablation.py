"""The ablation path from a method's reference to a searched winner: each parameter in
which they differ reverted alone, every variant trained on the same redrawn labeled
draws and scored on validation only, so that a table can say what each change is worth.

A variant is the winner with one parameter set back to the reference's value. Reverting
a parameter that others depend on (a schedule and its settings) drops the dependants the
reference does not have and gives those it has their reference values, so each variant
is a configuration of the space. The runs are selection runs (validation only, stored and
reused by ``storage.selection``) under the study name ``<study>-ablation``, each noting
the parameter it reverted, so no selection of the study mistakes them for candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from objectives.base import Method
from objectives.budget import Budget
from search.winners.select import SELECTION_SEED_BASE
from spaces.base import SearchSpace
from storage.selection import ABLATION_WINNER, SelectionRun, ablation_study

__all__ = ["WINNER", "plan_ablation", "variants"]

# The label of the unchanged winner among the variants.
WINNER = ABLATION_WINNER


def variants(space: SearchSpace, winner: Mapping[str, Any], reference: Mapping[str, Any]
             ) -> list[tuple[str, dict[str, Any]]]:
    """``(label, configuration)``: the winner itself, then per parameter in which the
    winner and the reference differ (in the space's order) the winner with that one
    parameter reverted.

    A parameter active in the winner only (it depends on one that differs) has no
    reference value and no variant of its own: reverting what it depends on drops it.
    """
    ours, theirs = space.point(winner), space.point(reference)
    out = [(WINNER, ours)]
    for name in space.names():
        if name in theirs and ours.get(name) != theirs[name]:
            # The reference's values fill in what the revert activates; the winner's
            # own stay wherever they remain active.
            out.append((name, space.active_values({**theirs, **ours, name: theirs[name]})))
    return out


def plan_ablation(method: Method, study_name: str, trial: int,
                  configurations: Sequence[tuple[str, Mapping[str, Any]]], budget: Budget,
                  seeds: int, n_labeled: int) -> list[SelectionRun]:
    """The validation runs of an ablation, measured fields still empty: every variant
    with ``seeds`` runs, run ``i`` on its own labeled subset (data seed = model seed =
    ``SELECTION_SEED_BASE + i``), the same draws for every variant."""
    return [
        SelectionRun(study_name=ablation_study(study_name), method=method.name,
                     source_trial=trial, params=dict(params), profile=budget.name,
                     budget=method.budget_fingerprint(budget), n_labeled=n_labeled,
                     data_seed=SELECTION_SEED_BASE + i, seed=SELECTION_SEED_BASE + i,
                     val_accuracy=float("nan"), epochs=0, seconds=0.0,
                     notes={"ablation": label})
        for label, params in configurations for i in range(seeds)
    ]
