"""SimCLR contrastive pretraining, then fine-tuning: augmentations, NT-Xent, the model.

Two random views of each unlabeled image (translation, rotation, zoom, pixel noise, all
scaled by ``augment_strength``) go through the shared encoder and a projection head; the
NT-Xent loss pulls the two views of an image together and pushes the other 2B-2 apart.
After every pretraining epoch a k-NN probe (labeled images as the memory bank, part of
the validation set as queries) gives a cheap accuracy that the pruner can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.optimizers import adam
from objectives.pretrainer import Pretrainer
from objectives.pretraining import PretrainMethod
from objectives.training import EpochLog, validation_sets
from spaces import get_space

__all__ = ["Contrastive", "ContrastivePretrainer", "KnnProbe", "augmenter", "nt_xent"]


def nt_xent(z1: tf.Tensor, z2: tf.Tensor, temperature: float) -> tf.Tensor:
    """Normalised-temperature cross-entropy of SimCLR for paired projections.

    Args:
        z1: ``(B, d)`` projections of the first views.
        z2: ``(B, d)`` projections of the second views, row ``i`` pairs with ``z1[i]``.
        temperature: Softmax temperature.
    """
    z = tf.math.l2_normalize(tf.concat([z1, z2], axis=0), axis=1)
    n = tf.shape(z1)[0]
    logits = tf.matmul(z, z, transpose_b=True) / temperature
    # An image is never its own negative: mask the diagonal out of the softmax.
    logits -= tf.eye(2 * n) * 1e9
    positives = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], axis=0)
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=positives, logits=logits)
    )


def augmenter(strength: float) -> keras.Sequential:
    """Random view generator; every transform scales with ``strength``."""
    return keras.Sequential(
        [
            keras.layers.RandomTranslation(0.12 * strength, 0.12 * strength,
                                           fill_mode="constant"),
            keras.layers.RandomRotation(15.0 / 360.0 * strength, fill_mode="constant"),
            keras.layers.RandomZoom((-0.2 * strength, 0.2 * strength), fill_mode="constant"),
            keras.layers.GaussianNoise(0.1 * strength),
        ],
        name="augment",
    )


class ContrastivePretrainer(Pretrainer):
    """Encoder + projection head trained with NT-Xent on pairs of augmented views."""

    def __init__(self, encoder: keras.Model, projection_width: int, temperature: float,
                 strength: float, **kwargs: Any) -> None:
        super().__init__(encoder, **kwargs)
        self.augment = augmenter(strength)
        self.projector = keras.Sequential(
            [keras.layers.Dense(projection_width, activation="relu"),
             keras.layers.Dense(projection_width)],
            name="projector",
        )
        self.temperature = float(temperature)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.projector(self.encoder(inputs, training=training), training=training)

    def pretrain_loss(self, x: tf.Tensor) -> tf.Tensor:
        n = tf.shape(x)[0]
        # Both views in one encoder pass: one large batch is cheaper than two small ones.
        views = self.augment(tf.concat([x, x], axis=0), training=True)
        z = self(views, training=True)
        return nt_xent(z[:n], z[n:], self.temperature)


class KnnProbe(keras.callbacks.Callback):
    """Writes ``knn_accuracy`` into the epoch logs: k-NN on encoder features (cosine).

    Placed before the pruning callback, so the pruner sees it at the same epoch.
    """

    def __init__(self, encoder: keras.Model, bank_x: np.ndarray, bank_y: np.ndarray,
                 query_x: np.ndarray, query_y: np.ndarray, k: int = 5) -> None:
        super().__init__()
        self.encoder = encoder
        self.bank = (bank_x, bank_y)
        self.query = (query_x, query_y)
        self.k = min(k, len(bank_y))
        self.last: float | None = None

    def accuracy(self) -> float:
        def embed(x: np.ndarray) -> np.ndarray:
            f = self.encoder.predict(x, batch_size=500, verbose=0)
            return f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-8)

        bank, query = embed(self.bank[0]), embed(self.query[0])
        nearest = np.argsort(-query @ bank.T, axis=1)[:, : self.k]
        votes = self.bank[1][nearest]
        predicted = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
        return float(np.mean(predicted == self.query[1]))

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.last = self.accuracy()
        if logs is not None:
            logs["knn_accuracy"] = self.last


class Contrastive(PretrainMethod):
    """SimCLR pretraining on the unlabeled pool, then fine-tuning on the labels."""

    name = "contrastive"
    space = get_space("contrastive")
    pretrain_params = ("learning_rate", "batch_size", "temperature", "projection_width",
                       "augment_strength")
    pruning_signal = "knn_accuracy"
    plateau_signal = ("knn_accuracy", "max")

    def pretrain(
        self,
        encoder: keras.Model,
        params: Mapping[str, Any],
        unlabeled: np.ndarray,
        data: SearchData,
        budget: Budget,
        context: RunContext,
    ) -> tuple[ContrastivePretrainer, EpochLog]:
        model = ContrastivePretrainer(encoder, int(params["projection_width"]),
                                      float(params["temperature"]),
                                      float(params["augment_strength"]))
        model.compile(optimizer=adam(params["learning_rate"]))
        (monitor_x, monitor_y), _ = validation_sets(data, budget)
        probe = KnnProbe(encoder, data.labeled_x, data.labeled_y, monitor_x, monitor_y)
        # NT-Xent needs negatives: at least 32 images per batch whatever batch_size says.
        log = self.fit_pretrainer(model, unlabeled, max(int(params["batch_size"]), 32),
                                  budget, context, [probe])
        if log.history:
            context.notes["pretrain_knn_accuracy"] = log.history[-1]["knn_accuracy"]
        return model, log
