"""Improved-GAN semi-supervised discriminator with feature matching (Salimans et al. 2016).

The model: a discriminator with K = 10 logits ``l`` whose fake-class logit is fixed at 0,
so ``D(x) = Z / (Z + 1)`` with ``Z = sum_k exp(l_k)``; a generator trained to match the
mean of the discriminator's last hidden layer on real and generated images.

Losses (official code, ``train_mnist_feature_matching.py``)::

    loss_lab = cross-entropy on labeled batches
    loss_unl = -1/2 mean LSE(l_unl) + 1/2 mean softplus(LSE(l_unl)) + 1/2 mean softplus(LSE(l_fake))
    loss_D   = loss_lab + w_unl * loss_unl
    loss_G   = mean_j (mean f(x_unl)_j - mean f(G(z))_j)^2

The ``paper`` preset ports every detail of the official MNIST setting: weight-normalised
MLP 1000-500-250-250-250 with data-dependent initialisation on 500 images, Gaussian noise
0.3 on the input and 0.5 after every hidden layer (training only), a generator
z(100, uniform) -> 500 softplus + batch norm without scale -> 500 softplus + batch norm ->
784 sigmoid with weight norm (trainable scale, init 1), Adam(0.003, beta1 0.5), one G step
per D step with its own unlabeled batch, evaluation with a parameter average of the
discriminator. The ``conv`` preset swaps the MLP body for the shared conv encoder.

The training loop: one compiled ``train_step`` does the D step (labeled, unlabeled and
fake images in one fused forward pass) and the G step, and updates the parameter average.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import FitInputs, Method, RunContext
from objectives.data import N_CLASSES, SearchData
from objectives.encoder import EncoderConfig, InfeasibleConfig, build_encoder, feature_map_sizes
from objectives.macs import encoder_macs, mlp_macs
from objectives.optimizers import adam
from objectives.profiles import Budget
from spaces import get_space
from spaces.gan import PAPER_PARAMS

__all__ = [
    "CollapseGuard",
    "Discriminator",
    "FastGaussianNoise",
    "FeatureMatchingGAN",
    "Gan",
    "WeightNormDense",
    "build_generator",
    "discriminator_macs",
    "gan_losses",
    "sample_grid",
]

PAPER_WIDTHS = (1000, 500, 250, 250, 250)
INIT_BATCH = 500


# --- the model -----------------------------------------------------------------------------


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

    def kernel(self) -> tf.Tensor:
        norm = tf.sqrt(tf.reduce_sum(tf.square(self.theta), axis=0) + 1e-12)
        return self.theta * (self.scale / norm)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return self.activation(tf.matmul(inputs, self.kernel()) + self.bias)

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


class Discriminator(keras.Model):
    """Noise on the input, a body of hidden blocks (noise after each), 10 logits.

    Args:
        blocks: Hidden layers; a layer with ``data_init`` is initialised from data.
        input_noise: Std of the input noise (training only).
        hidden_noise: Std of the noise after every hidden block (training only).
        flatten: Whether to flatten images first (MLP body).
    """

    def __init__(self, blocks: Sequence[keras.layers.Layer], input_noise: float,
                 hidden_noise: float, flatten: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flatten = keras.layers.Flatten() if flatten else None
        self.input_noise = FastGaussianNoise(input_noise)
        self.blocks = list(blocks)
        self.noises = [FastGaussianNoise(hidden_noise) for _ in self.blocks]
        self.head = WeightNormDense(N_CLASSES, activation=None, train_scale=True, name="logits")

    def _input(self, x: tf.Tensor, training: bool) -> tf.Tensor:
        if self.flatten is not None:
            x = self.flatten(x)
        return self.input_noise(x, training=training)

    def features(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The last hidden layer, before its noise: what feature matching matches."""
        h = self._input(x, training)
        for i, block in enumerate(self.blocks):
            if i:
                h = self.noises[i - 1](h, training=training)
            h = block(h, training=training)
        return h

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.head(self.noises[-1](self.features(x, training), training=training))

    def data_init(self, x: tf.Tensor) -> None:
        """The official data-dependent init: layer by layer, noise on, one batch."""
        h = self._input(x, True)
        for block, noise in zip(self.blocks, self.noises):
            init = getattr(block, "data_init", None)
            h = init(h) if init is not None else block(h, training=True)
            h = noise(h, training=True)
        self.head.data_init(h)


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
    return Discriminator(blocks, float(params["input_noise"]), float(params["hidden_noise"]),
                         flatten=flatten, name="discriminator")


