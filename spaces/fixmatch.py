"""Search space of FixMatch-style consistency training (Sohn et al. 2020).

The shared optimiser and encoder parameters, then FixMatch's own: the learning-rate
schedule (constant, or FixMatch's cosine decay to cos(7 pi / 16) of the rate), the
unlabeled-to-labeled batch ratio mu, the confidence threshold tau, the unlabeled loss's
weight lambda_u, the strong policy's magnitude and the decay of the evaluated weight
average. Ranges sit inside what each parameter means (tau in (0, 1], mu >= 1,
lambda_u >= 0), so ``--fix`` refuses a value outside them.
"""

from __future__ import annotations

from spaces.base import SearchSpace
from spaces.common import ENCODER_FITS, ENCODER_PARAMS, OPTIMIZER_PARAMS
from spaces.parse import parse_space

__all__ = ["SPACE", "SPEC"]

SPEC = {
    **OPTIMIZER_PARAMS,
    "lr_schedule": {"kind": "categorical", "choices": ["cosine", "constant"],
                    "grid": ["cosine"]},
    **ENCODER_PARAMS,
    # Unlabeled images per labeled image in a step (FixMatch: 7).
    "mu": {"kind": "categorical", "choices": [1, 2, 3, 5, 7], "grid": [3, 7]},
    # Confidence a weak view's prediction needs to become a pseudo-label (FixMatch: 0.95).
    "threshold": {"kind": "float", "low": 0.5, "high": 0.99, "grid": [0.95]},
    "unlabeled_weight": {"kind": "float", "low": 0.1, "high": 10.0, "log": True,
                         "grid": [1.0]},
    # Scales every operation of the strong policy together (1: the largest shift,
    # rotation, shear, contrast, brightness change and cutout of the policy).
    "strength": {"kind": "float", "low": 0.1, "high": 1.0, "grid": [0.5, 1.0]},
    "ema_decay": {"kind": "categorical", "choices": [0.99, 0.999, 0.9999], "grid": [0.999]},
}

SPACE: SearchSpace = parse_space("fixmatch", SPEC, [ENCODER_FITS])
