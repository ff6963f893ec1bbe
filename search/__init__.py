"""The search, in rooms of one concern each:

- ``running``: creating, resuming and running studies (samplers, pruners, workers);
- ``calibration``: which cheap evaluation ranks like the full budget, per study;
- ``winners``: the protocol after the search, the only code that reads the test set;
- ``report``: the readers of a database and the report built from them, TensorFlow-free;
- ``cli``: the command line of ``run_study.py``;
- ``stats``: the statistics of repeated runs, which ``winners`` and ``report`` share.

Public names are loaded on first use (``spaces.registry.lazy_exports``), so that the
TensorFlow-free parts do not pay for importing TensorFlow.
"""

from __future__ import annotations

from spaces.registry import lazy_exports

_EXPORTS = {
    "PRUNERS": "running.pruners",
    "make_pruner": "running.pruners",
    "SAMPLERS": "running.samplers",
    "make_sampler": "running.samplers",
    "Candidate": "winners.retraining",
    "count_errors": "winners.scoring",
    "retrain": "winners.retraining",
    "configure_tensorflow": "running.runtime",
    "device_line": "running.runtime",
    "Summary": "stats",
    "summarize": "stats",
    "FINISHED": "running.study",
    "SearchError": "running.study",
    "SearchOutcome": "running.study",
    "best_trials": "running.study",
    "default_study_name": "running.study",
    "finished_count": "running.study",
    "method_studies": "running.study",
    "open_study": "running.study",
    "run_search": "running.runner",
    "summarize_study": "running.study",
}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
