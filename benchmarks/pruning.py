"""Pruning on the baseline: median, hyperband and none with the same TPE sampler seeds.

For each pruner and seed a real ``bench`` search of the supervised baseline runs until it
has the same number of finished trials; the table gives the epochs and trial seconds spent
and the best validation accuracy reached. The goal: at most 40 % of the unpruned epochs for
a best value within 0.2 points. Studies share the database and naming of
``benchmarks/samplers.py``, so its TPE + median studies are reused, not rerun.

    python benchmarks/pruning.py --trials 20 --jobs 2 --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import optuna  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from benchmarks.search_runs import StudySpec, add_common_arguments, best_after  # noqa: E402
from benchmarks.search_runs import finished_trials, load, median_range, run_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pruners", nargs="+", default=["median", "hyperband", "none"])
    parser.add_argument("--sampler", default="tpe")
    parser.add_argument("--trials", type=int, default=20)
    add_common_arguments(parser)
    args = checked_args(parser)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    specs = {(p, seed): StudySpec(args.sampler, p, seed, args.trials)
             for seed in args.seeds for p in args.pruners}
    if not args.report_only:
        run_all(list(specs.values()), args)
    totals = {}
    for key, spec in specs.items():
        trials = finished_trials(load(spec, args.storage), args.trials)
        # An unfinished study's spend is not comparable: NaN leaves it out of the table.
        done = 1.0 if len(trials) == args.trials else float("nan")
        totals[key] = {
            "epochs": done * sum(int(t.user_attrs.get("epochs", 0)) for t in trials),
            "seconds": done * sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials),
            "pruned": done * sum(t.state == TrialState.PRUNED for t in trials),
            "best": best_after(trials, args.trials),
        }
    reference = "none" if "none" in args.pruners else None
    rows = []
    for pruner in args.pruners:
        mine = [totals[pruner, seed] for seed in args.seeds]
        share = delta = "-"
        if reference is not None:
            ref = [totals[reference, seed] for seed in args.seeds]
            share = median_range([100 * m["epochs"] / r["epochs"] for m, r in zip(mine, ref)],
                                 "{:.0f} %")
            delta = median_range([100 * (m["best"] - r["best"]) for m, r in zip(mine, ref)],
                                 "{:+.2f}")
        rows.append((pruner, median_range([m["epochs"] for m in mine], "{:.0f}"), share,
                     median_range([m["seconds"] for m in mine], "{:.0f}"),
                     median_range([m["pruned"] for m in mine], "{:.0f}"),
                     median_range([m["best"] for m in mine]), delta))
    columns = ["pruner", "epochs spent", "epochs vs none", "trial seconds", "pruned",
               "best val acc", "best vs none (points)"]
    notes = (f"Baseline, {args.trials} finished trials per study, sampler "
             f"{args.sampler}, profile {args.profile}, seeds {' '.join(map(str, args.seeds))}; "
             f"median [min–max] over seeds, paired by seed; database {args.storage}. Goal: "
             "<= 40 % of the unpruned epochs, best within 0.2 points.")
    publish("Pruning", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
