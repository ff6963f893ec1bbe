"""The method protocol: how a semi-supervised method plugs into search and retraining.

A method owns its search space and knows how to build a compiled classifier from a trial's
parameters (pretraining first if it has a pretraining phase). Fitting, validation reporting,
pruning, early stopping and retraining are shared (``objectives.training``), so every method
is trained and judged the same way.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

import keras

from objectives.data import SearchData
from objectives.encoder import EncoderConfig, feature_map_sizes
from objectives.profiles import Budget
from spaces.base import SearchSpace

__all__ = ["Method"]


class Method(abc.ABC):
    """A searchable method.

    Attributes:
        name: Registry name, also the prefix of its study names.
        space: The method's search space.
    """

    name: str
    space: SearchSpace

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuses parameters that cannot be built, before anything is built.

        Raises:
            InfeasibleConfig: With the reason, e.g. a feature map shrinking below 1x1.
        """
        feature_map_sizes(EncoderConfig.from_params(params))

    @abc.abstractmethod
    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget
    ) -> keras.Model:
        """Returns a compiled classifier whose ``fit`` trains on labeled ``(x, y)`` batches.

        Methods with a pretraining phase run it here, on ``data.unlabeled_x``.
        """
