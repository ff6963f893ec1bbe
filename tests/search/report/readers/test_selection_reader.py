"""Selection runs read back for the report: grouped per candidate; the choice a finished
selection recorded, a legacy selection's best mean once a retrain followed it, and nothing
chosen while a selection's runs are still training."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from search.report.readers.selection_reader import mark_checks, selection_groups
from storage import SelectionRun, SelectionStore, open_storage
from storage.selection import SELECTIONS_ATTR, record_selection


def _run(trial: int, seed: int, acc: float, study: str = "gan-tpe", profile: str = "select",
         notes: dict | None = None) -> SelectionRun:
    return SelectionRun(study_name=study, method="gan", source_trial=trial,
                        params={"learning_rate": 1e-3 * (trial + 1)}, profile=profile,
                        budget="abc", n_labeled=100, data_seed=0, seed=1000 + seed,
                        val_accuracy=acc, epochs=30, seconds=1800.0, notes=notes or {})


def _study(url: str, name: str = "gan-tpe", trials: int = 0) -> optuna.Study:
    study = optuna.create_study(study_name=name, storage=url, direction="maximize")
    # As a search enqueues the paper setting: trial 0, tagged; the others proposals.
    if trials:
        study.enqueue_trial({}, user_attrs={"reference": True})
        study.optimize(lambda trial: 0.9, n_trials=trials)
    return study


def test_a_legacy_selection_a_retrain_followed_chose_its_best_mean(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = _study(url)
    store = SelectionStore(url)
    # Trial 3 led the search with one lucky seed; trial 5 has the better mean.
    for seed, acc in enumerate([0.95, 0.90, 0.91]):
        store.add(_run(3, seed, acc, notes={"steps": 15_000}))
    for seed, acc in enumerate([0.94, 0.94, 0.95]):
        store.add(_run(5, seed, acc, notes={"steps": 14_000, "pretrain_steps": 2_000}))
    # Another selection (other profile) and a study not asked for.
    store.add(_run(3, 0, 0.5, profile="final"))
    store.add(_run(9, 0, 0.99, study="other"))
    groups = selection_groups(url, [study], retrained={("gan-tpe", 5)})
    by_key = {(g.trial, g.profile): g for g in groups}
    assert set(by_key) == {(3, "select"), (5, "select"), (3, "final")}
    three, five = by_key[(3, "select")], by_key[(5, "select")]
    assert three.accuracies == (0.95, 0.90, 0.91) and not three.chosen
    assert five.chosen and five.summary.mean == pytest.approx(0.94333, abs=1e-5)
    assert three.seconds == 5400.0 and three.steps == 15_000 and five.steps == 16_000
    assert not (three.pending or five.pending)
    # The other profile's selection: trial 3 alone, never retrained, nor recorded.
    assert by_key[(3, "final")].pending and not by_key[(3, "final")].chosen


def test_a_selection_in_progress_chooses_nothing_until_it_records_its_choice(
    tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = _study(url, trials=3)
    store = SelectionStore(url)
    # The reference's 2 runs are in, the rival's first is not: the best mean so far is
    # the reference's, which is no choice yet.
    store.add(_run(0, 0, 0.98))
    store.add(_run(0, 1, 0.97))
    store.add(_run(1, 0, 0.96))
    groups = selection_groups(url, [study])
    assert all(g.pending and not g.chosen for g in groups)
    # Finished: the command recorded trial 1, not the reference, whatever the means say.
    store.add(_run(1, 1, 0.99))
    # What the command records from: its planned runs (their key and studies).
    planned = [_run(trial, seed, 0.0) for trial in (0, 1) for seed in (0, 1)]
    record_selection(open_storage(url), planned, [("gan-tpe", 1)])
    study = optuna.load_study(study_name="gan-tpe", storage=url)
    groups = selection_groups(url, [study])
    assert {g.trial: (g.chosen, g.pending) for g in groups} == {0: (False, False),
                                                               1: (True, False)}
    # A rerun of the same selection replaces its record; another selection adds its own.
    record_selection(open_storage(url), planned, [("gan-tpe", 0)])
    record_selection(open_storage(url), [_run(1, 0, 0.9, profile="final")], [("gan-tpe", 1)])
    study = optuna.load_study(study_name="gan-tpe", storage=url)
    assert [(e["profile"], e["chosen"]) for e in study.user_attrs[SELECTIONS_ATTR]] == [
        ("select", [["gan-tpe", 0]]), ("final", [["gan-tpe", 1]])]
    assert {g.trial for g in selection_groups(url, [study]) if g.chosen} == {0}


def test_no_selection_table_means_no_groups(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert selection_groups(url, [_study(url)]) == []


def test_the_selection_the_retrains_followed_is_real_and_the_others_are_checks(
    tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = SelectionStore(url)
    for profile, trial, acc in (("select", 3, 0.90), ("select", 5, 0.80),
                                ("final", 3, 0.91), ("final", 5, 0.95)):
        store.add(_run(trial, 0, acc, profile=profile))
    groups = selection_groups(url, [_study(url)], retrained={("gan-tpe", 3), ("gan-tpe", 5)})

    def marks(*args: str | None) -> dict:
        return {(g.trial, g.profile): (g.chosen, g.check) for g in mark_checks(groups, *args)}

    # Retrains that recorded no selection: the cheaper one is taken as real, the
    # selection at the retrains' own profile as its check.
    assert marks("final") == {(3, "select"): (True, False), (5, "select"): (False, False),
                              (3, "final"): (False, True), (5, "final"): (False, True)}
    assert marks("final", None) == marks("final")
    # Retrains that followed the selection at `final` make the cheaper one the check.
    assert marks("final", "final") == {
        (3, "select"): (False, True), (5, "select"): (False, True),
        (3, "final"): (False, False), (5, "final"): (True, False)}
    # A single selection, at the retrains' profile or not, is never a check.
    alone = [g for g in groups if g.profile == "select"]
    assert not any(g.check for g in mark_checks(alone, "final", "select"))
    assert not any(g.check for g in mark_checks(alone, "final"))
    assert mark_checks(groups, None) == groups


def test_the_searchs_enqueued_reference_is_marked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = _study(url, trials=2)
    store = SelectionStore(url)
    for trial in (0, 1):
        store.add(_run(trial, 0, 0.9 + trial / 100))
    # An ablation's runs sit under a name that is no study: never read as a selection.
    store.add(_run(0, 0, 0.8, study="gan-tpe-ablation"))
    groups = selection_groups(url, [study])
    assert {(g.study, g.trial): g.reference for g in groups} == {
        ("gan-tpe", 0): True, ("gan-tpe", 1): False}
