"""Search space of FixMatch-style consistency training (Sohn et al. 2020).

The shared optimiser and encoder parameters, then FixMatch's own: the learning-rate
schedule (constant, or FixMatch's cosine decay to cos(7 pi / 16) of the rate), the
unlabeled-to-labeled batch ratio mu, the confidence threshold tau, the unlabeled loss's
weight lambda_u, the strong policy's magnitude and the decay of the evaluated weight
average. Ranges sit inside what each parameter means (tau in (0, 1], mu >= 1,
lambda_u >= 0), so ``--fix`` refuses a value outside them. :data:`REFERENCE_PARAMS`,
FixMatch's published settings on this project's encoder, is a point of the space: a
calibration trains it first, and ``--retrain K --reference`` retrains it without a search.
"""

from __future__ import annotations

from spaces.base import SearchSpace
from spaces.common import ENCODER_FITS, ENCODER_PARAMS, OPTIMIZER_PARAMS
from spaces.parse import parse_space

__all__ = ["REFERENCE_PARAMS", "SPACE", "SPEC"]

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

# FixMatch's published settings (Sohn et al. 2020): tau 0.95, lambda_u 1, mu 7, batch 64,
# the cosine decay, an EMA of 0.999 and RandAugment at a random magnitude up to the
# largest (strength 1: every operation draws its amount up to its largest). The paper
# trained a WRN-28-2 with SGD at 0.03, which this space does not have, so the encoder and
# Adam's rate are ours: 2 blocks of 32 and 64 filters, 4.2 M multiply-accumulates per
# image, 0.73 h per `final` run (results/benchmarks.md, "FixMatch's own").
REFERENCE_PARAMS = {
    "learning_rate": 3e-3, "batch_size": 64, "lr_schedule": "cosine", "kernel_size": 3,
    "depth": 2, "filters": 32, "latent_width": 128, "downsample": "max_pool",
    "padding": "same", "dropout": 0.0, "mu": 7, "threshold": 0.95, "unlabeled_weight": 1.0,
    "strength": 1.0, "ema_decay": 0.999,
}
