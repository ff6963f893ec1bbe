"""The progress line of long runs."""

from __future__ import annotations

import io

from objectives.progress import EpochProgress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run(progress: EpochProgress, epochs: int, first: int = 0) -> None:
    progress.set_params({"epochs": epochs})
    for epoch in range(first, epochs):
        progress.on_epoch_begin(epoch)
        progress.on_epoch_end(epoch, {"val_accuracy": 0.5 + epoch / 100, "test_errors": 93})
    progress.on_train_end()


def test_log_gets_one_line_per_long_epoch_with_eta() -> None:
    log = io.StringIO()
    _run(EpochProgress("gan#0 seed 1", log, min_seconds=0.0), epochs=3, first=1)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2  # resumed after epoch 1
    assert lines[0].startswith("  gan#0 seed 1 epoch 2/3, val_accuracy 0.5100, test errors 93")
    assert lines[-1].endswith("ETA 0:00")


def test_short_epochs_stay_out_of_logs_but_not_off_terminals() -> None:
    log, terminal = io.StringIO(), _Terminal()
    _run(EpochProgress("run", log, min_seconds=3600.0), epochs=3)
    _run(EpochProgress("run", terminal, min_seconds=3600.0), epochs=3)
    assert log.getvalue() == ""
    assert terminal.getvalue().count("\r") == 3 and terminal.getvalue().endswith("\n")
