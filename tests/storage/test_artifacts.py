"""Files recorded relative to their database, and uploaded where optuna-dashboard finds them."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.artifacts import get_all_artifact_meta

from storage import open_storage
from storage.artifacts import artifact_store, record_file, resolve_file, upload_to_study


def test_paths_travel_with_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'studies.db'}"
    inside = tmp_path / "db" / "studies-files" / "artifacts" / "grid.png"
    outside = tmp_path / "elsewhere.png"
    assert record_file(url, inside) == "studies-files/artifacts/grid.png"
    assert record_file(url, outside) == str(outside)
    moved = f"sqlite:///{tmp_path / 'copy' / 'studies.db'}"
    assert resolve_file(moved, "studies-files/artifacts/grid.png") == (
        tmp_path / "copy" / "studies-files" / "artifacts" / "grid.png")
    assert resolve_file(moved, str(outside)) == outside


def test_retrain_file_goes_to_its_source_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    optuna.create_study(storage=open_storage(url), study_name="gan-tpe")
    grid = tmp_path / "grid.png"
    grid.write_bytes(b"\x89PNG\r\n\x1a\n")
    artifact_id = upload_to_study(url, "gan-tpe", grid)
    assert artifact_id is not None
    assert artifact_store(url).open_reader(artifact_id).read() == grid.read_bytes()
    study = optuna.load_study(study_name="gan-tpe", storage=open_storage(url))
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [artifact_id]
    assert upload_to_study(url, "gan-reference", grid) is None  # no search behind it
