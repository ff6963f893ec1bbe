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


def test_fidelity_ranks_top_trials_at_both_profiles_and_checkpoints(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    assert run_study(["--method", "supervised", "--profile", "smoke", "--storage", url,
                      "--data-dir", str(mnist_dir), "--n-trials", "2", "--sampler", "random",
                      "--study-name", "sup", "--threads", "2"]) == 0
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
