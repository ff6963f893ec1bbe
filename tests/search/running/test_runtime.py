"""TensorFlow's configuration: oneDNN on unless the user chose, and the device line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from search.running.runtime import ONEDNN, configure_tensorflow

ROOT = Path(__file__).resolve().parents[3]


def test_onednn_is_on_by_default_and_the_user_wins() -> None:
    environ: dict[str, str] = {}
    configure_tensorflow(environ)
    assert environ[ONEDNN] == "1"
    mine = {ONEDNN: "0"}
    configure_tensorflow(mine)
    assert mine[ONEDNN] == "0"


@pytest.mark.parametrize(("user", "expected"), [(None, "oneDNN on (TF_ENABLE_ONEDNN_OPTS=1)"),
                                                ("0", "oneDNN off (TF_ENABLE_ONEDNN_OPTS=0)")])
def test_entry_point_sets_it_before_tensorflow_loads(user: str | None, expected: str) -> None:
    # A fresh interpreter: the entry point's import must act before TensorFlow is loaded,
    # and TensorFlow itself must report the setting it ran with.
    env = {k: v for k, v in os.environ.items() if k != ONEDNN}
    if user is not None:
        env[ONEDNN] = user
    code = "import run_study; from search.running.runtime import device_line; print(device_line())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=300).stdout
    assert "device: CPU (" in out and expected in out
