"""Storage: study databases (any SQLAlchemy URL, SQLite by default), retrain results and
the selection runs that pick what is retrained."""

from storage.results import RETRAIN_TABLE, RetrainRun, RetrainStore, RunStore
from storage.selection import SELECTION_TABLE, SelectionRun, SelectionStore
from storage.urls import (
    DEFAULT_STORAGE,
    StorageError,
    check_folder,
    create_engine,
    files_dir,
    mask_url,
    open_storage,
    parse_storage_url,
    read_storage,
    require_database,
    sqlite_path,
)

__all__ = [
    "DEFAULT_STORAGE",
    "RETRAIN_TABLE",
    "RetrainRun",
    "RetrainStore",
    "RunStore",
    "SELECTION_TABLE",
    "SelectionRun",
    "SelectionStore",
    "StorageError",
    "check_folder",
    "create_engine",
    "files_dir",
    "mask_url",
    "open_storage",
    "parse_storage_url",
    "read_storage",
    "require_database",
    "sqlite_path",
]
