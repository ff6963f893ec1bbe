"""Reading and checking the MNIST files."""

from __future__ import annotations

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from objectives.data import (
    DataError,
    MnistSource,
    Split,
    make_search_data,
    resolve_source,
)
from tests.conftest import synthetic_images, write_idx


def test_loader_reads_canonical_files(mnist_dir: Path) -> None:
    source = MnistSource(mnist_dir)
    x, y = source.load_train()
    assert x.shape == (60_000, 28, 28) and x.dtype == np.uint8 and y.shape == (60_000,)
    tx, ty = source.load_test()
    assert tx.shape == (10_000, 28, 28) and ty.shape == (10_000,)


def test_search_never_opens_test_files(mnist_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "no-test"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_dir / name, folder / name)
    source = MnistSource(folder)
    x, y = source.load_train()
    make_search_data(x, y, 100, 0)
    with pytest.raises(DataError, match="missing MNIST file"):
        source.load_test()


def test_npz_is_accepted(tmp_path: Path) -> None:
    labels = (np.arange(700) % 10).astype(np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=synthetic_images(labels), y_train=labels,
             x_test=synthetic_images(labels[:50]), y_test=labels[:50])
    source = MnistSource(tmp_path)
    x, y = source.load_train()
    assert x.shape == (700, 28, 28)
    data = make_search_data(x, y, 20, 0, Split(pool=600, val=100))
    assert data.n_labeled == 20 and data.val_x.shape[0] == 100
    assert source.load_test()[0].shape == (50, 28, 28)


def _write_gz(path: Path, payload: bytes) -> None:
    with gzip.open(path, "wb") as handle:
        handle.write(payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (struct.pack(">IIII", 2049, 10, 28, 28) + bytes(7840), "magic number 2049"),
        (struct.pack(">IIII", 2051, 10, 28, 28) + bytes(100), "header promises"),
        (struct.pack(">IIII", 2051, 10, 27, 28) + bytes(7560), "expected 28x28"),
        (b"\x00\x00", "only 2 bytes"),
    ],
)
def test_corrupt_idx_is_refused(tmp_path: Path, payload: bytes, message: str) -> None:
    write_idx(tmp_path, 20, 10)
    _write_gz(tmp_path / "train-images-idx3-ubyte.gz", payload)
    with pytest.raises(DataError, match=message):
        MnistSource(tmp_path).load_train()


def test_not_gzip_and_count_mismatch_are_refused(tmp_path: Path) -> None:
    write_idx(tmp_path, 20, 10)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="corrupt MNIST file"):
        MnistSource(tmp_path).load_test()
    _write_gz(tmp_path / "train-labels-idx1-ubyte.gz", struct.pack(">II", 2049, 5) + bytes(5))
    with pytest.raises(DataError, match="20 images but 5 labels"):
        MnistSource(tmp_path).load_train()


def test_missing_folder_and_env_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="does not exist"):
        MnistSource(tmp_path / "nope")
    with pytest.raises(DataError, match="holds neither"):
        MnistSource(tmp_path)
    write_idx(tmp_path / "env", 20, 10)
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "env"))
    assert resolve_source(None).data_dir == tmp_path / "env"
    assert resolve_source(str(tmp_path / "env")).data_dir == tmp_path / "env"
    monkeypatch.delenv("MNIST_DIR")
    assert resolve_source(None).data_dir is None


def test_offline_download_failure_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    def offline() -> None:
        raise Exception("URL fetch failure: Name or service not known")

    # Never the network: the download itself is replaced by a failing stand-in.
    monkeypatch.delenv("MNIST_DIR", raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataError, match="downloading MNIST failed"):
        resolve_source(None).load_train()
