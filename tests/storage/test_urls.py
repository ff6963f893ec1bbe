from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import optuna
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


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    # Two workers reading one WAITING trial inside deferred transactions could both mark it
    # RUNNING; with the lock taken at BEGIN, a second transaction cannot even start.
    storage = open_storage(f"sqlite:///{tmp_path / 'l.db'}")
    blocked = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'l.db'}",
                                       connect_args={"timeout": 0.1})
    with storage.engine.connect() as holder:
        holder.exec_driver_sql("SELECT count(*) FROM trials").scalar()
        with blocked.connect() as other, pytest.raises(sqlalchemy.exc.OperationalError,
                                                       match="locked"):
            other.exec_driver_sql("BEGIN IMMEDIATE")
    blocked.dispose()


def _pop_all(url: str, study_name: str, out: Any) -> None:
    study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    popped = []
    while (trial_id := study._pop_waiting_trial_id()) is not None:
        popped.append(trial_id)
    out.put(popped)


def test_workers_never_pop_the_same_enqueued_trial(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    for x in range(40):
        study.enqueue_trial({"x": x})
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_pop_all, args=(url, "s", out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    popped = [trial_id for _ in workers for trial_id in out.get(timeout=120)]
    for worker in workers:
        worker.join()
    assert sorted(popped) == sorted(t._trial_id for t in study.get_trials())
