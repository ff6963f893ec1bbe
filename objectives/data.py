"""Data processing: loading MNIST, validating it, and splitting it for semi-supervised search.

The split is fixed: training images ``0 .. pool-1`` are the train pool (all of them the
unlabeled set, ``n_labeled`` of them, class-balanced, the labeled set) and the next ``val``
images are the validation set. The official test images live behind a separate call,
:meth:`MnistSource.load_test`, which only retraining makes: :class:`SearchData` has no
field that could hold them, so no search can read the test set by accident.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

__all__ = [
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

IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049
IMAGE_SIDE = 28
N_CLASSES = 10

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
NPZ_FILE = "mnist.npz"


class DataError(ValueError):
    """Raised when the data folder is missing, incomplete or corrupt."""


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

    x: np.ndarray
    y: np.ndarray


# --- IDX parsing -------------------------------------------------------------------------


def _read_gz(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise DataError(f"missing MNIST file {path}") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"corrupt MNIST file {path}: {exc}") from None


def _parse_idx(raw: bytes, magic: int, path: Path) -> np.ndarray:
    ndim = 3 if magic == IMAGE_MAGIC else 1
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(f"corrupt MNIST file {path}: only {len(raw)} bytes")
    header = np.frombuffer(raw[:header_len], dtype=">u4")
    if int(header[0]) != magic:
        raise DataError(
            f"corrupt MNIST file {path}: magic number {int(header[0])}, expected {magic}"
        )
    shape = tuple(int(v) for v in header[1:])
    if ndim == 3 and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"corrupt MNIST file {path}: images are {shape[1:]}, expected 28x28")
    expected = int(np.prod(shape))
    if len(raw) - header_len != expected:
        raise DataError(
            f"corrupt MNIST file {path}: header promises {expected} bytes of data, "
            f"file holds {len(raw) - header_len}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape)


def _check_pair(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{where}: images have shape {images.shape}, expected (n, 28, 28)")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{where}: {images.shape[0]} images but {labels.shape[0]} labels"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES):
        raise DataError(f"{where}: labels outside 0..9")


def _to_float(images: np.ndarray) -> np.ndarray:
    # NHWC float32 in [0, 1], the layout every Keras conv layer here expects.
    return (images.astype(np.float32) / 255.0)[..., None]


# --- sources -----------------------------------------------------------------------------


class MnistSource:
    """MNIST from a folder (IDX ``.gz`` files or keras's ``mnist.npz``) or from keras.

    Train and test are read by separate methods so that the test files are never opened
    by a search.

    Args:
        data_dir: Folder holding the data, or ``None`` for ``keras.datasets.mnist``.
    """

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        # The format is fixed by the training files, so a missing test file is reported as
        # such rather than sending load_test to another format.
        self._load = self._load_keras
        if data_dir is not None:
            if not data_dir.is_dir():
                raise DataError(f"MNIST folder {data_dir} does not exist")
            if (data_dir / IDX_FILES["train_images"]).exists():
                self._load = self._load_idx
            elif (data_dir / NPZ_FILE).exists():
                self._load = self._load_npz
            else:
                raise DataError(
                    f"MNIST folder {data_dir} holds neither {IDX_FILES['train_images']} "
                    f"nor {NPZ_FILE}"
                )

    def describe(self) -> str:
        return str(self.data_dir) if self.data_dir else "keras.datasets.mnist"

    def load_train(self) -> tuple[np.ndarray, np.ndarray]:
        """Returns the 60,000 training images (uint8, ``(n, 28, 28)``) and labels."""
        return self._checked("train")

    def load_test(self) -> tuple[np.ndarray, np.ndarray]:
        """Returns the official test images and labels. Only retraining calls this."""
        return self._checked("test")

    def _checked(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self._load(part)
        _check_pair(images, labels, f"{self.describe()} ({part})")
        return images, labels

    def _load_keras(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        import keras

        try:
            train, test = keras.datasets.mnist.load_data()
        except Exception as exc:  # keras raises a bare Exception when offline
            raise DataError(
                f"no --data-dir or $MNIST_DIR, and downloading MNIST failed ({exc}); "
                "point --data-dir or MNIST_DIR at the four MNIST .gz files"
            ) from None
        return train if part == "train" else test

    def _load_idx(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        images_path = self.data_dir / IDX_FILES[f"{part}_images"]  # type: ignore[operator]
        labels_path = self.data_dir / IDX_FILES[f"{part}_labels"]  # type: ignore[operator]
        return (
            _parse_idx(_read_gz(images_path), IMAGE_MAGIC, images_path),
            _parse_idx(_read_gz(labels_path), LABEL_MAGIC, labels_path),
        )

    def _load_npz(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        path = self.data_dir / NPZ_FILE  # type: ignore[operator]
        try:
            # np.load reads members lazily, so loading "train" never touches the test arrays.
            with np.load(path, allow_pickle=False) as archive:
                return np.asarray(archive[f"x_{part}"]), np.asarray(archive[f"y_{part}"])
        except (KeyError, OSError, ValueError, zlib.error) as exc:
            raise DataError(f"corrupt MNIST file {path}: {exc}") from None


def resolve_source(data_dir: str | os.PathLike[str] | None) -> MnistSource:
    """Picks the data source: ``data_dir``, else ``$MNIST_DIR``, else keras's downloader."""
    chosen = data_dir if data_dir else os.environ.get("MNIST_DIR") or None
    return MnistSource(Path(chosen).expanduser() if chosen else None)


# --- the split ---------------------------------------------------------------------------


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

