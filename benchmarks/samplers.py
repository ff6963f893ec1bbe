"""Sampler efficiency on the baseline: TPE vs random vs grid, several study seeds each.

Each (sampler, seed) is a real ``bench`` search of the supervised baseline with the same
trial budget and pruner. The table gives the best validation accuracy after n finished
trials (median and range over seeds), and how many trials TPE needed to reach random
search's best after the whole budget, the goal being at most half of it.

    python benchmarks/samplers.py --trials 30 --jobs 2 --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import optuna  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from benchmarks.search_runs import StudySpec, add_common_arguments, best_after  # noqa: E402
from benchmarks.search_runs import finished_trials, load, median_range, run_all  # noqa: E402


def trials_to_reach(trials: list, target: float) -> int | None:
    """Finished trials a study needed for a best value of at least ``target``."""
    for n in range(1, len(trials) + 1):
        if best_after(trials, n) >= target:
            return n
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samplers", nargs="+", default=["tpe", "random", "grid"])
    parser.add_argument("--pruner", default="median")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[5, 10, 20, 30])
    add_common_arguments(parser)
    args = checked_args(parser)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    specs = {(s, seed): StudySpec(s, args.pruner, seed, args.trials)
             for seed in args.seeds for s in args.samplers}
    if not args.report_only:
        run_all(list(specs.values()), args)
    runs = {key: finished_trials(load(spec, args.storage), args.trials)
            for key, spec in specs.items()}
    checkpoints = [n for n in args.checkpoints if n <= args.trials]
    rows = []
    for sampler in args.samplers:
        mine = [runs[sampler, seed] for seed in args.seeds]
        rows.append((sampler, *(median_range([best_after(t, n) for t in mine])
                                for n in checkpoints), ", ".join(str(len(t)) for t in mine)))
    columns = ["sampler", *(f"best val after {n}" for n in checkpoints),
               "finished trials per seed"]
    notes = []
    if "tpe" in args.samplers and "random" in args.samplers:
        # Paired by seed: TPE's first trials are random search's, drawn from the same seed.
        parts = []
        for seed in args.seeds:
            target = best_after(runs["random", seed], args.trials)
            if math.isnan(target) or len(runs["tpe", seed]) < args.trials:
                parts.append(f"seed {seed}: studies unfinished")
                continue
            needed = trials_to_reach(runs["tpe", seed], target)
            parts.append(f"seed {seed}: {'not reached' if needed is None else needed} "
                         f"(random's best {target:.4f})")
        notes.append(f"Trials TPE needed to reach random search's {args.trials}-trial best, "
                     f"same seed: {'; '.join(parts)}. Goal: <= {args.trials // 2}.")
    notes.append(f"Baseline, profile {args.profile}, pruner {args.pruner}, seeds "
                 f"{' '.join(map(str, args.seeds))}; median [min–max] over seeds; database "
                 f"{args.storage}.")
    publish("Sampler efficiency", columns, rows, "\n\n".join(notes), args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
