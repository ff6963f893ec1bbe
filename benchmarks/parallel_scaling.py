"""Parallel scaling: trials per hour with 1 and 2 worker processes on a real baseline study.

Both runs go through the real command line (``run_study.py --workers N``) on their own
fresh SQLite database, with the same cores (``--threads``, split between the workers) and
the same K configurations: they are drawn once from the random sampler, checked for
feasibility, and enqueued into both studies before the workers start, so both settings do
the same work and only the parallelism differs. Pruning is off for the same reason (with
it, which trials get cut depends on the order trials finish in).

    python benchmarks/parallel_scaling.py --trials 12 --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import optuna  # noqa: E402

from benchmarks.common import (  # noqa: E402
    checked_args,
    publish,
    run,
    run_study,
)
from objectives import InfeasibleConfig, get_method, get_profile  # noqa: E402
from objectives.budget import Budget  # noqa: E402
from search.running.pruners import make_pruner  # noqa: E402
from search.running.samplers import make_sampler  # noqa: E402
from search.running.study import open_study, study_tags, summarize_study  # noqa: E402
from storage import open_storage  # noqa: E402

METHOD, SAMPLER, PRUNER, STUDY = "supervised", "random", "none", "scaling"


def draw_configs(count: int, seed: int, budget: Budget) -> list[dict]:
    """``count`` configurations of the baseline's space feasible under ``budget``, drawn by
    the random sampler."""
    method = get_method(METHOD)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    configs: list[dict] = []
    while len(configs) < count:
        trial = study.ask()
        params = method.space.suggest(trial)
        study.tell(trial, 0.0)
        try:
            method.check(params, budget)
        except InfeasibleConfig:
            continue
        configs.append(params)
    return configs


def run_workers(workers: int, configs: list[dict], args: argparse.Namespace, folder: Path) -> dict:
    """One ``run_study.py`` run on a fresh database holding ``configs`` as waiting trials."""
    url = f"sqlite:///{folder / f'workers{workers}.db'}"
    budget = get_profile(args.profile)
    method = get_method(METHOD)
    tags = study_tags(METHOD, SAMPLER, PRUNER, budget.name, 100, 0, args.seed)
    study = open_study(open_storage(url), STUDY, make_sampler(SAMPLER, method.space, args.seed),
                       make_pruner(PRUNER, budget), tags)
    for params in configs:
        study.enqueue_trial(params)
    seconds = run_study({"method": METHOD, "sampler": SAMPLER, "pruner": PRUNER,
                         "profile": args.profile, "storage": url, "study-name": STUDY,
                         "n-trials": len(configs), "workers": workers,
                         "threads": args.threads, "seed": args.seed}, args.data_dir)
    study = optuna.load_study(study_name=STUDY, storage=open_storage(url))
    outcome = summarize_study(study)
    trials = [t for t in study.trials if t.state.is_finished()]
    return {"workers": workers, "seconds": seconds, "finished": outcome.complete + outcome.pruned,
            "failed": outcome.failed,
            "trial_seconds": sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials),
            "best": outcome.best_value}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--profile", default="bench")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--append", default=None, help="markdown file to append the table to")
    args = checked_args(parser)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    configs = draw_configs(args.trials, args.seed, get_profile(args.profile))
    with tempfile.TemporaryDirectory() as folder:
        results = [run_workers(n, configs, args, Path(folder)) for n in (1, 2)]
    base = results[0]["finished"] / results[0]["seconds"]
    rows = [(r["workers"], r["finished"], r["failed"], f"{r['seconds']:.0f}",
             f"{3600 * r['finished'] / r['seconds']:.0f}",
             f"{r['finished'] / r['seconds'] / base:.2f}x",
             f"{r['trial_seconds'] / r['finished']:.1f}", f"{r['best']:.4f}")
            for r in results]
    columns = ["workers", "trials", "failed", "wall s", "trials / hour", "speed-up",
               "mean s / trial (in worker)", "best val acc"]
    notes = (f"Same {args.trials} random baseline configurations in both runs, profile "
             f"{args.profile}, no pruning, {args.threads} TensorFlow threads in all "
             "(split between the workers), one fresh SQLite database per run.")
    publish("Parallel scaling", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
