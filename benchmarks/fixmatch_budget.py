#!/usr/bin/env python
"""What one FixMatch run at `final` costs: seconds per step of a few configurations, on one
TensorFlow thread, and the hours of the profile's 10,000 steps.

Times a 100-step epoch after a warm-up epoch (tracing, first allocations), on real MNIST.
The largest configurations the space allows under the 6 M multiply-accumulate cap, with
the largest batch and mu, are the worst case of the budget.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()

from benchmarks.common import checked_args, publish, run  # noqa: E402
from objectives import get_method, get_profile, make_search_data, resolve_source  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.data import SearchData  # noqa: E402
from objectives.encoder import EncoderConfig  # noqa: E402
from objectives.macs import encoder_macs  # noqa: E402
from objectives.training import release, train  # noqa: E402
from search.cli import set_threads  # noqa: E402
from search.running.runtime import device_line  # noqa: E402
from spaces.fixmatch import REFERENCE_PARAMS  # noqa: E402

# The method's reference (FixMatch's published settings on this project's encoder).
BASE = dict(REFERENCE_PARAMS)
CONFIGS = {
    "FixMatch's own: batch 64, mu 7, 32 filters": {},
    "small: batch 32, mu 3, 16 filters": {"batch_size": 32, "mu": 3, "filters": 16},
    # The largest encoder under the cap (5.9 M MACs), at the largest batch and mu.
    "largest: batch 100, mu 7, kernel 7, 16 filters, latent 256":
        {"batch_size": 100, "mu": 7, "kernel_size": 7, "filters": 16, "latent_width": 256},
}


def setup(parser: argparse.ArgumentParser) -> tuple[argparse.Namespace, SearchData]:
    """The flags the FixMatch benchmarks share, checked; the threads set; MNIST loaded
    with the search's 100 labels (data seed 0)."""
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--append", default=None, help="markdown file to append the table to")
    args = checked_args(parser)
    set_threads(args.threads)
    return args, make_search_data(*resolve_source(args.data_dir).load_train(), 100, 0)


def main() -> int:
    args, data = setup(argparse.ArgumentParser(description=__doc__.split("\n\n")[0]))
    final = get_profile("final")
    method = get_method("fixmatch")
    steps = final.consistency_epoch_steps
    total = final.consistency_epochs * steps
    rows = []
    for name, extra in CONFIGS.items():
        params = {**BASE, **extra}
        method.check(params, final)  # the cap of `final` admits it
        budget = dataclasses.replace(final, consistency_epochs=2, early_stopping=False,
                                     val_monitor=1000, val_limit=1000)
        started = time.perf_counter()
        result = train(method, params, data, budget, RunContext(seed=0))
        seconds = time.perf_counter() - started
        # History holds no wall time per epoch: time the second epoch by a rerun of one.
        one = dataclasses.replace(budget, consistency_epochs=1)
        started = time.perf_counter()
        train(method, params, data, one, RunContext(seed=0))
        first = time.perf_counter() - started
        per_step = (seconds - first) / steps
        macs = encoder_macs(EncoderConfig.from_params(params))
        rows.append((name, f"{macs / 1e6:.2f}", f"{per_step * 1000:.0f}",
                     f"{per_step * total / 3600:.2f}", f"{result.val_accuracy:.3f}"))
        release()
    publish(f"FixMatch at `final`: cost of its {total:,} steps",
            ["configuration", "encoder M MACs / image", "ms / step", "hours / run",
             "val acc after 200 steps"],
            rows, f"{args.threads} TensorFlow thread(s). {device_line()}. Seconds per step "
            "= (two epochs − one epoch) / 100, so tracing and the first epoch's allocations "
            "are left out; early stopping usually ends a run sooner.", args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
