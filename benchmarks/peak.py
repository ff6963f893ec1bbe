"""What this machine can do at best: float32 matmul rates measured in the benchmark's own
run, so a step's speed is judged against the peak of the same moment's load (the machine
is shared, and Zen 3, Zen 4 and Xeon hosts differ by a third).

Import it after ``configure_tensorflow()``: it imports TensorFlow.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import tensorflow as tf

__all__ = ["matmul_peaks", "numpy_matmul_rate", "tf_matmul_rate"]


def _rate(matmul: Callable[[], object], flops: float, repeats: int) -> float:
    matmul()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        matmul()
        best = min(best, time.perf_counter() - started)
    return flops / best / 1e9


def tf_matmul_rate(m: int, k: int, n: int, repeats: int = 5, chain: int = 10) -> float:
    """float32 GFLOP/s of TensorFlow's (m x k) @ (k x n), ``chain`` products per call."""
    a, b = tf.random.normal((m, k)), tf.random.normal((k, n))

    @tf.function
    def products() -> tf.Tensor:
        return tf.add_n([tf.matmul(a + float(i), b) for i in range(chain)])

    return _rate(lambda: products().numpy(), 2 * m * k * n * chain, repeats)


def numpy_matmul_rate(n: int, repeats: int = 3) -> float:
    """float32 GFLOP/s of numpy's BLAS at n^3."""
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    return _rate(lambda: a @ b, 2 * n**3, repeats)


def matmul_peaks(blas: bool = True) -> dict[str, float]:
    """Large square matmuls (GFLOP/s), TensorFlow's (under its oneDNN setting, on its
    configured threads) and, with ``blas``, numpy's BLAS (on every core: compare it only
    with a step that uses them all): what no training step on this CPU can beat."""
    rates = {"TensorFlow 2048^3": tf_matmul_rate(2048, 2048, 2048, chain=2)}
    if blas:
        rates |= {"numpy 2048^3": numpy_matmul_rate(2048),
                  "numpy 4096^3": numpy_matmul_rate(4096, repeats=2)}
    return rates
