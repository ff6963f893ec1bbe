"""Search space of SimCLR contrastive pretraining + fine-tuning."""

from __future__ import annotations

from spaces.base import SearchSpace
from spaces.common import (
    AUGMENT_PARAMS,
    ENCODER_FITS,
    ENCODER_PARAMS,
    FINETUNE_PARAMS,
    OPTIMIZER_PARAMS,
)
from spaces.parse import parse_space

__all__ = ["SPACE", "SPEC"]

SPEC = {
    **OPTIMIZER_PARAMS,
    **ENCODER_PARAMS,
    "temperature": {"kind": "float", "low": 0.05, "high": 1.0, "log": True,
                    "grid": [0.1, 0.5]},
    "projection_width": {"kind": "categorical", "choices": [32, 64, 128], "grid": [64]},
    # Scales translation, rotation, zoom and noise of the two views together.
    "augment_strength": {"kind": "float", "low": 0.25, "high": 1.5, "grid": [0.5, 1.0]},
    **FINETUNE_PARAMS,
    **AUGMENT_PARAMS,
}

SPACE: SearchSpace = parse_space("contrastive", SPEC, [ENCODER_FITS])
