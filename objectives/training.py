"""The training loop shared by search and retraining.

:func:`train` is the single path that fits any method: labeled set tiled into epochs,
per-epoch validation accuracy, early stopping on it (best weights restored), a guard against
non-finite losses, then the score of the restored model on the whole validation set.
Callers add callbacks (the search adds Optuna's pruning callback).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from objectives.base import Method
from objectives.data import SearchData
from objectives.profiles import Budget

__all__ = ["EpochLog", "NonFiniteLoss", "RunResult", "release", "train"]


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite; the run is abandoned."""


class EpochLog(keras.callbacks.Callback):
    """Records epochs run, wall time and the last logs, readable even if ``fit`` raised."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()
        self.epochs = 0
        self.n_params: int | None = None
        self.history: list[dict[str, float]] = []

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.n_params = int(self.model.count_params())

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.epochs = epoch + 1
        self.history.append({k: float(v) for k, v in (logs or {}).items()})

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

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
    """

    model: keras.Model
    val_accuracy: float
    epochs: int
    seconds: float
    n_params: int
    history: list[dict[str, float]] = field(default_factory=list)


def _limit(n: int | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(a if n is None else a[:n] for a in arrays)


def train(
    method: Method,
    params: Mapping[str, Any],
    data: SearchData,
    budget: Budget,
    seed: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    log: EpochLog | None = None,
) -> RunResult:
    """Builds and fits ``method`` with ``params``; the one training path of the project.

    Args:
        method: The method to train.
        params: Resolved hyperparameters.
        data: Search data (no test set reachable from here).
        budget: Epochs, patience and validation sizes.
        seed: Model seed (weights init, shuffling, dropout); the data seed is in ``data``.
        callbacks: Extra callbacks, e.g. pruning.
        log: Epoch recorder to use, so a caller can read progress after an exception.

    Raises:
        InfeasibleConfig: If ``params`` cannot be built.
        NonFiniteLoss: If the loss became NaN or infinite.
        optuna.TrialPruned: If a pruning callback stopped the run.
    """
    method.check(params)
    log = log or EpochLog()
    keras.utils.set_random_seed(seed)
    model = method.build(params, data, budget)
    model(data.labeled_x[:1])  # creates the weights now, so parameter counts exist at once
    val_x, val_y = _limit(budget.val_limit, data.val_x, data.val_y)
    monitor = _limit(budget.val_monitor, val_x, val_y)
    repeats = budget.labeled_repeats
    train_x = np.tile(data.labeled_x, (repeats, 1, 1, 1))
    train_y = np.tile(data.labeled_y, repeats)
    model.fit(
        train_x,
        train_y,
        batch_size=int(params["batch_size"]),
        epochs=budget.max_epochs,
        validation_data=monitor,
        validation_batch_size=budget.eval_batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[
            log,
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy",
                mode="max",
                patience=budget.patience,
                restore_best_weights=True,
            ),
            *callbacks,
        ],
    )
    losses = [h.get("loss", math.nan) for h in log.history]
    if not losses or not math.isfinite(losses[-1]):
        raise NonFiniteLoss(f"training loss became {losses[-1] if losses else 'undefined'}")
    scores = model.evaluate(val_x, val_y, batch_size=budget.eval_batch_size, verbose=0,
                            return_dict=True)
    return RunResult(
        model=model,
        val_accuracy=float(scores["accuracy"]),
        epochs=log.epochs,
        seconds=log.seconds,
        n_params=int(log.n_params or model.count_params()),
        history=log.history,
    )


def release() -> None:
    """Frees the graph and memory of finished runs; called between trials and retrains."""
    keras.backend.clear_session()
    gc.collect()
