"""Bad input to run_study.py and analyze.py: one line on stderr, exit code 2, and nothing
created or changed (unknown names, impossible ranges, missing or corrupt data, storage
URLs in every bad state)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

import analyze
from storage import RetrainStore
from tests.conftest import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "nope"], "unknown method 'nope'; choose from: supervised"),
        (["--sampler", "cmaes"], "unknown sampler 'cmaes'"),
        (["--pruner", "wild"], "unknown pruner 'wild'"),
        (["--profile", "huge"], "unknown profile 'huge'"),
        (["--n-trials", "0"], "must be at least 1"),
        (["--n-trials", "x"], "expected a whole number"),
        (["--retrain", "-1"], "must be at least 0"),
        (["--retrain", "0", "--select", "1"], "--retrain 0 runs the selection only"),
        (["--top", "2"], "--top only applies with --retrain"),
        (["--n-labeled", "15"], "multiple of 10"),
        (["--data-dir", "{tmp}/absent"], "does not exist"),
        (["--data-dir", "{tmp}"], "holds neither"),
        (["--storage", "sqlite:///{tmp}/no/dir/s.db"], "does not exist"),
        (["--storage", "garbage"], "malformed storage URL"),
        (["--storage", "postgresql+nodriver://u:pw@h/db"], "no database driver"),
        (["--retrain", "5"], "no study database"),
        (["--profile", "official"], "folds the validation images into the unlabeled pool"),
        (["--data-seed", "-1"], "must be at least 0"),
        (["--seed", "-3"], "must be at least 0"),
        (["--timeout", "nan"], "must be more than 0"),
        (["--timeout", "-5"], "must be more than 0"),
        (["--timeout", "soon"], "expected a number of seconds"),
        (["--checkpoint-dir", "{data}/train-labels-idx1-ubyte.gz/ck"], "is a file, not a folder"),
        (["--calibrate", "2"], "--calibrate needs at least 3 configurations"),
        (["--calibrate", "4", "--tau-threshold", "1.5"], "--tau-threshold must lie in (-1, 1]"),
        (["--calibrate", "4", "--tau-threshold", "-1"], "--tau-threshold must lie in (-1, 1]"),
        (["--calibrate", "4", "--tau-threshold", "nan"], "--tau-threshold must lie in"),
        (["--calibrate", "4", "--sampler", "grid"], "the grid sampler walks a fixed grid"),
        (["--calibrate", "4", "--pruner", "none"], "with --pruner none there is nothing"),
        (["--calibrate", "30"], "would exceed --n-trials 20"),
        (["--tau-threshold", "0.5"], "only apply with --calibrate"),
        (["--select-labels", "fixed"], "only apply with --retrain"),
        (["--method", "fixmatch", "--fix", "threshold=1.5"], "threshold=1.5: outside [0.5"),
        (["--method", "fixmatch", "--fix", "threshold=0"], "threshold=0: outside [0.5"),
        (["--method", "fixmatch", "--fix", "mu=0"], "mu=0: not among [1, 2, 3, 5, 7]"),
        (["--method", "fixmatch", "--fix", "unlabeled_weight=-1"], "outside [0.1, 10.0]"),
        (["--method", "fixmatch", "--fix", "strength=1.5"], "strength=1.5: outside [0.1, 1.0]"),
        (["--calibrate", "4", "--retrain", "2"], "--calibrate applies to searches"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_creates_nothing(
    tmp_path: Path, mnist_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture, args: list[str], message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = {"--method": "supervised", "--profile": "smoke", "--data-dir": str(mnist_dir)}
    for key, value in zip(args[::2], args[1::2]):
        argv[key] = value.replace("{tmp}", str(tmp_path)).replace("{data}", str(mnist_dir))
    flat = [item for pair in argv.items() for item in pair]
    with pytest.raises(SystemExit) if message.startswith(("must", "expected")) else _nothing():
        code, _, err = run_cli(capsys, *flat)
        assert code == 2
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
        assert "pw" not in err
    if message.startswith(("must", "expected")):
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["--help"], ["--method", "nope"], ["--method", "gan,nope"],
                                  ["--method", "gan", "--profile", "huge"],
                                  ["--method", "gan", "--retrain", "--select-profile", "x"]])
def test_help_and_mistyped_names_answer_without_importing_tensorflow(argv: list[str]) -> None:
    # TensorFlow takes seconds to import; a typo should not wait for it.
    code = ("import sys\nfrom search.cli import main\ntry:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nprint('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True,
                            text=True, cwd=Path(__file__).resolve().parents[1], timeout=120,
                            check=False)
    assert result.stdout.splitlines()[-1] == "False", result.stderr
    if argv != ["--help"]:
        assert "run_study.py: error: unknown" in result.stderr


def test_retrain_without_finished_trial(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    common = ("--method", "supervised", "--profile", "smoke", "--storage", url,
              "--data-dir", str(mnist_dir))
    # A study whose only trial is infeasible has nothing to retrain.
    import optuna

    from storage import open_storage

    study = optuna.create_study(storage=open_storage(url), study_name="supervised-tpe")
    study.set_user_attr("method", "supervised")
    code, _, err = run_cli(capsys, *common, "--retrain", "3")
    assert code == 2 and "no finished trial of method 'supervised'" in err
    assert RetrainStore(url).runs() == []


def test_retrain_refuses_a_configuration_over_the_profile_cap(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    import optuna

    from objectives import get_method
    from spaces.gan import PAPER_PARAMS
    from storage import open_storage

    url = f"sqlite:///{tmp_path / 's.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="gan-tpe",
                                direction="maximize")
    study.set_user_attr("method", "gan")
    big = {**PAPER_PARAMS, "preset": "conv", "kernel_size": 5, "depth": 3, "filters": 32,
           "latent_width": 256}
    study.add_trial(optuna.trial.create_trial(
        params=big, distributions=get_method("gan").space.distributions(big), value=0.9))
    code, _, err = run_cli(capsys, "--method", "gan", "--profile", "bench", "--storage", url,
                        "--data-dir", str(mnist_dir), "--retrain", "1")
    assert code == 2 and err.count("\n") == 1
    assert "gan-tpe#0 cannot be retrained under profile 'bench'" in err and "cap" in err
    assert RetrainStore(url).runs() == []


def test_corrupt_data_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        with gzip.open(tmp_path / name, "wb") as handle:
            handle.write(b"\x00\x00\x08\x01garbage")
    url = f"sqlite:///{tmp_path / 's.db'}"
    code, _, err = run_cli(capsys, "--method", "supervised", "--storage", url,
                        "--data-dir", str(tmp_path))
    assert code == 2 and "corrupt MNIST file" in err
    assert not (tmp_path / "s.db").exists()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_storage_password_never_printed(tmp_path: Path, mnist_dir: Path,
                                        capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("psycopg")
    code, out, err = run_cli(capsys, "--method", "supervised", "--profile", "smoke",
                          "--data-dir", str(mnist_dir),
                          "--storage", "postgresql://alice:secretpw@127.0.0.1:1/optuna")
    assert code == 2 and "cannot open storage" in err
    assert "secretpw" not in out + err and "alice:***@" in err


@pytest.mark.parametrize(("extra", "message"), [
    ([], "--reference only applies with --retrain"),
    (["--retrain", "2"], "method 'supervised' has no reference configuration"),
])
def test_reference_needs_retrain_and_a_reference(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture, extra: list[str],
    message: str,
) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    code, _, err = run_cli(capsys, "--method", "supervised", "--reference", *extra,
                        "--storage", url, "--data-dir", str(mnist_dir))
    assert code == 2 and message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _storage_state(tmp_path: Path, state: str) -> str:
    """A storage URL in ``state``, made before the command runs."""
    path = tmp_path / "studies.db"
    if state == "empty file":
        path.touch()
    elif state == "not a database":
        path.write_bytes(b"these are not the bytes of a database\n" * 100)
    elif state == "unreachable server":
        return "postgresql+psycopg://user:pw@127.0.0.1:9/db"  # the discard port: refused
    return f"sqlite:///{path}"


# A search may start a new database where none (or an empty file) is: not an error there.
STORAGE_CASES = [(command, state)
                 for command in ("search", "retrain", "analyze")
                 for state in ("missing", "empty file", "not a database", "unreachable server")
                 if not (command == "search" and state in ("missing", "empty file"))]


@pytest.mark.parametrize(("command", "state"), STORAGE_CASES)
def test_every_storage_state_is_one_line_exit_2_and_nothing_changes(
    tmp_path: Path, mnist_dir: Path, capsys: pytest.CaptureFixture, command: str, state: str,
) -> None:
    url = _storage_state(tmp_path, state)
    before = {p: p.read_bytes() for p in tmp_path.iterdir()}
    if command == "analyze":
        code = analyze.main(["--storage", url, "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
    else:
        extra = ["--retrain", "2"] if command == "retrain" else ["--n-trials", "1"]
        code, _, err = run_cli(capsys, "--method", "supervised", "--profile", "smoke",
                            "--storage", url, "--data-dir", str(mnist_dir), *extra)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "pw" not in err
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_analyze_out_below_a_file_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("a file where the folder would go")
    code = analyze.main(["--storage", f"sqlite:///{tmp_path / 'x.db'}",
                         "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "is a file, not a folder" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
