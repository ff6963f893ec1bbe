"""The pretraining model and its stop rule, shared by the autoencoder and SimCLR.

:class:`Pretrainer` is the ``keras.Model`` whose one ``train_step`` both methods' unlabeled
pretraining runs through (subclasses give the loss); :class:`Plateau` is the profiles'
"pretrain until it flattens" rule, the callback that ends that phase.
"""

from __future__ import annotations

import abc
from typing import Any

import keras
import tensorflow as tf

from objectives.budget import PRETRAIN_MIN_GAIN

__all__ = ["Plateau", "Pretrainer"]


class Pretrainer(keras.Model):
    """A self-supervised model around the shared encoder: subclasses give the loss.

    The one ``train_step`` and loss tracker of autoencoder and SimCLR pretraining, so
    ``fit()`` and its callbacks treat both alike.
    """

    def __init__(self, encoder: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker]

    @abc.abstractmethod
    def pretrain_loss(self, x: tf.Tensor) -> tf.Tensor:
        """The self-supervised loss of a batch of unlabeled images."""

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            loss = self.pretrain_loss(x)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


class Plateau(keras.callbacks.Callback):
    """Stops pretraining once ``monitor`` has not improved by ``min_gain`` (relative to its
    best so far) for ``patience`` epochs: the profiles' "pretrain until it flattens" rule.

    Args:
        monitor: Log key (``loss``, or a probe's accuracy).
        mode: ``min`` or ``max``.
        patience: Epochs without progress before stopping.
        min_gain: Relative improvement that counts as progress.
    """

    def __init__(self, monitor: str, mode: str, patience: int,
                 min_gain: float = PRETRAIN_MIN_GAIN) -> None:
        super().__init__()
        self.monitor, self.sign, self.patience, self.min_gain = (
            monitor, 1.0 if mode == "max" else -1.0, patience, min_gain)
        self.best: float | None = None
        self.wait = 0

    def checkpoint_state(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.best, self.wait = state["best"], state["wait"]

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        if self.best is None or self.sign * (value - self.best) > self.min_gain * abs(self.best):
            self.best, self.wait = float(value), 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.model.stop_training = True
