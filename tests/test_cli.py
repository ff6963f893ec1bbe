"""run_study.py end to end on synthetic data: search, resume, retrain, held parameters and
parallel workers. Bad input is ``tests/test_cli_errors.py``."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from storage import RetrainStore, SelectionStore
from storage.selection import REDRAWN, SELECTIONS_ATTR
from tests.conftest import run_cli


def test_search_resume_retrain_end_to_end(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    common = ("--method", "supervised", "--profile", "smoke", "--storage", url,
              "--data-dir", str(mnist_dir), "--threads", "2")
    code, out, _ = run_cli(capsys, *common, "--n-trials", "2", "--sampler", "random")
    assert code == 0 and "study 'supervised-random'" in out
    assert "device: CPU (" in out  # no GPU on the test machines
    code, out, _ = run_cli(capsys, *common, "--n-trials", "3", "--sampler", "random")
    assert code == 0 and "supervised-random: 3/3 finished" in out
    # Resumed with the same --seed, the sampler draws anew instead of replaying trial 0.
    trials = optuna.load_study(study_name="supervised-random", storage=url).trials
    assert trials[2].params not in (trials[0].params, trials[1].params)
    code, out, _ = run_cli(capsys, *common, "--retrain", "2", "--sampler", "random",
                        "--select-seeds", "2")
    assert code == 0 and "test accuracy" in out and "labeled subset fixed" in out
    assert "device: CPU (" in out
    # The three trials were re-evaluated on validation first, each on two fresh draws
    # (labeled subset and model seed 1000 and 1001), and the best mean is the
    # configuration that was retrained.
    assert ("selecting among the 3 best trials: 2 runs each (labeled subset and model seed "
            "redrawn per run") in out
    selection = SelectionStore(url).runs()
    assert len(selection) == 6 and {r["seed"] for r in selection} == {1000, 1001}
    assert all(r["data_seed"] == r["seed"] for r in selection)
    means = {t: sum(r["val_accuracy"] for r in selection if r["source_trial"] == t) / 2
             for t in {r["source_trial"] for r in selection}}
    runs = RetrainStore(url).runs()
    # Seed 0 is the one the search trained every trial with, on these labels: skipped.
    assert [r["seed"] for r in runs] == [1, 2]
    assert f"seed 0 left out: supervised-random#{runs[0]['source_trial']} was searched" in out
    assert means[runs[0]["source_trial"]] == max(means.values())
    chosen = next(line for line in out.splitlines() if "<- chosen" in line)
    assert chosen.strip().startswith(f"supervised-random#{runs[0]['source_trial']}:")
    assert all(r["test_size"] == 10_000 for r in runs)
    # The runs name the selection they followed (the search's profile, no --select-profile).
    assert {r["notes"]["selected_at"] for r in runs} == {"smoke"}
    # A label-sweep retrain: K defaults to 5, 20 labels redrawn per run. The selection was
    # made on the search's 100 labels; it is reused, not rerun on 20.
    code, out, _ = run_cli(capsys, *common, "--retrain", "--vary-labeled", "--n-labeled", "20",
                        "--select-seeds", "2")
    assert code == 0 and "x 5 seeds" in out and "redrawn per run" in out
    assert len(SelectionStore(url).runs()) == 6
    assert {r["n_labeled"] for r in RetrainStore(url).runs()[2:]} == {20}
    assert [r["data_seed"] for r in RetrainStore(url).runs()][2:] == [0, 1, 2, 3, 4]


def test_fix_holds_a_parameter_in_its_own_study(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    import optuna

    url = f"sqlite:///{tmp_path / 'f.db'}"
    common = ("--method", "supervised", "--profile", "smoke", "--storage", url,
              "--data-dir", str(mnist_dir), "--sampler", "random")
    code, out, _ = run_cli(capsys, *common, "--n-trials", "2", "--fix", "augment=False")
    assert code == 0 and "study 'supervised-random-augment-False'" in out
    study = optuna.load_study(study_name="supervised-random-augment-False", storage=url)
    assert study.user_attrs["fixed"] == '{"augment": false}'
    assert [t.params["augment"] for t in study.trials] == [False, False]
    assert not any("augment_shift" in t.params for t in study.trials)
    code, _, err = run_cli(capsys, *common, "--fix", "augment=sometimes")
    assert code == 2 and "not among [False, True]" in err and err.count("\n") == 1


def _train_only(tmp_path: Path, mnist_dir: Path) -> tuple[str, tuple[str, ...]]:
    """A study database and the arguments of a smoke baseline on a data folder with
    MNIST's training files and no test files."""
    data = tmp_path / "train-only"
    data.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (data / name).symlink_to(mnist_dir / name)
    url = f"sqlite:///{tmp_path / 's.db'}"
    return url, ("--method", "supervised", "--profile", "smoke", "--storage", url,
                 "--data-dir", str(data))


