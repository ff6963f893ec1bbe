"""Per-epoch checkpoints of a training run, so a killed run resumes where it stopped.

A checkpoint holds what ``fit`` needs to go on: every model weight (for the GAN the
discriminator, its average and the generator), every optimizer's variables, the epochs
done, and the state of each callback that keeps one (early stopping's best value, best
weights and wait; the epoch log; the GAN's collapse guard; the test-curve monitor). It is
one pickle written to a temporary file and renamed over the old one, so a crash leaves
either the previous checkpoint or the new one, never half of one. The training loop
deletes it when the run ends (finished, pruned or failed by its own guards); only a
killed or interrupted run leaves one behind. A run that pretrains keeps its pretraining
phase's checkpoint beside it (:func:`pretrain_checkpoint`), so a cut costs an epoch of
either phase. (A killed search trial's re-run inherits its reported values from Optuna's
heartbeat recovery, so the pruner still sees the whole curve.)

Random state: Keras and TensorFlow do not expose the state of their stateful random ops,
so a resumed run reseeds with ``(model seed, epoch)``: it is reproducible for a given
resume point, and statistically, not bitwise, the run it continues.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, overload, runtime_checkable

import keras

__all__ = ["Checkpointed", "RunCheckpoint", "StatefulEarlyStopping", "discard_checkpoint",
           "discard_partial_writes", "load_checkpoint", "pretrain_checkpoint", "resume_point"]

FORMAT = 1


@runtime_checkable
class Checkpointed(Protocol):
    """A callback whose state goes into the run's checkpoint."""

    def checkpoint_state(self) -> dict[str, Any]:
        """A picklable snapshot of the state."""

    def restore_state(self, state: dict[str, Any]) -> None:
        """Puts back a snapshot taken by :meth:`checkpoint_state`."""


class StatefulEarlyStopping(keras.callbacks.EarlyStopping):
    """Keras' early stopping whose progress survives a resume."""

    def checkpoint_state(self) -> dict[str, Any]:
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "best_weights": self.best_weights}

    def restore_state(self, state: dict[str, Any]) -> None:
        self.wait, self.best = state["wait"], state["best"]
        self.best_epoch, self.best_weights = state["best_epoch"], state["best_weights"]


def _optimizers(model: keras.Model) -> list[keras.optimizers.Optimizer]:
    # A model with more than one optimizer (the GAN's generator) lists them all.
    return list(getattr(model, "optimizers", None) or [model.optimizer])


def discard_checkpoint(path: Path | None) -> None:
    """Deletes a run's checkpoint, and its pretraining phase's, once nothing will resume
    from them (``None``: none kept)."""
    if path is not None:
        path.unlink(missing_ok=True)
        pretrain_checkpoint(path).unlink(missing_ok=True)


@overload
def pretrain_checkpoint(path: Path) -> Path: ...


@overload
def pretrain_checkpoint(path: None) -> None: ...


def pretrain_checkpoint(path: Path | None) -> Path | None:
    """The checkpoint of a run's pretraining phase, beside the run's own ``path``."""
    return None if path is None else path.with_name(f"{path.stem}-pretrain{path.suffix}")


def load_checkpoint(path: Path) -> dict[str, Any] | None:
    """The checkpoint at ``path``; ``None`` if there is none or it cannot be read (then
    it is deleted, and the run starts from epoch 0)."""
    try:
        with path.open("rb") as handle:
            state = pickle.load(handle)
        if state.get("format") != FORMAT:
            raise ValueError("unknown checkpoint format")
        return state
    except FileNotFoundError:
        return None
    except Exception:  # truncated, foreign or older file: start again
        path.unlink(missing_ok=True)
        return None


class RunCheckpoint(keras.callbacks.Callback):
    """Writes the run's checkpoint after every epoch and puts a loaded one back.

    Put it after every callback it saves: their ``on_train_begin`` resets their state,
    and this callback's ``on_train_begin`` then restores it.

    Args:
        path: The checkpoint file.
        callbacks: The run's callbacks; those that are :class:`Checkpointed` are saved.
        resume: A checkpoint from :func:`load_checkpoint` to restore, or ``None``.
    """

    def __init__(self, path: Path, callbacks: Sequence[keras.callbacks.Callback],
                 resume: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.parts = [c for c in callbacks if isinstance(c, Checkpointed)]
        self.resume = resume

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.resume is None:
            return
        self.model.set_weights(self.resume["weights"])
        for optimizer, values in zip(_optimizers(self.model), self.resume["optimizers"],
                                     strict=True):
            if not optimizer.built:
                # Keras builds a model's optimizer in its first step, after this: without
                # its slots now, Adam's moments would be dropped and start again at zero.
                optimizer.build(self.model.trainable_variables)
            for variable, value in zip(optimizer.variables, values, strict=True):
                variable.assign(value)
        for part, state in zip(self.parts, self.resume["callbacks"]):
            part.restore_state(state)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        state = {
            "format": FORMAT,
            "epoch": epoch + 1,
            "stopped": bool(self.model.stop_training),
            "weights": self.model.get_weights(),
            "optimizers": [[v.numpy() for v in opt.variables]
                           for opt in _optimizers(self.model)],
            "callbacks": [part.checkpoint_state() for part in self.parts],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Named after the checkpoint, so that a write cut by a kill is found and removed.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f"{self.path.name}.",
                                   suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def discard_partial_writes(path: Path) -> None:
    """Deletes what killed writers of checkpoint ``path`` left half-written (tens of MB each)."""
    for partial in path.parent.glob(f"{path.name}.*.tmp"):
        partial.unlink(missing_ok=True)


def resume_point(path: Path | None, seed: int, callbacks: list[keras.callbacks.Callback],
                 epochs: int, notes: dict[str, Any], note: str = "resumed_from_epoch") -> int:
    """Appends the writer of checkpoint ``path`` to ``callbacks`` (after the callbacks it
    saves); returns the epoch to start from.

    Args:
        path: The phase's checkpoint, ``None`` for none (then nothing is appended).
        seed: The run's model seed; a resumed run reseeds with it and the resume epoch.
        callbacks: The phase's callbacks.
        epochs: The phase's epoch budget: where a checkpointed run that had stopped starts.
        notes: Where the resume epoch is recorded, under ``note``.
    """
    if path is None:
        return 0
    discard_partial_writes(path)  # one run writes a checkpoint: any partial write is dead
    resume = load_checkpoint(path)
    callbacks.append(RunCheckpoint(path, callbacks, resume))
    if resume is None:
        return 0
    done = int(resume["epoch"])
    notes[note] = done
    short = path if len(path.parts) < 3 else Path(*path.parts[-3:])
    print(f"  resuming from the checkpoint after epoch {done} ({short})", flush=True)
    # A fresh but reproducible random stream for the epochs still to run.
    keras.utils.set_random_seed(seed * 100_003 + done)
    # A run that its own guards had stopped trains no further epoch.
    return epochs if resume.get("stopped") else done
