from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna
import pytest
from scipy import stats

from objectives import get_method, make_test_data
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.profiles import get_profile
from search.winners.retraining import Candidate, pending_runs, plan_runs, retrain, run_key
from search.stats import summarize
from search.running.study import study_tags
from storage import RetrainStore
from storage.artifacts import resolve_file
from tests.conftest import synthetic_images


def test_summary_matches_scipy_t_interval() -> None:
    values = [0.91, 0.93, 0.92, 0.95, 0.90]
    s = summarize(values)
    low, high = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert s.n == 5
    assert s.mean == pytest.approx(np.mean(values))
    assert s.std == pytest.approx(np.std(values, ddof=1))
    assert (s.ci_low, s.ci_high) == (pytest.approx(low), pytest.approx(high))
    # Hand check: t_{0.975, 4} = 2.776.
    assert s.ci_high - s.mean == pytest.approx(2.776 * s.std / math.sqrt(5), rel=1e-3)


def test_summary_edge_cases() -> None:
    assert summarize([]).n == 0
    one = summarize([0.5])
    assert one.mean == 0.5 and math.isnan(one.std) and math.isnan(one.ci_low)
    same = summarize([0.5, 0.5, 0.5])
    assert (same.std, same.ci_low, same.ci_high) == (0.0, 0.5, 0.5)


def test_retrain_scores_test_and_persists_every_run(
    tmp_path: Path, tiny_data: SearchData, budget: Budget, params: dict
) -> None:
    method = get_method("supervised")
    frozen = optuna.trial.create_trial(
        params=params, distributions=method.space.distributions(params), value=0.9
    )
    labels = (np.arange(300) % 10).astype(np.uint8)
    test = make_test_data(synthetic_images(labels, seed=5), labels)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = RetrainStore(url)
    seen_seeds = []

    def data_for(seed: int) -> SearchData:
        seen_seeds.append(seed)
        return tiny_data

    candidates = [Candidate("s", frozen)]

    def plan(runs: int, vary_labeled: bool = False, selected_at: str | None = None) -> list:
        return plan_runs(method, candidates, budget, runs, tiny_data.n_labeled, 7,
                         vary_labeled, len(test.y), selected_at)

    runs = retrain(method, plan(3, selected_at="select"), data_for, test, budget, store=store)
    assert [r.seed for r in runs] == [0, 1, 2] and seen_seeds == [7, 7, 7]
    stored = store.runs(method="supervised")
    assert len(stored) == 3
    for run, row in zip(runs, stored):
        assert row["test_errors"] == run.test_errors
        assert row["test_accuracy"] == pytest.approx(1 - run.test_errors / 300)
        assert row["params"] == params and row["source_trial"] == frozen.number
        # Which selection chose the configuration, beside what training recorded.
        assert row["notes"]["selected_at"] == "select" and "val_curve" in row["notes"]
    seen_seeds.clear()
    retrain(method, plan(2, vary_labeled=True), data_for, test, budget, store=store)
    assert seen_seeds == [0, 1]
    assert [bool(r["vary_labeled"]) for r in store.runs()] == [False] * 3 + [True] * 2
    assert "selected_at" not in store.runs()[-1]["notes"]

    # Rerunning with more seeds tops up: the stored seeds are reused, only seed 3 trains.
    trained = []
    again = retrain(method, plan(4), data_for, test, budget, store=store,
                    on_run=lambda run: trained.append(run.seed))
    assert [r.test_errors for r in again[:3]] == [r.test_errors for r in runs]
    assert len(store.runs()) == 6 and trained == [0, 1, 2, 3]
    assert [r["seed"] for r in store.runs()][-1] == 3


def test_pending_runs_are_the_planned_ones_not_stored(tmp_path: Path, params: dict,
                                                      budget: Budget) -> None:
    method = get_method("supervised")
    frozen = optuna.trial.create_trial(
        params=params, distributions=method.space.distributions(params), value=0.9
    )
    planned = plan_runs(method, [Candidate("s", frozen)], budget, 5, 100, 0, False, 10_000)
    assert [r.seed for r in planned] == [0, 1, 2, 3, 4]
    assert {r.data_seed for r in planned} == {0}
    store = RetrainStore(f"sqlite:///{tmp_path / 'r.db'}")
    for run in planned[:2]:  # seeds 0 and 1 are already stored
        store.add(replace(run, val_accuracy=0.9, test_accuracy=0.9, test_errors=1000))
    assert [r.seed for r in pending_runs(planned, store)] == [2, 3, 4]
    varied = plan_runs(method, [Candidate("s", frozen)], budget, 3, 20, 0, True, 10_000)
    assert [(r.seed, r.data_seed, r.n_labeled) for r in varied] == [(0, 0, 20), (1, 1, 20),
                                                                     (2, 2, 20)]


