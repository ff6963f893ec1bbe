"""Data processing, the split: the train pool, its balanced labeled subset, validation, and
the test set behind its own type."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from objectives.data.mnist import N_CLASSES, DataError

__all__ = [
    "SearchData",
    "Split",
    "TestData",
    "balanced_indices",
    "make_search_data",
    "make_test_data",
]


@dataclass(frozen=True)
class Split:
    """Sizes of the fixed split of the training file.

    Attributes:
        pool: Number of leading training images forming the train pool.
        val: Number of images after the pool forming the validation set.
    """

    pool: int = 50_000
    val: int = 10_000


@dataclass(frozen=True)
class SearchData:
    """Everything a search may see. There is deliberately no test field.

    Attributes:
        labeled_x: ``(n_labeled, 28, 28, 1)`` float32 in [0, 1].
        labeled_y: ``(n_labeled,)`` int labels.
        unlabeled_x: The whole train pool, ``(pool, 28, 28, 1)``.
        val_x: Validation images.
        val_y: Validation labels.
        data_seed: Seed that drew the labeled subset.
    """

    labeled_x: np.ndarray
    labeled_y: np.ndarray
    unlabeled_x: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    data_seed: int

    @property
    def n_labeled(self) -> int:
        return int(self.labeled_y.shape[0])

    def with_validation_unlabeled(self) -> SearchData:
        """The same data with the validation images added to the unlabeled pool."""
        return replace(self, unlabeled_x=np.concatenate([self.unlabeled_x, self.val_x]))


@dataclass(frozen=True)
class TestData:
    """The official test set, read only when retraining the winners."""

    # Its name starts with "Test": without this, pytest takes it for a test class.
    __test__ = False

    x: np.ndarray
    y: np.ndarray



def _to_float(images: np.ndarray) -> np.ndarray:
    # NHWC float32 in [0, 1], the layout every Keras conv layer here expects.
    return (images.astype(np.float32) / 255.0)[..., None]



def balanced_indices(labels: np.ndarray, n_labeled: int, seed: int) -> np.ndarray:
    """Draws ``n_labeled // 10`` indices per class, deterministically for ``seed``.

    Raises:
        DataError: If ``n_labeled`` is not a positive multiple of 10 or a class is too small.
    """
    if n_labeled < N_CLASSES or n_labeled % N_CLASSES:
        raise DataError(f"n_labeled must be a positive multiple of 10, got {n_labeled}")
    per_class = n_labeled // N_CLASSES
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in range(N_CLASSES):
        members = np.flatnonzero(labels == cls)
        if members.size < per_class:
            raise DataError(f"class {cls} has {members.size} images, {per_class} needed")
        chosen.append(rng.choice(members, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def make_search_data(
    images: np.ndarray,
    labels: np.ndarray,
    n_labeled: int,
    data_seed: int,
    split: Split = Split(),
) -> SearchData:
    """Splits the training file into labeled, unlabeled and validation sets.

    Args:
        images: Training images, uint8 ``(n, 28, 28)``.
        labels: Training labels.
        n_labeled: Size of the labeled set (balanced, a multiple of 10).
        data_seed: Seed of the labeled draw; independent of any model seed.
        split: Pool and validation sizes.
    """
    needed = split.pool + split.val
    if images.shape[0] < needed:
        raise DataError(
            f"the training file has {images.shape[0]} images; the split needs {needed}"
        )
    pool_y = labels[: split.pool]
    idx = balanced_indices(pool_y, n_labeled, data_seed)
    pool_x = _to_float(images[: split.pool])
    return SearchData(
        labeled_x=pool_x[idx],
        labeled_y=pool_y[idx].astype(np.int64),
        unlabeled_x=pool_x,
        val_x=_to_float(images[split.pool : needed]),
        val_y=labels[split.pool : needed].astype(np.int64),
        data_seed=data_seed,
    )


def make_test_data(images: np.ndarray, labels: np.ndarray) -> TestData:
    """Wraps the official test set."""
    return TestData(x=_to_float(images), y=labels.astype(np.int64))

