"""The processor a run trains on, named in every log line about speed and stored with
every run: the campaign's runs come from several machines (AMD EPYC and Intel Xeon, with
AVX-512 or AVX2 only), whose seconds per epoch differ by up to 1.6x and whose floating
point differs in the last bits, so a stored run's seconds and value are read with the
CPU that made them. TensorFlow-free.
"""

from __future__ import annotations

import platform
from pathlib import Path

__all__ = ["cpu_name"]


def cpu_name(cpuinfo: str | None = None) -> str:
    """The processor's model name, its model number and its widest vector unit, e.g.
    ``Intel(R) Xeon(R) Processor (model 207, AVX-512)``: some hosts report only a generic
    name, and the model number tells their generations apart.

    Args:
        cpuinfo: The text of ``/proc/cpuinfo`` (read when ``None``); where there is none,
            the machine's architecture stands for the name.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return platform.machine() or "unknown CPU"
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())  # the first processor's
    name = fields.get("model name") or platform.machine() or "unknown CPU"
    flags = fields.get("flags", "").split()
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    model = f"model {fields['model']}, " if fields.get("model", "").isdigit() else ""
    return f"{name} ({model}{vector})"
