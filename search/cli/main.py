"""Command line of ``run_study.py``: ``main`` checks the arguments that ``search.cli.parser``
parsed and hands the work to a command (``search_command``, ``retrain_command``,
``ablate_command``, with ``select_command`` and ``calibrate_command`` as steps); what the
commands share is ``search.cli.common``, which imports none of them. No method-specific
code lives here: names resolve through the registries, and every invalid input ends in
one line on stderr and exit code 2, before anything is created.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import lru_cache

from search.cli.common import UsageError, method_names, set_threads
from search.cli.parser import PATH_FLAGS, build_parser

__all__ = ["main"]


@lru_cache(maxsize=None)
def _usage_errors() -> tuple[type[Exception], ...]:
    from objectives import DataError
    from search.running.study import SearchError
    from spaces import SpaceError, UnknownNameError
    from storage import StorageError

    return (UsageError, UnknownNameError, SpaceError, DataError, StorageError, SearchError)


def _check_names(args: argparse.Namespace) -> None:
    """Every registry name on the command line, checked before TensorFlow loads (the
    thread pools are sized next), so that a typo answers at once."""
    from objectives import PROFILES
    from search.running.pruners import PRUNERS
    from search.running.samplers import SAMPLERS

    method_names(args.method)
    for registry, name in ((PROFILES, args.profile), (PRUNERS, args.pruner),
                           (SAMPLERS, args.sampler), (PROFILES, args.select_profile)):
        if name is not None:
            registry.require(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_names(args)
        if args.top > 1 and args.retrain is None:
            raise UsageError("--top only applies with --retrain")
        if args.reference and args.retrain is None:
            raise UsageError("--reference only applies with --retrain")
        if args.fix and (args.retrain is not None or args.ablate is not None):
            raise UsageError("--fix applies to searches; a retrain or an ablation takes the "
                             "study's trials")
        if args.ablate is not None and (args.retrain is not None or args.calibrate):
            raise UsageError("--ablate is a command of its own: not with --retrain or "
                             "--calibrate")
        if args.retrain is None and (args.select is not None or args.select_labels
                                     or (args.select_profile and args.ablate is None)):
            raise UsageError("--select, --select-profile and --select-labels only apply "
                             "with --retrain (--select-profile with --ablate too)")
        args.select = 3 if args.select is None else args.select
        if args.retrain == 0 and (args.reference or args.select < 2):
            raise UsageError("--retrain 0 runs the selection only: it needs --select 2 or "
                             "more, and no --reference")
        args.select_labels = args.select_labels or "redrawn"
        from search.cli.calibrate_command import check_calibration_args

        check_calibration_args(args)
        if args.grace_period <= args.heartbeat_interval:
            raise UsageError("--grace-period must exceed --heartbeat-interval")
        from storage import check_paths

        check_paths(args, PATH_FLAGS)
        set_threads(args.threads)
        if args.ablate is not None:
            from search.cli.ablate_command import ablate_command

            return ablate_command(args)
        if args.retrain is not None:
            from search.cli.retrain_command import retrain_command

            return retrain_command(args)
        from search.cli.search_command import search_command

        return search_command(args)
    except _usage_errors() as exc:
        print(f"run_study.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Optuna has already failed the running trial and stored why.
        print("run_study.py: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
