"""Selection runs: the search's top configurations re-trained with fresh seeds (model seed,
and by default the labeled subset) and scored on validation only, so the winner is picked
by its mean rather than by one lucky seed. Table ``ssl_hpo_selection_runs`` beside the
studies (created on first write); each finished selection is also recorded on its
candidates' studies (:data:`SELECTIONS_ATTR`).

=============== ===========================================================
column          meaning
=============== ===========================================================
id              row id
created_at      UTC time the run finished
study_name      study the configuration came from
method          method name
source_trial    trial number of the configuration in that study
params          the hyperparameters, JSON
profile         training budget used
budget          fingerprint of the profile's values
n_labeled       labeled images
data_seed       seed of the labeled subset (the search's, or the run's own draw)
seed            model seed of this run
val_accuracy    accuracy on the 10,000 validation images
epochs          epochs run
seconds         wall time of the run
notes           what the method recorded, JSON (steps, the ``cpu`` that trained it)
=============== ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
import sqlalchemy as sa

from storage.results import RunStore, run_table

__all__ = ["ABLATIONS_ATTR", "ABLATION_REFERENCE", "ABLATION_SUFFIX", "ABLATION_WINNER",
           "REDRAWN", "SELECTIONS_ATTR", "SELECTION_SEED_BASE", "SELECTION_TABLE", "SelectionKey",
           "SelectionRun", "SelectionStore", "ablation_study", "record_ablation",
           "record_selection", "recorded_selections", "redrawn", "selection_key"]

# Selection seeds start here, clear of the search's and the retrains' (the first K).
SELECTION_SEED_BASE = 1000
# The data seed a selection's summary shows when every run drew its own labeled subset.
REDRAWN = -1
# An ablation's runs (``search.winners.ablation``) are selection runs of the study
# ``<study>-ablation``, each noting the parameter it reverted, or one of these two for
# none and for all of them (the reference itself).
ABLATION_SUFFIX = "-ablation"
ABLATION_WINNER = "winner"
ABLATION_REFERENCE = "reference"


def ablation_study(study_name: str) -> str:
    """The study name under which ``study_name``'s ablation runs are stored."""
    return f"{study_name}{ABLATION_SUFFIX}"


def redrawn(data_seed: int, seed: int) -> bool:
    """Whether a selection run drew its own labeled subset: a redrawing selection pairs
    data seed and model seed, both from :data:`SELECTION_SEED_BASE` on."""
    return data_seed == seed >= SELECTION_SEED_BASE


SELECTION_TABLE = run_table(
    "ssl_hpo_selection_runs",
    sa.Column("budget", sa.String(64), nullable=True),
    sa.Column("n_labeled", sa.Integer, nullable=False),
    sa.Column("data_seed", sa.Integer, nullable=False),
    sa.Column("seed", sa.Integer, nullable=False),
    sa.Column("val_accuracy", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class SelectionRun:
    """One validation-only run of a candidate configuration."""

    study_name: str
    method: str
    source_trial: int
    params: Mapping[str, Any]
    profile: str
    budget: str
    n_labeled: int
    data_seed: int
    seed: int
    val_accuracy: float
    epochs: int
    seconds: float
    notes: Mapping[str, Any] = field(default_factory=dict)


class SelectionStore(RunStore):
    """Selection runs: :data:`SELECTION_TABLE`."""

    table = SELECTION_TABLE
    record = SelectionRun
    key = ("source_trial", "profile", "budget", "n_labeled", "data_seed", "seed")


# --- finished selections, recorded on the candidates' studies ---
# Runs alone cannot tell a selection still training from a finished one: the best mean
# so far is no choice. So the selection command records each choice it made, as the
# study's user attribute SELECTIONS_ATTR (visible in optuna-dashboard): a list of
# {"profile", "budget", "n_labeled", "subset", "chosen": [[study, trial], ...]}.
SELECTIONS_ATTR = "selections"

# (profile, budget fingerprint, labels, subset): what one selection's runs share; subset
# is the search's data seed, or REDRAWN when every run drew its own labeled subset.
SelectionKey = tuple[str, str, int, int]


def selection_key(run: SelectionRun | Mapping[str, Any]) -> SelectionKey:
    """The selection a run (a :class:`SelectionRun` or a stored row) belongs to."""
    get = run.get if isinstance(run, Mapping) else lambda name: getattr(run, name)
    subset = REDRAWN if redrawn(get("data_seed"), get("seed")) else get("data_seed")
    return (get("profile"), get("budget") or "", int(get("n_labeled")), int(subset))


def record_selection(storage: optuna.storages.BaseStorage, planned: Sequence[SelectionRun],
                     chosen: Iterable[tuple[str, int]]) -> None:
    """Records on each study of ``planned`` that its selection finished and chose
    ``chosen`` ((study, trial) pairs); a rerun of the same selection replaces its record.
    A candidate of no study (a reference retrained without a search) records nothing."""
    key = selection_key(planned[0])
    entry = {"profile": key[0], "budget": key[1], "n_labeled": key[2], "subset": key[3],
             "chosen": [[study, int(trial)] for study, trial in chosen]}
    for name in sorted({run.study_name for run in planned}):
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            continue
        kept = [e for e in study.user_attrs.get(SELECTIONS_ATTR, []) if _key(e) != key]
        study.set_user_attr(SELECTIONS_ATTR, kept + [entry])


def recorded_selections(study: optuna.Study) -> dict[SelectionKey, set[tuple[str, int]]]:
    """The finished selections recorded on ``study``: key -> chosen (study, trial)."""
    return {_key(e): {(str(s), int(t)) for s, t in e["chosen"]}
            for e in study.user_attrs.get(SELECTIONS_ATTR, [])}


def _key(entry: Mapping[str, Any]) -> SelectionKey:
    return (entry["profile"], entry["budget"], int(entry["n_labeled"]), int(entry["subset"]))


# --- ablation plans, recorded on the ablated study ---
# An ablation trains for hours, and its stored runs cannot tell what is still to come. So
# the command records its plan first, as the study's user attribute ABLATIONS_ATTR: a
# list of {"trial", "profile", "budget", "seeds", "variants": {label: params}}, labels
# in the order they train.
ABLATIONS_ATTR = "ablations"


def record_ablation(storage: optuna.storages.BaseStorage, study_name: str,
                    planned: Sequence[SelectionRun]) -> None:
    """Records on ``study_name`` the plan of one ablation of its trial (the runs of
    :func:`search.winners.ablation.plan_ablation`); a rerun replaces its record."""
    first = planned[0]
    variants: dict[str, Any] = {}
    for run in planned:
        variants.setdefault(run.notes["ablation"], dict(run.params))
    entry = {"trial": int(first.source_trial), "profile": first.profile,
             "budget": first.budget, "seeds": len(planned) // len(variants),
             "variants": variants}
    study = optuna.load_study(study_name=study_name, storage=storage)
    same = ("trial", "profile", "budget")
    kept = [e for e in study.user_attrs.get(ABLATIONS_ATTR, [])
            if any(e[k] != entry[k] for k in same)]
    study.set_user_attr(ABLATIONS_ATTR, kept + [entry])
