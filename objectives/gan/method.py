"""The GAN as a searchable method: registry glue, its datasets, the collapse guard and the
sample grid."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import FitInputs, Method, RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.gan.model import FeatureMatchingGAN
from objectives.gan.networks import build_discriminator, build_generator, discriminator_macs
from objectives.gan.terms import Levers, LinearDecayTail
from objectives.macs import check_cap
from objectives.optimizers import adam
from spaces import get_space
from spaces.gan import REFERENCE_PARAMS

__all__ = ["CollapseGuard", "Gan", "gan_dataset", "sample_grid"]

INIT_BATCH = 500
STEPS_PER_CALL = 25


# --- the training loop's inputs and guards -------------------------------------------------


class CollapseGuard(keras.callbacks.Callback):
    """Stops a GAN that has collapsed: its discriminator separates real from fake
    perfectly, the generator's loss explodes and what the classifier had learned decays.

    The sign is ``loss_unl`` under ``threshold`` for ``patience`` epochs in a row. Every
    such run seen here was a collapse: the official setting at ``final`` with Keras' Adam
    (seeds 0 and 1, 2026-11-30) went from ``loss_unl`` about 0.3 to under 0.001 within an
    epoch, the generator's loss from 3-6 to over 100, and validation accuracy, after the
    parameter average had caught up, fell for the rest of the run. The average lags the
    collapse by a few epochs, so validation accuracy is no early sign (sessions before
    this one read its rise as health and let collapsed runs go on). The run ends with
    ``stop_reason`` starting with ``collapse``; early stopping's best weights are kept.
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


def gan_dataset(data: SearchData, unlabeled: np.ndarray, batch: int,
                endless: bool = False) -> tf.data.Dataset:
    """One epoch = one pass over ``unlabeled``; each batch paired with a labeled batch
    (the labeled set tiled and reshuffled) and with a second unlabeled batch for G.
    ``endless`` repeats the passes, each reshuffled, for epochs counted in steps."""
    images = tf.constant(unlabeled)
    labeled = (tf.data.Dataset.from_tensor_slices((data.labeled_x, data.labeled_y))
               .shuffle(len(data.labeled_y), reshuffle_each_iteration=True)
               .repeat().batch(batch, drop_remainder=True))
    zipped = tf.data.Dataset.zip(labeled, _unlabeled_batches(images, batch),
                                 _unlabeled_batches(images, batch))
    if endless:
        zipped = zipped.repeat()
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


class Gan(Method):
    """The K+1-class feature-matching GAN as a searchable method."""

    name = "gan"
    space = get_space("gan")
    reference_params = REFERENCE_PARAMS
    unread_budget_fields: frozenset[str] = frozenset({
        "pretrain_max_macs", "consistency_epochs", "consistency_epoch_steps"})

    def pruning_steps(self, budget: Budget) -> int:
        return budget.gan_epochs

    def step_label(self, budget: Budget, step: int) -> str:
        # Epochs of a fixed step count are the unit the paper's budget is stated in.
        if budget.gan_epoch_steps is None:
            return super().step_label(budget, step)
        return f"epoch {step + 1} ({(step + 1) * budget.gan_epoch_steps:,} steps)"

    def check(self, params: Mapping[str, Any], budget: Budget) -> None:
        super().check(params, budget)
        check_cap(discriminator_macs(self.space.resolve(params)), budget.gan_max_macs,
                  "discriminator", budget.name)

    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        params = self.space.resolve(params)  # a configuration stored before a lever existed
        z_dim = int(params["z_dim"])
        model = FeatureMatchingGAN(build_discriminator(params), build_discriminator(params),
                                   build_generator(z_dim), z_dim,
                                   float(params["unlabeled_weight"]),
                                   float(params["ema_decay"]), levers=Levers.from_params(params),
                                   name="gan")
        unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
        init_idx = np.random.default_rng(context.seed).permutation(len(unlabeled))[:INIT_BATCH]
        model.initialize(unlabeled[init_idx])
        d_lr: Any = float(params["learning_rate"])
        g_lr: Any = float(params["g_learning_rate"]) if params["separate_g_lr"] else d_lr
        if params["lr_schedule"] == "decay_last_third":
            total = budget.gan_epochs * self._epoch_steps(params, data, budget)
            d_lr, g_lr = LinearDecayTail(d_lr, total), LinearDecayTail(g_lr, total)
        # Several steps per compiled call keep Python out of the loop; XLA is off because
        # on this CPU it compiled the step into code 8x slower than TensorFlow's kernels.
        # Epochs counted in steps must hold whole calls: keras runs a call's steps in full.
        per_call = math.gcd(STEPS_PER_CALL, budget.gan_epoch_steps or STEPS_PER_CALL)
        official = budget.official_adam
        model.compile(d_optimizer=adam(d_lr, official=official,
                                       beta_1=float(params["d_beta_1"])),
                      g_optimizer=adam(g_lr, official=official,
                                       beta_1=float(params["g_beta_1"])),
                      steps_per_execution=per_call, jit_compile=False)
        return model

    @staticmethod
    def _batch(params: Mapping[str, Any], data: SearchData, budget: Budget) -> int:
        return min(int(params["batch_size"]), len(data.unlabeled_x[: budget.unlabeled_limit]))

    def _epoch_steps(self, params: Mapping[str, Any], data: SearchData, budget: Budget
                     ) -> int:
        """Steps of one epoch: the profile's fixed count, else one pass over the pool."""
        pool = len(data.unlabeled_x[: budget.unlabeled_limit])
        return budget.gan_epoch_steps or pool // self._batch(params, data, budget)

    def fit_inputs(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget
    ) -> FitInputs:
        unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
        batch = self._batch(params, data, budget)
        steps = budget.gan_epoch_steps
        return FitInputs(x=gan_dataset(data, unlabeled, batch, endless=steps is not None),
                         y=None, batch_size=None, epochs=budget.gan_epochs,
                         patience=budget.gan_patience, callbacks=[CollapseGuard()],
                         steps_per_epoch=steps)

    def save_artifacts(self, model: keras.Model, path: Path) -> dict[str, Path]:
        return {"samples_png": sample_grid(model.generator, model.z_dim,
                                           path.with_suffix(".png"))}