def test_search_runs_without_test_files(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    url, common = _train_only(tmp_path, mnist_dir)
    assert run_cli(capsys, *common, "--n-trials", "1")[0] == 0
    code, _, err = run_cli(capsys, *common, "--retrain", "1")
    assert code == 2 and "missing MNIST file" in err and "t10k-images" in err


def test_retrain_0_selects_without_test_files_and_names_the_reference(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    url, common = _train_only(tmp_path, mnist_dir)
    common = (*common, "--sampler", "random")
    assert run_cli(capsys, *common, "--n-trials", "2")[0] == 0
    # A trial tagged as the reference, the way a search enqueues a method's paper setting.
    study = optuna.load_study(study_name="supervised-random", storage=url)
    study.enqueue_trial(dict(study.trials[0].params, learning_rate=0.002),
                        user_attrs={"reference": True})
    assert run_cli(capsys, *common, "--n-trials", "3")[0] == 0
    code, out, err = run_cli(capsys, *common, "--retrain", "0", "--select", "3", "--top", "3",
                             "--select-seeds", "1")
    assert code == 0, err
    assert "selecting among the 3 best trials: 1 runs each" in out
    selected = [line for line in out.splitlines() if line.startswith("selected: ")]
    assert sorted(line.split()[1].split(" ")[0] for line in selected) == [
        "supervised-random#0", "supervised-random#1", "supervised-random#2"]
    assert [line for line in selected if "reference" in line] == [
        "selected: supervised-random#2 (the method's reference configuration)"]
    # Validation only: nothing retrained, and the test files were never needed.
    assert RetrainStore(url).runs() == [] and len(SelectionStore(url).runs()) == 3
    # The finished selection is recorded on the study, for the report to tell it from one
    # still training.
    (entry,) = _selections(url)
    assert entry["profile"] == "smoke" and entry["subset"] == REDRAWN
    assert sorted(trial for _, trial in entry["chosen"]) == [0, 1, 2]
    # The retrain that follows reuses the stored selection instead of running it again;
    # its record replaces the first (the same selection), now with one choice.
    assert run_cli(capsys, *common, "--retrain", "0", "--select", "3",
                   "--select-seeds", "1")[0] == 0
    assert len(SelectionStore(url).runs()) == 3
    (again,) = _selections(url)
    assert len(again["chosen"]) == 1 and again["chosen"][0] in entry["chosen"]


def _selections(url: str) -> list[dict]:
    study = optuna.load_study(study_name="supervised-random", storage=url)
    return study.user_attrs[SELECTIONS_ATTR]


def test_two_workers_share_a_study(tmp_path: Path, mnist_dir: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    code, out, _ = run_cli(capsys, "--method", "supervised", "--profile", "smoke",
                           "--storage", url, "--data-dir", str(mnist_dir), "--n-trials", "3",
                           "--workers", "2", "--sampler", "random")
    assert code == 0 and "2 worker(s)" in out
    assert "supervised-random: 3/3 finished" in out
    import optuna

    from storage import open_storage

    study = optuna.load_study(study_name="supervised-random", storage=open_storage(url))
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,
                                    optuna.trial.TrialState.PRUNED))
    assert len(done) == 3
    # Distinct sampler seeds per worker: no two trials share their parameters.
    assert len({tuple(sorted(t.params.items())) for t in done}) == 3

    # A parallel retrain shares the seeds between the workers: each is trained once.
    retrain = ("--method", "supervised", "--profile", "smoke", "--storage", url,
               "--data-dir", str(mnist_dir), "--retrain", "3", "--workers", "2",
               "--select", "2", "--select-seeds", "1")
    code, out, _ = run_cli(capsys, *retrain)
    assert code == 0 and "2 worker(s)" in out
    # The selection's two runs were shared between the workers too.
    assert len(SelectionStore(url).runs()) == 2
    # Seeds 1-3: seed 0 would repeat the search trials' own runs.
    assert sorted(r["seed"] for r in RetrainStore(url).runs()) == [1, 2, 3]
    # Nothing left to train: no worker starts, and the summary covers the stored seeds.
    code, out, _ = run_cli(capsys, *retrain)
    assert code == 0 and "n=3" in out and len(RetrainStore(url).runs()) == 3
