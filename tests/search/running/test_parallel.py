"""Parallel workers on one study: stress, grid races, SIGKILL and SIGINT recovery.

The objectives here need no TensorFlow (TensorFlow is not the point); the workers are real
processes. Every storage test runs on SQLite and, when ``SSL_HPO_POSTGRES_URL`` names a
server (``.ci/run`` starts one on 127.0.0.1), on PostgreSQL too.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from search.running.grid import PointGridSampler
from search.running.study import finished_count
from search.running.workers import run_worker
from spaces import parse_space
from storage import open_storage

POSTGRES = os.environ.get("SSL_HPO_POSTGRES_URL")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'studies.db'}"
    if not POSTGRES:
        pytest.skip("SSL_HPO_POSTGRES_URL not set (.ci/run starts a PostgreSQL server)")
    return POSTGRES


def _new_study(url: str, **kwargs: object) -> str:
    name = f"t-{uuid.uuid4().hex[:10]}"
    optuna.create_study(storage=open_storage(url), study_name=name, **kwargs)
    return name


def _fast(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(0.01)
    return x


def _slow(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    time.sleep(1.5)
    return x


GRID = parse_space("grid", {"a": {"kind": "categorical", "choices": [1, 2, 3]},
                            "b": {"kind": "categorical", "choices": [10, 20, 30, 40]}})


def _grid(trial: optuna.Trial) -> float:
    values = GRID.suggest(trial)
    time.sleep(0.05)
    return values["a"] * values["b"]


def _ctrl_c(trial: optuna.Trial) -> float:
    # Ctrl-C lands while the objective trains. Sent from outside, the signal could land
    # anywhere, e.g. in a callback whose exceptions Python only prints ("Exception ignored
    # in ..."), and the test failed by chance under load; sent here, it lands in the sleep.
    x = trial.suggest_float("x", 0.0, 1.0)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(30)
    return x


def _worker(url: str, name: str, kind: str, n_trials: int, seed: int,
            grace_period: int = 3) -> None:
    objective = {"fast": _fast, "slow": _slow, "grid": _grid, "ctrl_c": _ctrl_c}[kind]
    # Grid workers share one seed (the grid is walked in a seed-dependent order).
    sampler = (PointGridSampler(GRID, seed=0)
               if kind == "grid" else optuna.samplers.RandomSampler(seed=seed))
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    run_worker(url, name, lambda joined_at: sampler, optuna.pruners.NopPruner(), objective,
               n_trials, heartbeat_interval=1, grace_period=grace_period)


def _spawn(*args: object) -> mp.process.BaseProcess:
    process = mp.get_context("spawn").Process(target=_worker, args=args)
    process.start()
    return process


def test_eight_workers_reach_exactly_the_target(url: str) -> None:
    name = _new_study(url, direction="maximize")
    started = time.monotonic()
    # Nobody dies here: a grace of 3 s would, under load, call a live worker's trial stale.
    workers = [_spawn(url, name, "fast", 200, seed, 60) for seed in range(8)]
    for worker in workers:
        worker.join(timeout=240)
    seconds = time.monotonic() - started
    assert [w.exitcode for w in workers] == [0] * 8, "a worker crashed"
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    trials = study.get_trials()
    assert finished_count(study) == 200
    failed = [t for t in trials if t.state == TrialState.FAIL]
    # The only failures allowed are surplus trials the gate refused, never lock errors.
    assert all(t.user_attrs.get("fail_reason", "").startswith("skipped") for t in failed)
    assert len({t.params["x"] for t in trials if t.state == TrialState.COMPLETE}) == 200
    print(f"8 workers x 200 trials on {url.split(':')[0]}: {seconds:.1f} s, "
          f"{len(failed)} surplus")


def test_grid_in_parallel_never_repeats_a_point_and_stops(url: str) -> None:
    name = _new_study(url, direction="maximize")
    workers = [_spawn(url, name, "grid", 100, seed, 60) for seed in range(4)]
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * 4
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    done = study.get_trials(states=(TrialState.COMPLETE,))
    points = [(t.params["a"], t.params["b"]) for t in done]
    assert len(points) == len(set(points)) == 12


def test_sigkill_mid_trial_is_failed_and_rerun(url: str) -> None:
    name = _new_study(url, direction="maximize")
    started = time.monotonic()
    victim = _spawn(url, name, "slow", 4, 0)
    storage = open_storage(url)
    deadline = time.monotonic() + 60
    # Kill it inside the objective: once the running trial has its parameter.
    while not [t for t in optuna.load_study(study_name=name, storage=storage).get_trials(
            states=(TrialState.RUNNING,)) if t.params]:
        assert time.monotonic() < deadline, "the worker never started a trial"
        time.sleep(0.1)
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()
    killed = optuna.load_study(study_name=name, storage=storage).get_trials(
        states=(TrialState.RUNNING,))[0]
    time.sleep(3.5)  # past the grace period
    survivor = _spawn(url, name, "slow", 4, 1)
    survivor.join(timeout=120)
    assert survivor.exitcode == 0
    study = optuna.load_study(study_name=name, storage=storage)
    trials = {t.number: t for t in study.get_trials()}
    assert trials[killed.number].state == TrialState.FAIL
    retried = [t for t in trials.values()
               if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retried) == 1 and retried[0].state == TrialState.COMPLETE
    assert retried[0].params == killed.params
    assert finished_count(study) == 4
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 4
    print(f"SIGKILL on {url.split(':')[0]}: trial {killed.number} failed, re-run as trial "
          f"{retried[0].number}, 4/4 finished, 0 lost, 0 duplicated, "
          f"{time.monotonic() - started:.1f} s")


def test_sigint_fails_the_running_trial_and_rerun_tops_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    name = _new_study(url, direction="maximize")
    script = textwrap.dedent(f"""
        import signal, sys; sys.path.insert(0, {str(ROOT)!r})
        # A shell's background job inherits SIGINT ignored; a terminal's Ctrl-C does not.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from tests.search.running.test_parallel import _worker
        _worker({url!r}, {name!r}, "ctrl_c", 3, 0)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True)
    storage = open_storage(url)
    _, err = process.communicate(timeout=120)
    assert process.returncode != 0 and "KeyboardInterrupt" in err
    study = optuna.load_study(study_name=name, storage=storage)
    assert not study.get_trials(states=(TrialState.RUNNING,))
    assert len(study.get_trials(states=(TrialState.FAIL,))) == 1
    _worker(url, name, "slow", 3, 1)
    assert finished_count(optuna.load_study(study_name=name, storage=storage)) == 3