def discriminator_macs(params: Mapping[str, Any]) -> int:
    """Forward multiply-accumulates per image of :func:`build_discriminator`'s network.

    Every GAN step runs the discriminator forward on three batches and back through them,
    so this number, not the generator's, sets the GAN's cost.
    """
    if params["preset"] == "paper":
        scale = float(params["mlp_width_scale"])
        widths = [max(1, int(round(w * scale))) for w in PAPER_WIDTHS[: int(params["mlp_depth"])]]
        return mlp_macs([28 * 28, *widths, N_CLASSES])
    return encoder_macs(EncoderConfig.from_params(params)) + mlp_macs(
        [int(params["latent_width"]), N_CLASSES])


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


def gan_losses(
    logits_lab: tf.Tensor, labels: tf.Tensor, logits_unl: tf.Tensor, logits_fake: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """``loss_lab`` and ``loss_unl`` exactly as in the official code."""
    loss_lab = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits_lab)
    )
    lse_unl = tf.reduce_logsumexp(logits_unl, axis=1)
    lse_fake = tf.reduce_logsumexp(logits_fake, axis=1)
    loss_unl = (
        -0.5 * tf.reduce_mean(lse_unl)
        + 0.5 * tf.reduce_mean(tf.nn.softplus(lse_unl))
        + 0.5 * tf.reduce_mean(tf.nn.softplus(lse_fake))
    )
    return loss_lab, loss_unl


