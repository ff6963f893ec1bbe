"""FixMatch as a searchable method: registry glue and the training loop's inputs (a
labeled batch and ``mu`` times as many unlabeled images per step, for a budget counted in
steps)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import FitInputs, Method, RunContext
from objectives.budget import CONSISTENCY_EPOCH_STEPS, Budget
from objectives.classifier import Classifier
from objectives.data import SearchData
from objectives.encoder import EncoderConfig, build_encoder
from objectives.fixmatch.model import FixMatchModel
from objectives.fixmatch.policy import strong_view, weak_view
from objectives.macs import check_cap, encoder_macs
from objectives.optimizers import adam
from spaces import get_space
from spaces.fixmatch import REFERENCE_PARAMS

__all__ = ["FixMatch", "fixmatch_dataset"]


def fixmatch_dataset(data: SearchData, unlabeled: np.ndarray, batch: int,
                     mu: int) -> tf.data.Dataset:
    """Endless steps: a labeled batch (the labeled set tiled and reshuffled) with ``mu``
    times as many unlabeled images, the unlabeled pool walked round and round."""
    labeled = (tf.data.Dataset.from_tensor_slices((data.labeled_x, data.labeled_y))
               .shuffle(len(data.labeled_y), reshuffle_each_iteration=True)
               .repeat().batch(batch, drop_remainder=True))
    images = tf.constant(unlabeled)
    n = len(unlabeled)
    # Shuffled indices gathered from one in-memory tensor: no large shuffle buffer.
    unl = (tf.data.Dataset.range(n).shuffle(n, reshuffle_each_iteration=True).repeat()
           .batch(batch * mu, drop_remainder=True).map(lambda idx: tf.gather(images, idx)))
    options = tf.data.Options()
    options.threading.private_threadpool_size = 1
    return (tf.data.Dataset.zip(labeled, unl)
            .map(lambda lab, x_unl: {"x_lab": lab[0], "y_lab": lab[1], "x_unl": x_unl})
            .prefetch(2).with_options(options))


class FixMatch(Method):
    """FixMatch-style consistency training of the shared encoder and classifier head."""

    name = "fixmatch"
    space = get_space("fixmatch")
    reference_params = REFERENCE_PARAMS
    unread_budget_fields: frozenset[str] = frozenset({"official_adam"})

    @staticmethod
    def _epochs(budget: Budget) -> tuple[int, int]:
        return (budget.consistency_epochs or budget.max_epochs,
                budget.consistency_epoch_steps or CONSISTENCY_EPOCH_STEPS)

    def pruning_steps(self, budget: Budget) -> int:
        return self._epochs(budget)[0]

    def check(self, params: Mapping[str, Any], budget: Budget) -> None:
        super().check(params, budget)
        # Every step runs the encoder on 1 + 2 mu batches: capped like a pretrainer's.
        check_cap(encoder_macs(EncoderConfig.from_params(self.space.resolve(params))),
                  budget.pretrain_max_macs, "encoder", budget.name)

    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        config = EncoderConfig.from_params(params)
        model = FixMatchModel(Classifier(build_encoder(config), name="student"),
                              Classifier(build_encoder(config, name="average_encoder"),
                                         name="average"),
                              weak_view(), strong_view(float(params["strength"])),
                              float(params["threshold"]), float(params["unlabeled_weight"]),
                              float(params["ema_decay"]), name="fixmatch")
        model.build((None, *data.labeled_x.shape[1:]))
        rate: Any = float(params["learning_rate"])
        if params["lr_schedule"] == "cosine":
            epochs, steps = self._epochs(budget)
            # FixMatch's decay: rate * cos(7 pi k / (16 K)) over the run's K steps.
            rate = keras.optimizers.schedules.CosineDecay(
                rate, epochs * steps, alpha=math.cos(7 * math.pi / 16))
        model.compile(optimizer=adam(rate), jit_compile=False)
        # Built now, on the student, so that a checkpoint restores into its slots.
        model.optimizer.build(model.student.trainable_variables)
        return model

    def fit_inputs(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget
    ) -> FitInputs:
        epochs, steps = self._epochs(budget)
        unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
        return FitInputs(x=fixmatch_dataset(data, unlabeled, int(params["batch_size"]),
                                            int(params["mu"])),
                         y=None, batch_size=None, epochs=epochs, steps_per_epoch=steps)
