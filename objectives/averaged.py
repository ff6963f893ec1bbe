"""Evaluation of a weight average: the part the GAN and FixMatch share.

Both train one network and evaluate an average of its weights (``average``); their
validation, early stopping and scoring therefore call the average, and log the
cross-entropy and accuracy it reaches.
"""

from __future__ import annotations

import keras
import tensorflow as tf

__all__ = ["EvaluatesAverage"]


class EvaluatesAverage(keras.Model):
    """A training model whose ``average`` network is what ``call`` and ``test_step`` use.

    Subclasses set ``average``, ``trackers`` (with a ``"loss"`` mean) and ``accuracy``.
    """

    average: keras.Model
    trackers: dict[str, keras.metrics.Mean]
    accuracy: keras.metrics.SparseCategoricalAccuracy

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.average(x, training=False)

    def test_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        logits = self(x, training=False)
        self.trackers["loss"].update_state(
            tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)))
        self.accuracy.update_state(y, logits)
        return {"loss": self.trackers["loss"].result(), "accuracy": self.accuracy.result()}
