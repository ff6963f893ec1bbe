"""The search: samplers, pruners, studies, retraining of the winners, and analysis.

Public names are loaded on first use, so that TensorFlow-free parts (``search.analysis``,
``search.stats``) do not pay for importing TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PRUNERS": "search.pruners",
    "make_pruner": "search.pruners",
    "SAMPLERS": "search.samplers",
    "make_sampler": "search.samplers",
    "Candidate": "search.retrain",
    "count_errors": "search.scoring",
    "retrain": "search.retrain",
    "configure_tensorflow": "search.runtime",
    "device_line": "search.runtime",
    "Summary": "search.stats",
    "summarize": "search.stats",
    "FINISHED": "search.study",
    "SearchError": "search.study",
    "SearchOutcome": "search.study",
    "best_trials": "search.study",
    "default_study_name": "search.study",
    "finished_count": "search.study",
    "method_studies": "search.study",
    "open_study": "search.study",
    "run_search": "search.runner",
    "summarize_study": "search.study",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
