"""Files that belong to trials and retrain runs: where they live and how they travel.

Paths recorded in the database are relative to the database's folder, so a database that
is copied or committed together with its ``<name>-files/`` folder keeps working links.
Sample grids are also uploaded to an Optuna artifact store beside the database
(``<name>-files/artifact-store``), which optuna-dashboard serves with ``--artifact-dir``.
"""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.artifacts import FileSystemArtifactStore, upload_artifact

from storage.urls import files_dir, has_studies

__all__ = ["artifact_store", "database_folder", "record_file", "resolve_file", "upload",
           "upload_to_study"]


def database_folder(url: str) -> Path:
    """The folder relative paths are recorded against: the SQLite file's folder, else the
    working directory (server databases keep their files in ``ssl-hpo-files/``)."""
    return files_dir(url).resolve().parent


def artifact_store(url: str) -> FileSystemArtifactStore:
    """The Optuna artifact store beside the database (created on first use)."""
    folder = files_dir(url) / "artifact-store"
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(folder))


def record_file(url: str, path: Path) -> str:
    """``path`` as recorded in the database: relative to the database's folder if inside."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(database_folder(url)))
    except ValueError:
        return str(path)


def resolve_file(url: str, recorded: str) -> Path:
    """A recorded path back as a path on this machine (absolute ones stay as they are)."""
    path = Path(recorded)
    return path if path.is_absolute() else database_folder(url) / path


def upload(url: str, trial: optuna.Trial, path: Path) -> str:
    """Uploads ``path`` as an artifact of ``trial``; returns the artifact id."""
    return upload_artifact(artifact_store=artifact_store(url), file_path=str(path),
                           study_or_trial=trial)


def upload_to_study(url: str, study_name: str, path: Path) -> str | None:
    """Uploads ``path`` as an artifact of the study ``study_name`` (a retrain run's file
    goes to the study its configuration came from); ``None`` if there is no such study."""
    if not has_studies(url):  # a retrain-only database
        return None
    storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None
    return upload_artifact(artifact_store=artifact_store(url), file_path=str(path),
                           study_or_trial=study)
