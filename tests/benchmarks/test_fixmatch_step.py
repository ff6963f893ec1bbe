"""The FixMatch step benchmark's FLOP count, against one worked by hand."""

from __future__ import annotations

import pytest

from benchmarks.fixmatch_step import step_flops

# One block of 16 filters, kernel 3, "same" padding, max-pooled, latent 32.
PARAMS = {"kernel_size": 3, "depth": 1, "filters": 16, "latent_width": 32,
          "downsample": "max_pool", "padding": "same", "dropout": 0.0}


def test_step_flops_by_hand() -> None:
    conv = 28 * 28 * 3 * 3 * 1 * 16  # 112,896: each output pixel of each filter
    dense = 14 * 14 * 16 * 32  # 100,352: the pooled map to the latent layer
    head = 32 * 10
    macs = conv + dense + head
    # 64 labeled and 448 strong views on the tape (3 passes' worth), 448 weak views off it.
    assert step_flops(PARAMS, 64 + 448, 448) == pytest.approx(2 * macs * (3 * 512 + 448))


def test_off_the_tape_saves_two_passes_per_weak_view() -> None:
    one_pass = step_flops(PARAMS, 64 + 2 * 448, 0)
    off_tape = step_flops(PARAMS, 64 + 448, 448)
    assert one_pass - off_tape == pytest.approx(2 * step_flops(PARAMS, 0, 448))
