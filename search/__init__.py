"""The search: samplers, pruners, studies, retraining of the winners, and analysis."""

from search.pruners import PRUNERS, make_pruner
from search.retrain import Candidate, Summary, count_errors, retrain, summarize
from search.samplers import SAMPLERS, make_sampler
from search.study import (
    FINISHED,
    SearchError,
    SearchOutcome,
    best_trials,
    default_study_name,
    finished_count,
    method_studies,
    open_study,
    run_search,
    summarize_study,
)

__all__ = [
    "FINISHED",
    "PRUNERS",
    "SAMPLERS",
    "Candidate",
    "SearchError",
    "SearchOutcome",
    "Summary",
    "best_trials",
    "count_errors",
    "default_study_name",
    "finished_count",
    "make_pruner",
    "make_sampler",
    "method_studies",
    "open_study",
    "retrain",
    "run_search",
    "summarize",
    "summarize_study",
]
