"""Keras' Adam against the official Improved-GAN Adam, on the GAN's official setting at `final`.

The two forms differ only in where epsilon sits: Keras divides by ``sqrt(v_hat) + 1e-7``,
the official Theano code by ``sqrt(v_hat + 1e-8)``, which damps the steps of parameters
whose gradients are tiny. This trains the official setting (100 labels, data seed 0) with
each form for the given model seeds and epochs of 500 steps, on validation only, with the
collapse guard on, and reports where each run collapsed (``loss_unl`` under 0.01 for two
epochs) and its validation accuracy along the way.

    python benchmarks/adam_form.py --seeds 0 1 --epochs 30 --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

from benchmarks.common import checked_args, publish, run  # noqa: E402
from objectives import get_method, get_profile, make_search_data, release  # noqa: E402
from objectives import resolve_source, train  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from search.cli import set_threads  # noqa: E402
from spaces.gan import REFERENCE_PARAMS  # noqa: E402

FORMS = {"keras": False, "official": True}


def _at(history: list[dict[str, float]], epoch: int, key: str) -> str:
    return f"{history[epoch - 1][key]:.4f}" if epoch <= len(history) else "–"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--forms", nargs="+", choices=sorted(FORMS), default=list(FORMS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--append", default=None)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="TensorFlow intra-op threads (default: all cores)")
    args = checked_args(parser)
    set_threads(args.threads)
    data = make_search_data(*resolve_source(args.data_dir).load_train(), 100, 0)
    method = get_method("gan")
    marks = sorted({e for e in (5, 10, 15, 20, 25, args.epochs) if e <= args.epochs})
    rows = []
    for form in args.forms:
        budget = replace(get_profile("final"), gan_epochs=args.epochs,
                         gan_patience=args.epochs, official_adam=FORMS[form])
        for seed in args.seeds:
            print(f"{form} Adam, seed {seed}", flush=True)
            result = train(method, dict(REFERENCE_PARAMS), data, budget, RunContext(seed=seed))
            history = result.history
            best = max(range(len(history)), key=lambda e: history[e]["val_accuracy"])
            rows.append((form, seed, result.stop_reason or "none",
                         *(_at(history, e, "val_accuracy") for e in marks),
                         f"{history[best]['val_accuracy']:.4f} (epoch {best + 1})",
                         f"{history[-1]['loss_unl']:.4f}", f"{history[-1]['loss_gen']:.1f}"))
            release()
    columns = ["Adam", "seed", "collapse", *(f"val acc, epoch {e}" for e in marks),
               "best val acc", "last loss_unl", "last loss_gen"]
    notes = (f"The official GAN setting at `final` (epochs of 500 steps, batch 100, 100 "
             f"labels, data seed 0), {args.epochs} epochs at most; validation accuracy of "
             "the parameter average on 2,000 validation images; '–': stopped before.")
    publish("Adam form of the GAN at final", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
