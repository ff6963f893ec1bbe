from __future__ import annotations

from pathlib import Path

import pytest

from storage import RETRAIN_TABLE, RetrainRun, RetrainStore


def _run(**overrides: object) -> RetrainRun:
    base = dict(study_name="s", method="supervised", source_trial=3, params={"a": 1},
                profile="smoke", n_labeled=100, seed=0, data_seed=0, vary_labeled=False,
                val_accuracy=0.9, test_accuracy=0.91, test_errors=900, test_size=10_000,
                epochs=4, seconds=1.5)
    base.update(overrides)
    return RetrainRun(**base)  # type: ignore[arg-type]  # a dict of mixed values


def test_store_round_trip_and_filters(tmp_path: Path) -> None:
    store = RetrainStore(f"sqlite:///{tmp_path / 'r.db'}")
    assert store.runs() == []  # reading never creates the table
    store.add(_run())
    store.add(_run(method="gan", study_name="g", seed=1))
    rows = store.runs()
    assert [r["method"] for r in rows] == ["supervised", "gan"]
    assert rows[0]["params"] == {"a": 1} and rows[0]["test_errors"] == 900
    assert [r["seed"] for r in store.runs(method="gan")] == [1]
    assert [r["method"] for r in store.runs(study_name="s")] == ["supervised"]


def test_find_matches_configuration_seeds_and_budget(tmp_path: Path) -> None:
    store = RetrainStore(f"sqlite:///{tmp_path / 'r.db'}")
    store.add(_run(budget="aaa"))
    assert store.find(_run(budget="aaa", test_errors=-1)) is not None
    # A retuned profile keeps its name but not its fingerprint: its runs are new runs.
    assert store.find(_run(budget="bbb")) is None
    assert store.find(_run(budget="aaa", seed=1)) is None
    assert store.find(_run(budget="aaa", params={"a": 2})) is None


def test_a_worker_that_loses_the_create_race_goes_on(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Two retrain workers store their first runs at once: both see no table, one CREATE
    # wins, the other's fails with "table already exists". The loser must carry on.
    url = f"sqlite:///{tmp_path / 'r.db'}"
    winner, loser = RetrainStore(url), RetrainStore(url)
    winner.ensure_schema()

    def create_blindly() -> None:  # what the loser does, having looked before the winner
        with loser.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE TABLE {RETRAIN_TABLE.name} (id INTEGER)")

    monkeypatch.setattr(loser, "_create_or_upgrade", create_blindly)
    loser.ensure_schema()  # no exception: the table the winner made is complete
    monkeypatch.undo()
    loser.add(_run())
    assert len(winner.runs()) == 1
