"""Methods, the shared model/data code, and the objective that Optuna calls.

Methods are found by name through :data:`METHODS` (``objectives.registry``). Public names
load on first use (``spaces.registry.lazy_exports``): the command line's parser and the
report read ``objectives.profiles`` and ``objectives.data`` without importing TensorFlow.
"""

from __future__ import annotations

from spaces.registry import lazy_exports

_EXPORTS = {
    "METHODS": "registry",
    "get_method": "registry",
    "PROFILES": "profiles",
    "get_profile": "profiles",
    "Budget": "budget",
    "DataError": "data",
    "MnistSource": "data",
    "SearchData": "data",
    "Split": "data",
    "TestData": "data",
    "make_search_data": "data",
    "make_test_data": "data",
    "resolve_source": "data",
    "FitInputs": "base",
    "Method": "base",
    "RunContext": "base",
    "EncoderConfig": "encoder",
    "InfeasibleConfig": "encoder",
    "build_encoder": "encoder",
    "Objective": "objective",
    "NonFiniteLoss": "training",
    "RunResult": "training",
    "release": "training",
    "train": "training",
}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
