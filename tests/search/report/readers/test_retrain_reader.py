"""Tests of ``search.report.readers.retrain_reader``: stored retrain runs as the report's rows."""

from __future__ import annotations

from pathlib import Path

import optuna

from search.report.readers.study_reader import write_tables
from search.report.readers.retrain_reader import retrain_rows
from search.running.study import study_tags
from storage import RetrainRun, RetrainStore, open_storage


def test_a_stored_run_that_repeats_the_search_run_is_left_out(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="gan-tpe")
    for key, value in study_tags("gan", "tpe", "hyperband", "final", 100, 0, 0).items():
        study.set_user_attr(key, value)
    store = RetrainStore(url)
    for seed, errors in enumerate([90, 110, 120, 130]):
        store.add(RetrainRun("gan-tpe", "gan", 3, {}, "final", 100, seed, 0, False, 0.99,
                             1 - errors / 10_000, errors, 10_000, 5, 1.0))
    # Seed 0 on data seed 0, at `final`, is trial 3's own search run: it is left out.
    (row,) = retrain_rows(url, ["gan-tpe"])
    assert row.errors == (110, 120, 130) and row.runs == 3 and row.search_repeats == 1
    assert row.test_errors_mean == 120.0
    assert "1 stored run(s) left out" in write_tables(tmp_path / "out", [], [row])


def test_a_group_names_the_selection_its_runs_followed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = RetrainStore(url)
    for trial, notes in ((1, {"selected_at": "final"}), (1, {"selected_at": "final"}),
                         (2, {"selected_at": "select"}), (2, {})):
        store.add(RetrainRun("ae", "autoencoder", trial, {}, "final", 100, len(store.runs()),
                             0, False, 0.9, 0.9, 1000, 10_000, 5, 1.0, notes=notes))
    rows = {row.trial: row for row in retrain_rows(url, ["ae"])}
    # Trial 2's runs disagree (one made before runs recorded it): no selection is named.
    assert rows[1].selected_at == "final" and rows[2].selected_at is None
