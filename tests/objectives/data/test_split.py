"""The fixed split and the balanced labeled draw."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from objectives.data import (
    DataError,
    MnistSource,
    SearchData,
    Split,
    balanced_indices,
    make_search_data,
)
from tests.conftest import synthetic_images


def test_split_is_balanced_disjoint_and_deterministic(mnist_dir: Path) -> None:
    x, y = MnistSource(mnist_dir).load_train()
    data = make_search_data(x, y, 100, data_seed=3)
    assert np.bincount(data.labeled_y, minlength=10).tolist() == [10] * 10
    assert data.unlabeled_x.shape == (50_000, 28, 28, 1)
    assert data.val_x.shape == (10_000, 28, 28, 1)
    assert data.labeled_x.dtype == np.float32
    assert 0.0 <= data.unlabeled_x.min() and data.unlabeled_x.max() <= 1.0
    np.testing.assert_array_equal(data.val_y, y[50_000:60_000])
    # Labeled images come from the pool, never from validation.
    idx = balanced_indices(y[:50_000], 100, 3)
    assert idx.max() < 50_000
    np.testing.assert_array_equal(data.labeled_x, data.unlabeled_x[idx])
    again = make_search_data(x, y, 100, data_seed=3)
    np.testing.assert_array_equal(again.labeled_y, data.labeled_y)
    np.testing.assert_array_equal(again.labeled_x, data.labeled_x)
    other = balanced_indices(y[:50_000], 100, 4)
    assert not np.array_equal(other, idx)


def test_search_data_has_no_test_field() -> None:
    names = {f.name for f in dataclasses.fields(SearchData)}
    assert not any("test" in name for name in names)


def test_split_needs_enough_images_and_valid_label_counts(tmp_path: Path) -> None:
    labels = (np.arange(100) % 10).astype(np.uint8)
    images = synthetic_images(labels)
    with pytest.raises(DataError, match="split needs 60000"):
        make_search_data(images, labels, 100, 0)
    with pytest.raises(DataError, match="multiple of 10"):
        make_search_data(images, labels, 15, 0, Split(pool=80, val=20))
    with pytest.raises(DataError, match="class 0 has 8"):
        make_search_data(images, labels, 90, 0, Split(pool=80, val=20))
