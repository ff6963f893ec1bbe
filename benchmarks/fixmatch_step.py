#!/usr/bin/env python
"""FixMatch's step with the pseudo-label pass off the gradient tape, against one pass over
all views (the form it replaced), timed in one process on one TensorFlow thread.

The weak unlabeled views only give targets, which carry no gradient. In one pass over the
labeled, weak and strong views, the backward pass still runs over the mu weak batches;
off the tape, it runs over 1 + mu batches instead of 1 + 2 mu. Both steps are traced
once, warmed up, then timed in alternating blocks on the same real MNIST batch, so the
machine's load falls on both alike; the ratio is the result, the milliseconds are this
machine's. The configurations are those of ``benchmarks/fixmatch_budget.py``.

Each step's rate is its FLOPs (counted analytically: 2 per multiply-accumulate of the
encoder and head, a view on the tape costing 3 forward passes, one off it 1; the first
convolution's input needs no gradient, so this overstates the reference setting's work
by 1.4 %) over its time, against TensorFlow's float32 matmul rate at 2048^3 measured in
the same run on the same threads (numpy's BLAS would use every core): how far the step
is from what this CPU can do at all, and so what speed work on it could still win.

    python benchmarks/fixmatch_step.py --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import tensorflow as tf  # noqa: E402

from benchmarks.common import publish, run  # noqa: E402
from benchmarks.fixmatch_budget import BASE, CONFIGS, setup  # noqa: E402
from benchmarks.peak import matmul_peaks  # noqa: E402
from objectives import get_method, get_profile  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.encoder import EncoderConfig  # noqa: E402
from objectives.fixmatch import FixMatchModel, fixmatch_losses  # noqa: E402
from objectives.macs import encoder_macs  # noqa: E402
from objectives.training import release  # noqa: E402
from search.running.runtime import device_line  # noqa: E402


def one_pass_step(model: FixMatchModel, data: dict[str, tf.Tensor]) -> tf.Tensor:
    """The step before: every view through the student on the tape, the same loss."""
    x_lab, x_unl = data["x_lab"], data["x_unl"]
    views = tf.concat([model.weak(tf.concat([x_lab, x_unl], axis=0), training=True),
                       model.strong(x_unl, training=True)], axis=0)
    sizes = [tf.shape(x_lab)[0], tf.shape(x_unl)[0], tf.shape(x_unl)[0]]
    variables = model.student.trainable_variables
    with tf.GradientTape() as tape:
        l_lab, l_weak, l_strong = tf.split(model.student(views, training=True), sizes)
        loss_x, loss_u, _ = fixmatch_losses(l_lab, data["y_lab"], l_weak, l_strong,
                                            model.threshold)
        loss = loss_x + model.unlabeled_weight * loss_u
    model.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    model._update_average()
    return loss


def step_flops(params: dict[str, Any], on_tape: int, off_tape: int) -> float:
    """FLOPs of one step over ``on_tape`` images forward and backward (3 forward passes'
    worth) and ``off_tape`` images forward only, through the encoder and the head."""
    config = EncoderConfig.from_params(params)
    macs = encoder_macs(config) + config.latent_width * 10
    return 2.0 * macs * (3 * on_tape + off_tape)


def time_forms(steps: dict[str, Any], batch: dict[str, tf.Tensor], blocks: int,
               per_block: int) -> dict[str, list[float]]:
    """Milliseconds per call of each form, one value per block, the forms alternating."""
    for step in steps.values():
        for _ in range(3):  # tracing and the first allocations
            step(batch)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(blocks):
        for name, step in steps.items():
            started = time.perf_counter()
            for _ in range(per_block):
                out = step(batch)
            tf.nest.map_structure(lambda t: t.numpy(), out)  # wait for the last step
            times[name].append((time.perf_counter() - started) / per_block * 1000)
    return times


def timing_setup(doc: str) -> tuple[argparse.Namespace, Any]:
    """The flags of a benchmark that times forms in blocks (``setup``'s and the blocks'),
    checked; the threads set; MNIST loaded as ``setup`` loads it."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=6, help="timed blocks per form")
    parser.add_argument("--steps", type=int, default=10, help="steps per block")
    return setup(parser)


def main() -> int:
    args, data = timing_setup(__doc__)
    final = get_profile("final")
    method = get_method("fixmatch")
    peak = max(matmul_peaks(blas=False).values())
    rows = []
    for name, extra in CONFIGS.items():
        params = {**BASE, **extra}
        models = [method.build(params, data, final, RunContext(seed=0)) for _ in range(2)]
        batch = next(iter(method.fit_inputs(params, data, final).x))
        times = time_forms({"off the tape": tf.function(models[0].train_step),
                       "one pass": tf.function(lambda b, m=models[1]: one_pass_step(m, b))},
                      batch, args.blocks, args.steps)
        off, one = min(times["off the tape"]), min(times["one pass"])
        labeled, unlabeled = params["batch_size"], params["batch_size"] * params["mu"]
        rates = [step_flops(params, labeled + 2 * unlabeled, 0) / one / 1e6,
                 step_flops(params, labeled + unlabeled, unlabeled) / off / 1e6]
        rows.append((name, f"{one:.0f} ({statistics.median(times['one pass']):.0f})",
                     f"{off:.0f} ({statistics.median(times['off the tape']):.0f})",
                     f"{off / one:.2f}",
                     *(f"{r:.0f} ({r / peak:.0%})" for r in rates)))
        release()
    publish("FixMatch's step: the pseudo-label pass off the tape against one pass",
            ["configuration", "one pass: ms / step, fastest (median)",
             "off the tape: ms / step, fastest (median)", "off / one, fastest",
             "one pass: GFLOP/s (of peak)", "off the tape: GFLOP/s (of peak)"],
            rows, f"{args.blocks} alternating blocks of {args.steps} steps per form, after "
            f"3 untimed steps each; {args.threads} TensorFlow thread(s). The peak, "
            f"{peak:.0f} GFLOP/s, is TensorFlow's float32 matmul at 2048^3 on the same "
            f"threads in the same run. {device_line()}.",
            args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
