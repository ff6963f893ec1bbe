"""Selection runs: the search's top configurations re-trained with fresh seeds (model seed,
and by default the labeled subset) and scored on validation only, so the winner is picked by its mean rather than by one lucky
seed. Table ``ssl_hpo_selection_runs`` beside the studies (created on first write).

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
notes           what the method recorded, JSON
=============== ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from storage.results import RunStore, run_table

__all__ = ["ABLATION_SUFFIX", "ABLATION_WINNER", "REDRAWN", "SELECTION_SEED_BASE",
           "SELECTION_TABLE", "SelectionRun", "SelectionStore", "ablation_study", "redrawn"]

# Selection seeds start here, clear of the search's and the retrains' (the first K).
SELECTION_SEED_BASE = 1000
# The data seed a selection's summary shows when every run drew its own labeled subset.
REDRAWN = -1
# An ablation's runs (``search.winners.ablation``) are selection runs of the study
# ``<study>-ablation``, each noting the parameter it reverted, or this for none.
ABLATION_SUFFIX = "-ablation"
ABLATION_WINNER = "winner"


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
