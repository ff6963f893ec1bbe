"""Search space of the Improved-GAN feature-matching discriminator (Salimans et al. 2016).

``preset`` picks the discriminator body: ``paper`` is the official MNIST MLP
(1000-500-250-250-250, weight-normalised), optionally narrowed (``mlp_width_scale``) or
shortened (``mlp_depth``); ``conv`` is the shared conv encoder, tuned through the common
encoder parameters. Each body's parameters exist only under its preset, so a paper trial
neither samples nor stores the encoder's. :data:`PAPER_PARAMS` is the official setting;
:data:`REFERENCE_PARAMS`, the same as retrains key it, is enqueued as a study's first
trial so every GAN search starts from the reference point.
"""

from __future__ import annotations

from typing import Any

from spaces.base import SearchSpace
from spaces.common import ENCODER_FITS, ENCODER_PARAMS, OPTIMIZER_PARAMS, only_when
from spaces.parse import parse_space

__all__ = ["LEVERS", "PAPER_LEVERS", "PAPER_PARAMS", "REFERENCE_PARAMS", "SPACE", "SPEC"]

# The training levers of the records after the paper, and the paper's own alternatives
# (§3.2, §3.3). Each one's grid is its official value alone: it is what
# ``SearchSpace.resolve`` gives a trial that lacks it, so the paper setting stays a point
# of the space and the stored runs made before the levers keep their keys, and the grid
# sampler walks the same grid as before them. TPE and random search the whole range.
LEVERS: dict[str, dict[str, Any]] = {
    # Constant, or held for two thirds of the run's steps and decayed linearly to 0.
    "lr_schedule": {"kind": "categorical", "choices": ["constant", "decay_last_third"],
                    "grid": ["constant"]},
    "separate_g_lr": {"kind": "categorical", "choices": [False, True], "grid": [False]},
    "g_learning_rate": {"kind": "float", "low": 1e-4, "high": 1e-2, "log": True,
                        "grid": [1e-3], "when": {"separate_g_lr": True}},
    "d_beta_1": {"kind": "categorical", "choices": [0.5, 0.0, 0.8], "grid": [0.5]},
    "g_beta_1": {"kind": "categorical", "choices": [0.5, 0.0, 0.8], "grid": [0.5]},
    "consistency": {"kind": "categorical", "choices": [False, True], "grid": [False]},
    "consistency_weight": {"kind": "float", "low": 0.01, "high": 1.0, "log": True,
                           "grid": [0.1], "when": {"consistency": True}},
    "entropy": {"kind": "categorical", "choices": [False, True], "grid": [False]},
    "entropy_weight": {"kind": "float", "low": 0.03, "high": 1.0, "log": True,
                       "grid": [0.3], "when": {"entropy": True}},
    # Largest random shift of the labeled images, in pixels.
    "label_shift": {"kind": "categorical", "choices": [0, 1, 2, 3], "grid": [0]},
    "technique": {"kind": "categorical",
                  "choices": ["feature_matching", "minibatch_discrimination"],
                  "grid": ["feature_matching"]},
    "minibatch_kernels": {"kind": "categorical", "choices": [100, 50],
                          "when": {"technique": "minibatch_discrimination"}},
    "historical_averaging": {"kind": "categorical", "choices": [False, True],
                             "grid": [False]},
    "historical_weight": {"kind": "float", "low": 1e-5, "high": 1e-1, "log": True,
                          "grid": [1e-3], "when": {"historical_averaging": True}},
}

SPEC = {
    **OPTIMIZER_PARAMS,
    "preset": {"kind": "categorical", "choices": ["paper", "conv"]},
    **only_when(ENCODER_PARAMS, preset="conv"),
    **only_when({
        "mlp_depth": {"kind": "categorical", "choices": [3, 4, 5], "grid": [5]},
        "mlp_width_scale": {"kind": "categorical", "choices": [0.5, 1.0]},
    }, preset="paper"),
    "z_dim": {"kind": "categorical", "choices": [50, 100, 200], "grid": [100]},
    "unlabeled_weight": {"kind": "float", "low": 0.1, "high": 3.0, "log": True,
                         "grid": [0.5, 1.0]},
    "input_noise": {"kind": "float", "low": 0.0, "high": 0.5, "grid": [0.3]},
    "hidden_noise": {"kind": "float", "low": 0.0, "high": 0.75, "grid": [0.5]},
    "ema_decay": {"kind": "categorical", "choices": [0.99, 0.999, 0.9999],
                  "grid": [0.999, 0.9999]},
    **LEVERS,
}

SPACE: SearchSpace = parse_space("gan", SPEC, [ENCODER_FITS])

# train_mnist_feature_matching.py of the official code.
PAPER_PARAMS: dict[str, Any] = {
    "learning_rate": 0.003,
    "batch_size": 100,
    "preset": "paper",
    "mlp_depth": 5,
    "mlp_width_scale": 1.0,
    "z_dim": 100,
    "unlabeled_weight": 1.0,
    "input_noise": 0.3,
    "hidden_noise": 0.5,
    "ema_decay": 0.9999,
}
# The paper setting with every lever at its official value, as a search samples it.
PAPER_LEVERS: dict[str, Any] = {name: spec.get("grid", spec.get("choices"))[0]
                                for name, spec in LEVERS.items() if "when" not in spec}

# The official setting as the GAN's reference retrains store and key it: with encoder
# values the paper body never reads, as they were written before the space became
# conditional. The runs of results/official.db and their checkpoints are found by these
# exact parameters, so they stay; a search trial enqueued from them samples and stores
# only PAPER_PARAMS, its active ones.
REFERENCE_PARAMS: dict[str, Any] = {
    **PAPER_PARAMS,
    "kernel_size": 3,
    "depth": 2,
    "filters": 32,
    "latent_width": 128,
    "downsample": "max_pool",
    "padding": "same",
    "dropout": 0.0,
}
