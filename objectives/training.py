"""The training loop shared by search and retraining.

:func:`train` is the single path that fits any method: labeled set tiled into epochs,
per-epoch validation accuracy, early stopping on it (best weights restored), a guard against
non-finite losses, then the score of the restored model on the whole validation set.
Callers add callbacks (the search adds Optuna's pruning callback). With a checkpoint path
in the run's context, the run writes a checkpoint after every epoch and resumes from one
left by a killed run (``objectives.checkpoint``).
"""

from __future__ import annotations

import ctypes
import gc
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.checkpoint import (
    StatefulEarlyStopping,
    discard_checkpoint,
    resume_point,
)
from objectives.data import SearchData
from objectives.machine import cpu_name

__all__ = ["EpochLog", "NonFiniteLoss", "RunResult", "release", "train", "validation_sets"]


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite; the run is abandoned."""


class EpochLog(keras.callbacks.Callback):
    """Records epochs run, wall time and the last logs, readable even if ``fit`` raised."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.carried = 0.0  # wall time before a resume, restored from the checkpoint
        self.epochs = 0
        self.n_params: int | None = None
        self.history: list[dict[str, float]] = []

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        # A subclassed model that builds in its first step (a pretrainer) has no count yet.
        if self.model.built:
            self.n_params = int(self.model.count_params())

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.epochs = epoch + 1
        self.history.append({k: float(v) for k, v in (logs or {}).items()})

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def checkpoint_state(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "history": self.history, "seconds": self.seconds}

    def restore_state(self, state: dict[str, Any]) -> None:
        # Wall time counts the epochs before the interruption too.
        self.epochs, self.history = state["epochs"], list(state["history"])
        self.carried = float(state["seconds"])
        self.started = time.perf_counter() - self.carried

    def best(self, key: str = "val_accuracy") -> float | None:
        values = [h[key] for h in self.history if key in h]
        return max(values) if values else None


@dataclass
class RunResult:
    """Outcome of one training run.

    Attributes:
        model: The trained model with the best weights restored.
        val_accuracy: Accuracy of ``model`` on the whole validation set.
        epochs: Epochs run (early stopping included).
        seconds: Wall time of build + fit + validation.
        n_params: Number of model parameters.
        history: Per-epoch logs.
        stop_reason: Why a method-specific guard ended training early (e.g. GAN
            collapse), else ``None``.
    """

    model: keras.Model
    val_accuracy: float
    epochs: int
    seconds: float
    n_params: int
    history: list[dict[str, float]] = field(default_factory=list)
    stop_reason: str | None = None


def _limit(n: int | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(a if n is None else a[:n] for a in arrays)


def validation_sets(
    data: SearchData, budget: Budget
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The monitored subset (scored every epoch) and the scored set (scored at the end)."""
    scored_x, scored_y = _limit(budget.val_limit, data.val_x, data.val_y)
    monitor_x, monitor_y = _limit(budget.val_monitor, scored_x, scored_y)
    return (monitor_x, monitor_y), (scored_x, scored_y)


def train(
    method: Method,
    params: Mapping[str, Any],
    data: SearchData,
    budget: Budget,
    context: RunContext,
    log: EpochLog | None = None,
) -> RunResult:
    """Builds and fits ``method`` with ``params``; the one training path of the project.

    Args:
        method: The method to train.
        params: Hyperparameters: a trial's active ones (the space fills in the rest).
        data: Search data (no test set reachable from here).
        budget: Epochs, patience and validation sizes.
        context: Model seed (weights, shuffling, noise; the data seed is in ``data``),
            pretraining cache and pruning callbacks.
        log: Epoch recorder to use, so a caller can read progress after an exception.

    Raises:
        InfeasibleConfig: If ``params`` cannot be built.
        NonFiniteLoss: If the loss became NaN or infinite.
        optuna.TrialPruned: If a pruning callback stopped the run.
    """
    method.check(params, budget)
    # A trial stores only its active parameters; builders may read any of them.
    params = method.space.resolve(params)
    if budget.fold_validation:
        data = data.with_validation_unlabeled()
    log = log or EpochLog()
    keras.utils.set_random_seed(context.seed)
    model = method.build(params, data, budget, context)
    # A pretraining resumed inside build ran partly before the cut, unseen by this clock.
    log.started -= context.seconds_before_resume
    model(data.labeled_x[:1])  # creates the weights now, so parameter counts exist at once
    inputs = method.fit_inputs(params, data, budget)
    monitor, (val_x, val_y) = validation_sets(data, budget)
    callbacks: list[keras.callbacks.Callback] = [log, keras.callbacks.TerminateOnNaN()]
    if budget.early_stopping:
        callbacks.append(StatefulEarlyStopping(
            monitor="val_accuracy", mode="max", patience=inputs.patience or budget.patience,
            restore_best_weights=True))
    callbacks += [*inputs.callbacks, *context.callbacks,
                  *context.pruning("val_accuracy", method.pretrain_steps(budget))]
    initial_epoch = resume_point(context.checkpoint, context.seed, callbacks, inputs.epochs,
                                 context.notes)
    model.fit(
        inputs.x,
        inputs.y,
        batch_size=inputs.batch_size,
        epochs=inputs.epochs,
        steps_per_epoch=inputs.steps_per_epoch,
        initial_epoch=initial_epoch,
        validation_data=monitor,
        validation_batch_size=budget.eval_batch_size,
        shuffle=inputs.batch_size is not None,  # datasets shuffle themselves
        verbose=0,
        callbacks=callbacks,
    )
    # The run is over (a guard or early stopping may have ended it): nothing to resume.
    discard_checkpoint(context.checkpoint)
    # Optimiser steps of the main phase, the unit budgets are compared in (a GAN counts
    # its discriminator's; a resumed run counts the steps before the cut too).
    optimizer = (getattr(model, "optimizers", None) or [model.optimizer])[0]
    context.notes["steps"] = int(optimizer.iterations)
    # Which processor finished the run: runs of one comparison come from several machines.
    context.notes["cpu"] = cpu_name()
    losses = [h.get("loss", math.nan) for h in log.history]
    if not losses or not math.isfinite(losses[-1]):
        raise NonFiniteLoss(f"training loss became {losses[-1] if losses else 'undefined'}")
    # A guard's early end (a GAN's collapse) explains a short run's score, so every
    # caller's record keeps it.
    stop_reason = next((r for c in inputs.callbacks
                        if (r := getattr(c, "stop_reason", None))), None)
    if stop_reason:
        context.notes["stop_reason"] = stop_reason
    scores = model.evaluate(val_x, val_y, batch_size=budget.eval_batch_size, verbose=0,
                            return_dict=True)
    if context.artifact_path is not None:
        context.files.update(method.save_artifacts(model, context.artifact_path))
    return RunResult(
        model=model,
        val_accuracy=float(scores["accuracy"]),
        epochs=log.epochs,
        seconds=log.seconds,
        n_params=int(log.n_params or model.count_params()),
        history=log.history,
        stop_reason=stop_reason,
    )


def release() -> None:
    """Frees the graph and memory of finished runs; called between trials and retrains."""
    keras.backend.clear_session()
    gc.collect()
    if _LIBC is not None:
        # glibc keeps freed tensor buffers in its arenas; without handing them back the
        # worker's resident memory grows trial after trial although nothing leaks.
        _LIBC.malloc_trim(0)


def _load_libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018 (glibc only)
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _load_libc()
