"""The searchable extra terms of the GAN's losses, each off in the official code.

- ``consistency_loss``: CT-GAN's MNIST script, the mean squared difference between the
  class probabilities of two noisy passes over the same unlabeled batch.
- ``entropy_loss``: Triple-GAN's conditional entropy of the unlabeled predictions, which
  pushes them to be confident.
- ``minibatch_generator_loss``: the usual (non-saturating) generator loss of the
  paper's §3.2 alternative, minibatch discrimination, which replaces feature matching.
- ``historical_penalty``: §3.3's historical averaging, ``||theta - mean of past thetas||^2``.
- ``LinearDecayTail``: the learning rate held for the first two thirds of a run, then
  decayed linearly to 0 (Bad GAN's MNIST trainer).

Probabilities are over the K real classes, the fake class's logit being fixed at 0 out of
the softmax, as the official code reads its classifier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

__all__ = [
    "Levers",
    "LinearDecayTail",
    "consistency_loss",
    "entropy_loss",
    "historical_penalty",
    "minibatch_generator_loss",
]


@dataclass(frozen=True)
class Levers:
    """The training levers beyond the official setting, all off by default.

    Attributes:
        consistency_weight: Weight of CT-GAN's consistency term on unlabeled images.
        entropy_weight: Weight of the conditional entropy of unlabeled predictions.
        historical_weight: Weight of §3.3's historical averaging, on both players.
        minibatch: §3.2's minibatch discrimination in place of feature matching: the
            discriminator has the layer, the generator the usual loss.
        label_shift: Largest random shift of the labeled images, in pixels.
    """

    consistency_weight: float = 0.0
    entropy_weight: float = 0.0
    historical_weight: float = 0.0
    minibatch: bool = False
    label_shift: int = 0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Levers:
        """The levers of a resolved GAN configuration."""
        def weight(switch: str, name: str) -> float:
            return float(params[name]) if params[switch] else 0.0

        return cls(consistency_weight=weight("consistency", "consistency_weight"),
                   entropy_weight=weight("entropy", "entropy_weight"),
                   historical_weight=weight("historical_averaging", "historical_weight"),
                   minibatch=params["technique"] == "minibatch_discrimination",
                   label_shift=int(params["label_shift"]))


def consistency_loss(logits_a: tf.Tensor, logits_b: tf.Tensor) -> tf.Tensor:
    """``mean_{i,k} (softmax(a)_ik - softmax(b)_ik)^2`` over two passes on one batch."""
    return tf.reduce_mean(tf.square(tf.nn.softmax(logits_a) - tf.nn.softmax(logits_b)))


def entropy_loss(logits: tf.Tensor) -> tf.Tensor:
    """``mean_i -sum_k p_ik log p_ik`` with ``p = softmax(logits)``."""
    log_p = tf.nn.log_softmax(logits)
    return tf.reduce_mean(-tf.reduce_sum(tf.exp(log_p) * log_p, axis=1))


def minibatch_generator_loss(logits_fake: tf.Tensor) -> tf.Tensor:
    """``-mean log D(G(z))`` with ``D = Z / (Z + 1)``, ``Z = sum_k exp(l_k)``: that is
    ``mean softplus(LSE) - mean LSE``, written so that it stays finite."""
    lse = tf.reduce_logsumexp(logits_fake, axis=1)
    return tf.reduce_mean(tf.nn.softplus(lse)) - tf.reduce_mean(lse)


def historical_penalty(variables: Sequence[tf.Variable],
                       averages: Sequence[tf.Variable]) -> tf.Tensor:
    """``sum_v ||v - average(v)||^2`` over a network's trainable variables."""
    return tf.add_n([tf.reduce_sum(tf.square(v - a)) for v, a in zip(variables, averages)])


@keras.saving.register_keras_serializable(package="ssl_hpo")
class LinearDecayTail(keras.optimizers.schedules.LearningRateSchedule):
    """``rate`` for the first two thirds of ``total_steps``, then linearly down to 0 at
    ``total_steps``: ``rate * min(1, 3 (1 - step / total_steps))``.

    Args:
        rate: The base learning rate.
        total_steps: Optimiser steps of the whole run, whatever its length.
    """

    def __init__(self, rate: float, total_steps: int) -> None:
        self.rate = float(rate)
        self.total_steps = int(total_steps)

    def __call__(self, step: Any) -> tf.Tensor:
        left = 1.0 - tf.cast(step, tf.float32) / float(self.total_steps)
        return self.rate * tf.clip_by_value(3.0 * left, 0.0, 1.0)

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate, "total_steps": self.total_steps}
