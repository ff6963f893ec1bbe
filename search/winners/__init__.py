"""The protocol after a search, the only code that reads the test set: the top
configurations re-evaluated on validation (``select``), the winner retrained K times
(``retraining``) and scored on test (``scoring``), and the ablation path from the
reference to a winner (``ablation``). Names load on first use."""

from __future__ import annotations

from spaces.registry import lazy_exports

_EXPORTS = {
    "Candidate": "retraining",
    "WINNER": "ablation",
    "ablation_candidates": "ablation",
    "SELECTION_SEED_BASE": "select",
    "Selected": "select",
    "TestCurve": "scoring",
    "count_errors": "scoring",
    "errors_of": "scoring",
    "pending_runs": "retraining",
    "plan_ablation": "ablation",
    "plan_runs": "retraining",
    "plan_selection": "select",
    "rank": "select",
    "retrain": "retraining",
    "run_key": "retraining",
    "run_selection": "select",
    "softmax": "scoring",
    "test_logits": "scoring",
    "variants": "ablation",
}

__all__, __getattr__ = lazy_exports(__name__, _EXPORTS)
