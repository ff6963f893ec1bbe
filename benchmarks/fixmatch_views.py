#!/usr/bin/env python
"""FixMatch's strong view with its geometry as one warp (``RandomAffine``), against
Keras' ``RandomRotation``, ``RandomShear`` and ``RandomTranslation`` in a row (the form
it replaced), timed in one process on one TensorFlow thread: the view alone, and the
whole training step with each.

Each Keras layer warps and interpolates the whole batch; the composed map warps once.
Both forms are traced once, warmed up, then timed in alternating blocks on the same real
MNIST batch, so the machine's load falls on both alike; the ratios are the result, the
milliseconds are this machine's. The configurations are those of
``benchmarks/fixmatch_budget.py``.

    python benchmarks/fixmatch_views.py --append results/benchmarks.md
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.common import publish, run  # noqa: E402
from benchmarks.fixmatch_budget import BASE, CONFIGS  # noqa: E402
from benchmarks.fixmatch_step import time_forms, timing_setup  # noqa: E402
from objectives import get_method, get_profile  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.fixmatch import method as fixmatch_method  # noqa: E402
from objectives.fixmatch.policy import MAX, strong_view  # noqa: E402
from objectives.training import release  # noqa: E402
from search.running.runtime import device_line  # noqa: E402


def three_warps(strength: float) -> keras.Sequential:
    """The strong view before: Keras' three geometric layers, then the same photometric
    layers and cutout as the view now."""
    m = {k: v * strength for k, v in MAX.items()}
    return keras.Sequential([
        keras.layers.RandomRotation(m["rotation"], fill_mode="constant"),
        keras.layers.RandomShear(m["shear"], m["shear"], fill_mode="constant"),
        keras.layers.RandomTranslation(m["translation"], m["translation"],
                                       fill_mode="constant"),
        *strong_view(strength).layers[1:],
    ], name="three_warps")


def _cell(times: list[float]) -> str:
    return f"{min(times):.1f} ({statistics.median(times):.1f})"


def main() -> int:
    args, data = timing_setup(__doc__)
    final = get_profile("final")
    method = get_method("fixmatch")
    rows = []
    for name, extra in CONFIGS.items():
        params = {**BASE, **extra}
        models = [method.build(params, data, final, RunContext(seed=0))]
        # The same build with the view before in its place (a built model takes no
        # new layers).
        with mock.patch.object(fixmatch_method, "strong_view", three_warps):
            models.append(method.build(params, data, final, RunContext(seed=0)))
        batch = next(iter(method.fit_inputs(params, data, final).x))
        views = time_forms({
            "one": tf.function(lambda b, m=models[0]: m.strong(b["x_unl"], training=True)),
            "three": tf.function(lambda b, m=models[1]: m.strong(b["x_unl"], training=True)),
        }, batch, args.blocks, args.steps)
        steps = time_forms({"one": tf.function(models[0].train_step),
                            "three": tf.function(models[1].train_step)},
                           batch, args.blocks, args.steps)
        rows.append((name, _cell(views["three"]), _cell(views["one"]),
                     _cell(steps["three"]), _cell(steps["one"]),
                     f"{min(steps['one']) / min(steps['three']):.2f}"))
        release()
    publish("FixMatch's strong view: one warp against Keras' three",
            ["configuration", "view, three warps: ms, fastest (median)",
             "view, one warp: ms, fastest (median)", "step, three warps: ms",
             "step, one warp: ms", "step, one / three, fastest"],
            rows, f"{args.blocks} alternating blocks of {args.steps} calls per form, after "
            f"3 untimed calls each; the view on the step's mu x batch unlabeled images; "
            f"{args.threads} TensorFlow thread(s). {device_line()}.", args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
