"""Optimizers for single-process training that do not leak memory trial after trial.

Keras' TensorFlow optimizers sum gradients over replicas even when there is one: the
default replica context's ``all_reduce`` wraps them in ``tf.custom_gradient``, and every
traced train step then registers a gradient function in TensorFlow's process-wide
gradient registry, which is never emptied. Each entry's closure keeps the whole traced
graph alive, so a worker that builds one model per trial grows by megabytes per trial
(measured here: 4.3 MB per small model with ``keras.optimizers.Adam``, 0.4 MB without the
all-reduce). Under an explicit ``tf.distribute`` strategy the reduction is kept.

The update itself runs as TensorFlow's fused ``ResourceApplyAdam`` kernel, one op per
variable: Keras writes Adam as about ten element-wise ops per variable, each a pass over
memory, which cost the paper GAN about a fifth of its step (measured in
``results/benchmarks.md``). The formula is Keras' own (epsilon outside the square root).

:class:`OfficialAdam` is the form of the Improved-GAN code (Salimans et al.'s Theano
``adam_updates``): ``p -= lr * m_hat / sqrt(v_hat + 1e-8)``, epsilon inside the root. The
two differ once gradients are tiny, late in a long GAN run.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

__all__ = ["LocalAdam", "OfficialAdam", "adam"]


class LocalAdam(keras.optimizers.Adam):
    """Adam that skips the cross-replica gradient sum when only one replica exists and
    updates each variable with one fused kernel."""

    def _all_reduce_sum_gradients(self, grads_and_vars: Any) -> Any:
        if tf.distribute.has_strategy():
            return super()._all_reduce_sum_gradients(grads_and_vars)
        return list(grads_and_vars)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if self.amsgrad or isinstance(gradient, tf.IndexedSlices):
            super().update_step(gradient, variable, learning_rate)
            return
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        # lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), as Keras' update_step.
        tf.raw_ops.ResourceApplyAdam(
            var=_handle(variable), m=_handle(self._momentums[index]),
            v=_handle(self._velocities[index]), beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step), lr=tf.cast(learning_rate, dtype), beta1=beta_1,
            beta2=beta_2, epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))


class OfficialAdam(LocalAdam):
    """Adam as the official Improved-GAN code writes it: epsilon inside the square root.

    Args:
        learning_rate: Step size.
        **kwargs: Keras Adam arguments; ``epsilon`` defaults to the official 1e-8.
    """

    def __init__(self, learning_rate: float, **kwargs: Any) -> None:
        kwargs.setdefault("epsilon", 1e-8)
        super().__init__(learning_rate, **kwargs)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        m, v = self._momentums[index], self._velocities[index]
        gradient = tf.cast(gradient, dtype)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        self.assign_add(m, (gradient - m) * (1.0 - beta_1))
        self.assign_add(v, (tf.square(gradient) - v) * (1.0 - beta_2))
        m_hat = m / (1.0 - tf.pow(beta_1, step))
        v_hat = v / (1.0 - tf.pow(beta_2, step))
        self.assign_sub(variable, tf.cast(learning_rate, dtype) * m_hat
                        / tf.sqrt(v_hat + tf.cast(self.epsilon, dtype)))


def _handle(variable: Any) -> tf.Tensor:
    # Keras variables wrap a tf.Variable; the raw kernel takes its resource handle.
    return (variable.value if isinstance(variable, keras.Variable) else variable).handle


def adam(learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
         official: bool = False, **kwargs: Any) -> keras.optimizers.Optimizer:
    """The Adam optimizer every method trains with (``official``: :class:`OfficialAdam`);
    ``learning_rate`` is a number or a schedule of the step."""
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        learning_rate = float(learning_rate)
    return (OfficialAdam if official else LocalAdam)(learning_rate, **kwargs)
