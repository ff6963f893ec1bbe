"""The ablation path from a method's reference to a searched winner: each parameter in
which they differ reverted alone, every variant trained on the same redrawn labeled
draws and scored on validation only, so that a table can say what each change is worth.

A variant is the winner with one parameter set back to the reference's value. Reverting
a parameter that others depend on (a schedule and its settings) drops the dependants the
reference does not have and gives those it has their reference values, so each variant
is a configuration of the space. The reference itself, every change reverted at once,
ends the path: the gap it leaves is what the changes are worth together, and set beside
the single reverts' sum it shows whether they add up or interact.

The runs are selection runs (validation only, stored and reused by
``storage.selection``) under the study name ``<study>-ablation``, each noting the
parameter it reverted, so no selection of the study mistakes them for candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import optuna

from objectives.base import Method
from objectives.budget import Budget
from search.winners.retraining import Candidate
from search.winners.select import SELECTION_SEED_BASE, plan_selection
from spaces.base import SearchSpace
from storage.selection import (
    ABLATION_REFERENCE, ABLATION_WINNER, SelectionRun, ablation_study)

__all__ = ["REFERENCE", "WINNER", "ablation_candidates", "plan_ablation", "variants"]

# The labels of the unchanged winner and of the reference among the variants.
WINNER = ABLATION_WINNER
REFERENCE = ABLATION_REFERENCE


def variants(space: SearchSpace, winner: Mapping[str, Any], reference: Mapping[str, Any]
             ) -> list[tuple[str, dict[str, Any]]]:
    """``(label, configuration)``: the winner itself, then per parameter in which the
    winner and the reference differ (in the space's order) the winner with that one
    parameter reverted, then the reference, unless one revert already is.

    A parameter active in the winner only (it depends on one that differs) has no
    reference value and no variant of its own: reverting what it depends on drops it.
    """
    ours, theirs = space.point(winner), space.point(reference)
    out = [(WINNER, ours)]
    for name in space.names():
        if name in theirs and ours.get(name) != theirs[name]:
            # The reference's values fill in what the revert activates; the winner's
            # own stay wherever they remain active.
            variant = space.active_values({**theirs, **ours, name: theirs[name]})
            # A setting the winner's choices leave inactive reverts to the winner itself.
            if variant != ours:
                out.append((name, variant))
    if all(configuration != theirs for _, configuration in out):
        out.append((REFERENCE, theirs))
    return out


def ablation_candidates(method: Method, study_name: str, trial: int,
                        configurations: Sequence[tuple[str, Mapping[str, Any]]]
                        ) -> list[Candidate]:
    """The variants as candidates of ``study_name``, each under the ablated trial's
    number (a refusal names the trial it came from)."""
    candidates = []
    for _, params in configurations:
        frozen = optuna.trial.create_trial(state=optuna.trial.TrialState.WAITING,
                                           params=dict(params),
                                           distributions=method.space.distributions(params))
        frozen.number = trial
        candidates.append(Candidate(study_name, frozen))
    return candidates


def plan_ablation(method: Method, candidates: Sequence[Candidate], labels: Sequence[str],
                  budget: Budget, seeds: int, n_labeled: int) -> list[SelectionRun]:
    """The validation runs of an ablation, measured fields still empty: a redrawing
    selection's runs of the variants (run ``i`` of each on the labeled subset data seed
    = model seed = ``SELECTION_SEED_BASE + i``, the same draws for all), stored under
    ``<study>-ablation`` with the label of the parameter each reverted."""
    planned = plan_selection(method, candidates, budget, seeds, n_labeled,
                             SELECTION_SEED_BASE, redraw=True)
    per_run = [label for label in labels for _ in range(seeds)]
    return [replace(run, study_name=ablation_study(run.study_name), notes={"ablation": label})
            for run, label in zip(planned, per_run, strict=True)]
