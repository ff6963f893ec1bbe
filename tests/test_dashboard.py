"""optuna-dashboard, started for real on 127.0.0.1: our studies, user attributes and the
trials' artifacts (the GAN's sample grids)."""

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

from storage import files_dir, open_storage
from storage.artifacts import upload


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return json.loads(response.read())


def _dashboard() -> list[str]:
    """The ``optuna-dashboard`` command of this interpreter's environment.

    It sits beside ``sys.executable`` even when the environment is not activated (then it
    is not on PATH); the package itself has no ``__main__`` to run with ``-m``.
    """
    beside = Path(sys.executable).with_name("optuna-dashboard")
    if beside.exists():
        return [str(beside)]
    on_path = shutil.which("optuna-dashboard")
    if on_path:
        return [on_path]
    return [sys.executable, "-c", "import sys; from optuna_dashboard._cli import main; "
            "sys.argv[0] = 'optuna-dashboard'; main()"]


def test_dashboard_serves_studies_user_attrs_and_artifacts(tmp_path: Path) -> None:
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
    grid = tmp_path / "trial0.png"
    grid.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # stands for a sample grid
    artifact_id = upload(url, trial, grid)
    study.tell(trial, 0.85)
    port = _free_port()
    server = subprocess.Popen([*_dashboard(), url, "--host", "127.0.0.1", "--port", str(port),
                               "--artifact-dir", str(files_dir(url) / "artifact-store")],
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
        (meta,) = detail["trials"][0]["artifacts"]
        assert meta["artifact_id"] == artifact_id and meta["mimetype"] == "image/png"
        fetched = f"{base}/artifacts/{summary['study_id']}/{detail['trials'][0]['trial_id']}/"
        with urllib.request.urlopen(fetched + artifact_id, timeout=5) as response:
            assert response.read() == grid.read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=10)
