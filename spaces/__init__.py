"""Search spaces, one module per method, each a plain specification parsed into a SearchSpace."""

from spaces import autoencoder, contrastive, fixmatch, gan, supervised
from spaces.base import (
    CategoricalParam,
    Constraint,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
    SpaceError,
)
from spaces.parse import parse_space
from spaces.registry import Registry, UnknownNameError

__all__ = [
    "SPACES",
    "CategoricalParam",
    "Constraint",
    "FloatParam",
    "IntParam",
    "Param",
    "Registry",
    "SearchSpace",
    "SpaceError",
    "UnknownNameError",
    "get_space",
    "parse_space",
]

SPACES: Registry[SearchSpace] = Registry("search space")
SPACES.register("supervised", supervised.SPACE)
SPACES.register("autoencoder", autoencoder.SPACE)
SPACES.register("contrastive", contrastive.SPACE)
SPACES.register("gan", gan.SPACE)
SPACES.register("fixmatch", fixmatch.SPACE)


def get_space(name: str) -> SearchSpace:
    """Returns the registered space of method ``name``."""
    return SPACES.get(name)