class FeatureMatchingGAN(keras.Model):
    """Discriminator, its parameter average, and the generator, trained together.

    Args:
        discriminator: The classifier being trained.
        average: Same architecture; holds the debiased average used for evaluation.
        generator: Maps ``z`` to images.
        z_dim: Size of ``z``.
        unlabeled_weight: ``w_unl``.
        ema_decay: Decay of the parameter average (the official 0.9999).
    """

    def __init__(self, discriminator: Discriminator, average: Discriminator,
                 generator: keras.Model, z_dim: int, unlabeled_weight: float,
                 ema_decay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.average = average
        self.generator = generator
        self.z_dim = int(z_dim)
        self.unlabeled_weight = float(unlabeled_weight)
        self.ema_decay = float(ema_decay)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "loss_lab", "loss_unl", "loss_gen")}
        self.accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    def initialize(self, x_init: np.ndarray) -> None:
        """Builds all parts, runs the data-dependent init, starts the average from zero."""
        x_init = tf.convert_to_tensor(x_init)
        self.generator(tf.zeros((2, self.z_dim)), training=True)
        self.discriminator(x_init[:2])
        self.average(x_init[:2])
        self.discriminator.data_init(x_init)
        # Copy everything (hidden scales fixed by the init included); the trainable part is
        # then the debiased average, overwritten by the first step.
        self.average.set_weights(self.discriminator.get_weights())
        self.avg_steps = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                         name="avg_steps")

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer, **kwargs: Any) -> None:
        super().compile(optimizer=d_optimizer, **kwargs)
        self.g_optimizer = g_optimizer
        # Built now, each on its own network, so a checkpoint can be restored into them
        # before the first step (fit would build the first on every trainable variable).
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)

    @property
    def optimizers(self) -> list[keras.optimizers.Optimizer]:
        """Both optimizers, for checkpoints."""
        return [self.optimizer, self.g_optimizer]

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [*self.trackers.values(), self.accuracy]

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.average(x, training=False)

    def _update_average(self, d_vars: Sequence[tf.Variable]) -> None:
        """The official average, which starts at zero, read with Adam's debiasing.

        With ``s_t = d s_{t-1} + (1 - d) p_t`` (``s_0 = 0``) the debiased average
        ``a_t = s_t / (1 - d^t)`` obeys ``a_t = a_{t-1} + w_t (p_t - a_{t-1})`` with
        ``w_t = (1 - d) / (1 - d^t)`` (``w_1 = 1``), so only ``a`` is kept: one fused
        update per variable instead of a sum and a division rewritten every step.
        """
        self.avg_steps.assign_add(1.0)
        weight = (1.0 - self.ema_decay) / (1.0 - tf.pow(self.ema_decay, self.avg_steps))
        for p, avg in zip(d_vars, self.average.trainable_variables):
            # avg <- avg - w (avg - p), in one kernel.
            tf.raw_ops.ResourceApplyGradientDescent(var=avg.value.handle, alpha=weight,
                                                    delta=avg - p)

    def _z(self, n: tf.Tensor) -> tf.Tensor:
        return tf.random.uniform((n, self.z_dim))

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        x_lab, y_lab, x_unl, x_unl2 = data["x_lab"], data["y_lab"], data["x_unl"], data["x_unl2"]
        n_lab, n_unl = tf.shape(x_lab)[0], tf.shape(x_unl)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables

        # Discriminator step: one fused forward pass over labeled, unlabeled and fake images.
        fake = self.generator(self._z(n_unl), training=True)
        with tf.GradientTape() as tape:
            logits = self.discriminator(tf.concat([x_lab, x_unl, fake], axis=0), training=True)
            l_lab, l_unl, l_fake = tf.split(logits, [n_lab, n_unl, n_unl], axis=0)
            loss_lab, loss_unl = gan_losses(l_lab, y_lab, l_unl, l_fake)
            loss_d = loss_lab + self.unlabeled_weight * loss_unl
        self.optimizer.apply_gradients(zip(tape.gradient(loss_d, d_vars), d_vars))

        self._update_average(d_vars)

        # Generator step: feature matching against a second unlabeled batch. The real
        # features need no gradient, so they are computed outside the tape.
        f_real = self.discriminator.features(x_unl2, training=True)
        with tf.GradientTape() as tape:
            fake = self.generator(self._z(n_unl), training=True)
            f_fake = self.discriminator.features(fake, training=True)
            loss_gen = tf.reduce_mean(
                tf.square(tf.reduce_mean(f_real, axis=0) - tf.reduce_mean(f_fake, axis=0))
            )
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss_gen, g_vars), g_vars))

        for name, value in (("loss", loss_d), ("loss_lab", loss_lab), ("loss_unl", loss_unl),
                            ("loss_gen", loss_gen)):
            self.trackers[name].update_state(value)
        self.accuracy.update_state(y_lab, l_lab)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data: tuple[tf.Tensor, tf.Tensor]) -> dict[str, tf.Tensor]:
        x, y = data
        logits = self(x, training=False)
        self.trackers["loss"].update_state(
            tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        )
        self.accuracy.update_state(y, logits)
        return {"loss": self.trackers["loss"].result(), "accuracy": self.accuracy.result()}


# --- the training loop's inputs and guards -------------------------------------------------


class CollapseGuard(keras.callbacks.Callback):
    """Stops a GAN whose discriminator separates real from fake perfectly.

    Then ``loss_unl`` sinks towards 0, feature matching stops helping and validation
    accuracy stalls; the run ends with ``stop_reason`` starting with ``collapse``.
    """

    def __init__(self, threshold: float = 0.01, patience: int = 2) -> None:
        super().__init__()
        self.threshold = threshold
        self.patience = patience
        self.low = 0
        self.stop_reason: str | None = None

    def checkpoint_state(self) -> dict[str, Any]:
        return {"low": self.low, "stop_reason": self.stop_reason}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.low, self.stop_reason = state["low"], state["stop_reason"]

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = (logs or {}).get("loss_unl")
        if value is None:
            return
        self.low = self.low + 1 if value < self.threshold else 0
        if self.low >= self.patience:
            self.stop_reason = (f"collapse: loss_unl {value:.4f} < {self.threshold} for "
                                f"{self.low} epochs (epoch {epoch + 1})")
            self.model.stop_training = True


def _unlabeled_batches(images: tf.Tensor, batch: int) -> tf.data.Dataset:
    # Shuffled indices gathered from one in-memory tensor: no 150 MB shuffle buffer.
    n = int(images.shape[0]) // batch * batch
    return (tf.data.Dataset.range(n).shuffle(n, reshuffle_each_iteration=True)
            .batch(batch, drop_remainder=True)
            .map(lambda idx: tf.gather(images, idx)))


