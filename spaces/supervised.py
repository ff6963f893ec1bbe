"""Search space of the supervised baseline: the shared optimiser and encoder parameters only."""

from __future__ import annotations

from spaces.base import SearchSpace, parse_space
from spaces.common import ENCODER_PARAMS, OPTIMIZER_PARAMS

__all__ = ["SPACE", "SPEC"]

SPEC = {**OPTIMIZER_PARAMS, **ENCODER_PARAMS}

SPACE: SearchSpace = parse_space("supervised", SPEC)
