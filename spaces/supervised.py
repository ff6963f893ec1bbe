"""Search space of the supervised baseline: the shared optimiser and encoder parameters, and
whether (and how strongly) the labeled images are augmented."""

from __future__ import annotations

from spaces.base import SearchSpace
from spaces.common import AUGMENT_PARAMS, ENCODER_FITS, ENCODER_PARAMS, OPTIMIZER_PARAMS
from spaces.parse import parse_space

__all__ = ["SPACE", "SPEC"]

SPEC = {**OPTIMIZER_PARAMS, **ENCODER_PARAMS, **AUGMENT_PARAMS}

SPACE: SearchSpace = parse_space("supervised", SPEC, [ENCODER_FITS])