def gan_dataset(data: SearchData, unlabeled: np.ndarray, batch: int) -> tf.data.Dataset:
    """One epoch = one pass over ``unlabeled``; each batch paired with a labeled batch
    (the labeled set tiled and reshuffled) and with a second unlabeled batch for G."""
    images = tf.constant(unlabeled)
    labeled = (tf.data.Dataset.from_tensor_slices((data.labeled_x, data.labeled_y))
               .shuffle(len(data.labeled_y), reshuffle_each_iteration=True)
               .repeat().batch(batch, drop_remainder=True))
    zipped = tf.data.Dataset.zip(labeled, _unlabeled_batches(images, batch),
                                 _unlabeled_batches(images, batch))
    # tf.data's autotuner, sharing 2 cores with the step, settled in one of two modes from
    # run to run: 40 or 68 ms per step (benchmarks/epoch_throughput.py). The pipeline only
    # gathers batches, so one thread and a fixed prefetch keep it in the fast one.
    options = tf.data.Options()
    options.autotune.enabled = False
    options.threading.private_threadpool_size = 1
    return zipped.map(
        lambda lab, unl, unl2: {"x_lab": lab[0], "y_lab": lab[1], "x_unl": unl, "x_unl2": unl2}
    ).prefetch(4).with_options(options)


def sample_grid(generator: keras.Model, z_dim: int, path: Path, seed: int = 0) -> Path:
    """Writes a 10x10 grid of generated digits as a PNG."""
    z = tf.random.stateless_uniform((100, z_dim), seed=(seed, 0))
    images = generator(z, training=True).numpy().reshape(10, 10, 28, 28)
    grid = images.transpose(0, 2, 1, 3).reshape(280, 280, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = tf.io.encode_png(tf.cast(tf.clip_by_value(grid, 0, 1) * 255, tf.uint8))
    path.write_bytes(png.numpy())
    return path


# --- the method ----------------------------------------------------------------------------


class Gan(Method):
    """The K+1-class feature-matching GAN as a searchable method."""

    name = "gan"
    space = get_space("gan")
    reference_params = PAPER_PARAMS

    def check(self, params: Mapping[str, Any], budget: Budget) -> None:
        # The conv parameters only matter to the conv body.
        if params["preset"] == "conv":
            feature_map_sizes(EncoderConfig.from_params(params))
        macs = discriminator_macs(params)
        if budget.gan_max_macs is not None and macs > budget.gan_max_macs:
            raise InfeasibleConfig(
                f"discriminator of {macs / 1e6:.1f} M multiply-accumulates per image exceeds "
                f"the {budget.name!r} profile's cap of {budget.gan_max_macs / 1e6:.1f} M")

    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        z_dim = int(params["z_dim"])
        model = FeatureMatchingGAN(build_discriminator(params), build_discriminator(params),
                                   build_generator(z_dim), z_dim,
                                   float(params["unlabeled_weight"]),
                                   float(params["ema_decay"]), name="gan")
        unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
        init_idx = np.random.default_rng(context.seed).permutation(len(unlabeled))[:INIT_BATCH]
        model.initialize(unlabeled[init_idx])
        lr = float(params["learning_rate"])
        # Several steps per compiled call keep Python out of the loop; XLA is off because
        # on this CPU it compiled the step into code 8x slower than TensorFlow's kernels.
        model.compile(d_optimizer=adam(lr, official=budget.official_adam, beta_1=0.5),
                      g_optimizer=adam(lr, official=budget.official_adam, beta_1=0.5),
                      steps_per_execution=25, jit_compile=False)
        return model

    def fit_inputs(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget
    ) -> FitInputs:
        unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
        batch = min(int(params["batch_size"]), len(unlabeled))
        return FitInputs(x=gan_dataset(data, unlabeled, batch), y=None, batch_size=None,
                         epochs=budget.gan_epochs, patience=budget.gan_patience,
                         callbacks=[CollapseGuard()])

    def save_artifacts(self, model: keras.Model, path: Path) -> dict[str, str]:
        grid = sample_grid(model.generator, model.z_dim, path.with_suffix(".png"))
        return {"samples_png": str(grid)}
