"""The GAN's networks: the discriminator (the official MLP or the shared conv encoder as its
body) and the generator, with the discriminator's analytic cost."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import tensorflow as tf

from objectives.data import N_CLASSES
from objectives.encoder import EncoderConfig, build_encoder
from objectives.gan.layers import FastGaussianNoise, MinibatchDiscrimination, WeightNormDense
from objectives.macs import encoder_macs, mlp_macs

__all__ = ["PAPER_WIDTHS", "Discriminator", "build_discriminator", "build_generator",
           "discriminator_macs"]

PAPER_WIDTHS = (1000, 500, 250, 250, 250)
MINIBATCH_DIMS = 5  # each minibatch kernel's projection, as in the official code


class Discriminator(keras.Model):
    """Noise on the input, a body of hidden blocks (noise after each), 10 logits.

    Args:
        blocks: Hidden layers; a layer with ``data_init`` is initialised from data.
        input_noise: Std of the input noise (training only).
        hidden_noise: Std of the noise after every hidden block (training only).
        flatten: Whether to flatten images first (MLP body).
        minibatch_kernels: Kernels of a minibatch-discrimination layer before the logits
            (§3.2), ``None`` for none. Its features couple the samples of a batch, so
            every batch (labeled, unlabeled, fake) must then pass on its own.
    """

    def __init__(self, blocks: Sequence[keras.layers.Layer], input_noise: float,
                 hidden_noise: float, flatten: bool, minibatch_kernels: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten() if flatten else None
        self.input_noise = FastGaussianNoise(input_noise)
        self.blocks = list(blocks)
        self.noises = [FastGaussianNoise(hidden_noise) for _ in self.blocks]
        self.minibatch = (None if minibatch_kernels is None else
                          MinibatchDiscrimination(minibatch_kernels, MINIBATCH_DIMS))
        self.head = WeightNormDense(N_CLASSES, activation=None, train_scale=True, name="logits")

    def _input(self, x: tf.Tensor, training: bool) -> tf.Tensor:
        if self.flatten is not None:
            x = self.flatten(x)
        return self.input_noise(x, training=training)

    def column_scales(self) -> list[tf.Tensor | None]:
        """Each weight-normalised block's column scale (``None`` for other blocks), for
        :meth:`features` passes that share the current weights."""
        return [b.column_scale() if isinstance(b, WeightNormDense) else None
                for b in self.blocks]

    def features(self, x: tf.Tensor, training: bool = False,
                 scales: Sequence[tf.Tensor | None] | None = None) -> tf.Tensor:
        """The last hidden layer, before its noise: what feature matching matches.

        Args:
            x: Images.
            training: Noise on.
            scales: From :meth:`column_scales`, when several passes share the weights and
                no gradient with respect to them is taken.
        """
        h = self._input(x, training)
        for i, block in enumerate(self.blocks):
            if i:
                h = self.noises[i - 1](h, training=training)
            if scales is not None and scales[i] is not None:
                h = block(h, column_scale=scales[i])
            else:
                h = block(h, training=training)
        return h

    def _logits(self, h: tf.Tensor) -> tf.Tensor:
        return self.head(h if self.minibatch is None else self.minibatch(h))

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self._logits(self.noises[-1](self.features(x, training), training=training))

    def data_init(self, x: tf.Tensor) -> None:
        """The official data-dependent init: layer by layer, noise on, one batch."""
        h = self._input(x, True)
        for block, noise in zip(self.blocks, self.noises):
            init = getattr(block, "data_init", None)
            h = init(h) if init is not None else block(h, training=True)
            h = noise(h, training=True)
        self.head.data_init(h if self.minibatch is None else self.minibatch(h))


def build_discriminator(params: Mapping[str, Any]) -> Discriminator:
    """The ``paper`` MLP or the ``conv`` shared encoder, as ``params['preset']`` says."""
    if params["preset"] == "paper":
        widths = PAPER_WIDTHS[: int(params["mlp_depth"])]
        scale = float(params["mlp_width_scale"])
        blocks: list[keras.layers.Layer] = [
            WeightNormDense(max(1, int(round(w * scale))), activation="relu", name=f"dense{i}")
            for i, w in enumerate(widths)
        ]
        flatten = True
    else:
        blocks = [build_encoder(EncoderConfig.from_params(params), name="conv_body")]
        flatten = False
    minibatch = (int(params["minibatch_kernels"])
                 if params.get("technique") == "minibatch_discrimination" else None)
    return Discriminator(blocks, float(params["input_noise"]), float(params["hidden_noise"]),
                         flatten=flatten, minibatch_kernels=minibatch, name="discriminator")


def discriminator_macs(params: Mapping[str, Any]) -> int:
    """Forward multiply-accumulates per image of :func:`build_discriminator`'s network.

    Every GAN step runs the discriminator forward on three batches and back through them,
    so this number, not the generator's, sets the GAN's cost.
    """
    if params["preset"] == "paper":
        scale = float(params["mlp_width_scale"])
        widths = [max(1, int(round(w * scale))) for w in PAPER_WIDTHS[: int(params["mlp_depth"])]]
        body, last = mlp_macs([28 * 28, *widths]), widths[-1]
    else:
        body, last = encoder_macs(EncoderConfig.from_params(params)), int(params["latent_width"])
    if params.get("technique") != "minibatch_discrimination":
        return body + mlp_macs([last, N_CLASSES])
    # The projection, then the logits read the features and the kernels' outputs.
    kernels = int(params["minibatch_kernels"])
    return body + last * kernels * MINIBATCH_DIMS + mlp_macs([last + kernels, N_CLASSES])


def build_generator(z_dim: int) -> keras.Model:
    """z (uniform) -> 500 -> 500 (softplus, batch norm without scale) -> 784 sigmoid (WN)."""
    z = keras.Input(shape=(z_dim,), name="z")
    h = z
    for i in range(2):
        h = keras.layers.Dense(500, use_bias=False, name=f"g_dense{i}")(h)
        # The official batch norm has a bias but no scale, and always uses batch statistics.
        h = keras.layers.BatchNormalization(scale=False, momentum=0.9, epsilon=1e-6,
                                            name=f"g_bn{i}")(h)
        h = keras.layers.Activation("softplus")(h)
    h = WeightNormDense(784, activation="sigmoid", train_scale=True,
                        theta_initializer="glorot_uniform", name="g_pixels")(h)
    return keras.Model(z, keras.layers.Reshape((28, 28, 1))(h), name="generator")
