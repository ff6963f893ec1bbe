"""Methods, the shared model/data code, and the objective that Optuna calls.

Methods are found by name through :data:`METHODS`; adding one means adding a module with a
:class:`~objectives.base.Method` subclass and registering it here.
"""

from objectives.autoencoder import Autoencoder
from objectives.base import FitInputs, Method, RunContext
from objectives.budget import Budget
from objectives.contrastive import Contrastive
from objectives.data import (
    DataError,
    MnistSource,
    SearchData,
    Split,
    TestData,
    make_search_data,
    make_test_data,
    resolve_source,
)
from objectives.encoder import EncoderConfig, InfeasibleConfig, build_encoder
from objectives.fixmatch import FixMatch
from objectives.gan import Gan
from objectives.objective import Objective
from objectives.profiles import PROFILES, get_profile
from objectives.supervised import Supervised
from objectives.training import NonFiniteLoss, RunResult, release, train
from spaces.registry import Registry

__all__ = [
    "METHODS",
    "PROFILES",
    "Budget",
    "DataError",
    "EncoderConfig",
    "FitInputs",
    "InfeasibleConfig",
    "Method",
    "MnistSource",
    "NonFiniteLoss",
    "Objective",
    "RunContext",
    "RunResult",
    "SearchData",
    "Split",
    "TestData",
    "build_encoder",
    "get_method",
    "get_profile",
    "make_search_data",
    "make_test_data",
    "release",
    "resolve_source",
    "train",
]

METHODS: Registry[Method] = Registry("method")
for _method in (Supervised(), Autoencoder(), Contrastive(), Gan(), FixMatch()):
    METHODS.register(_method.name, _method)


def get_method(name: str) -> Method:
    """Returns the registered method ``name``."""
    return METHODS.get(name)
