"""The training model: the losses of Salimans et al., and the ``train_step`` that makes
one discriminator step, one generator step and updates the parameter average."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.gan.networks import Discriminator

__all__ = ["FeatureMatchingGAN", "gan_losses"]


def gan_losses(
    logits_lab: tf.Tensor, labels: tf.Tensor, logits_unl: tf.Tensor, logits_fake: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """``loss_lab`` and ``loss_unl`` exactly as in the official code."""
    loss_lab = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits_lab)
    )
    lse_unl = tf.reduce_logsumexp(logits_unl, axis=1)
    lse_fake = tf.reduce_logsumexp(logits_fake, axis=1)
    loss_unl = (
        -0.5 * tf.reduce_mean(lse_unl)
        + 0.5 * tf.reduce_mean(tf.nn.softplus(lse_unl))
        + 0.5 * tf.reduce_mean(tf.nn.softplus(lse_fake))
    )
    return loss_lab, loss_unl


class FeatureMatchingGAN(keras.Model):
    """Discriminator, its parameter average, and the generator, trained together.

    Args:
        discriminator: The classifier being trained.
        average: Same architecture; holds the debiased average used for evaluation.
        generator: Maps ``z`` to images.
        z_dim: Size of ``z``.
        unlabeled_weight: ``w_unl``.
        ema_decay: Decay of the parameter average (the official 0.9999).
    """

    def __init__(self, discriminator: Discriminator, average: Discriminator,
                 generator: keras.Model, z_dim: int, unlabeled_weight: float,
                 ema_decay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.average = average
        self.generator = generator
        self.z_dim = int(z_dim)
        self.unlabeled_weight = float(unlabeled_weight)
        self.ema_decay = float(ema_decay)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "loss_lab", "loss_unl", "loss_gen")}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def initialize(self, x_init: np.ndarray) -> None:
        """Builds all parts, runs the data-dependent init, starts the average from zero."""
        x_init = tf.convert_to_tensor(x_init)
        self.generator(tf.zeros((2, self.z_dim)), training=True)
        self.discriminator(x_init[:2])
        self.average(x_init[:2])
        self.discriminator.data_init(x_init)
        # Copy everything (hidden scales fixed by the init included); the trainable part is
        # then the debiased average, overwritten by the first step.
        self.average.set_weights(self.discriminator.get_weights())
        self.avg_steps = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="avg_steps")

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        super().compile(optimizer=d_optimizer, **kwargs)
        self.g_optimizer = g_optimizer
        # Built now, each on its own network, so a checkpoint can be restored into them
        # before the first step (fit would build the first on every trainable variable).
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        # The updates alone are compiled by XLA: it fuses each variable's element-wise
        # chain (Adam, in the official form about ten ops; the average's two) into one pass
        # over memory. The whole step is not: XLA's random number generator is slow on
        # this CPU (results/README.md).
        self._update_d = tf.function(self._discriminator_update, jit_compile=True)
        self._update_g = tf.function(self._generator_update, jit_compile=True)

    @property
    def optimizers(self) -> list[keras.optimizers.Optimizer]:
        """Both optimizers, for checkpoints."""
        return [self.optimizer, self.g_optimizer]

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [*self.trackers.values(), self.accuracy]

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.average(x, training=False)

    def _update_average(self, d_vars: Sequence[tf.Variable]) -> None:
        """The official average, which starts at zero, read with Adam's debiasing.

        With ``s_t = d s_{t-1} + (1 - d) p_t`` (``s_0 = 0``) the debiased average
        ``a_t = s_t / (1 - d^t)`` obeys ``a_t = a_{t-1} + w_t (p_t - a_{t-1})`` with
        ``w_t = (1 - d) / (1 - d^t)`` (``w_1 = 1``), so only ``a`` is kept: one fused
        update per variable instead of a sum and a division rewritten every step.
        """
        self.avg_steps.assign_add(1.0)
        weight = (1.0 - self.ema_decay) / (1.0 - tf.pow(self.ema_decay, self.avg_steps))
        for p, avg in zip(d_vars, self.average.trainable_variables):
            # avg <- avg - w (avg - p), in one kernel.
            tf.raw_ops.ResourceApplyGradientDescent(var=avg.value.handle, alpha=weight,
                                                    delta=avg - p)

    def _discriminator_update(self, grads: Sequence[tf.Tensor]) -> None:
        d_vars = self.discriminator.trainable_variables
        self.optimizer.apply_gradients(zip(grads, d_vars))
        self._update_average(d_vars)

    def _generator_update(self, grads: Sequence[tf.Tensor]) -> None:
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_variables))

    def _z(self, n: tf.Tensor) -> tf.Tensor:
        return tf.random.uniform((n, self.z_dim))

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        x_lab, y_lab, x_unl, x_unl2 = data["x_lab"], data["y_lab"], data["x_unl"], data["x_unl2"]
        n_lab, n_unl = tf.shape(x_lab)[0], tf.shape(x_unl)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables

        # Discriminator step: one fused forward pass over labeled, unlabeled and fake images.
        fake = self.generator(self._z(n_unl), training=True)
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat([x_lab, x_unl, fake], axis=0), training=True)
            l_lab, l_unl, l_fake = tf.split(logits, [n_lab, n_unl, n_unl], axis=0)
            loss_lab, loss_unl = gan_losses(l_lab, y_lab, l_unl, l_fake)
            loss_d = loss_lab + self.unlabeled_weight * loss_unl
        self._update_d(tape.gradient(loss_d, d_vars))

        # Generator step: feature matching against a second unlabeled batch. The real
        # features need no gradient, so they are computed outside the tape. Both passes
        # share the discriminator's weights, so their weight-norm scales are computed once.
        scales = self.discriminator.column_scales()
        f_real = self.discriminator.features(x_unl2, training=True, scales=scales)
        with tf.GradientTape() as tape:
            fake = self.generator(self._z(n_unl), training=True)
            f_fake = self.discriminator.features(fake, training=True, scales=scales)
            loss_gen = tf.reduce_mean(
                tf.square(tf.reduce_mean(f_real, axis=0) - tf.reduce_mean(f_fake, axis=0))
            )
        self._update_g(tape.gradient(loss_gen, g_vars))

        for name, value in (("loss", loss_d), ("loss_lab", loss_lab), ("loss_unl", loss_unl),
                            ("loss_gen", loss_gen)):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y_lab, l_lab)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        logits = self(x, training=False)
        self.trackers["loss"].update_state(
            tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        )
        self.accuracy.update_state(y, logits)
        return {"loss": self.trackers["loss"].result(), "accuracy": self.accuracy.result()}
