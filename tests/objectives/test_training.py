from __future__ import annotations

import dataclasses

import keras
import pytest

from objectives import METHODS, get_method
from objectives.base import RunContext
from objectives.budget import Budget, budget_steps
from objectives.data import SearchData
from objectives.encoder import InfeasibleConfig
from objectives.machine import cpu_name
from objectives.profiles import PROFILES
from objectives.training import NonFiniteLoss, release, train
from spaces import SPACES


def test_supervised_learns_tiny_data(tiny_data: SearchData, budget: Budget,
                                     params: dict) -> None:
    budget = dataclasses.replace(budget, max_epochs=6, patience=6, labeled_repeats=5)
    context = RunContext(seed=0)
    result = train(get_method("supervised"), params, tiny_data, budget, context)
    assert result.val_accuracy > 0.5  # chance is 0.1
    # 100 labels tiled 5x in batches of 32: 16 steps an epoch.
    assert context.notes["steps"] == 16 * result.epochs
    assert context.notes["cpu"] == cpu_name()  # stored with the run: several machines
    assert result.epochs == len(result.history) >= 1
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(result.history[0])
    assert result.n_params > 0 and result.seconds > 0
    release()


def test_same_seed_same_result(tiny_data: SearchData, budget: Budget, params: dict) -> None:
    method = get_method("supervised")
    first = train(method, params, tiny_data, budget, RunContext(seed=1)).val_accuracy
    release()
    second = train(method, params, tiny_data, budget, RunContext(seed=1)).val_accuracy
    release()
    assert first == second


class _Guard(keras.callbacks.Callback):
    """Ends a run after its first epoch and says why, as the GAN's collapse guard does."""

    stop_reason: str | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.stop_reason = f"collapse (epoch {epoch + 1})"
        self.model.stop_training = True


def test_a_guard_s_early_end_reaches_the_notes(tiny_data: SearchData, budget: Budget,
                                               params: dict,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Every caller (search, selection, retrain) stores the context's notes, so the reason
    # written once here reaches all of their records.
    method = get_method("supervised")
    plain = method.fit_inputs
    monkeypatch.setattr(method, "fit_inputs", lambda *a: dataclasses.replace(
        plain(*a), callbacks=[_Guard()]))
    context = RunContext(seed=0)
    result = train(method, params, tiny_data, budget, context)
    assert result.epochs == 1 < budget.max_epochs
    assert result.stop_reason == context.notes["stop_reason"] == "collapse (epoch 1)"
    release()
    monkeypatch.undo()
    unguarded = RunContext(seed=0)
    assert train(method, params, tiny_data, budget, unguarded).stop_reason is None
    assert "stop_reason" not in unguarded.notes
    release()


def test_infeasible_params_fail_before_building(tiny_data: SearchData, budget: Budget,
                                                params: dict) -> None:
    params.update(padding="valid", kernel_size=7, depth=3)
    with pytest.raises(InfeasibleConfig):
        train(get_method("supervised"), params, tiny_data, budget, RunContext(seed=0))


def test_nan_loss_is_reported(tiny_data: SearchData, budget: Budget, params: dict) -> None:
    # A diverging step size: NaN pixels would not do, oneDNN's ReLU turns NaN into 0.
    params["learning_rate"] = 1e35
    with pytest.raises(NonFiniteLoss, match="nan"):
        train(get_method("supervised"), params, tiny_data, budget, RunContext(seed=0))
    release()


def test_registries_hold_the_baseline_and_profiles() -> None:
    assert METHODS.names()[0] == "supervised"
    # Each name makes the method of that name, with the space of that name.
    assert all(METHODS.get(n).name == n and METHODS.get(n).space is SPACES.get(n)
               for n in METHODS)
    assert PROFILES.names() == ["smoke", "bench", "paper", "official", "final", "select"]
    smoke, bench, paper, official, final, select = (PROFILES.get(n) for n in PROFILES.names())
    assert budget_steps(select)["gan"] * 4 == budget_steps(final)["gan"]
    assert smoke.max_epochs <= 2 < bench.max_epochs < paper.max_epochs
    # The official GAN protocol: 300 epochs of all 60,000 images, nothing chosen on
    # validation, the official Adam, a test curve every 10 epochs.
    assert (official.gan_epochs, official.unlabeled_limit, official.early_stopping,
            official.fold_validation, official.official_adam,
            official.test_curve_every) == (300, None, False, True, True, 10)
    assert not any(p.fold_validation for p in (smoke, bench, paper, final))
    # Stored runs are found by their method's fingerprints: a new Budget field, set for
    # a new method only (FixMatch's steps at smoke and bench), must not move the others'.
    for name in ("supervised", "autoencoder", "contrastive", "gan"):
        assert [get_method(name).budget_fingerprint(p) for p in (smoke, bench, paper)] == [
            "0a08512a9687", "f473ee21fa59", "910f1d460a6b"]
    assert get_method("fixmatch").budget_fingerprint(smoke) != "0a08512a9687"
    # `final` took the official Adam for the GAN and a cap on pretrained encoders after
    # the baseline's runs were stored: the baseline reads neither and keeps the
    # fingerprints those runs carry; the GAN's moved with its Adam, not with the cap.
    supervised, gan = get_method("supervised"), get_method("gan")
    assert [supervised.budget_fingerprint(p) for p in (final, select)] == [
        "740874a5f9e1", "0ce46649c828"]
    assert [gan.budget_fingerprint(p) for p in (final, select)] == [
        "a3ad45ceb0e0", "d5a54d99e8eb"]
    assert gan.budget_fingerprint(official) == official.fingerprint


def test_budgets_in_steps() -> None:
    # The paper's schedule: 300 epochs of 600 steps of 100 over 60,000 images.
    assert budget_steps(PROFILES.get("official"))["gan"] == 180_000
    final = budget_steps(PROFILES.get("final"))
    assert final == {"classifier": 200 * 20, "pretraining": 50 * 500, "gan": 120 * 500,
                     "consistency": 100 * 100}
    assert budget_steps(PROFILES.get("bench"), batch_size=32)["gan"] == 10 * 313
    # At `final` a GAN epoch is 500 steps whatever the batch: 60,000 steps for every trial.
    assert budget_steps(PROFILES.get("final"), batch_size=16)["gan"] == 60_000
    assert budget_steps(PROFILES.get("select"), batch_size=32)["gan"] == 15_000
