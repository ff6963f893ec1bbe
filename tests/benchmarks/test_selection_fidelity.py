"""benchmarks/selection_fidelity.py end to end on synthetic data, at the smoke profile."""

from __future__ import annotations

import sys
from pathlib import Path

import optuna
import pytest

from benchmarks import selection_fidelity
from search.cli import main as run_study
from storage import SelectionStore, open_storage
from storage.selection import recorded_selections


def _searched(tmp_path: Path, mnist_dir: Path, trials: int) -> str:
    """The storage URL of a study ``sup`` of ``trials`` baseline trials at `smoke`."""
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    assert run_study(["--method", "supervised", "--profile", "smoke", "--storage", url,
                      "--data-dir", str(mnist_dir), "--n-trials", str(trials),
                      "--sampler", "random", "--study-name", "sup", "--threads", "2"]) == 0
    return url


def test_fidelity_ranks_top_trials_at_both_profiles_and_checkpoints(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _searched(tmp_path, mnist_dir, trials=2)
    checkpoints = tmp_path / "ckpt"
    # The same profile on both sides: the high side reuses the low side's runs, so the
    # two rankings must agree exactly and only 2 candidates x 1 seed are trained.
    monkeypatch.setattr(sys, "argv", [
        "selection_fidelity.py", "--storage", url, "--study-name", "sup", "--top", "2",
        "--seeds", "1", "--low", "smoke", "--high", "smoke", "--data-dir", str(mnist_dir),
        "--checkpoint-dir", str(checkpoints)])
    capsys.readouterr()
    selection_fidelity.main()
    out = capsys.readouterr().out
    assert "Kendall's tau of the two rankings: 1.00; same winner: yes" in out
    assert out.count("(rank 1)") == 2 and out.count("(rank 2)") == 2
    assert len(SelectionStore(url).runs(study_name="sup")) == 2
    # Recorded as finished (one record: both sides are the same selection), choosing the
    # candidate the table ranks first, so the report never shows it as pending.
    study = optuna.load_study(study_name="sup", storage=open_storage(url))
    [(key, chosen)] = recorded_selections(study).items()
    assert key[0] == "smoke"
    first = next(line for line in out.splitlines() if "(rank 1)" in line)
    assert chosen == {("sup", int(first.split("#")[1].split()[0].strip("|")))}
    # Each run wrote per-epoch checkpoints into the study's folder, and deleted them when
    # it finished: nothing resumes a finished run.
    assert (checkpoints / "sup").is_dir() and not any((checkpoints / "sup").iterdir())


def test_high_search_ranks_the_cheap_runs_against_the_studys_own_values(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = _searched(tmp_path, mnist_dir, trials=3)
    study = optuna.load_study(study_name="sup", storage=open_storage(url))
    by_value = sorted(study.trials, key=lambda t: -t.value)
    monkeypatch.setattr(sys, "argv", [
        "selection_fidelity.py", "--storage", url, "--study-name", "sup", "--top", "3",
        "--seeds", "1", "--low", "smoke", "--high", "search", "--data-dir", str(mnist_dir)])
    capsys.readouterr()
    assert selection_fidelity.main() is None
    out = capsys.readouterr().out
    # Only the cheap side trains; the full side is the trials' stored values, ranked.
    assert len(SelectionStore(url).runs(study_name="sup")) == 3
    rows = [line for line in out.splitlines() if line.startswith("| sup#")]
    assert [int(r.split("#")[1].split()[0]) for r in rows] == [t.number for t in by_value]
    for place, (row, trial) in enumerate(zip(rows, by_value), start=1):
        assert f"| {trial.value:.4f} (rank {place}) |" in row
    hours = sum(t.user_attrs["seconds"] for t in study.trials) / 3600
    assert f"{hours:.2f} h for the search's own runs at smoke." in out
    assert "selection at search" not in out


def test_low_search_is_refused_in_one_line(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["selection_fidelity.py", "--storage", "sqlite:///x.db",
                                      "--study-name", "sup", "--low", "search"])
    assert selection_fidelity.run(selection_fidelity.main) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--low search leaves nothing to check" in err
