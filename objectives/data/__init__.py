"""Data processing: loading MNIST, validating it, and splitting it for semi-supervised search.

:mod:`objectives.data.mnist` reads and checks the files; :mod:`objectives.data.split` makes
the fixed split. The split is fixed: training images ``0 .. pool-1`` are the train pool
(all of them the unlabeled set, ``n_labeled`` of them, class-balanced, the labeled set) and
the next ``val`` images are the validation set. The official test images live behind a
separate call, :meth:`MnistSource.load_test`, which only retraining makes:
:class:`SearchData` has no field that could hold them, so no search can read the test set
by accident.
"""

from objectives.data.mnist import N_CLASSES, DataError, MnistSource, resolve_source
from objectives.data.split import (
    SearchData,
    Split,
    TestData,
    balanced_indices,
    make_search_data,
    make_test_data,
)

__all__ = [
    "N_CLASSES",
    "DataError",
    "MnistSource",
    "SearchData",
    "Split",
    "TestData",
    "balanced_indices",
    "make_search_data",
    "make_test_data",
    "resolve_source",
]
