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
