"""Shared helpers of the benchmarks: their command line's checks, markdown tables and the
results log."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from objectives.machine import cpu_name

__all__ = ["PATH_FLAGS", "append_result", "checked_args", "machine", "publish", "run",
           "run_study", "table"]

ROOT = Path(__file__).resolve().parents[1]
# Every path flag a benchmark takes and what it is for (``storage.paths``).
PATH_FLAGS = {"--data-dir": "folder to read", "--append": "file to append",
              "--checkpoint-dir": "folder to write"}


def checked_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parses the command line and checks every path flag before anything runs."""
    from storage import check_paths

    args = parser.parse_args()
    check_paths(args, {flag: kind for flag, kind in PATH_FLAGS.items()
                       if hasattr(args, flag.lstrip("-").replace("-", "_"))})
    return args


def run(main: Callable[[], int | None]) -> int:
    """Runs a benchmark's ``main`` as ``run_study.py`` runs a command: bad input (a path
    flag, missing or corrupt MNIST, an unknown name) ends in one line and exit code 2."""
    from objectives import DataError
    from spaces import SpaceError, UnknownNameError
    from storage import StorageError

    try:
        return main() or 0
    except (DataError, StorageError, SpaceError, UnknownNameError) as exc:
        print(f"{Path(sys.argv[0]).name}: error: {exc}", file=sys.stderr)
        return 2


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    """One line describing this machine."""
    return (f"{cpu_name()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}")


def append_result(path: Path, title: str, command: str, text: str) -> None:
    """Appends a dated section with the command that produced ``text``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with path.open("a") as handle:
        handle.write(f"\n## {title}\n\n{stamp}, {machine()}\n\n`{command}`\n\n{text}\n")


def publish(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], notes: str,
            append: str | None) -> None:
    """Prints a benchmark's table and notes and, if ``append`` names a file, appends them
    there under ``title (benchmarks/<script>)`` with the command line that made them."""
    text = table(columns, rows) + (f"\n\n{notes}" if notes else "")
    print(text)
    if append:
        script = f"benchmarks/{Path(sys.argv[0]).name}"
        append_result(Path(append), f"{title} ({script})", "python " + " ".join(sys.argv), text)


def run_study(options: Mapping[str, object], data_dir: str | None = None) -> float:
    """Runs ``run_study.py`` with ``--key value`` for each option; returns its wall seconds.

    Benchmarks go through the real command line, so they measure what users run.
    """
    command = [sys.executable, str(ROOT / "run_study.py")]
    for key, value in {**options, **({"data-dir": data_dir} if data_dir else {})}.items():
        command += [f"--{key}", str(value)]
    print("+", " ".join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - started
