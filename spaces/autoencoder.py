"""Search space of autoencoder pretraining + fine-tuning.

``learning_rate`` and ``batch_size`` drive pretraining (and the fine-tuning batches);
fine-tuning has its own learning rate and may freeze the encoder.
"""

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
    # Std of the Gaussian noise added to inputs during pretraining (0: plain autoencoder).
    "noise_level": {"kind": "float", "low": 0.0, "high": 0.5, "grid": [0.0, 0.3]},
    **FINETUNE_PARAMS,
    **AUGMENT_PARAMS,
}

SPACE: SearchSpace = parse_space("autoencoder", SPEC, [ENCODER_FITS])
