"""Data processing, the files: MNIST read from its IDX ``.gz`` files, keras's ``mnist.npz``
or keras's downloader, and checked, so that missing or corrupt data is one clear error."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_SIDE", "N_CLASSES", "DataError", "MnistSource", "resolve_source"]

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
        assert self.data_dir is not None  # only a folder source reads files
        images_path = self.data_dir / IDX_FILES[f"{part}_images"]
        labels_path = self.data_dir / IDX_FILES[f"{part}_labels"]
        return (
            _parse_idx(_read_gz(images_path), IMAGE_MAGIC, images_path),
            _parse_idx(_read_gz(labels_path), LABEL_MAGIC, labels_path),
        )

    def _load_npz(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        assert self.data_dir is not None  # only a folder source reads files
        path = self.data_dir / NPZ_FILE
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

