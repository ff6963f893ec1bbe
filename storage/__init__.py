"""Storage: study databases (any SQLAlchemy URL, SQLite by default) and retrain results."""

from storage.results import RETRAIN_TABLE, RetrainRun, RetrainStore
from storage.urls import (
    DEFAULT_STORAGE,
    StorageError,
    check_folder,
    create_engine,
    files_dir,
    mask_url,
    open_storage,
    parse_storage_url,
    require_database,
    sqlite_path,
)

__all__ = [
    "DEFAULT_STORAGE",
    "RETRAIN_TABLE",
    "RetrainRun",
    "RetrainStore",
    "StorageError",
    "check_folder",
    "create_engine",
    "files_dir",
    "mask_url",
    "open_storage",
    "parse_storage_url",
    "require_database",
    "sqlite_path",
]
