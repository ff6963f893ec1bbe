"""Opening, resuming and refusing studies: the tags a resume must match, the reference
enqueued first, best trials counted once, and pruning and the grid through a real search."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from objectives import Objective, get_method
from objectives.budget import Budget
from objectives.data import SearchData
from search.running.grid import PointGridSampler
from search.running.pruners import PRUNERS, make_pruner
from search.running.runner import run_search
from search.running.samplers import SAMPLERS, make_sampler
from search.running.study import (
    SearchError,
    best_trials,
    default_study_name,
    finished_count,
    method_studies,
    open_study,
    reference_point,
    repeats_search,
    study_tags,
)
from storage import open_storage
from tests.search.running.studies import TAGS, supervised_study

def test_registries() -> None:
    assert SAMPLERS.names() == ["tpe", "tpe-multivariate", "random", "grid"]
    assert PRUNERS.names() == ["median", "hyperband", "successive-halving", "none"]
    space = get_method("supervised").space
    assert isinstance(make_sampler("grid", space, 0), PointGridSampler)
    assert isinstance(make_sampler("random", space, 0), optuna.samplers.RandomSampler)
    assert default_study_name("supervised", "tpe") == "supervised-tpe"


def test_three_trials_end_to_end_then_resume_tops_up(
    tmp_path: Path, tiny_data: SearchData, budget: Budget
) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    objective = Objective(get_method("supervised"), tiny_data, budget, seed=0)
    outcome = run_search(supervised_study(url), objective, n_trials=3)
    assert outcome.complete + outcome.pruned == 3
    study = supervised_study(url)
    assert finished_count(study) == 3
    trial = study.get_trials(states=(TrialState.COMPLETE,))[0]
    assert {"config", "epochs", "seconds", "n_params"} <= set(trial.user_attrs)
    config = json.loads(trial.user_attrs["config"])
    assert config["params"] == trial.params and config["profile"] == budget.name
    assert 0.0 <= trial.value <= 1.0
    # Rerunning the same study resumes it and tops it up to the new target.
    run_search(supervised_study(url), objective, n_trials=5)
    assert finished_count(supervised_study(url)) == 5
    run_search(supervised_study(url), objective, n_trials=5)
    assert finished_count(supervised_study(url)) == 5
    assert [s.study_name for s in method_studies(open_storage(url), "supervised")] == [
        "supervised-tpe"
    ]


def test_pruning_stops_a_hopeless_trial(tiny_data: SearchData, budget: Budget,
                                        params: dict) -> None:
    study = optuna.create_study(
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )
    for _ in range(2):  # two earlier trials that were perfect at every epoch
        trial = study.ask()
        for step in range(budget.max_epochs):
            trial.report(1.0, step)
        study.tell(trial, 1.0)
    trial = study.ask()
    hopeless = {**params, "learning_rate": 1e-4}
    objective = Objective(get_method("supervised"), tiny_data, budget, seed=0)
    with pytest.raises(optuna.TrialPruned):
        objective.run(trial, hopeless)
    study.tell(trial, state=TrialState.PRUNED)
    pruned = study.trials[-1]
    assert pruned.state == TrialState.PRUNED
    assert pruned.user_attrs["epochs"] == 1  # cut after the first epoch
    assert pruned.user_attrs["fail_reason"].startswith("pruned")
    assert pruned.intermediate_values[0] < 1.0


def test_grid_sampler_walks_the_space_grid(tmp_path: Path, tiny_data: SearchData,
                                           budget: Budget) -> None:
    study = supervised_study(f"sqlite:///{tmp_path / 'g.db'}", name="supervised-grid",
                             sampler="grid")
    run_search(study, Objective(get_method("supervised"), tiny_data, budget, 0), 2)
    grid = get_method("supervised").space.grid()
    for trial in study.trials:
        for name, value in trial.params.items():
            assert value in grid[name]


def test_study_of_another_method_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    storage = open_storage(url)
    optuna.create_study(storage=storage, study_name="x").set_user_attr("method", "gan")
    with pytest.raises(SearchError, match="with method='gan', not 'supervised'"):
        open_study(storage, "x", optuna.samplers.RandomSampler(), optuna.pruners.NopPruner(),
                   TAGS)


def test_resuming_under_another_profile_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    supervised_study(url)
    with pytest.raises(SearchError, match="profile='smoke', not 'bench'"):
        open_study(open_storage(url), "supervised-tpe", optuna.samplers.RandomSampler(),
                   optuna.pruners.NopPruner(), {**TAGS, "profile": "bench"})


def test_resuming_with_another_model_seed_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    open_study(open_storage(url), "supervised-tpe", optuna.samplers.RandomSampler(),
               optuna.pruners.NopPruner(), {**TAGS, "seed": 0})
    with pytest.raises(SearchError, match="seed=0, not 1"):
        open_study(open_storage(url), "supervised-tpe", optuna.samplers.RandomSampler(),
                   optuna.pruners.NopPruner(), {**TAGS, "seed": 1})


def test_hyperband_top_rung_is_the_methods_full_budget() -> None:
    from objectives.profiles import get_profile

    final = get_profile("final")
    for name, steps in (("supervised", 200), ("autoencoder", 50 + 200), ("gan", 120)):
        method = get_method(name)
        assert method.pruning_steps(final) == steps
        pruner = make_pruner("hyperband", final, method.pruning_steps(final))
        assert pruner._max_resource == steps


def test_best_trials_count_a_configuration_once() -> None:
    study = optuna.create_study(direction="maximize")
    lr = {"lr": optuna.distributions.FloatDistribution(0.0, 1.0)}
    for value_of_lr, value in [(0.1, 0.9), (0.2, 0.8), (0.1, 0.9), (0.3, 0.7)]:
        study.enqueue_trial({"lr": value_of_lr})
        study.tell(study.ask(lr), value)
    assert [t.number for t in best_trials(study, 3)] == [0, 1, 3]


def test_a_run_repeats_the_search_only_with_all_four_settings_the_same() -> None:
    tags = study_tags("gan", "tpe", "hyperband", "final", 100, 0, 0)
    assert repeats_search(tags, "final", 100, 0, 0)
    for other in [("select", 100, 0, 0), ("final", 50, 0, 0), ("final", 100, 1, 0),
                  ("final", 100, 0, 1)]:
        assert not repeats_search(tags, *other)
    # A study tagged before the seeds were: nothing is known to repeat it.
    assert not repeats_search({"profile": "final", "n_labeled": 100}, "final", 100, 0, 0)


@pytest.mark.parametrize("name, fixed, starts", [
    ("gan", {}, True),
    ("gan", {"preset": "paper", "mlp_depth": 5}, True),  # the lever study's holds
    ("gan", {"preset": "conv"}, False),  # a conv GAN search has no paper setting
    ("fixmatch", {"mu": 7}, True),
    ("fixmatch", {"mu": 3}, False),
    ("supervised", {}, False),  # no reference at all
])
def test_a_study_starts_from_the_reference_only_where_its_holds_allow(
        name: str, fixed: dict, starts: bool) -> None:
    method = get_method(name)
    point = reference_point(method.space, method.reference_params, fixed)
    assert (point is not None) is starts
    if starts:
        assert point == method.space.point(method.reference_params)
        study = open_study(optuna.storages.InMemoryStorage(), "s",
                           optuna.samplers.RandomSampler(), optuna.pruners.NopPruner(), {},
                           first_params=point)
        (waiting,) = study.get_trials(deepcopy=False)
        assert waiting.params == {} and waiting.system_attrs["fixed_params"] == point
