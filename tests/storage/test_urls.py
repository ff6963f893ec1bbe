from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy

from storage import StorageError, mask_url, open_storage, parse_storage_url, sqlite_path


def test_malformed_and_driverless_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="malformed storage URL"):
        parse_storage_url("not a url")
    with pytest.raises(StorageError, match="no database driver"):
        parse_storage_url("nosuchdb://u:secret@host/db")
    assert not list(tmp_path.iterdir())


def test_missing_or_unwritable_sqlite_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        parse_storage_url(f"sqlite:///{tmp_path / 'nope' / 'x.db'}")
    # Root ignores permission bits, so the answer of os.access is what gets faked.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(StorageError, match="not writable"):
        parse_storage_url(f"sqlite:///{tmp_path / 'x.db'}")
    assert not (tmp_path / "x.db").exists()


def test_password_is_masked() -> None:
    masked = mask_url("postgresql://alice:s3cret@db.example:5432/optuna")
    assert "s3cret" not in masked and "***" in masked and "alice" in masked
    assert "<unparseable" in mask_url("::::")


def test_sqlite_storage_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    open_storage(f"sqlite:///{path}")
    assert sqlite_path(parse_storage_url(f"sqlite:///{path}")) == path.resolve()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
