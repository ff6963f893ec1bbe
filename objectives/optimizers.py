"""Optimizers for single-process training that do not leak memory trial after trial.

Keras' TensorFlow optimizers sum gradients over replicas even when there is one: the
default replica context's ``all_reduce`` wraps them in ``tf.custom_gradient``, and every
traced train step then registers a gradient function in TensorFlow's process-wide
gradient registry, which is never emptied. Each entry's closure keeps the whole traced
graph alive, so a worker that builds one model per trial grows by megabytes per trial
(measured here: 4.3 MB per small model with ``keras.optimizers.Adam``, 0.4 MB without the
all-reduce). Under an explicit ``tf.distribute`` strategy the reduction is kept.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

__all__ = ["LocalAdam", "adam"]


class LocalAdam(keras.optimizers.Adam):
    """Adam that skips the cross-replica gradient sum when only one replica exists."""

    def _all_reduce_sum_gradients(self, grads_and_vars: Any) -> Any:
        if tf.distribute.has_strategy():
            return super()._all_reduce_sum_gradients(grads_and_vars)
        return list(grads_and_vars)


def adam(learning_rate: float, **kwargs: Any) -> keras.optimizers.Optimizer:
    """The Adam optimizer every method trains with."""
    return LocalAdam(float(learning_rate), **kwargs)
