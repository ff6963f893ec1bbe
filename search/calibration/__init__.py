"""Fidelity calibration: configurations trained in full measure how well each cheap rung
ranks like the full budget, and the pruner starts where it does.

``search.calibration.rungs`` is the measurement (Kendall's tau per rung, bootstrap
intervals, the choice); ``search.calibration.phase`` is the study's side (which
configurations run, what the study stores, the printed block).
"""

from search.calibration.phase import (
    ATTR,
    calibrate,
    calibration_configs,
    calibration_only,
    calibration_trials,
    describe,
    enqueue_calibration,
    full_runs,
    in_flight_search_trials,
    pending,
    stored_calibration,
)
from search.calibration.rungs import (
    MODES,
    Calibration,
    RungRow,
    candidate_steps,
    choose,
    measure,
    rung_value,
)

__all__ = [
    "ATTR",
    "MODES",
    "Calibration",
    "RungRow",
    "calibrate",
    "calibration_configs",
    "calibration_only",
    "calibration_trials",
    "candidate_steps",
    "choose",
    "describe",
    "enqueue_calibration",
    "full_runs",
    "in_flight_search_trials",
    "measure",
    "pending",
    "rung_value",
    "stored_calibration",
]
