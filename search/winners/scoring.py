"""Scoring a trained model on the test set.

:mod:`search.winners.retraining`, the only step of a study that reads the test set, uses these to
count a model's test errors, keep its softmax, and follow its test errors along training
as a curve that no decision reads; the benchmarks that retrain use them too.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import scipy.special

from objectives.data import TestData

__all__ = ["TestCurve", "count_errors", "errors_of", "softmax", "test_logits"]


class TestCurve(keras.callbacks.Callback):
    """Test errors every ``every`` epochs: a learning curve to look at, read by no decision.

    Args:
        test: The test set.
        every: Epochs between two measurements (the last epoch is always measured).
        batch_size: Inference batch size.
    """

    def __init__(self, test: TestData, every: int, batch_size: int) -> None:
        super().__init__()
        self.test, self.every, self.batch_size = test, every, batch_size
        self.errors: dict[int, int] = {}
        self.steps_per_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params.get("epochs"):
            self.errors[epoch + 1] = count_errors(self.model, self.test, self.batch_size)
            # Kept so that the curve can be drawn against optimiser steps, the unit that
            # compares runs of different epoch sizes (and the paper's 180,000 steps).
            self.steps_per_epoch = self.params.get("steps") or self.steps_per_epoch
            if logs is not None:  # shown by the progress line that follows
                logs["test_errors"] = self.errors[epoch + 1]

    def checkpoint_state(self) -> dict[str, Any]:
        return {"errors": dict(self.errors)}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.errors = dict(state["errors"])


def count_errors(model: object, test: TestData, batch_size: int) -> int:
    """Misclassified test images."""
    return errors_of(test_logits(model, test, batch_size), test)


def errors_of(logits: np.ndarray, test: TestData) -> int:
    """Misclassified test images, from the model's logits on them."""
    return int(np.sum(np.argmax(logits, axis=1) != test.y))


def test_logits(model: keras.Model, test: TestData, batch_size: int) -> np.ndarray:
    """The model's logits on the test images."""
    return model.predict(test.x, batch_size=batch_size, verbose=0)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities from logits, row by row."""
    return scipy.special.softmax(logits, axis=1)
