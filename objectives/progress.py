"""Progress of one long run: epoch k/N, the latest validation accuracy, and an ETA.

On a terminal it is one line that rewrites itself; in a log (no terminal) one line per
epoch, and only for runs whose epochs are long enough to matter (a one-hour GAN run), so
short runs keep their logs to one line per run.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import keras

__all__ = ["EpochProgress"]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class EpochProgress(keras.callbacks.Callback):
    """Prints ``label epoch k/N: val_accuracy ..., ETA h:mm:ss``.

    Args:
        label: What the run is, e.g. ``gan-reference#-1 seed 3``.
        stream: Where to print (default standard output).
        min_seconds: Without a terminal, epochs shorter than this print nothing.
    """

    def __init__(self, label: str, stream: TextIO | None = None,
                 min_seconds: float = 10.0) -> None:
        super().__init__()
        self.label = label
        self.stream = stream or sys.stdout
        self.min_seconds = min_seconds
        self.tty = self.stream.isatty()
        self.started = time.perf_counter()
        self.first_epoch: int | None = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.first_epoch is None:  # a resumed run starts past 0
            self.first_epoch, self.started = epoch, time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        total = int(self.params.get("epochs") or 0)
        done = epoch + 1 - (self.first_epoch or 0)
        per_epoch = (time.perf_counter() - self.started) / max(1, done)
        if not self.tty and per_epoch < self.min_seconds:
            return
        parts = [f"{self.label} epoch {epoch + 1}/{total}"]
        if "val_accuracy" in logs:
            parts.append(f"val_accuracy {logs['val_accuracy']:.4f}")
        if "test_errors" in logs:
            parts.append(f"test errors {int(logs['test_errors'])} (monitor)")
        parts.append(f"{per_epoch:.1f} s/epoch, ETA {_clock(per_epoch * (total - epoch - 1))}")
        line = "  " + ", ".join(parts)
        if self.tty:
            self.stream.write("\r" + line + "\033[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
