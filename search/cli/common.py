"""What the commands of ``run_study.py`` share: the usage error, TensorFlow's thread
pools, the checkpoint folder, the note of a guard that stopped a run, the refusal of an
infeasible candidate, the study ``--study-name`` names and the methods ``--method`` names.

It imports no command and nothing of ``search.cli.main``, so that the commands import it
and nothing imports its importer.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # TensorFlow loads only once the input is checked
    import optuna

    from objectives.base import Method
    from objectives.budget import Budget
    from search.winners.retraining import Candidate

__all__ = ["UsageError", "check_feasible", "checkpoint_dir", "load_named_study", "method_names",
           "set_threads", "stopped_by"]


class UsageError(ValueError):
    """Bad command-line input."""


def method_names(text: str) -> list[str]:
    """The methods ``--method`` names ("all", or names separated by commas), checked
    against the registry without importing them (nor TensorFlow)."""
    from objectives import METHODS

    names = METHODS.names() if text == "all" else [n.strip() for n in text.split(",") if n]
    for name in names:
        METHODS.require(name)
    if len(set(names)) != len(names) or not names:
        raise UsageError(f"--method lists a method twice or none: {text!r}")
    return names


def stopped_by(notes: Mapping[str, Any]) -> str:
    """The log-line suffix that says why a guard ended a run early, or ``""``.

    Args:
        notes: A stored run's notes; ``stop_reason`` is set only when a guard (a GAN's
            collapse) ended the run before its budget or early stopping did.
    """
    reason = notes.get("stop_reason")
    return f" (stopped by {reason})" if reason else ""


def set_threads(threads: int) -> None:
    """Sizes TensorFlow's thread pools; must run before TensorFlow executes any op."""
    import tensorflow as tf

    # Retracing warnings are expected: every trial builds a new model.
    tf.get_logger().setLevel("ERROR")
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    except RuntimeError:
        # TensorFlow already ran in this process (main() called twice, as in the tests):
        # its pools keep the size they were started with.
        pass


def checkpoint_dir(args: argparse.Namespace) -> Path:
    """Where trials and retrain runs keep their per-epoch checkpoints."""
    from storage import files_dir  # imports SQLAlchemy: only when asked

    return Path(args.checkpoint_dir) if args.checkpoint_dir else (
        files_dir(args.storage) / "checkpoints")


def check_feasible(method: Method, candidates: Sequence[Candidate], budget: Budget,
                   doing: str) -> None:
    """Refuses, before anything trains, a candidate that ``budget`` cannot train (a cap
    on model size, say): ``doing`` is what would have been done with it."""
    from objectives import InfeasibleConfig

    for candidate in candidates:
        try:
            method.check(candidate.trial.params, budget)
        except InfeasibleConfig as exc:
            raise UsageError(f"{candidate.study_name}#{candidate.trial.number} cannot be "
                             f"{doing} under profile {budget.name!r}: {exc}") from None


def load_named_study(args: argparse.Namespace) -> optuna.Study:
    """The study ``--study-name`` of ``--storage`` (which must exist: callers check it)."""
    import optuna

    from storage import mask_url, open_storage

    try:
        return optuna.load_study(study_name=args.study_name, storage=open_storage(args.storage))
    except KeyError:
        raise UsageError(f"no study {args.study_name!r} in {mask_url(args.storage)}") from None
