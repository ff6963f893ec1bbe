"""results/pipeline.sh: its usage and its refusals, which must come before any training."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "results" / "pipeline.sh"


@pytest.fixture
def script(tmp_path: Path) -> Path:
    """A copy in a scratch project: the script works from its parent folder."""
    (tmp_path / "results" / "logs").mkdir(parents=True)
    return Path(shutil.copy(SCRIPT, tmp_path / "results" / "pipeline.sh"))


def _run(script: Path, *stages: str, under_nice: bool = False, timeout: float = 60,
         **settings: str | None) -> subprocess.CompletedProcess:
    """Runs the stages with the pipeline's settings given (environment variables; None:
    unset) and none inherited from the test's own environment, optionally started under
    ``nice -n 10`` as a campaign is."""
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIES", "SWEEP_LABELS")}
    env.update({k: v for k, v in settings.items() if v is not None})
    command = ["nice", "-n", "10"] * under_nice + ["bash", str(script), *stages]
    return subprocess.run(command, capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def _run_faked(script: Path, stages: str, program: str, *, under_nice: bool = False,
               timeout: float = 60, **settings: str) -> subprocess.CompletedProcess:
    """``_run`` of ``stages`` (separated by spaces) with ``program`` (its text, ``#!``
    line first) standing in for python, the databases and checkpoints in the scratch
    project."""
    bin_dir = script.parents[1] / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python"
    fake.write_text(program)
    fake.chmod(0o755)
    return _run(script, *stages.split(), under_nice=under_nice, timeout=timeout,
                PATH=f"{bin_dir}:{os.environ['PATH']}", DB_DIR=str(script.parents[1] / "db"),
                SSL_HPO_CHECKPOINTS=str(script.parents[1] / "ck"), **settings)


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
    result = _run(script, *stages, STUDIES=studies, SWEEP_LABELS=sweep_labels)
    assert result.returncode == 2
    assert message in result.stderr
    assert not any((script.parent / "logs").iterdir())  # no stage started, no log line


@pytest.mark.parametrize(("chosen", "commands"), [
    ("selected: gan-levers#17", 4),
    ("selected: gan-levers#0 (the method's reference configuration)", 1),
    ("", 1),  # the selection failed: an earlier run's choice must not stand in for it
])
def test_levers_select_retrains_only_a_winner_that_is_not_the_paper_setting(
    script: Path, tmp_path: Path, chosen: str, commands: int
) -> None:
    # A stand-in for python: records each command and, for the selection alone, prints
    # the choice the way run_study.py does. The official runs end only once the
    # ablation beside them has started, and the ablation on one worker trains until it
    # is stopped (it would outlast the test's timeout).
    calls = tmp_path / "calls"
    program = f'''#!/bin/bash
echo "$(nice) $*" >> {calls}
case " $* " in
  *" --retrain 0 "*) echo "{chosen}";;
  *" --profile official "*) until grep -q -- --ablate {calls}; do sleep 0.05; done;;
  *" --ablate "*" --workers 1 "*)
    trap 'echo "- stopped" >> {calls}; exit 143' TERM; sleep 50 & wait $!;;
esac
'''
    log = script.parent / "logs" / "gan-levers-select.log"
    log.write_text("+ nice -n 10 python run_study.py --retrain 0\n"
                   "selected: gan-levers#3\n")
    # Started under nice 10, as a campaign is: the levels must still come out apart.
    result = _run_faked(script, "levers-select", program, under_nice=True)
    lines = calls.read_text().splitlines()
    niceness, ran = zip(*(line.split(" ", 1) for line in lines if line != "- stopped"))
    assert len(ran) == commands
    assert "--retrain 0" in ran[0] and "--profile official" not in ran[0]
    if not chosen:
        assert result.returncode == 1 and "the selection chose nothing" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    if commands == 4:
        # The official runs and the winner's ablation, in either order: they run together.
        [official] = [line for line in ran[1:3] if "--profile official" in line]
        [ablation] = [line for line in ran[1:3] if "--ablate" in line]
        # The same selection as the first command, so its stored runs are reused.
        assert official.replace("--retrain 5 --vary-labeled --profile official",
                                "--retrain 0") == ran[0]
        assert "--ablate 17 " in ablation and "--workers 1 --threads 1" in ablation
        # It yields to the official runs: the lowest priority there is.
        assert niceness[ran.index(ablation)] == "19"
        assert int(niceness[ran.index(official)]) == max(10, os.nice(0) + 10) < 19 or (
            os.nice(0) >= 9)
        assert "--storage sqlite:///" in ablation and "gan-levers" in ablation
        # Once they end, it is stopped (whole: nothing of it trains on) and goes on on
        # every worker at the official runs' level.
        assert "- stopped" in lines
        assert ran[3] == ablation.replace("--workers 1 --threads 1", "--workers 2 --threads 2")
        assert niceness[3] == niceness[ran.index(official)]
        assert lines[-1] == f"{niceness[3]} {ran[3]}"
    else:
        assert "gan-levers#0 (the method's reference configuration)" in result.stderr
        assert "none are trained here" in result.stderr


def test_training_copies_the_live_databases_into_results_while_it_runs(
    script: Path, tmp_path: Path
) -> None:
    # A stand-in for run_study.py that writes a live database, waits for its copy to show
    # up in results/ while it still runs, then writes more; `python -c` (the copy itself)
    # goes to the real interpreter.
    calls = tmp_path / "calls"
    program = f"""#!{sys.executable}
