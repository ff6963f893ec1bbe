"""The argument parser of ``run_study.py``: every flag, its type and its help, with the
registered names listed; argparse's errors as one line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import NoReturn

__all__ = ["PATH_FLAGS", "build_parser"]

# Every path flag of run_study.py and what it is for (``storage.paths``).
PATH_FLAGS = {"--checkpoint-dir": "folder to write", "--data-dir": "folder to read"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block: the user should see the problem at once.
        self.exit(2, f"{self.prog}: error: {message}\n")


def _number(cast: Callable[[str], float], noun: str, least: float,
            strict: bool = False) -> Callable[[str], float]:
    """An argparse type: ``cast`` the text, then require ``>= least`` (``> least`` if
    ``strict``); NaN never passes."""
    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not (value > least or (value == least and not strict)):
            bound = f"more than {least}" if strict else f"at least {least}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


_positive = _number(int, "a whole number", 1)
_non_negative = _number(int, "a whole number", 0)
_seconds = _number(float, "a number of seconds", 0, strict=True)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; help lists the registered names."""
    # TensorFlow-free, so that --help and a mistyped flag answer at once.
    from objectives import METHODS, PROFILES
    from search.running.pruners import PRUNERS
    from search.running.samplers import SAMPLERS
    from storage import DEFAULT_STORAGE

    parser = _Parser(
        prog="run_study.py",
        description=(
            "Search the hyperparameters of a semi-supervised MNIST method with Optuna, "
            "or (--retrain) retrain its best configurations and score them on the test set, "
            "or (--ablate) measure what each change of a trial from the method's reference "
            "is worth."
        ),
    )
    parser.add_argument("--method", required=True,
                        help=f"method: {', '.join(METHODS.names())}; to search several side "
                        "by side: a comma list or 'all'")
    parser.add_argument("--sampler", default=None,
                        help=f"sampler: {', '.join(SAMPLERS.names())} (default tpe; with "
                        "--retrain, restricts the studies searched for the best trial)")
    parser.add_argument("--pruner", default="median",
                        help=f"pruner: {', '.join(PRUNERS.names())} (default median)")
    parser.add_argument("--n-trials", type=_positive, default=20,
                        help="finished (complete or pruned) trials the study should reach; "
                        "rerunning tops up to this number (default 20)")
    parser.add_argument("--profile", default="bench",
                        help=f"training budget: {', '.join(PROFILES.names())} (default bench)")
    parser.add_argument("--storage", default=DEFAULT_STORAGE,
                        help=f"SQLAlchemy URL of the study database (default {DEFAULT_STORAGE})")
    parser.add_argument("--study-name", default=None,
                        help="study name (default <method>-<sampler>, plus -NAME-VALUE per "
                        "--fix)")
    parser.add_argument("--fix", action="append", default=[], metavar="NAME=VALUE",
                        help="search with this parameter held at VALUE (repeatable), e.g. "
                        "augment=False for the unaugmented baseline")
    parser.add_argument("--calibrate", type=int, default=None, metavar="N",
                        help="first train N configurations in full without pruning (the "
                        "method's reference and N-1 random draws from --seed; they count "
                        "towards --n-trials), measure per rung how well its value ranks "
                        "like the final one (Kendall's tau, 90%% bootstrap interval) and "
                        "start the pruner at the first rung reaching --tau-threshold, or "
                        "turn pruning off if none does; stored on the study, so a rerun "
                        "resumes it and a calibrated study is not measured again")
    parser.add_argument("--tau-threshold", type=float, default=None, metavar="T",
                        help="with --calibrate: the tau a rung must reach, in (-1, 1] "
                        "(default 0.6)")
    parser.add_argument("--recalibrate", action="store_true",
                        help="with --calibrate: measure a calibrated study again, topping "
                        "its calibration trials up to N")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the MNIST IDX .gz files or mnist.npz "
                        "(default $MNIST_DIR, else keras.datasets.mnist)")
    parser.add_argument("--n-labeled", type=_positive, default=100,
                        help="labeled images, balanced over the 10 classes (default 100)")
    parser.add_argument("--data-seed", type=_non_negative, default=0,
                        help="seed of the labeled subset (default 0)")
    parser.add_argument("--seed", type=_non_negative, default=0,
                        help="model seed of search trials; also seeds the sampler (default 0)")
    parser.add_argument("--timeout", type=_seconds, default=None,
                        help="stop starting new trials after this many seconds")
    parser.add_argument("--retrain", type=_non_negative, nargs="?", const=5, default=None,
                        metavar="K",
                        help="retrain the best configuration K times (default 5; seeds "
                        "0, 1, ... less the search's own seed on the same labels and "
                        "profile) and score it on the test set, instead of searching; runs "
                        "already stored for the same seeds are reused, so a rerun tops up; "
                        "0 runs the selection only (see --select) and touches no test image")
    parser.add_argument("--reference", action="store_true",
                        help="with --retrain: retrain the method's reference configuration "
                        "(the GAN's: the official MNIST setting; FixMatch's: its published "
                        "one) instead of searched trials; needs no study")
    parser.add_argument("--top", type=_positive, default=1,
                        help="with --retrain: retrain the N best configurations (default 1)")
    parser.add_argument("--select", type=_non_negative, default=None, metavar="K",
                        help="with --retrain: first re-evaluate the K best trials (default "
                        "3) with --select-seeds runs each (see --select-labels), on "
                        "validation only, and retrain the best mean; 0 or 1 trusts the "
                        "search's ranking")
    parser.add_argument("--select-seeds", type=_positive, default=3,
                        help="runs per candidate in the selection (default 3)")
    parser.add_argument("--select-labels", choices=("redrawn", "fixed"), default=None,
                        help="with --retrain: 'redrawn' (default) trains selection run i on "
                        "its own labeled subset, data seed = model seed = 1000 + i, the same "
                        "draws for every candidate; 'fixed' keeps the search's subset and "
                        "varies the model seed only (the selection before 2026-12-02)")
    parser.add_argument("--select-profile", default=None,
                        help="training budget of the selection runs (default: the profile "
                        "the studies searched under)")
    parser.add_argument("--ablate", type=_non_negative, default=None, metavar="TRIAL",
                        help="instead of searching: revert each parameter in which trial "
                        "TRIAL of --study-name differs from the method's reference, one at "
                        "a time, then all at once (the reference), and train every "
                        "variant and the trial itself with "
                        "--select-seeds runs on redrawn labeled subsets (the same draws for "
                        "all), validation only, at --select-profile (default: the profile "
                        "the study searched under); "
                        "stored and reused, so a rerun tops up")
    parser.add_argument("--vary-labeled", action="store_true",
                        help="with --retrain: redraw the labeled subset per run "
                        "(data seed = run seed)")
    parser.add_argument("--workers", type=_positive, default=1,
                        help="worker processes per study (with --retrain: each takes the next "
                        "run still to make when it is free); they share the cores "
                        "(default 1)")
    parser.add_argument("--threads", type=_positive, default=os.cpu_count() or 1,
                        help="TensorFlow threads in all, split between the worker "
                        "processes (default: all cores)")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="folder for per-epoch checkpoints of trials and retrain runs "
                        "(default <database>-files/checkpoints beside a SQLite file, "
                        "ssl-hpo-files/checkpoints for a server URL)")
    parser.add_argument("--heartbeat-interval", type=_positive, default=30,
                        help="seconds between a running trial's heartbeats (default 30)")
    parser.add_argument("--grace-period", type=_positive, default=90,
                        help="seconds without heartbeat after which a trial is taken for "
                        "dead, failed and re-run (default 90)")
    return parser