def test_retrain_seeds_skip_the_one_that_repeats_the_search_run(params: dict,
                                                                 budget: Budget) -> None:
    method = get_method("supervised")
    frozen = optuna.trial.create_trial(
        params=params, distributions=method.space.distributions(params), value=0.9)
    # Searched with model seed 1 on data seed 0's 100 labels.
    searched = Candidate("s", frozen, study_tags("supervised", "tpe", "hyperband",
                                                 budget.name, 100, 0, 1))

    def seeds(candidate: Candidate, n_labeled: int, data_seed: int, vary: bool,
              profile: Budget = budget) -> list[tuple[int, int]]:
        return [(r.seed, r.data_seed) for r in plan_runs(
            method, [candidate], profile, 3, n_labeled, data_seed, vary, 10_000)]

    assert seeds(searched, 100, 0, False) == [(0, 0), (2, 0), (3, 0)]
    # Redrawn subsets: seed 1 draws data seed 1, not the searched subset, so it stays.
    assert seeds(searched, 100, 0, True) == [(0, 0), (1, 1), (2, 2)]
    assert seeds(searched, 100, 5, False) == [(0, 5), (1, 5), (2, 5)]
    assert seeds(searched, 50, 0, False) == [(0, 0), (1, 0), (2, 0)]
    other_profile = replace(budget, name="other")
    assert seeds(searched, 100, 0, False, other_profile) == [(0, 0), (1, 0), (2, 0)]
    at_seed_0 = replace(searched, searched={**searched.searched, "seed": 0})
    assert seeds(at_seed_0, 100, 0, True) == [(1, 1), (2, 2), (3, 3)]
    assert seeds(Candidate("s", frozen), 100, 0, False) == [(0, 0), (1, 0), (2, 0)]


def test_official_protocol_run_folds_validation_and_records_its_curve(
    tmp_path: Path, tiny_data: SearchData, budget: Budget
) -> None:
    # The GAN's reference configuration under a tiny budget with the official profile's
    # switches: validation folded into the unlabeled pool, no early stopping, the official
    # Adam, test errors every epoch, and the test softmax kept for ensembles.
    method = get_method("gan")
    budget = replace(budget, gan_epochs=3, gan_patience=1, unlabeled_limit=None,
                     early_stopping=False, fold_validation=True, official_adam=True,
                     test_curve_every=2)
    labels = (np.arange(300) % 10).astype(np.uint8)
    test = make_test_data(synthetic_images(labels, seed=5), labels)
    small = replace(tiny_data, unlabeled_x=tiny_data.unlabeled_x[:200])
    planned = plan_runs(method, [Candidate.reference(method)], budget, 1, 100, 0, True, 300)
    assert planned[0].study_name == "gan-reference" and planned[0].source_trial == -1
    url = f"sqlite:///{tmp_path / 'r.db'}"
    (run,) = retrain(method, planned, lambda seed: small, test, budget, RetrainStore(url),
                     artifact_dir=tmp_path / "art", checkpoint_dir=tmp_path / "ck")
    # gan_patience 1 would have stopped a run with early stopping; this one ran all epochs.
    assert run.epochs == 3
    assert run.notes["test_curve"] == {2: run.notes["test_curve"][2], 3: run.test_errors}
    # 200 unlabeled images and the 200 validation images folded in, in batches of 100.
    assert run.notes["steps_per_epoch"] == 4
    # Recorded relative to the database, so the folder can move with it.
    assert run.notes["test_softmax"].startswith("art/")
    probs = np.load(resolve_file(url, run.notes["test_softmax"]))
    assert probs.shape == (300, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-2)
    assert int(np.sum(probs.argmax(axis=1) != labels)) == run.test_errors
    assert not list((tmp_path / "ck").rglob("*.ckpt"))  # the finished run left no checkpoint
    # The same seed and labels under another budget: its own files, the first run's intact.
    shorter = replace(budget, gan_epochs=1)
    (other,) = retrain(method, plan_runs(method, [Candidate.reference(method)], shorter, 1,
                                         100, 0, True, 300),
                       lambda seed: small, test, shorter, RetrainStore(url),
                       artifact_dir=tmp_path / "art", checkpoint_dir=tmp_path / "ck")
    assert other.epochs == 1 and other.notes["test_softmax"] != run.notes["test_softmax"]
    assert other.notes["samples_png"] != run.notes["samples_png"]
    assert np.array_equal(np.load(resolve_file(url, run.notes["test_softmax"])), probs)


def test_reference_runs_keep_the_keys_of_the_stored_campaign() -> None:
    # results/official.db and the campaign's checkpoints (retrain-<key>.ckpt) are found by
    # these keys; a change to the reference parameters would orphan them. (They changed
    # once, with `official`'s restated 600 steps per epoch; its stored runs were restated
    # with it, storage.migrations, and none of its checkpoints was left unfinished.)
    method = get_method("gan")
    planned = plan_runs(method, [Candidate.reference(method)], get_profile("official"), 2,
                        100, 0, True, 10_000)
    assert [run_key(r) for r in planned] == ["340bffe3ddb6dbcd", "6f655a741423ddd7"]