import os, sqlite3, sys, time
if sys.argv[1] == "-c":
    os.execv({sys.executable!r}, [{sys.executable!r}, *sys.argv[1:]])
live = sqlite3.connect(os.path.join(os.environ["DB_DIR"], "levers.db"))
live.execute("create table runs (n)")
live.execute("insert into runs values (1)")
live.commit()
copy, deadline, seen = "results/levers.db", time.time() + 30, 0
while not seen and time.time() < deadline:
    time.sleep(0.2)
    if os.path.exists(copy):
        try:
            seen = sqlite3.connect(copy).execute("select count(*) from runs").fetchone()[0]
        except sqlite3.OperationalError:  # not yet copied whole
            pass
open({str(calls)!r}, "a").write(f"seen while running: {{seen}}\\n")
time.sleep(0.1)
live.execute("insert into runs values (2)")
live.commit()
"""
    result = _run_faked(script, "levers", program, SNAPSHOT_SECONDS="1")
    assert result.returncode == 0, result.stderr
    assert calls.read_text() == "seen while running: 1\n"
    # And once more when the command ended: the committed copy holds everything.
    copy = sqlite3.connect(script.parent / "levers.db")
    assert copy.execute("select count(*) from runs").fetchone()[0] == 2


def test_calibrate_checks_select_only_for_the_pretraining_methods(
    script: Path, tmp_path: Path
) -> None:
    # A stand-in for python that records each command; the autoencoder's calibration
    # fails, so its `select` check must not run on a calibration that never finished.
    calls = tmp_path / "calls"
    result = _run_faked(script, "calibrate", f'''#!/bin/bash
echo "$(nice) $*" >> {calls}
case " $* " in *" --study-name autoencoder-calibration --storage "*) exit 1;; esac
''', under_nice=True, CALIBRATE="supervised autoencoder contrastive")
    assert result.returncode == 0, result.stderr
    niceness, ran = zip(*(line.split(" ", 1) for line in calls.read_text().splitlines()))
    assert [line.split()[0] for line in ran] == ["run_study.py"] * 3 + [
        "benchmarks/selection_fidelity.py"]
    assert [line.split("--study-name ")[1].split()[0] for line in ran] == [
        "supervised-calibration", "autoencoder-calibration", "contrastive-calibration",
        "contrastive-calibration"]
    check = ran[3]
    assert "--top 6 --seeds 1 --high search" in check and "calibration.db" in check
    assert "--append results/benchmarks.md" in check
    # At the training commands' level, not 10 above the level the pipeline started at.
    assert len(set(niceness)) == 1


def test_fixmatch_selects_once_then_retrains_both_groups_side_by_side(
    script: Path, tmp_path: Path
) -> None:
    # A stand-in for python that records when each command starts and ends; a retrain
    # waits until the other group's has started, so the test fails (at its timeout) if
    # the two ran one after the other.
    calls = tmp_path / "calls"
    result = _run_faked(script, "fixmatch", f'''#!/bin/bash
echo "start $*" >> {calls}
case " $* " in
  *" --retrain 5 "*) until [ "$(grep -c -- '^start.* --retrain 5 ' {calls})" = 2 ]; do
      sleep 0.05; done;;
esac
echo "end $*" >> {calls}
''', timeout=30)
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    assert "--calibrate 6 --n-trials 16" in lines[0] and lines[1].startswith("end ")
    assert "--retrain 0 " in lines[2] and "--workers 2 " in lines[2]
    assert lines[3] == "end " + lines[2][len("start "):]
    retrains = lines[4:6]
    assert all(line.startswith("start ") and "--retrain 5 " in line
               and "--workers 1 --threads 1" in line for line in retrains)
    assert sorted("--vary-labeled" in line for line in retrains) == [False, True]
    # The same selection as the one just run, so its stored runs are reused.
    for line in retrains:
        assert line.split(" --retrain")[0] == lines[2].split(" --retrain")[0]
    assert len(lines) == 8


def test_fixmatch_sweep_reuses_the_selection_and_the_redrawn_runs_at_100(
    script: Path, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    result = _run_faked(script, "fixmatch fixmatch-sweep",
                        f'#!/bin/bash\necho "$*" >> {calls}\n', SWEEP_LABELS="20 100")
    assert result.returncode == 0, result.stderr
    lines = calls.read_text().splitlines()
    [redrawn] = [line for line in lines[:4] if "--vary-labeled" in line]
    sweep = lines[4:]
    assert [line.split("--n-labeled ")[1].split()[0] for line in sweep] == ["20", "100"]
    # Word for word the redrawn retrains' command but for the label count: the stored
    # selection is reused, and at 100 labels so are the stored runs.
    assert sweep[1].replace("--n-labeled 100 ", "").replace("--workers 2 --threads 2",
                                                           "--workers 1 --threads 1") == (
        redrawn)
