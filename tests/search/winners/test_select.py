"""Noise-aware selection: fresh seeds on validation, ranked by the mean, stored and reused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna
import pytest

from objectives import get_method
from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.training import RunResult
from search.cli import select_command
from search.winners import select as selection
from search.winners.retraining import Candidate
from search.winners.select import SELECTION_SEED_BASE, plan_selection, rank, run_selection
from storage import SelectionStore


def _candidates(params: dict) -> list[Candidate]:
    space = get_method("supervised").space
    out = []
    for number, (value, lr) in enumerate([(0.9, 3e-3), (0.8, 1e-3)]):
        trial = optuna.trial.create_trial(params={**params, "learning_rate": lr},
                                          distributions=space.distributions(params), value=value)
        trial.number = number
        out.append(Candidate("supervised-tpe", trial,
                             {"profile": "smoke", "n_labeled": 100, "data_seed": 0}))
    return out


def test_plan_uses_fresh_seeds_on_the_search_subset(budget: Budget, params: dict) -> None:
    planned = plan_selection(get_method("supervised"), _candidates(params), budget, 3, 100, 7)
    assert [(r.source_trial, r.seed) for r in planned] == [
        (0, 1000), (0, 1001), (0, 1002), (1, 1000), (1, 1001), (1, 1002)]
    assert SELECTION_SEED_BASE == 1000 and {r.data_seed for r in planned} == {7}
    assert {r.budget for r in planned} == {get_method("supervised").budget_fingerprint(budget)}


def test_a_redrawing_plan_draws_each_runs_labels_clear_of_search_and_retrain_seeds(
        budget: Budget, params: dict) -> None:
    planned = plan_selection(get_method("supervised"), _candidates(params), budget, 3, 100,
                             0, redraw=True)
    pairs = [(r.source_trial, r.data_seed, r.seed) for r in planned]
    # The same three draws for each candidate, so candidates meet on the same labels.
    assert pairs == [(0, 1000, 1000), (0, 1001, 1001), (0, 1002, 1002),
                     (1, 1000, 1000), (1, 1001, 1001), (1, 1002, 1002)]
    # Never the search's (data seed 0, model seed 0) nor a retrain's (seeds 0..K-1, data
    # seed = seed when a retrain redraws its labels: the official protocol's 0-4).
    retrains = set(range(SELECTION_SEED_BASE))
    assert not {r.data_seed for r in planned} & retrains
    assert not {r.seed for r in planned} & retrains


def test_a_redrawing_selection_trains_each_run_on_its_own_subset(
        tmp_path: Path, budget: Budget, params: dict) -> None:
    from objectives.data import Split, make_search_data
    from search.report.readers.selection_reader import selection_groups
    from storage.selection import REDRAWN
    from tests.conftest import synthetic_images

    labels = (np.arange(800) % 10).astype(np.uint8)
    images = synthetic_images(labels)
    asked = []

    def data(seed: int) -> SearchData:
        asked.append(seed)
        return make_search_data(images, labels, 100, seed, Split(pool=600, val=200))

    method = get_method("supervised")
    url = f"sqlite:///{tmp_path / 's.db'}"
    planned = plan_selection(method, _candidates(params)[:1], budget, 2, 100, 0,
                             redraw=True)
    runs = run_selection(method, planned, data, budget, SelectionStore(url))
    assert asked == [1000, 1001] and [r.data_seed for r in runs] == [1000, 1001]
    assert data(1000).labeled_x.tobytes() != data(1001).labeled_x.tobytes()
    # The report reads them as one candidate's runs over redrawn subsets.
    study = optuna.create_study(study_name="supervised-tpe", storage=url)
    (group,) = selection_groups(url, [study])
    assert group.data_seed == REDRAWN and len(group.accuracies) == 2
    # A fixed subset's data cannot serve a run of another subset.
    fixed = replace(planned[0], study_name="x")
    with pytest.raises(ValueError, match="data seed 1000"):
        run_selection(method, [fixed], data(0), budget, SelectionStore(url))


def test_rank_by_mean_not_by_the_search_value(budget: Budget, params: dict) -> None:
    first, second = _candidates(params)
    planned = plan_selection(get_method("supervised"), [first, second], budget, 2, 100, 0)
    # The search's winner (0.9) re-evaluates worse: 0.70 and 0.74 against 0.80 and 0.78.
    accuracies = {(0, 1000): 0.70, (0, 1001): 0.74, (1, 1000): 0.80, (1, 1001): 0.78}
    runs = [replace(r, val_accuracy=accuracies[(r.source_trial, r.seed)]) for r in planned]
    order = rank([first, second], runs)
    assert [s.candidate.trial.number for s in order] == [1, 0]
    assert order[0].accuracies == (0.80, 0.78) and order[0].label == "supervised-tpe#1"
    assert abs(order[1].summary.mean - 0.72) < 1e-12


def test_runs_are_stored_and_a_rerun_reuses_them(tmp_path: Path, tiny_data: SearchData,
                                                 budget: Budget, params: dict) -> None:
    method = get_method("supervised")
    store = SelectionStore(f"sqlite:///{tmp_path / 's.db'}")
    planned = plan_selection(method, _candidates(params)[:1], budget, 2, 100, 0)
    first = run_selection(method, planned, tiny_data, budget, store,
                          checkpoint_dir=tmp_path / "ck")
    assert [r.seed for r in first] == [1000, 1001]
    assert all(0.0 <= r.val_accuracy <= 1.0 and r.epochs >= 1 for r in first)
    seen = []
    again = run_selection(method, planned, tiny_data, budget, store, on_run=seen.append)
    assert again == first and seen == first  # nothing trained twice
    assert len(store.runs()) == 2
    assert not list((tmp_path / "ck").rglob("*.ckpt"))


def test_a_guard_s_early_end_is_stored_and_printed(
        tmp_path: Path, tiny_data: SearchData, budget: Budget, params: dict,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    # A collapsed GAN candidate scores its best validated average; the run must say that
    # it ended early and why, or its short run reads as a full one.
    reason = "collapse: loss_unl 0.0008 < 0.01 for 2 epochs (epoch 15)"

    def collapsed(method: Method, params: dict, data: SearchData, budget: Budget,
                  context: RunContext) -> RunResult:
        context.notes.update(steps=7500, stop_reason=reason)  # as train() writes them
        return RunResult(model=None, val_accuracy=0.88, epochs=15, seconds=1.0, n_params=1,
                         stop_reason=reason)

    monkeypatch.setattr(selection, "train", collapsed)
    method = get_method("supervised")
    store = SelectionStore(f"sqlite:///{tmp_path / 's.db'}")
    planned = plan_selection(method, _candidates(params)[:1], budget, 1, 100, 0)
    run_selection(method, planned, tiny_data, budget, store, on_run=select_command._report)
    assert store.runs()[0]["notes"] == {"steps": 7500, "stop_reason": reason}
    assert f"val 0.8800, 15 epochs, 1.0 s (stopped by {reason})" in capsys.readouterr().out
