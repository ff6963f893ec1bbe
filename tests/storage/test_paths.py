"""Every path flag of every entry point, against the whole class of unusable paths: one
line naming the flag, exit code 2, before anything is trained, and nothing created."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

import analyze
from benchmarks import common
from search import cli
from storage import PATH_CHECKS, StorageError, check_paths
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
PATHISH = re.compile(r"(-dir|--out|-log|--append|-file|-path)$")

# Unusable paths per kind of flag; {tmp} is a scratch folder holding a file "f" and a
# dangling link "dangling". /proc is a virtual file system no one can make a folder in.
LONG = "a" * 300
BAD = {
    "folder to write": ["{tmp}/f/below", "/proc/ssl-hpo-test/x", f"{{tmp}}/{LONG}",
                        "{tmp}/nul\0byte", "{tmp}/dangling"],
    "folder to read": ["{tmp}/absent", "{tmp}/f", f"{{tmp}}/{LONG}", "{tmp}/nul\0byte"],
    "file to read": ["{tmp}/absent.log", "{tmp}", "{tmp}/nul\0byte"],
    "file to append": ["{tmp}", "{tmp}/f/below.md", "/proc/ssl-hpo-test.md",
                       f"{{tmp}}/{LONG}.md"],
}


def _run_study(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    code, _, err = run_cli(capsys, "--method", "supervised", "--profile", "smoke", *argv)
    return code, err


def _analyze(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    code = analyze.main(["--storage", "sqlite:///absent.db", *argv])
    return code, capsys.readouterr().err


def _benchmark(argv: list[str], capsys: pytest.CaptureFixture,
               monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    module = importlib.import_module("benchmarks.selection_fidelity")
    monkeypatch.setattr(sys, "argv", ["selection_fidelity.py", "--storage", "sqlite:///x.db",
                                      "--study-name", "s", *argv])
    code = common.run(module.main)
    return code, capsys.readouterr().err


ENTRIES = {"run_study.py": (cli.PATH_FLAGS, _run_study),
           "analyze.py": (analyze.PATH_FLAGS, _analyze),
           "benchmarks": (common.PATH_FLAGS, _benchmark)}
CASES = [(entry, flag, bad) for entry, (flags, _) in ENTRIES.items()
         for flag, kind in flags.items() for bad in BAD[kind]]


@pytest.mark.parametrize(("entry", "flag", "bad"), CASES,
                         ids=[f"{e}{f}:{b[:24]!r}" for e, f, b in CASES])
def test_an_unusable_path_is_one_line_exit_2_and_creates_nothing(
        entry: str, flag: str, bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "f").write_text("a file")
    (scratch / "dangling").symlink_to(scratch / "nowhere")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in scratch.iterdir())
    _, run = ENTRIES[entry]
    argv = [flag, bad.replace("{tmp}", str(scratch))]
    args = (argv, capsys, monkeypatch) if entry == "benchmarks" else (argv, capsys)
    code, err = run(*args)  # type: ignore[operator]  # the entries take 2 or 3 arguments
    assert code == 2, err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err
    assert sorted(p.name for p in scratch.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["scratch"]
    assert not Path("/proc/ssl-hpo-test").exists()


@pytest.mark.parametrize("entry", ["run_study.py", "analyze.py"])
def test_every_path_flag_of_a_command_is_checked(entry: str) -> None:
    parser = cli.build_parser() if entry == "run_study.py" else analyze.build_parser()
    flags = {s for a in parser._actions for s in a.option_strings if s.startswith("--")}
    pathish = {f for f in flags if PATHISH.search(f)}
    assert pathish <= set(ENTRIES[entry][0]), pathish - set(ENTRIES[entry][0])


def test_every_path_flag_of_the_benchmarks_is_checked() -> None:
    flags = set()
    for script in (ROOT / "benchmarks").glob("*.py"):
        flags |= set(re.findall(r'add_argument\("(--[a-z-]+)"', script.read_text()))
    pathish = {f for f in flags if PATHISH.search(f)}
    assert pathish and pathish <= set(common.PATH_FLAGS), pathish - set(common.PATH_FLAGS)


def test_usable_paths_pass_and_are_left_as_they_were(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_text("x")
    args = type("Args", (), {"out": str(tmp_path / "new" / "deeper"), "data_dir": None,
                             "curve_log": [str(tmp_path / "log.txt")],
                             "append": str(tmp_path / "new2" / "t.md")})()
    check_paths(args, {"--out": "folder to write", "--data-dir": "folder to read",
                       "--curve-log": "file to read", "--append": "file to append"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.txt"]
    assert set(PATH_CHECKS) == set(BAD)
    with pytest.raises(StorageError, match="--out .*is a file, not a folder"):
        check_paths(type("Args", (), {"out": str(tmp_path / "log.txt" / "x")})(),
                    {"--out": "folder to write"})