@pytest.mark.parametrize("workers", [1, 2])
def test_rerun_right_after_a_crash_finishes_the_job(url: str, workers: int) -> None:
    # A worker was killed mid-trial a moment ago: its trial is RUNNING with a fresh
    # heartbeat. The rerun must not stop one trial short (the gate counts that trial as
    # live): it waits until the heartbeat is stale, and runs the re-enqueued trial.
    name = _new_study(url, direction="maximize")
    storage = open_storage(url, heartbeat_interval=1, grace_period=3)
    study = optuna.load_study(study_name=name, storage=storage)
    space = {"x": optuna.distributions.FloatDistribution(0.0, 1.0)}
    for value in (0.1, 0.2):
        study.add_trial(optuna.trial.create_trial(params={"x": value}, distributions=space,
                                                  value=value))
    dead = study.ask(space)
    storage.record_heartbeat(dead._trial_id)  # the killed worker's last sign of life
    before = [t.state for t in study.get_trials()]
    rerun = [_spawn(url, name, "fast", 4, seed) for seed in range(workers)]
    for worker in rerun:
        worker.join(timeout=120)
    assert [w.exitcode for w in rerun] == [0] * workers
    trials = optuna.load_study(study_name=name, storage=storage).get_trials()
    assert before.count(TrialState.RUNNING) == 1
    assert TrialState.RUNNING not in [t.state for t in trials]
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 4
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == dead.number]
    # Optuna fails the stale trial, then enqueues its re-run: with two workers both may
    # fail it and enqueue a re-run each, or one may start a fresh trial for the free slot
    # first. Each re-run trains the dead trial's parameters or the gate skips it.
    assert 1 <= len(retried) <= workers
    for again in retried:
        if again.state == TrialState.COMPLETE:
            assert again.params == {"x": trials[dead.number].params["x"]}
        else:
            assert workers == 2 and again.user_attrs["fail_reason"].startswith("skipped")


def test_a_trial_left_without_any_heartbeat_is_rerun(url: str) -> None:
    # A worker killed between creating its trial and starting its heartbeat leaves a
    # RUNNING trial that Optuna never calls stale. The next run must not wait for ever.
    name = _new_study(url, direction="maximize")
    orphan = optuna.load_study(study_name=name, storage=open_storage(url)).ask(
        {"x": optuna.distributions.FloatDistribution(0.0, 1.0)})
    started = time.monotonic()
    outcome = run_worker(url, name, lambda joined_at: optuna.samplers.RandomSampler(seed=0),
                         optuna.pruners.NopPruner(), _fast, 2, heartbeat_interval=1,
                         grace_period=2)
    assert outcome.complete == 2 and time.monotonic() - started < 60
    study = optuna.load_study(study_name=name, storage=open_storage(url))
    assert study.trials[orphan.number].state == TrialState.FAIL
    assert finished_count(study) == 2 and not study.get_trials(states=(TrialState.RUNNING,))
