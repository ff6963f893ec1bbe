"""Running studies: creating and resuming them (``study``), the trial loop (``runner``),
worker processes (``workers``), samplers, pruners, the point grid, and TensorFlow's
set-up (``runtime``). Names load on first use (``spaces.registry.lazy_exports``)."""

from __future__ import annotations

from spaces.registry import lazy_exports

_EXPORTS = {
    "COMPARABILITY_TAGS": "study",
    "FINISHED": "study",
    "GatedObjective": "runner",
    "ONEDNN": "runtime",
    "PRUNERS": "pruners",
    "PointGridSampler": "grid",
    "Progress": "workers",
    "PrunerFactory": "pruners",
    "SAMPLERS": "samplers",
    "SamplerFactory": "samplers",
    "SearchError": "study",
    "SearchOutcome": "study",
    "SkippedTrial": "runner",
    "best_trials": "study",
    "configure_tensorflow": "runtime",
    "counts": "study",
    "default_study_name": "study",
    "device_line": "runtime",
    "finished_count": "study",
    "infeasible": "study",
    "make_pruner": "pruners",
    "make_sampler": "samplers",
    "method_studies": "study",
    "open_study": "study",
    "repeats_search": "study",
    "run_parallel": "workers",
    "run_search": "runner",
    "run_worker": "workers",
    "study_tags": "study",
    "summarize_study": "study",
}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
