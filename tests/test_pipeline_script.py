"""results/pipeline.sh: its usage and its refusals, which must come before any training."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "results" / "pipeline.sh"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    """A copy in a scratch project: the script works from its parent folder."""
    (tmp_path / "results" / "logs").mkdir(parents=True)
    return Path(shutil.copy(SCRIPT, tmp_path / "results" / "pipeline.sh"))


def _run(script: Path, *stages: str, studies: str | None = None,
         sweep_labels: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("STUDIES", None)
    env.pop("SWEEP_LABELS", None)
    if studies is not None:
        env["STUDIES"] = studies
    if sweep_labels is not None:
        env["SWEEP_LABELS"] = sweep_labels
    return subprocess.run(["bash", str(script), *stages], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_no_stage_prints_the_whole_header(script: Path) -> None:
    result = _run(script)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# Every committed result")
    # The usage ends with its example, not cut off before it.
    assert lines[-1].startswith('#   STUDIES="supervised-final gan-final"')
    assert all(line.startswith("#") for line in lines)
    assert "$SWEEP_RUNS" in result.stdout and "$SWEEP_LABELS" in result.stdout


@pytest.mark.parametrize(("stages", "studies", "sweep_labels", "message"), [
    (("search", "nosuch"), None, None, "unknown stage 'nosuch'"),
    (("search",), "gan-final nosuch-study", None, "unknown study 'nosuch-study'"),
    (("search", "sweep"), None, "200 1OO", "holds '1OO', not a label count"),
    (("sweep",), None, "0", "holds '0', not a label count"),
])
def test_bad_names_exit_2_before_anything_runs(
    script: Path, stages: tuple[str, ...], studies: str | None, sweep_labels: str | None,
    message: str
) -> None:
    result = _run(script, *stages, studies=studies, sweep_labels=sweep_labels)
    assert result.returncode == 2
    assert message in result.stderr
    assert not any((script.parent / "logs").iterdir())  # no stage started, no log line


@pytest.mark.parametrize(("chosen", "commands"), [
    ("selected: gan-levers#17", 2),
    ("selected: gan-levers#0 (the method's reference configuration)", 1),
    ("", 1),  # the selection failed: an earlier run's choice must not stand in for it
])
def test_levers_select_retrains_only_a_winner_that_is_not_the_paper_setting(
    script: Path, tmp_path: Path, chosen: str, commands: int
) -> None:
    # A stand-in for python: records each command and, for the selection alone, prints
    # the choice the way run_study.py does.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/bash\necho "$*" >> {calls}\n'
                    f'case " $* " in *" --retrain 0 "*) echo "{chosen}";; esac\n')
    fake.chmod(0o755)
    log = script.parent / "logs" / "gan-levers-select.log"
    log.write_text("+ nice -n 10 python run_study.py --retrain 0\n"
                   "selected: gan-levers#3\n")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", DB_DIR=str(tmp_path / "db"),
               SSL_HPO_CHECKPOINTS=str(tmp_path / "ck"))
    result = subprocess.run(["bash", str(script), "levers-select"], capture_output=True,
                            text=True, env=env, timeout=60, check=False)
    ran = calls.read_text().splitlines()
    assert len(ran) == commands
    assert "--retrain 0" in ran[0] and "--profile official" not in ran[0]
    if not chosen:
        assert result.returncode == 1 and "the selection chose nothing" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    if commands == 2:
        # The same selection as the first command, so its stored runs are reused.
        assert ran[1].replace("--retrain 5 --vary-labeled --profile official",
                              "--retrain 0") == ran[0]
    else:
        assert "gan-levers#0 (the method's reference configuration)" in result.stderr
        assert "none are trained here" in result.stderr
