"""Parameters every method shares: the optimiser, the shared conv encoder, its feasibility
rule, fine-tuning and data augmentation of the labeled images.

Each method's space starts from :data:`ENCODER_PARAMS` and adds its own parameters, so all
methods are tuned along the same axes (learning rate, batch size, kernel size, latent width,
depth/filters, padding/downsampling).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spaces.base import Constraint

__all__ = ["AUGMENT_PARAMS", "ENCODER_FITS", "ENCODER_PARAMS", "FINETUNE_PARAMS",
           "OPTIMIZER_PARAMS", "conv_out", "feature_map_sides", "only_when"]

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

# Random shifts and rotations of the labeled images while a classifier trains (the
# baseline, and the fine-tuning of pretrained encoders): with 100 labels, the cheapest
# regulariser a strong supervised baseline uses (Oliver et al. 2018).
AUGMENT_PARAMS: dict[str, dict[str, Any]] = {
    "augment": {"kind": "categorical", "choices": [False, True]},
    # Largest shift, as a fraction of the image side (0.12: about 3 pixels).
    "augment_shift": {"kind": "float", "low": 0.02, "high": 0.2, "grid": [0.12],
                      "when": {"augment": True}},
    # Largest rotation, as a fraction of a full turn (0.05: 18 degrees).
    "augment_rotation": {"kind": "float", "low": 0.0, "high": 0.1, "grid": [0.05],
                         "when": {"augment": True}},
}


def only_when(params: Mapping[str, Mapping[str, Any]], **when: Any) -> dict[str, dict[str, Any]]:
    """``params`` made conditional on ``when`` (e.g. ``preset="conv"``)."""
    return {name: {**spec, "when": {**spec.get("when", {}), **when}}
            for name, spec in params.items()}


# --- the encoder's feasibility: feature-map arithmetic, no framework needed ---------------

INPUT_SIDE = 28


def conv_out(size: int, kernel: int, stride: int, padding: str) -> int:
    """Output side of a convolution (0 if the input is smaller than a ``valid`` kernel)."""
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1 if size >= kernel else 0


def feature_map_sides(kernel_size: int, depth: int, downsample: str, padding: str,
                      side: int = INPUT_SIDE) -> list[int]:
    """Side of the feature map after each conv block; a 0 means it vanished there."""
    sides = []
    for _ in range(depth):
        if downsample == "stride":
            side = conv_out(side, kernel_size, 2, padding)
        else:
            side = conv_out(side, kernel_size, 1, padding)
            side = side // 2 if side >= 2 else 0
        sides.append(side)
        if side < 1:
            break
    return sides


def _sides(params: Mapping[str, Any]) -> list[int]:
    return feature_map_sides(int(params["kernel_size"]), int(params["depth"]),
                             str(params["downsample"]), str(params["padding"]))


def _fits_reason(params: Mapping[str, Any]) -> str:
    sides = _sides(params)
    return (f"feature map shrinks below 1x1 at block {len(sides)} of {params['depth']} "
            f"(padding={params['padding']}, kernel_size={params['kernel_size']}, "
            f"downsample={params['downsample']})")


ENCODER_FITS = Constraint(
    name="encoder_fits",
    needs=("kernel_size", "depth", "downsample", "padding"),
    # Blocks that would work on a vanished map: 0 when every block has at least 1x1.
    violation=lambda params: float(int(params["depth"]) - sum(
        1 for side in _sides(params) if side >= 1)),
    reason=_fits_reason,
)
