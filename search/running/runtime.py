"""How TensorFlow runs here: oneDNN on by default, and one line saying what trains.

TensorFlow 2.21 turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI or
newer; on other x86 CPUs (AMD EPYC without AVX-512 included) it leaves them off, although
they measured 2-2.5x faster for this project's conv methods there (``results/README.md``).
The entry points call :func:`configure_tensorflow` before TensorFlow is first imported;
a ``TF_ENABLE_ONEDNN_OPTS`` the user set always wins.

This module imports no TensorFlow at load time, so entry points can use it first.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from objectives.machine import cpu_name

__all__ = ["ONEDNN", "configure_tensorflow", "device_line"]

ONEDNN = "TF_ENABLE_ONEDNN_OPTS"


def configure_tensorflow(environ: MutableMapping[str, str] | None = None) -> None:
    """Sets the TensorFlow environment the project runs fastest with, unless already set.

    Must run before TensorFlow is imported; worker processes inherit the environment.

    Args:
        environ: The environment to change (default ``os.environ``).
    """
    environ = os.environ if environ is None else environ
    environ.setdefault(ONEDNN, "1")
    environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def device_line() -> str:
    """Which device trains, e.g. ``device: CPU (2 cores), Intel(R) Xeon(R) Processor
    (model 207, AVX-512), oneDNN on (TF_ENABLE_ONEDNN_OPTS=1), TensorFlow 2.21.0``.

    A machine with a visible GPU names it: TensorFlow then places the training there.
    """
    import tensorflow as tf
    from tensorflow.python.util import _pywrap_util_port

    gpus = tf.config.list_physical_devices("GPU")
    onednn = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    source = f"{ONEDNN}={os.environ[ONEDNN]}" if ONEDNN in os.environ else "TF default"
    where = (f"GPU ({', '.join(g.name for g in gpus)})" if gpus
             else f"CPU ({os.cpu_count()} cores), {cpu_name()}")
    return f"device: {where}, oneDNN {onednn} ({source}), TensorFlow {tf.__version__}"
