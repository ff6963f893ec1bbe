"""The model: the classifier every method ends with, encoder + linear head over 10 classes.

A ``keras.Model`` subclass with its own ``train_step``/``test_step`` and metric trackers,
so that ``fit()``, early stopping and the pruning callback see the same ``loss`` and
``accuracy`` logs for every method. Methods that pretrain hand in a pretrained encoder.
With ``augment`` in the trial's parameters, each training batch of labeled images is
randomly shifted and rotated on the fly (never at evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

__all__ = ["Classifier", "label_augmenter"]

N_CLASSES = 10


def label_augmenter(params: Mapping[str, Any]) -> keras.Sequential | None:
    """The labeled images' augmentation the parameters ask for, ``None`` if off.

    ``augment_shift`` is the largest shift as a fraction of the side, ``augment_rotation``
    the largest rotation as a fraction of a full turn; uncovered pixels are black, like
    MNIST's background.
    """
    if not params.get("augment"):
        return None
    shift, turn = float(params["augment_shift"]), float(params["augment_rotation"])
    layers: list[keras.layers.Layer] = [
        keras.layers.RandomTranslation(shift, shift, fill_mode="constant")]
    if turn > 0:
        layers.append(keras.layers.RandomRotation(turn, fill_mode="constant"))
    return keras.Sequential(layers, name="label_augment")


class Classifier(keras.Model):
    """Encoder followed by a dense layer producing class logits.

    Args:
        encoder: Maps images to features.
        n_classes: Number of logits.
        augment: Applied to every training batch (see :func:`label_augmenter`).
    """

    def __init__(self, encoder: keras.Model, n_classes: int = N_CLASSES,
                 augment: keras.Sequential | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.augment = augment
        self.head = keras.layers.Dense(n_classes, name="logits")
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        # The first call builds the encoder and head; the augmentation runs only in
        # train_step, so it is built here, or Keras warns on every run that the model
        # has unbuilt state.
        if self.augment is not None:
            self.augment.build(input_shape)
        self.head.build(self.encoder.compute_output_shape(input_shape))

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.head(self.encoder(inputs, training=training))

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        # Listing the trackers here is what lets Keras reset them at each epoch.
        return [self.loss_tracker, self.accuracy]

    def _update(self, y: tf.Tensor, logits: tf.Tensor, loss: tf.Tensor) -> dict[str, tf.Tensor]:
        self.loss_tracker.update_state(loss)
        self.accuracy.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        if self.augment is not None:
            x = self.augment(x, training=True)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.loss_fn(y, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update(y, logits, loss)

    def test_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        logits = self(x, training=False)
        return self._update(y, logits, self.loss_fn(y, logits))
