"""Parameters every method shares: the optimiser and the shared conv encoder.

Each method's space starts from :data:`ENCODER_PARAMS` and adds its own parameters, so all
methods are tuned along the same axes (learning rate, batch size, kernel size, latent width,
depth/filters, padding/downsampling).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ENCODER_PARAMS", "FINETUNE_PARAMS", "OPTIMIZER_PARAMS"]

OPTIMIZER_PARAMS: dict[str, dict[str, Any]] = {
    "learning_rate": {
        "kind": "float",
        "low": 1e-4,
        "high": 1e-2,
        "log": True,
        "grid": [3e-4, 1e-3, 3e-3],
    },
    "batch_size": {"kind": "categorical", "choices": [16, 32, 64, 100], "grid": [32, 100]},
}

ENCODER_PARAMS: dict[str, dict[str, Any]] = {
    "kernel_size": {"kind": "categorical", "choices": [3, 5, 7], "grid": [3, 5]},
    # Conv blocks; filters double from one block to the next.
    "depth": {"kind": "categorical", "choices": [1, 2, 3]},
    "filters": {"kind": "categorical", "choices": [16, 32, 64], "grid": [16, 32]},
    # Width of the dense layer between the conv blocks and any head.
    "latent_width": {"kind": "categorical", "choices": [32, 64, 128, 256], "grid": [64, 256]},
    "downsample": {"kind": "categorical", "choices": ["max_pool", "stride"]},
    "padding": {"kind": "categorical", "choices": ["same", "valid"], "grid": ["same"]},
    "dropout": {"kind": "float", "low": 0.0, "high": 0.5, "grid": [0.0, 0.25]},
}

# Fine-tuning of a pretrained encoder (autoencoder, SimCLR).
FINETUNE_PARAMS: dict[str, dict[str, Any]] = {
    "finetune_learning_rate": {
        "kind": "float",
        "low": 1e-4,
        "high": 1e-2,
        "log": True,
        "grid": [3e-4, 3e-3],
    },
    "freeze_encoder": {"kind": "categorical", "choices": [False, True]},
}
