"""Storage URLs: validation before anything is created, password masking, Optuna storage.

Any SQLAlchemy URL works; ``sqlite:///studies.db`` (in the working directory) is the
default. SQLite connections get WAL journaling, a busy timeout, and a write lock taken at
BEGIN, so that several worker processes on one machine queue for the lock instead of
failing, and never both take the same enqueued trial.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "DEFAULT_STORAGE",
    "StorageError",
    "create_engine",
    "engine_kwargs",
    "files_dir",
    "mask_url",
    "open_storage",
    "parse_storage_url",
    "read_storage",
    "sqlite_path",
]

DEFAULT_STORAGE = "sqlite:///studies.db"
SQLITE_BUSY_TIMEOUT_S = 60


class StorageError(ValueError):
    """Raised for a malformed, unreachable or unwritable storage URL."""


def parse_storage_url(url: str) -> URL:
    """Parses ``url`` and checks it can be used, creating nothing.

    Raises:
        StorageError: On a malformed URL, an unknown driver, or a SQLite file whose folder
            does not exist or is not writable.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StorageError(f"malformed storage URL {url!r}: {exc}") from None
    try:
        parsed.get_dialect()
    except Exception as exc:  # SQLAlchemy raises NoSuchModuleError or ImportError
        raise StorageError(
            f"storage URL {mask_url(url)}: no database driver for "
            f"{parsed.drivername!r} ({exc})"
        ) from None
    path = sqlite_path(parsed)
    if path is not None:
        folder = path.parent
        if not folder.is_dir():
            raise StorageError(f"storage folder {folder} does not exist")
        target = path if path.exists() else folder
        if not os.access(target, os.W_OK):
            raise StorageError(f"storage {path} is not writable")
    return parsed


def require_database(url: str) -> URL:
    """Checks that ``url`` names an existing, non-empty database before reading it.

    Commands that only read (retrain, analysis) must not turn a missing or empty SQLite
    file into a database, so they stop here first.

    Raises:
        StorageError: If the URL is unusable, or its SQLite file is missing or empty.
    """
    parsed = parse_storage_url(url)
    path = sqlite_path(parsed)
    if path is not None and not path.exists():
        raise StorageError(f"no study database at {path}; run a search first")
    if path is not None and path.stat().st_size == 0:
        raise StorageError(f"no Optuna studies in {mask_url(url)} (an empty file); "
                           "run a search first")
    return parsed


def has_studies(url: str) -> bool:
    """Whether the database holds Optuna's tables (a retrain-only one does not)."""
    engine = create_engine(url)
    try:
        return sqlalchemy.inspect(engine).has_table("studies")
    finally:
        engine.dispose()


def sqlite_path(url: URL) -> Path | None:
    """The database file of a file-backed SQLite URL, else ``None``."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()


def files_dir(url: str | URL) -> Path:
    """Folder for files that belong with a study database (pretraining cache, artifacts):
    ``<name>-files`` beside a SQLite file, else ``ssl-hpo-files`` in the working directory."""
    parsed = make_url(url) if isinstance(url, str) else url
    path = sqlite_path(parsed)
    return path.with_name(f"{path.stem}-files") if path is not None else Path("ssl-hpo-files")


def mask_url(url: str | URL) -> str:
    """The URL with any password replaced by ``***``, for every printed line."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):
        return "<unparseable storage URL>"
    return parsed.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own deferred BEGIN is switched off: _begin_immediate issues the BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def _begin_immediate(connection: sqlalchemy.Connection) -> None:
    # A deferred transaction reads without a lock, so two workers can both read a trial as
    # WAITING and both mark it RUNNING: Optuna's row lock (SELECT ... FOR UPDATE) does not
    # exist in SQLite. Taking the write lock at BEGIN makes every read-then-write atomic;
    # the busy timeout turns the wait for it into a queue, not an error.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def serialize_sqlite(engine: sqlalchemy.Engine) -> None:
    """Gives every connection of a SQLite ``engine`` WAL, a busy timeout and BEGIN IMMEDIATE.

    Connections already pooled are dropped, so the settings hold for all that follow.
    """
    sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
    sqlalchemy.event.listen(engine, "begin", _begin_immediate)
    engine.dispose()


def engine_kwargs(url: URL) -> dict[str, Any]:
    """Engine options for ``url``: a busy timeout on SQLite, liveness checks elsewhere."""
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    return {"pool_pre_ping": True}


def create_engine(url: str) -> sqlalchemy.Engine:
    """A SQLAlchemy engine with this project's connection settings."""
    parsed = parse_storage_url(url)
    engine = sqlalchemy.create_engine(parsed, **engine_kwargs(parsed))
    if parsed.get_backend_name() == "sqlite":
        serialize_sqlite(engine)
    return engine


def open_storage(
    url: str,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    max_retry: int = 2,
) -> optuna.storages.RDBStorage:
    """Opens (creating if needed) Optuna's RDB storage at ``url``.

    Args:
        url: SQLAlchemy URL.
        heartbeat_interval: Seconds between a running trial's heartbeats; ``None`` turns
            crash detection off. With it on, a trial whose worker died (no heartbeat for
            ``grace_period`` seconds) is marked failed by the next worker to start a trial
            and re-enqueued with the same parameters (at most ``max_retry`` times).
        grace_period: Seconds without heartbeat before a trial counts as dead.
        max_retry: Re-runs of a dead trial.

    Raises:
        StorageError: If the URL is unusable or the database cannot be reached.
    """
    parsed = parse_storage_url(url)
    try:
        if sqlite_path(parsed) is not None:
            # WAL is a property of the file: switching it on once, before Optuna creates
            # its schema, makes every later connection (Optuna's own included) use it.
            engine = create_engine(url)
            with engine.connect():
                pass
            engine.dispose()
        with warnings.catch_warnings():
            # Heartbeats have been "experimental" since Optuna 2.8; the crash recovery of
            # every worker rests on them, so the warning would only repeat in every log.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # The re-run keeps the killed trial's reports: it resumes from its checkpoint
            # and the pruner keeps judging it on the whole curve.
            retry = (optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=max_retry, inherit_intermediate_values=True)
                if heartbeat_interval else None)
            storage = optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs(parsed),
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=retry,
            )
        if sqlite_path(parsed) is not None:  # not in memory: dispose() would drop it
            # Workers pop enqueued trials through this engine: see _begin_immediate.
            serialize_sqlite(storage.engine)
        return storage
    except Exception as exc:  # connection refused, bad credentials, not a database, ...
        raise StorageError(f"cannot open storage {mask_url(url)}: {first_line(exc)}") from None


def read_storage(url: str) -> optuna.storages.RDBStorage | None:
    """Optuna's storage at ``url``, to read; ``None`` for a database without Optuna's tables.

    Raises:
        StorageError: If the database is missing or cannot be read.
    """
    require_database(url)
    try:
        if not has_studies(url):
            return None
        # Reading must not create or migrate anything, hence skip_table_creation.
        return optuna.storages.RDBStorage(url, skip_table_creation=True)
    except Exception as exc:  # unreachable server, bad credentials, not a database ...
        raise StorageError(f"cannot read storage {mask_url(url)}: {first_line(exc)}") from None


def first_line(exc: BaseException) -> str:
    """The first line of an error: drivers add hints and links on the lines below."""
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
