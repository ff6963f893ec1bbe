"""optuna-dashboard, started for real on 127.0.0.1, lists our studies and user attributes."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest

from storage import open_storage


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return json.loads(response.read())


def test_dashboard_lists_studies_with_user_attrs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    study = optuna.create_study(storage=open_storage(url), study_name="supervised-tpe",
                                direction="maximize")
    study.set_user_attr("method", "supervised")
    trial = study.ask({"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2,
                                                                               log=True)})
    for key, value in {"epochs": 7, "seconds": 12.5, "n_params": 12345,
                       "config": json.dumps({"method": "supervised"})}.items():
        trial.set_user_attr(key, value)
    trial.report(0.8, 0)
    study.tell(trial, 0.85)
    executable = shutil.which("optuna-dashboard")
    command = ([executable] if executable else [sys.executable, "-m", "optuna_dashboard"])
    port = _free_port()
    server = subprocess.Popen([*command, url, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                summaries = _get(f"{base}/api/studies")["study_summaries"]
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("optuna-dashboard did not start")
                time.sleep(0.5)
        (summary,) = summaries
        assert summary["study_name"] == "supervised-tpe"
        assert {"key": "method", "value": "supervised"} in summary["user_attrs"]
        detail = _get(f"{base}/api/studies/{summary['study_id']}?after=0")
        attrs = {a["key"]: a["value"] for a in detail["trials"][0]["user_attrs"]}
        assert attrs["epochs"] == "7" and attrs["n_params"] == "12345"
        assert json.loads(attrs["config"])["method"] == "supervised"
        assert detail["trials"][0]["intermediate_values"]
    finally:
        server.terminate()
        server.wait(timeout=10)
