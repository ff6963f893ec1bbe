"""Pretrained-encoder cache: trials that share pretraining parameters share the weights.

Entries are keyed by a hash of everything pretraining depends on (method, pretraining
parameters, data seed, model seed, budget) and written atomically, so a crash never
leaves half an entry; an entry that fails to load is deleted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras

__all__ = ["PretrainCache", "cache_key"]


def cache_key(payload: Mapping[str, Any]) -> str:
    """A stable hash of ``payload`` (JSON with sorted keys)."""
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class PretrainCache:
    """Encoder weights on disk, one ``<key>.weights.h5`` file per entry.

    Args:
        folder: Where entries live (created on first write).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.weights.h5"

    def load(self, key: str, model: keras.Model) -> bool:
        """Loads entry ``key`` into ``model``; ``False`` on a miss or a corrupt entry."""
        path = self.path(key)
        if not path.exists():
            return False
        try:
            model.load_weights(path)
        except Exception:  # truncated file, wrong shapes, not HDF5: rebuild it
            path.unlink(missing_ok=True)
            return False
        return True

    def store(self, key: str, model: keras.Model,
              meta: Mapping[str, Any] | None = None) -> None:
        """Writes ``model``'s weights as entry ``key``, and ``meta`` (what the pretraining
        cost: epochs, steps) beside them, each atomically; the metadata first, so an entry
        whose weights exist always has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._atomic(self.path(key).with_suffix("").with_suffix(".json"),
                     lambda tmp: Path(tmp).write_text(json.dumps(dict(meta or {}))), ".json")
        self._atomic(self.path(key), model.save_weights, ".weights.h5")

    def meta(self, key: str) -> dict[str, Any]:
        """The metadata stored with entry ``key``; empty for entries written without it."""
        path = self.path(key).with_suffix("").with_suffix(".json")
        try:
            return dict(json.loads(path.read_text()))
        except (OSError, ValueError):
            return {}

    def _atomic(self, target: Path, write: Any, suffix: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=suffix)
        os.close(fd)
        try:
            write(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
