"""The install extras: one TensorFlow distribution, with CUDA on request."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def _tensorflow(requirements: list[str]) -> list[Requirement]:
    parsed = [Requirement(text) for text in requirements]
    return [r for r in parsed if r.name.startswith("tensorflow")]


def test_gpu_extra_adds_cuda_to_the_same_tensorflow() -> None:
    # A CPU-only distribution (tensorflow-cpu) in the base would sit beside the GPU one in
    # the same import path; the extra must widen the base requirement, not replace it.
    (base,) = _tensorflow(PROJECT["project"]["dependencies"])
    (gpu,) = _tensorflow(PROJECT["project"]["optional-dependencies"]["gpu"])
    assert base.name == gpu.name == "tensorflow"
    assert gpu.extras == {"and-cuda"} and not base.extras
    assert gpu.specifier == base.specifier and base.marker is None


def test_every_package_is_installed() -> None:
    # A subpackage missing from the list works in an editable install and is absent from
    # a regular one.
    root = Path(__file__).resolve().parents[1]
    on_disk = {str(p.parent.relative_to(root)).replace("/", ".")
               for top in ("search", "spaces", "objectives", "storage")
               for p in (root / top).rglob("__init__.py")}
    assert on_disk == set(PROJECT["tool"]["setuptools"]["packages"])
