"""Autoencoder pretraining, then fine-tuning: the model and its pretraining step.

The encoder is the shared one (its ``latent_width`` is the bottleneck); the decoder mirrors
it with one stride-2 transposed convolution per encoder block. Pretraining denoises: the
input gets Gaussian noise of std ``noise_level`` and the target is the clean image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.encoder import INPUT_SHAPE, EncoderConfig
from objectives.macs import decoder_macs, encoder_macs
from objectives.optimizers import adam
from objectives.pretrainer import Pretrainer
from objectives.pretraining import PretrainMethod
from objectives.training import EpochLog
from spaces import get_space

__all__ = ["Autoencoder", "DenoisingAutoencoder", "build_decoder"]


def build_decoder(config: EncoderConfig, name: str = "decoder") -> keras.Model:
    """Maps ``latent_width`` features back to a 28x28 image in [0, 1]."""
    start = math.ceil(INPUT_SHAPE[0] / 2**config.depth)
    top = config.filters * 2 ** (config.depth - 1)
    inputs = keras.Input(shape=(config.latent_width,), name="code")
    x = keras.layers.Dense(start * start * top, activation="relu", name="expand")(inputs)
    x = keras.layers.Reshape((start, start, top))(x)
    for block in reversed(range(config.depth)):
        x = keras.layers.Conv2DTranspose(
            config.filters * 2 ** max(block - 1, 0), config.kernel_size, strides=2,
            padding="same", activation="relu", name=f"deconv{block + 1}",
        )(x)
    x = keras.layers.Conv2D(1, config.kernel_size, padding="same", activation="sigmoid",
                            name="pixels")(x)
    excess = start * 2**config.depth - INPUT_SHAPE[0]
    if excess:
        # Depth 3 upsamples 4 -> 32; the centre 28x28 is the image.
        x = keras.layers.Cropping2D(excess // 2, name="crop")(x)
    return keras.Model(inputs, x, name=name)


class DenoisingAutoencoder(Pretrainer):
    """Encoder + decoder trained to reconstruct clean images from noisy ones.

    Args:
        encoder: The shared encoder (trained in place).
        decoder: Its mirror.
        noise_level: Std of the input noise during training.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, noise_level: float,
                 **kwargs: Any) -> None:
        super().__init__(encoder, **kwargs)
        self.decoder = decoder
        self.noise_level = float(noise_level)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def pretrain_loss(self, x: tf.Tensor) -> tf.Tensor:
        return self.reconstruction_loss(x)

    def reconstruction_loss(self, x: tf.Tensor, training: bool = True) -> tf.Tensor:
        noisy = x
        if self.noise_level > 0:
            noisy = tf.clip_by_value(x + tf.random.normal(tf.shape(x)) * self.noise_level,
                                     0.0, 1.0)
        recon = self(noisy, training=training)
        return tf.reduce_mean(keras.losses.binary_crossentropy(x, recon))


class Autoencoder(PretrainMethod):
    """Denoising-autoencoder pretraining on the unlabeled pool, then fine-tuning."""

    name = "autoencoder"
    space = get_space("autoencoder")
    pretrain_params = ("learning_rate", "batch_size", "noise_level")

    def pretrain_macs(self, config: EncoderConfig) -> int:
        # The decoder's transposed convolutions at full resolution often cost more than
        # the encoder: kernel 7, one block of 64 filters is 3.8 M + 45.0 M.
        return encoder_macs(config) + decoder_macs(config)

    def pretrain(
        self,
        encoder: keras.Model,
        params: Mapping[str, Any],
        unlabeled: np.ndarray,
        data: SearchData,
        budget: Budget,
        context: RunContext,
    ) -> tuple[DenoisingAutoencoder, EpochLog]:
        config = EncoderConfig.from_params(params)
        model = DenoisingAutoencoder(encoder, build_decoder(config), params["noise_level"])
        model.compile(optimizer=adam(params["learning_rate"]))
        log = self.fit_pretrainer(model, unlabeled, int(params["batch_size"]), budget, context)
        if log.history:
            context.notes["pretrain_loss"] = log.history[-1]["loss"]
        return model, log
