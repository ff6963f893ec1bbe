"""Path flags, checked before anything is trained or created: the one check every entry
point (``run_study.py``, ``analyze.py``, the benchmarks) runs on every path it is given.

Permission bits cannot answer "can I write there?": root passes every ``os.access`` test,
a read-only or virtual file system (``/proc``) refuses anyway, a name can be too long,
hold a NUL byte or end in a dangling link. So a folder to write is tried for real: the
missing folders are made, a file is written in the last one, and all of it is removed
again. Any failure becomes one :class:`~storage.urls.StorageError` naming the flag.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from storage.urls import StorageError

__all__ = ["PATH_CHECKS", "check_file_to_append", "check_file_to_read", "check_folder",
           "check_folder_to_read", "check_paths"]


def _resolve(path: str | Path, what: str) -> Path:
    # Absolute, links kept: a dangling link on the path must be seen as the obstacle a
    # later mkdir will meet, not followed to where it points.
    try:
        text = os.fspath(Path(path).expanduser())
        if "\0" in text:
            raise ValueError("embedded null byte")
        return Path(os.path.abspath(text))
    except (OSError, ValueError) as exc:
        raise StorageError(f"{what} {str(path)!r}: not a usable path ({exc})") from None


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_folder(folder: str | Path, what: str, shown: str | Path | None = None) -> Path:
    """Checks that ``folder`` is, or can be made, a writable folder; leaves nothing behind.

    Args:
        folder: The folder a command will write into.
        what: How to name it in the error, e.g. ``"--out"``.
        shown: The path the user gave, when ``folder`` was derived from it.

    Returns:
        The resolved path.

    Raises:
        StorageError: If a file stands on its path, or a folder cannot be made or written
            there (read-only or virtual file system, name too long, no permission).
    """
    path = _resolve(folder, what)
    given = folder if shown is None else shown
    try:
        existing = next(p for p in (path, *path.parents) if p.exists())
    except OSError as exc:  # a name too long to look up
        raise StorageError(f"{what} {given}: cannot write there ({_reason(exc)})") from None
    if not existing.is_dir():
        raise StorageError(f"{what} {given}: {existing} is a file, not a folder")
    made: list[Path] = []
    try:
        for part in path.relative_to(existing).parts:
            made.append((made[-1] if made else existing) / part)
            made[-1].mkdir()
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise StorageError(f"{what} {given}: cannot write there ({_reason(exc)})") from None
    finally:
        for created in reversed(made):
            if created.is_dir():
                created.rmdir()
    return path


def _check_to_read(given: str | Path, what: str, folder: bool) -> Path:
    path = _resolve(given, what)
    wanted, other = ("folder", "file") if folder else ("file", "folder")
    try:
        if not path.exists():
            raise StorageError(f"{what} {given} does not exist")
        if path.is_dir() != folder:
            raise StorageError(f"{what} {given} is a {other}, not a {wanted}")
        if folder:
            next(os.scandir(path), None)
        else:
            path.open("rb").close()
    except OSError as exc:
        raise StorageError(f"{what} {given}: cannot read it ({_reason(exc)})") from None
    return path


def check_folder_to_read(folder: str | Path, what: str) -> Path:
    """Checks that ``folder`` is an existing folder whose entries can be listed.

    Raises:
        StorageError: If it is missing, a file, or unreadable.
    """
    return _check_to_read(folder, what, folder=True)


def check_file_to_read(file: str | Path, what: str) -> Path:
    """Checks that ``file`` is an existing, readable file.

    Raises:
        StorageError: If it is missing, a folder, or unreadable.
    """
    return _check_to_read(file, what, folder=False)


def check_file_to_append(file: str | Path, what: str) -> Path:
    """Checks that ``file`` can be appended to: an existing writable file, or a new one in
    a folder that can be made and written (nothing is left behind).

    Raises:
        StorageError: If it is a folder, or cannot be written.
    """
    path = _resolve(file, what)
    try:
        if path.is_dir():
            raise StorageError(f"{what} {file} is a folder, not a file")
        if path.exists():
            with path.open("ab"):
                pass
            return path
    except OSError as exc:
        raise StorageError(f"{what} {file}: cannot write it ({_reason(exc)})") from None
    check_folder(path.parent, what, shown=file)
    return path


# What a path flag is for -> its check; an entry point declares each of its path flags.
PATH_CHECKS: dict[str, Callable[[str | Path, str], Path]] = {
    "folder to write": check_folder,
    "folder to read": check_folder_to_read,
    "file to read": check_file_to_read,
    "file to append": check_file_to_append,
}


def check_paths(args: argparse.Namespace, flags: Mapping[str, str]) -> None:
    """Checks every path flag an entry point was given, before it does anything.

    Args:
        args: The parsed command line.
        flags: ``{flag: kind}`` of the entry point's path flags (``"--out"``: ``"folder
            to write"``); a flag that is unset is skipped, a repeated one checked each
            time.

    Raises:
        StorageError: For the first unusable path.
    """
    for flag, kind in flags.items():
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        for path in value if isinstance(value, list) else [value]:
            if path is not None:
                PATH_CHECKS[kind](path, flag)
