"""search.winners.scoring: test errors from logits, and a stable softmax."""

from __future__ import annotations

import numpy as np

from objectives.data import TestData
from search.winners.scoring import errors_of, softmax


def test_errors_count_argmax_mismatches() -> None:
    test = TestData(x=np.zeros((3, 28, 28, 1), np.float32), y=np.array([0, 1, 2]))
    logits = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, 9.0], [0.0, 1.0, 2.0]])
    assert errors_of(logits, test) == 1


def test_softmax_is_stable_for_large_logits() -> None:
    probs = softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], [0.5, 0.5, 0.0], atol=1e-12)
