"""The supervised baseline: the shared encoder plus a classifier head, 100 labels only,
optionally with the labeled images augmented (a searchable choice)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.classifier import Classifier, label_augmenter
from objectives.data import SearchData
from objectives.encoder import EncoderConfig, build_encoder
from objectives.optimizers import adam
from spaces import get_space

__all__ = ["Supervised"]


class Supervised(Method):
    """Trains encoder and head from scratch on the labeled images; unlabeled data is unused."""

    name = "supervised"
    space = get_space("supervised")

    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        model = Classifier(build_encoder(EncoderConfig.from_params(params)),
                           augment=label_augmenter(params), name="supervised")
        model.compile(optimizer=adam(params["learning_rate"]))
        return model
