"""The `paper` GAN over several seeds: test errors (out of 10,000) after every epoch.

Checks on real MNIST that the error keeps falling over the epochs this machine can afford,
and shows how far that budget is from the paper's 93 +- 6.5 errors after 300 epochs.
One epoch = one pass over the 50,000 unlabeled images (500 steps of 100); evaluation
uses the parameter average, as in the official code. This reads the test set by design:
it is a report, not a search.

    python benchmarks/gan_paper_seeds.py --seeds 0 1 2 --epochs 4 --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from objectives import get_method, get_profile, make_search_data, make_test_data  # noqa: E402
from objectives import release, resolve_source  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.data import TestData  # noqa: E402
from search.cli import set_threads  # noqa: E402
from search.winners.scoring import count_errors  # noqa: E402
from spaces.gan import PAPER_PARAMS  # noqa: E402


class TestErrors(keras.callbacks.Callback):
    """Counts test errors after each epoch (the averaged discriminator)."""

    def __init__(self, test: TestData, log: TextIO) -> None:
        super().__init__()
        self.test, self.log = test, log
        self.errors: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        errors = count_errors(self.model, self.test, 1000)
        self.errors.append(errors)
        print(f"  epoch {epoch + 1}: test errors {errors}, loss_lab "
              f"{logs.get('loss_lab', float('nan')):.4f}, loss_unl "
              f"{logs.get('loss_unl', float('nan')):.4f}, loss_gen "
              f"{logs.get('loss_gen', float('nan')):.4f}", file=self.log, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--append", default=None)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="TensorFlow intra-op threads (default: all cores)")
    args = checked_args(parser)
    set_threads(args.threads)
    source = resolve_source(args.data_dir)
    images, labels = source.load_train()
    test = make_test_data(*source.load_test())
    method = get_method("gan")
    budget = replace(get_profile("paper"), gan_epochs=args.epochs)
    errors, seconds = {}, {}
    for seed in args.seeds:
        # The paper averages over labeled subsets: data seed = model seed.
        data = make_search_data(images, labels, 100, seed)
        print(f"seed {seed}", flush=True)
        keras.utils.set_random_seed(seed)
        model = method.build(dict(PAPER_PARAMS), data, budget, RunContext(seed=seed))
        inputs = method.fit_inputs(dict(PAPER_PARAMS), data, budget)
        probe = TestErrors(test, sys.stdout)
        # analyze.py --curve-log reads this line to draw the curve against steps.
        print(f"{int(inputs.x.cardinality())} steps per epoch", flush=True)
        started = time.perf_counter()
        model.fit(inputs.x, epochs=args.epochs, verbose=0, callbacks=[probe])
        seconds[seed] = (time.perf_counter() - started) / args.epochs
        errors[seed] = probe.errors
        release()
    per_epoch = np.array([errors[s] for s in args.seeds], dtype=float)  # seeds x epochs
    rows = [(epoch + 1, *(int(v) for v in per_epoch[:, epoch]),
             f"{per_epoch[:, epoch].mean():.0f}") for epoch in range(args.epochs)]
    rows.append(("s / epoch (incl. test pass)", *(f"{seconds[s]:.0f}" for s in args.seeds), ""))
    finals = per_epoch[:, -1]
    spread = finals.std(ddof=1) if len(finals) > 1 else 0.0
    columns = ["epoch", *(f"seed {s}" for s in args.seeds), "mean"]
    notes = (f"Test errors /10,000, paper preset, 100 labels (data seed = model seed), "
             f"{args.epochs} of the paper's 300 epochs: {finals.mean():.0f} ± {spread:.0f} "
             "(paper: 93 ± 6.5).")
    publish("Paper GAN per epoch", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
