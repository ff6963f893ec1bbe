"""Selection runs read back for the report: grouped per candidate, the best mean chosen."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from search.report.readers.selection_reader import mark_checks, selection_groups
from storage import SelectionRun, SelectionStore


def _run(trial: int, seed: int, acc: float, study: str = "gan-tpe", profile: str = "select",
         notes: dict | None = None) -> SelectionRun:
    return SelectionRun(study_name=study, method="gan", source_trial=trial,
                        params={"learning_rate": 1e-3 * (trial + 1)}, profile=profile,
                        budget="abc", n_labeled=100, data_seed=0, seed=1000 + seed,
                        val_accuracy=acc, epochs=30, seconds=1800.0, notes=notes or {})


def test_groups_per_candidate_and_the_best_mean_is_chosen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = SelectionStore(url)
    # Trial 3 led the search with one lucky seed; trial 5 has the better mean.
    for seed, acc in enumerate([0.95, 0.90, 0.91]):
        store.add(_run(3, seed, acc, notes={"steps": 15_000}))
    for seed, acc in enumerate([0.94, 0.94, 0.95]):
        store.add(_run(5, seed, acc, notes={"steps": 14_000, "pretrain_steps": 2_000}))
    # Another selection (other profile) and a study not asked for.
    store.add(_run(3, 0, 0.5, profile="final"))
    store.add(_run(9, 0, 0.99, study="other"))
    groups = selection_groups(url, {"gan-tpe"})
    by_key = {(g.trial, g.profile): g for g in groups}
    assert set(by_key) == {(3, "select"), (5, "select"), (3, "final")}
    three, five = by_key[(3, "select")], by_key[(5, "select")]
    assert three.accuracies == (0.95, 0.90, 0.91) and not three.chosen
    assert five.chosen and five.summary.mean == pytest.approx(0.94333, abs=1e-5)
    assert three.seconds == 5400.0 and three.steps == 15_000 and five.steps == 16_000
    # Alone in its selection, the other profile's candidate is that selection's choice.
    assert by_key[(3, "final")].chosen


def test_no_selection_table_means_no_groups(tmp_path: Path) -> None:
    assert selection_groups(f"sqlite:///{tmp_path / 'a.db'}", {"gan-tpe"}) == []


def test_the_selection_the_retrains_followed_is_real_and_the_others_are_checks(
    tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = SelectionStore(url)
    for profile, trial, acc in (("select", 3, 0.90), ("select", 5, 0.80),
                                ("final", 3, 0.91), ("final", 5, 0.95)):
        store.add(_run(trial, 0, acc, profile=profile))
    groups = selection_groups(url, {"gan-tpe"})

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
    study = optuna.create_study(study_name="gan-tpe", storage=url, direction="maximize")
    # As a search enqueues the paper setting: trial 0, tagged; trial 1 a proposal.
    study.enqueue_trial({}, user_attrs={"reference": True})
    study.optimize(lambda trial: 0.9, n_trials=2)
    store = SelectionStore(url)
    for trial in (0, 1):
        store.add(_run(trial, 0, 0.9 + trial / 100))
    # An ablation's runs sit under a name that is no study: read, never marked.
    store.add(_run(0, 0, 0.8, study="gan-tpe-ablation"))
    groups = selection_groups(url, {"gan-tpe", "gan-tpe-ablation"})
    assert {(g.study, g.trial): g.reference for g in groups} == {
        ("gan-tpe", 0): True, ("gan-tpe", 1): False, ("gan-tpe-ablation", 0): False}
