"""Does a cheap selection rank the candidates as the full budget would?

The selection step (``run_study.py --retrain --select K``) re-evaluates a study's top K
trials with fresh seeds on validation. For the GAN the final budget (60,000 steps) makes
that costly, so the pipeline selects at the ``select`` profile, a quarter of it. This
benchmark runs the same selection at both profiles on one study and compares the
rankings: Kendall's tau of the mean validation accuracies and whether the winner is the
same. Runs are stored in the study database's selection table and reused, so it resumes,
and it reuses the runs the pipeline's selection already made.

    python benchmarks/selection_fidelity.py --storage sqlite:///results/comparison.db \
        --study-name gan-tpe --append results/benchmarks.md

``--high search`` takes the candidates' own search values as the full side instead of
training them again: on a calibration study (``--calibrate N``), whose N configurations
all trained to the top rung at `final`, ``--top N --seeds 1 --high search`` asks whether
the cheap profile ranks those N as `final` did, for the price of N cheap runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()

import optuna  # noqa: E402
from scipy import stats  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from objectives import get_method, get_profile, make_search_data, resolve_source  # noqa: E402
from objectives.cache import PretrainCache  # noqa: E402
from search.cli import set_threads  # noqa: E402
from search.winners.retraining import Candidate  # noqa: E402
from search.report.tables import mean_std  # noqa: E402
from search.winners.select import Selected, plan_selection, rank, run_selection  # noqa: E402
from search.running.study import best_trials  # noqa: E402
from storage import SelectionStore, files_dir, open_storage  # noqa: E402
from storage.selection import record_selection  # noqa: E402

# ``--high`` naming the study's own trial values rather than a profile to train at.
SEARCH = "search"


def main() -> int | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study-name", required=True)
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--low", default="select", help="the cheap profile (default select)")
    parser.add_argument("--high", default="final",
                        help=f"the full profile (default final), or {SEARCH!r}: the "
                             "candidates' values in their study, trained at its profile")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--checkpoint-dir", type=Path, default=None,
                        help="per-epoch checkpoints of the runs (a killed run resumes)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow threads (default: all cores)")
    parser.add_argument("--append", default=None)
    args = checked_args(parser)
    if args.low == SEARCH:
        print(f"selection_fidelity.py: error: --low {SEARCH} leaves nothing to check: name "
              "the cheap profile", file=sys.stderr)
        return 2
    if args.threads:
        set_threads(args.threads)
    study = optuna.load_study(study_name=args.study_name, storage=open_storage(args.storage))
    tags = study.user_attrs
    method = get_method(tags["method"])
    candidates = [Candidate(study.study_name, t, dict(tags))
                  for t in best_trials(study, args.top)]
    data = make_search_data(*resolve_source(args.data_dir).load_train(),
                            int(tags["n_labeled"]), int(tags["data_seed"]))
    store = SelectionStore(args.storage)
    cache = PretrainCache(files_dir(args.storage) / "pretrain-cache")
    ranked, hours = {}, {}
    if args.high == SEARCH:
        # The search's values need no training: ranked as the selection ranks its runs.
        ranked[SEARCH] = sorted((Selected(c, (c.trial.value,)) for c in candidates),
                                key=lambda s: -s.summary.mean)
        hours[SEARCH] = sum(c.trial.user_attrs.get("seconds", 0.0) for c in candidates) / 3600
    for name in (n for n in (args.low, args.high) if n != SEARCH):
        budget = get_profile(name)
        planned = plan_selection(method, candidates, budget, args.seeds, data.n_labeled,
                                 data.data_seed)
        runs = run_selection(method, planned, data, budget, store, pretrain_cache=cache,
                             checkpoint_dir=args.checkpoint_dir)
        ranked[name] = rank(candidates, runs)
        # Recorded as a finished selection, so the report reads it as a fidelity check
        # that chose its best mean, not as a selection still training.
        best = ranked[name][0].candidate
        record_selection(open_storage(args.storage), planned,
                         [(best.study_name, best.trial.number)])
        hours[name] = sum(r.seconds for r in runs) / 3600
    position = {name: {s.label: i + 1 for i, s in enumerate(order)}
                for name, order in ranked.items()}
    labels = [s.label for s in ranked[args.high]]
    summary = {name: {s.label: s.summary for s in order} for name, order in ranked.items()}
    searched = {f"{c.study_name}#{c.trial.number}": c.trial.value for c in candidates}
    from_search = args.high == SEARCH
    trained = [args.low] + ([] if from_search else [args.high])
    rows = [(label, f"{searched[label]:.4f}"
             + (f" (rank {position[SEARCH][label]})" if from_search else ""),
             *(f"{mean_std(summary[n][label])} (rank {position[n][label]})" for n in trained))
            for label in labels]
    tau = stats.kendalltau([position[args.low][x] for x in labels],
                           [position[args.high][x] for x in labels]).statistic
    same = ranked[args.low][0].label == ranked[args.high][0].label
    high = f"the search's own runs at {tags['profile']}" if from_search else args.high
    notes = (f"{method.name}, top {len(candidates)} of {study.study_name}, {args.seeds} seeds "
             f"each (validation accuracy, mean ± std) at {args.low}, against {high}. "
             f"Kendall's tau of the two rankings: "
             f"{tau:.2f}; same winner: {'yes' if same else 'no'}. Compute: "
             f"{hours[args.low]:.2f} h at {args.low}, {hours[args.high]:.2f} h for {high}.")
    publish("Selection fidelity", ["candidate", "search value",
                                   *(f"selection at {n}" for n in trained)],
            rows, notes, args.append)


if __name__ == "__main__":
    sys.exit(run(main))
