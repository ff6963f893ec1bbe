"""The supervised study the running tests open, resume and search, in one place."""

from __future__ import annotations

import optuna

from objectives import get_method
from objectives.budget import Budget
from search.running.pruners import make_pruner
from search.running.samplers import make_sampler
from search.running.study import open_study
from storage import open_storage

TAGS = {"method": "supervised", "sampler": "tpe", "pruner": "none", "profile": "smoke"}


def supervised_study(url: str, name: str = "supervised-tpe", sampler: str = "tpe",
                     pruner: str = "none", budget: Budget | None = None) -> optuna.Study:
    """Opens (or resumes) the supervised study ``name`` at ``url``, tagged as a smoke run."""
    method = get_method("supervised")
    return open_study(open_storage(url), name, make_sampler(sampler, method.space, 0),
                      make_pruner(pruner, budget) if budget else optuna.pruners.NopPruner(),
                      {**TAGS, "sampler": sampler})
