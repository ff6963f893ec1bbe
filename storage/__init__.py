"""Storage: study databases (any SQLAlchemy URL, SQLite by default), retrain results, the
selection runs that pick what is retrained, and the checks of every path flag."""

from storage.paths import (
    PATH_CHECKS,
    check_file_to_append,
    check_file_to_read,
    check_folder,
    check_folder_to_read,
    check_paths,
)
from storage.results import RETRAIN_TABLE, RetrainRun, RetrainStore, RunStore
from storage.selection import SELECTION_TABLE, SelectionRun, SelectionStore
from storage.urls import (
    DEFAULT_STORAGE,
    StorageError,
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
    "PATH_CHECKS",
    "RETRAIN_TABLE",
    "RetrainRun",
    "RetrainStore",
    "RunStore",
    "SELECTION_TABLE",
    "SelectionRun",
    "SelectionStore",
    "StorageError",
    "check_file_to_append",
    "check_file_to_read",
    "check_folder",
    "check_folder_to_read",
    "check_paths",
    "create_engine",
    "files_dir",
    "mask_url",
    "open_storage",
    "parse_storage_url",
    "read_storage",
    "require_database",
    "sqlite_path",
]
