"""A fabricated database the report tests share: a supervised search with 3 finished
trials and a pruned one, retrained 3 times on the search's subset (800, 900, 1000
errors); a GAN search retrained 4 times on redrawn subsets (100, 130, 160, 110 errors),
two of them with a sample grid; and a study of no ssl-hpo method."""

from __future__ import annotations

from pathlib import Path

import optuna

from storage import RetrainRun, RetrainStore, open_storage

__all__ = ["fabricate"]


def fabricate(url: str) -> None:
    """Writes the fabricated studies and retrain runs at ``url``."""
    storage = open_storage(url)
    study = optuna.create_study(storage=storage, study_name="supervised-tpe",
                                direction="maximize")
    for key, value in {"method": "supervised", "sampler": "tpe", "pruner": "median",
                       "profile": "smoke"}.items():
        study.set_user_attr(key, value)
    dists = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True),
             "depth": optuna.distributions.CategoricalDistribution([1, 2, 3]),
             "latent_width": optuna.distributions.CategoricalDistribution([32, 64])}
    for i, (lr, depth, value) in enumerate([(1e-3, 1, 0.8), (3e-3, 2, 0.9), (1e-4, 3, 0.7)]):
        study.add_trial(optuna.trial.create_trial(
            params={"learning_rate": lr, "depth": depth, "latent_width": 32 * (1 + i % 2)},
            distributions=dists, value=value,
            intermediate_values={0: value - 0.1, 1: value}, user_attrs={"seconds": 1800.0}))
    study.add_trial(optuna.trial.create_trial(
        params={"learning_rate": 1e-4, "depth": 1, "latent_width": 32}, distributions=dists,
        state=optuna.trial.TrialState.PRUNED, intermediate_values={0: 0.1}))
    optuna.create_study(storage=storage, study_name="foreign")  # not an ssl-hpo study
    store = RetrainStore(url)
    for seed, errors in enumerate([800, 900, 1000]):
        store.add(RetrainRun("supervised-tpe", "supervised", 1, {"learning_rate": 3e-3},
                             "smoke", 100, seed, 0, False, 0.9, 1 - errors / 10_000, errors,
                             10_000, 5, 2.0))
    gan = optuna.create_study(storage=storage, study_name="gan-random", direction="maximize")
    gan.set_user_attr("method", "gan")
    gan.set_user_attr("sampler", "random")
    gan.set_user_attr("profile", "smoke")
    gan.add_trial(optuna.trial.create_trial(
        params={"learning_rate": 1e-3, "depth": 2, "latent_width": 64}, distributions=dists,
        value=0.95,
        user_attrs={"seconds": 360.0}))
    grid = Path(url.removeprefix("sqlite:///")).with_name("grid.png")
    grid.write_bytes(b"\x89PNG\r\n\x1a\n")
    for seed, errors in enumerate([100, 130, 160, 110]):
        store.add(RetrainRun("gan-random", "gan", 0, {"learning_rate": 1e-3}, "smoke", 100,
                             seed, seed, True, 0.95, 1 - errors / 10_000, errors, 10_000, 5,
                             1.0, notes={"samples_png": str(grid)} if seed < 2 else {}))
