"""The model: one conv-encoder builder shared by every method.

``depth`` conv blocks (filters doubling per block, each followed by 2x downsampling by max
pooling or by a stride-2 convolution), then a dense ``latent_width`` layer. The feature-map
arithmetic is done before anything is built, so an impossible combination (e.g. ``valid``
padding, kernel 7, depth 3) is refused with a reason instead of crashing inside Keras.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import keras

from spaces.common import ENCODER_FITS, feature_map_sides

__all__ = ["EncoderConfig", "InfeasibleConfig", "build_encoder", "feature_map_sizes"]

INPUT_SHAPE = (28, 28, 1)


class InfeasibleConfig(ValueError):
    """A sampled configuration that cannot be built; the trial fails with this reason."""


@dataclass(frozen=True)
class EncoderConfig:
    """Architecture parameters of the shared encoder."""

    kernel_size: int
    depth: int
    filters: int
    latent_width: int
    downsample: str
    padding: str
    dropout: float = 0.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EncoderConfig:
        """Picks the encoder's fields out of a trial's parameters."""
        return cls(
            kernel_size=int(params["kernel_size"]),
            depth=int(params["depth"]),
            filters=int(params["filters"]),
            latent_width=int(params["latent_width"]),
            downsample=str(params["downsample"]),
            padding=str(params["padding"]),
            dropout=float(params.get("dropout", 0.0)),
        )


def feature_map_sizes(config: EncoderConfig, input_side: int = INPUT_SHAPE[0]) -> list[int]:
    """Side length of the feature map after each block.

    Raises:
        InfeasibleConfig: If a block would shrink the map below 1x1, or on unknown
            ``padding``/``downsample`` values.
    """
    if config.padding not in ("same", "valid"):
        raise InfeasibleConfig(f"unknown padding {config.padding!r}")
    if config.downsample not in ("max_pool", "stride"):
        raise InfeasibleConfig(f"unknown downsample {config.downsample!r}")
    sides = feature_map_sides(config.kernel_size, config.depth, config.downsample,
                              config.padding, input_side)
    if len(sides) < config.depth or sides[-1] < 1:
        raise InfeasibleConfig(ENCODER_FITS.reason(asdict(config)))
    return sides


def build_encoder(config: EncoderConfig, name: str = "encoder") -> keras.Model:
    """Builds the encoder as a functional model mapping images to ``latent_width`` features.

    Args:
        config: Architecture parameters; checked with :func:`feature_map_sizes` first.
        name: Model name.
    """
    feature_map_sizes(config)
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    x = inputs
    for block in range(config.depth):
        filters = config.filters * 2**block
        stride = 2 if config.downsample == "stride" else 1
        x = keras.layers.Conv2D(
            filters,
            config.kernel_size,
            strides=stride,
            padding=config.padding,
            activation="relu",
            name=f"conv{block + 1}",
        )(x)
        if config.downsample == "max_pool":
            x = keras.layers.MaxPooling2D(2, name=f"pool{block + 1}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(config.latent_width, activation="relu", name="latent")(x)
    if config.dropout > 0:
        x = keras.layers.Dropout(config.dropout, name="latent_dropout")(x)
    return keras.Model(inputs, x, name=name)
