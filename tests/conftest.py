"""Shared fixtures: tiny synthetic MNIST-like data, never the network."""

from __future__ import annotations

import gzip
import struct
from dataclasses import replace
from pathlib import Path

from search.running.runtime import configure_tensorflow

configure_tensorflow()  # the tests run TensorFlow as the entry points do

import numpy as np
import pytest

from objectives.budget import Budget
from objectives.data import SearchData, Split, make_search_data
from objectives.profiles import get_profile

PARAMS = {
    "learning_rate": 3e-3,
    "batch_size": 32,
    "kernel_size": 3,
    "depth": 1,
    "filters": 16,
    "latent_width": 32,
    "downsample": "max_pool",
    "padding": "same",
    "dropout": 0.0,
}


def synthetic_images(labels: np.ndarray, seed: int = 0) -> np.ndarray:
    """uint8 28x28 images whose class is a bright block at a class-specific place.

    A little noise keeps them from being identical; they are easy to learn in seconds.
    """
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, size=(labels.size, 28, 28), dtype=np.uint8)
    for cls in range(10):
        row, col = divmod(cls, 4)
        images[labels == cls, 2 + 7 * row : 8 + 7 * row, 2 + 6 * col : 8 + 6 * col] = 250
    return images


def write_idx(folder: Path, n_train: int, n_test: int, seed: int = 0) -> Path:
    """Writes the four canonical MNIST ``.gz`` IDX files with synthetic content."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        np.random.default_rng(seed).shuffle(labels)
        images = synthetic_images(labels, seed)
        with gzip.open(folder / f"{part}-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        with gzip.open(folder / f"{part}-labels-idx1-ubyte.gz", "wb", compresslevel=1) as f:
            f.write(struct.pack(">II", 2049, n) + labels.tobytes())
    return folder


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the canonical counts (60,000 train, 10,000 test), synthetic pixels."""
    return write_idx(tmp_path_factory.mktemp("mnist"), 60_000, 10_000)


@pytest.fixture(scope="session")
def tiny_data() -> SearchData:
    """100 labels from a 600-image pool, 200 validation images."""
    labels = (np.arange(800) % 10).astype(np.uint8)
    np.random.default_rng(1).shuffle(labels)
    return make_search_data(synthetic_images(labels), labels, 100, 0, Split(pool=600, val=200))


@pytest.fixture()
def budget() -> Budget:
    """The smoke budget, with a few epochs so pruning and early stopping have steps."""
    return replace(get_profile("smoke"), max_epochs=3, patience=3, val_limit=None,
                   val_monitor=None, eval_batch_size=200)


@pytest.fixture()
def params() -> dict:
    return dict(PARAMS)


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    """Runs ``run_study.py`` with ``argv`` in this process: exit code, stdout, stderr."""
    from search.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
