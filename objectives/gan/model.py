"""The training model: the losses of Salimans et al., the searchable extra terms
(``objectives.gan.terms``), and the ``train_step`` that makes one discriminator step, one
generator step and updates the parameter averages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.averaged import EvaluatesAverage
from objectives.gan.networks import Discriminator
from objectives.gan.terms import (
    Levers,
    consistency_loss,
    entropy_loss,
    historical_penalty,
    minibatch_generator_loss,
)

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


class FeatureMatchingGAN(EvaluatesAverage):
    """Discriminator, its parameter average, and the generator, trained together.

    Args:
        discriminator: The classifier being trained.
        average: Same architecture; holds the debiased average used for evaluation.
        generator: Maps ``z`` to images.
        z_dim: Size of ``z``.
        unlabeled_weight: ``w_unl``.
        ema_decay: Decay of the parameter average (the official 0.9999).
        levers: The extra terms and switches (:class:`Levers`); all off by default.
    """

    def __init__(self, discriminator: Discriminator, average: Discriminator,
                 generator: keras.Model, z_dim: int, unlabeled_weight: float,
                 ema_decay: float, levers: Levers = Levers(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.average = average
        self.generator = generator
        self.z_dim = int(z_dim)
        self.unlabeled_weight = float(unlabeled_weight)
        self.ema_decay = float(ema_decay)
        self.levers = levers
        side = levers.label_shift / 28.0
        # Nearest-pixel shifts of at most label_shift pixels; uncovered pixels are black.
        self.shift = (keras.layers.RandomTranslation(side, side, fill_mode="constant",
                                                     interpolation="nearest")
                      if levers.label_shift else None)
        names = ["loss", "loss_lab", "loss_unl", "loss_gen"]
        names += [n for n, w in (("loss_con", levers.consistency_weight),
                                 ("loss_ent", levers.entropy_weight),
                                 ("loss_hist", levers.historical_weight)) if w]
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def initialize(self, x_init: np.ndarray) -> None:
        """Builds all parts, runs the data-dependent init, starts the average from zero."""
        x_init = tf.convert_to_tensor(x_init)
        self.generator(tf.zeros((2, self.z_dim)), training=True)
        self.discriminator(x_init[:2])
        self.average(x_init[:2])
        self.discriminator.data_init(x_init)
        if self.shift is not None:
            self.shift(x_init[:2])  # built now, as keras wants of every part before fit
        # Copy everything (hidden scales fixed by the init included); the trainable part is
        # then the debiased average, overwritten by the first step.
        self.average.set_weights(self.discriminator.get_weights())
        self.avg_steps = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="avg_steps")
        # Historical averaging's uniform averages of both players' parameters, from the
        # initial values on (only when the lever is on: they double the parameters).
        self.histories: dict[str, list[keras.Variable]] = {}
        if self.levers.historical_weight:
            for name, net in (("d", self.discriminator), ("g", self.generator)):
                self.histories[name] = [
                    self.add_weight(shape=v.shape, initializer="zeros", trainable=False,
                                    name=f"hist_{name}{i}")
                    for i, v in enumerate(net.trainable_variables)]
                for h, v in zip(self.histories[name], net.trainable_variables):
                    h.assign(v)

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

    def _update_history(self, name: str, variables: Sequence[tf.Variable],
                        step: tf.Tensor) -> None:
        """``h_t = h_{t-1} + (p_t - h_{t-1}) / (t + 1)``: the mean of the initial value and
        the ``t`` values after each update."""
        for h, p in zip(self.histories.get(name, []), variables):
            h.assign_add((p - h) / (tf.cast(step, h.dtype) + 1.0))

    def _discriminator_update(self, grads: Sequence[tf.Tensor]) -> None:
        d_vars = self.discriminator.trainable_variables
        self.optimizer.apply_gradients(zip(grads, d_vars))
        self._update_average(d_vars)
        self._update_history("d", d_vars, self.optimizer.iterations)

    def _generator_update(self, grads: Sequence[tf.Tensor]) -> None:
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(grads, g_vars))
        self._update_history("g", g_vars, self.g_optimizer.iterations)

    def _z(self, n: tf.Tensor) -> tf.Tensor:
        return tf.random.uniform((n, self.z_dim))

    def _discriminator_logits(self, parts: Sequence[tf.Tensor]) -> list[tf.Tensor]:
        """Training-mode logits of each batch in ``parts``: one fused forward pass, unless
        minibatch discrimination couples the samples of a batch."""
        if self.levers.minibatch:
            return [self.discriminator(x, training=True) for x in parts]
        logits = self.discriminator(tf.concat(list(parts), axis=0), training=True)
        return tf.split(logits, [tf.shape(x)[0] for x in parts], axis=0)

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        x_lab, y_lab, x_unl, x_unl2 = data["x_lab"], data["y_lab"], data["x_unl"], data["x_unl2"]
        if self.shift is not None:
            x_lab = self.shift(x_lab, training=True)
        n_unl = tf.shape(x_unl)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        levers, extra = self.levers, {}

        # Discriminator step. The consistency term's second noisy pass over the unlabeled
        # batch joins the same forward pass.
        fake = self.generator(self._z(n_unl), training=True)
        parts = [x_lab, x_unl, fake] + ([x_unl] if levers.consistency_weight else [])
        with tf.GradientTape() as tape:
            l_lab, l_unl, l_fake, *l_again = self._discriminator_logits(parts)
            loss_lab, loss_unl = gan_losses(l_lab, y_lab, l_unl, l_fake)
            loss_d = loss_lab + self.unlabeled_weight * loss_unl
            if levers.consistency_weight:
                extra["loss_con"] = consistency_loss(l_unl, l_again[0])
                loss_d += levers.consistency_weight * extra["loss_con"]
            if levers.entropy_weight:
                extra["loss_ent"] = entropy_loss(l_unl)
                loss_d += levers.entropy_weight * extra["loss_ent"]
            if levers.historical_weight:
                extra["loss_hist"] = historical_penalty(d_vars, self.histories["d"])
                loss_d += levers.historical_weight * extra["loss_hist"]
        self._update_d(tape.gradient(loss_d, d_vars))

        # Generator step: the usual loss under minibatch discrimination, else feature
        # matching against a second unlabeled batch. The real features need no gradient,
        # so they are computed outside the tape; both passes share the discriminator's
        # weights, so their weight-norm scales are computed once.
        if not levers.minibatch:
            scales = self.discriminator.column_scales()
            f_real = self.discriminator.features(x_unl2, training=True, scales=scales)
        with tf.GradientTape() as tape:
            fake = self.generator(self._z(n_unl), training=True)
            if levers.minibatch:
                loss_gen = minibatch_generator_loss(self.discriminator(fake, training=True))
            else:
                f_fake = self.discriminator.features(fake, training=True, scales=scales)
                loss_gen = tf.reduce_mean(
                    tf.square(tf.reduce_mean(f_real, axis=0) - tf.reduce_mean(f_fake, axis=0))
                )
            loss_g = loss_gen
            if levers.historical_weight:
                loss_g += levers.historical_weight * historical_penalty(
                    g_vars, self.histories["g"])
        self._update_g(tape.gradient(loss_g, g_vars))

        for name, value in (("loss", loss_d), ("loss_lab", loss_lab), ("loss_unl", loss_unl),
                            ("loss_gen", loss_gen), *extra.items()):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y_lab, l_lab)
        return {m.name: m.result() for m in self.metrics}
