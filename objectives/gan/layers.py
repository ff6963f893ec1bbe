"""The GAN's layers: Gaussian noise drawn cheaply, and weight normalisation with the
official data-dependent initialisation, and minibatch discrimination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["FastGaussianNoise", "MinibatchDiscrimination", "WeightNormDense"]


class FastGaussianNoise(keras.layers.Layer):
    """Additive N(0, stddev^2) noise at training time, by Box-Muller from uniforms.

    The discriminator draws about 1.5 million normals per GAN step; TensorFlow's normal
    sampler costs about 11 ns each on this CPU, Box-Muller over its uniform sampler about 6.
    The distribution is the same (an exact transform), only cheaper to draw.
    """

    def __init__(self, stddev: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = float(stddev)

    def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
        if not training or self.stddev <= 0:
            return inputs
        n = tf.size(inputs)
        half = (n + 1) // 2
        u = tf.random.uniform((2, half), minval=1e-7, maxval=1.0)
        radius = tf.sqrt(-2.0 * tf.math.log(u[0]))
        angle = 2.0 * np.pi * u[1]
        normal = tf.concat([radius * tf.cos(angle), radius * tf.sin(angle)], axis=0)[:n]
        return inputs + self.stddev * tf.reshape(normal, tf.shape(inputs))


class WeightNormDense(keras.layers.Layer):
    """Dense layer with ``w_j = g_j * v_j / ||v_j||`` per output unit (weight normalisation).

    Args:
        units: Output units.
        activation: Nonlinearity.
        train_scale: Whether ``g`` is trained (the official code trains it on the output
            layer only; hidden scales are set by the data-dependent init and then fixed).
        theta_initializer: Initialiser of the direction ``v``.
    """

    def __init__(self, units: int, activation: str | None = None, train_scale: bool = False,
                 theta_initializer: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.train_scale = train_scale
        self.theta_initializer = theta_initializer or keras.initializers.RandomNormal(0.0, 0.1)

    def build(self, input_shape: Sequence[int]) -> None:
        self.theta = self.add_weight(shape=(int(input_shape[-1]), self.units),
                                     initializer=self.theta_initializer, name="theta")
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale",
                                     trainable=self.train_scale)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def column_scale(self) -> tf.Tensor:
        """``g / ||v||`` per output unit."""
        return self.scale / tf.sqrt(tf.reduce_sum(tf.square(self.theta), axis=0) + 1e-12)

    def kernel(self) -> tf.Tensor:
        """The effective weight matrix ``g * v / ||v||``."""
        return self.theta * self.column_scale()

    def call(self, inputs: tf.Tensor, column_scale: tf.Tensor | None = None) -> tf.Tensor:
        """``column_scale``: :meth:`column_scale` computed once for several passes over
        unchanged weights (it is then a constant to any gradient taken through it)."""
        if column_scale is None:
            column_scale = self.column_scale()
        # x (v c) = (x v) c for a per-column c: scaling the (rows x units) product instead of
        # the (inputs x units) weights saves a pass over the weights per call and per
        # gradient (784,000 weights against 100-300 rows of 1,000 units).
        return self.activation(tf.matmul(inputs, self.theta) * column_scale + self.bias)

    def data_init(self, inputs: tf.Tensor) -> tf.Tensor:
        """Sets scale and bias so the pre-activations on ``inputs`` have zero mean, unit std.

        Returns:
            The layer's output on ``inputs`` after the update.
        """
        pre = tf.matmul(inputs, self.kernel())
        mean = tf.reduce_mean(pre, axis=0)
        std = tf.sqrt(tf.reduce_mean(tf.square(pre - mean), axis=0) + 1e-12)
        self.scale.assign(self.scale / std)
        self.bias.assign(-mean / std)
        return self.activation((pre - mean) / std)


class MinibatchDiscrimination(keras.layers.Layer):
    """Salimans et al. §3.2: features that tell each sample how close it is to the others
    in its minibatch, appended to its own.

    ``M = h T`` (``T``: inputs x kernels x dims); ``o_ik = mean_{j != i}
    exp(-||M_ik - M_jk||_1) + b_k``; the output is ``[h, o]``. A batch of collapsed
    samples (all alike) gets large ``o``, which the discriminator learns to read as fake.
    ``T`` starts at N(0, 0.05^2) and ``b`` at -1, as in the official code. The paper sums
    over the other samples; the mean differs from it by the constant ``batch - 1`` while
    training, which the next layer absorbs, and lets evaluation pass batches of another
    size (1,000 validation images) without the features growing tenfold.

    Args:
        kernels: Number of kernels (output features added).
        dims: Dimension of each kernel's projection.
    """

    def __init__(self, kernels: int = 100, dims: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernels = int(kernels)
        self.dims = int(dims)

    def build(self, input_shape: Sequence[int]) -> None:
        self.tensor = self.add_weight(
            shape=(int(input_shape[-1]), self.kernels * self.dims), name="tensor",
            initializer=keras.initializers.RandomNormal(stddev=0.05))
        self.bias = self.add_weight(shape=(self.kernels,), name="bias",
                                    initializer=keras.initializers.Constant(-1.0))

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        m = tf.reshape(tf.matmul(inputs, self.tensor), (-1, self.kernels, self.dims))
        # (batch, batch, kernels) L1 distances; each sample's distance to itself is 0,
        # whose exp(0) = 1 is taken off again.
        dist = tf.reduce_sum(tf.abs(m[:, None] - m[None]), axis=-1)
        others = tf.maximum(tf.cast(tf.shape(inputs)[0], inputs.dtype) - 1.0, 1.0)
        closeness = (tf.reduce_sum(tf.exp(-dist), axis=1) - 1.0) / others
        return tf.concat([inputs, closeness + self.bias], axis=1)
