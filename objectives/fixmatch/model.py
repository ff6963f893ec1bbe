"""The training model of FixMatch: its loss, and the ``train_step`` that makes one step
on a labeled batch and ``mu`` times as many unlabeled images, then updates the weight
average that is evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from objectives.averaged import EvaluatesAverage
from objectives.classifier import Classifier

__all__ = ["FixMatchModel", "fixmatch_losses"]


def fixmatch_losses(logits_lab: tf.Tensor, labels: tf.Tensor, logits_weak: tf.Tensor,
                    logits_strong: tf.Tensor, threshold: float
                    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """FixMatch's two losses and its mask rate.

    ``loss_x`` is the cross-entropy on the labeled batch. The weak views' predictions,
    held constant, give pseudo-labels ``argmax p`` and a mask ``max p >= threshold``;
    ``loss_u`` is the mean over all unlabeled images of the mask times the cross-entropy
    of the strong views against the pseudo-labels (masked images count as zeros, as in
    the paper, so a confident minority is not weighted up).

    Returns:
        ``(loss_x, loss_u, mask_rate)``.
    """
    loss_x = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits_lab))
    probs = tf.nn.softmax(tf.stop_gradient(logits_weak))
    mask = tf.cast(tf.reduce_max(probs, axis=1) >= threshold, logits_strong.dtype)
    pseudo = tf.argmax(probs, axis=1)
    loss_u = tf.reduce_mean(mask * tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=pseudo, logits=logits_strong))
    return loss_x, loss_u, tf.reduce_mean(mask)


class FixMatchModel(EvaluatesAverage):
    """A classifier trained by FixMatch, and the average of its weights that is evaluated.

    Args:
        student: The classifier the optimiser trains.
        average: Same architecture; the exponential average of the student's weights,
            which ``call`` (and so validation) uses, as the GAN evaluates its average.
        weak: The weak view (labeled and unlabeled images).
        strong: The strong view (unlabeled images).
        threshold: Confidence a pseudo-label needs (tau).
        unlabeled_weight: Weight of the unlabeled loss (lambda_u).
        ema_decay: Decay of the weight average.
    """

    def __init__(self, student: Classifier, average: Classifier, weak: keras.Layer,
                 strong: keras.Layer, threshold: float, unlabeled_weight: float,
                 ema_decay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.student = student
        self.average = average
        # Moved by the average, never by the optimiser: the model's trainable variables
        # are the student's alone, which is what its optimizer (and a checkpoint) holds.
        self.average.trainable = False
        self.weak = weak
        self.strong = strong
        self.threshold = float(threshold)
        self.unlabeled_weight = float(unlabeled_weight)
        self.ema_decay = float(ema_decay)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "loss_x", "loss_u", "mask_rate")}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        # Every part now, so checkpoints and parameter counts exist before the first step.
        for part in (self.student, self.average, self.weak, self.strong):
            part.build(input_shape)
        self.average.set_weights(self.student.get_weights())

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [*self.trackers.values(), self.accuracy]

    def _update_average(self) -> None:
        for avg, p in zip(self.average.weights, self.student.trainable_variables,
                          strict=True):
            avg.assign(self.ema_decay * avg + (1.0 - self.ema_decay) * p)

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        x_lab, y_lab, x_unl = data["x_lab"], data["y_lab"], data["x_unl"]
        n_lab, n_unl = tf.shape(x_lab)[0], tf.shape(x_unl)[0]
        weak_lab, weak_unl = tf.split(self.weak(tf.concat([x_lab, x_unl], axis=0),
                                                training=True), [n_lab, n_unl], axis=0)
        strong = self.strong(x_unl, training=True)
        # The pseudo-labels carry no gradient, so their forward pass stays off the tape:
        # the backward pass then skips mu of the 1 + 2 mu batches, about a third of a
        # step's work. The encoder has no batch norm, so splitting the pass changes no
        # statistic: the step is the one a single pass over all views would make.
        l_weak = self.student(weak_unl, training=True)
        variables = self.student.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.student(tf.concat([weak_lab, strong], axis=0), training=True)
            l_lab, l_strong = tf.split(logits, [n_lab, n_unl], axis=0)
            loss_x, loss_u, mask_rate = fixmatch_losses(l_lab, y_lab, l_weak, l_strong,
                                                        self.threshold)
            loss = loss_x + self.unlabeled_weight * loss_u
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self._update_average()
        for name, value in (("loss", loss), ("loss_x", loss_x), ("loss_u", loss_u),
                            ("mask_rate", mask_rate)):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y_lab, l_lab)
        return {m.name: m.result() for m in self.metrics}
