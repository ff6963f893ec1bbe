"""Noise-aware selection: fresh seeds on validation, ranked by the mean, stored and reused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import optuna
import pytest

from objectives import get_method
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.training import RunResult
from search import cli_select, selection
from search.retrain import Candidate
from search.selection import SELECTION_SEED_BASE, plan_selection, rank, run_selection
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
    assert {r.budget for r in planned} == {budget.fingerprint}


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

    def collapsed(method, params, data, budget, context):  # type: ignore[no-untyped-def]
        context.notes.update(steps=7500, stop_reason=reason)  # as train() writes them
        return RunResult(model=None, val_accuracy=0.88, epochs=15, seconds=1.0, n_params=1,
                         stop_reason=reason)

    monkeypatch.setattr(selection, "train", collapsed)
    method = get_method("supervised")
    store = SelectionStore(f"sqlite:///{tmp_path / 's.db'}")
    planned = plan_selection(method, _candidates(params)[:1], budget, 1, 100, 0)
    run_selection(method, planned, tiny_data, budget, store, on_run=cli_select._report)
    assert store.runs()[0]["notes"] == {"steps": 7500, "stop_reason": reason}
    assert f"val 0.8800, 15 epochs, 1.0 s (stopped by {reason})" in capsys.readouterr().out
