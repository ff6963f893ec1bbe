"""The measurement of a calibration on synthetic curves: which rung ranks like the top,
under which reading of a rung's value (no training, no MNIST)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from search.calibration import Calibration, RungRow, candidate_steps, choose, measure, rung_value

TOP = 30


def _table(curves: list[dict[int, float]], finals: list[float]) -> dict:
    return measure(curves, finals, candidate_steps(TOP), lambda step: 0,
                   lambda step: f"epoch {step + 1}", seed=0)


def _curves(finals: np.ndarray, early: float, until: int, seed: int = 0
            ) -> list[dict[int, float]]:
    """Curves that follow ``early * final`` (rank-wise) before step ``until`` and the
    final value after it, with a little noise that never reorders the later part."""
    rng = np.random.default_rng(seed)
    return [{s: (early * f if s < until else f) + 1e-4 * rng.random() for s in range(TOP)}
            for f in finals]


FINALS = np.linspace(0.80, 0.98, 8)


def test_early_rungs_that_rank_backwards_move_the_start_to_a_later_rung() -> None:
    table = _table(_curves(FINALS, -1.0, until=8), list(FINALS))
    mode, start = choose(table, 0.6)
    early = [r for r in table["last"] if r.step < 8]
    assert early and all(r.tau < -0.9 for r in early)  # anti-correlated, measured as such
    assert start is not None and start.step == 8 and start.tau > 0.9


def test_when_every_rung_ranks_like_the_top_pruning_starts_at_the_first() -> None:
    table = _table(_curves(FINALS, 1.0, until=0), list(FINALS))
    mode, start = choose(table, 0.6)
    assert start is not None and start.step == 0 and start.label == "epoch 1"
    assert all(r.tau == pytest.approx(1.0) for r in table["last"])


def test_when_no_rung_ranks_like_the_top_pruning_is_off() -> None:
    # Every rung ranks the configurations in an order unrelated to the final one (tau
    # -0.07 and +0.07 against it), the two halves of the run each in its own; the best so
    # far mixes the two, and ranks no better.
    first, second = [3, 7, 0, 5, 2, 6, 1, 4], [4, 0, 6, 2, 7, 1, 5, 3]
    curves = [{s: 0.5 + 0.01 * (first[i] if s < 10 else second[i]) for s in range(TOP)}
              for i in range(8)]
    table = _table(curves, list(FINALS))
    assert all(abs(r.tau) < 0.1 for r in table["last"])
    assert all(r.tau < 0.6 for r in table["best"])
    assert choose(table, 0.6) == ("last", None)


def test_a_peak_then_decay_is_read_by_its_best_value_so_far() -> None:
    # Each curve wanders in an unrelated order, peaks at its final value at step 2, then
    # decays, the better ones most (a collapse): from step 2 on, the value at a rung
    # ranks backwards and the best so far ranks right.
    order = [3, 7, 0, 5, 2, 6, 1, 4]
    curves = [{s: 0.5 + 0.01 * order[i] if s < 2 else
               f if s == 2 else f - (f - 0.7) * 2 * min(1.0, (s - 2) / 10)
               for s in range(TOP)} for i, f in enumerate(FINALS)]
    table = _table(curves, list(FINALS))
    mode, start = choose(table, 0.6)
    assert mode == "best" and start is not None and start.step == 2
    assert table["last"][-1].tau < 0


def test_the_interval_brackets_tau_and_a_run_that_stopped_early_keeps_its_last_value(
) -> None:
    table = _table(_curves(FINALS, 1.0, until=0, seed=1), list(FINALS))
    for row in table["last"]:
        assert row.low <= row.tau + 1e-9 and row.tau <= row.high + 1e-9 and row.n == 8
    curve = {0: 0.5, 1: 0.7, 2: 0.6}  # early stopping ended it at step 2
    assert rung_value(curve, 10, "last") == 0.6 and rung_value(curve, 10, "best") == 0.7
    assert rung_value({5: 0.9}, 3, "last") is None
    # A phase's best never reaches back into the previous phase (pretraining signals).
    assert rung_value({0: 0.99, 4: 0.6, 5: 0.7}, 5, "best", phase_start=4) == 0.7


def test_candidate_rungs_cover_the_pretraining_boundary_and_grow_geometrically() -> None:
    assert candidate_steps(120) == [0, 1, 2, 3, 5, 8, 12, 18, 27, 41, 62, 93]
    steps = candidate_steps(250, [0, 50])
    assert {49, 50, 51, 52} <= set(steps) and max(steps) < 250


def test_a_calibration_survives_its_json_form() -> None:
    table = _table(_curves(FINALS, 1.0, until=0), list(FINALS))
    table["best"][0] = type(table["best"][0])(0, "epoch 1", 2, math.nan, math.nan, math.nan)
    mode, start = choose(table, 0.6)
    calibration = Calibration(0.6, mode, start.step, start.label, list(range(8)), rows=table)
    again = Calibration.from_dict(calibration.to_dict())
    assert again.start == calibration.start and again.tau_at(0) == pytest.approx(1.0)
    assert math.isnan(again.rows["best"][0].tau)


def test_a_pretraining_phase_without_a_signal_is_silent_and_said_once() -> None:
    # Like the autoencoder: nothing reported during 10 pretraining steps, then fine-tuning
    # curves that rank like their finals.
    from search.calibration import describe

    curves = [{s: v for s, v in curve.items() if s >= 10}
              for curve in _curves(FINALS, 1.0, until=0)]
    table = measure(curves, list(FINALS), candidate_steps(TOP, [0, 10]),
                    lambda step: 10 if step >= 10 else 0,
                    lambda step: f"pretraining epoch {step + 1}" if step < 10
                    else f"epoch {step - 9}", seed=0)
    mode, start = choose(table, 0.6)
    calibration = Calibration(0.6, mode, start.step, start.label, list(range(8)), rows=table)
    assert start.label == "epoch 1"
    assert calibration.silent() == ["pretraining epoch 1", "pretraining epoch 2",
                                    "pretraining epoch 3", "pretraining epoch 4",
                                    "pretraining epoch 6", "pretraining epoch 9",
                                    "pretraining epoch 10"]
    block = describe("ae", calibration)
    assert "  pretraining epoch" not in block and "  epoch 1 " in block
    assert ("no configuration reported at 7 rung(s), pretraining epoch 1 to pretraining "
            "epoch 10: no pruner can judge there") in block


def test_a_rung_s_text_has_no_negative_zero_and_a_dash_without_tau() -> None:
    # An interval end of -0.001 once printed as "-0.00": a sign the value does not have.
    assert RungRow(1, "epoch 2", 6, 0.6, -0.001, 1.0).text() == "+0.60 [+0.00, +1.00]"
    assert RungRow(1, "epoch 2", 6, -0.07, -1.0, 0.5).text() == "-0.07 [-1.00, +0.50]"
    assert RungRow(1, "epoch 2", 2, math.nan, math.nan, math.nan).text() == "–"


def test_phase_starts_round_trip_and_default_for_calibrations_stored_before_them() -> None:
    stored = Calibration(0.6, "best", 52, "epoch 3", [0, 1, 2], phase_starts=[0, 50])
    again = Calibration.from_dict(stored.to_dict())
    assert again.phase_starts == [0, 50]
    assert [again.phase_start(s) for s in (0, 49, 50, 90)] == [0, 0, 50, 50]
    older = stored.to_dict()
    del older["phase_starts"]
    assert Calibration.from_dict(older).phase_starts == [0]
