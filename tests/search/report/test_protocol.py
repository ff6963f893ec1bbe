"""The official-protocol section of the report, on fabricated runs checked by hand."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import analyze
from search.report.figures import png_curve
from search.report.protocol import (
    PROTOCOL,
    curve_series,
    protocol_results,
    read_epoch_log,
    seed_table,
)
from search.report.readers.retrain_reader import ensemble_errors, retrain_rows
from storage import RetrainRun, RetrainStore
from tests.conftest import write_idx

N_TEST = 50


def _labels(folder: Path) -> np.ndarray:
    # The labels write_idx gives its test files.
    labels = (np.arange(N_TEST) % 10).astype(np.uint8)
    np.random.default_rng(0).shuffle(labels)
    return labels


def _official_runs(url: str, labels: np.ndarray, errors: list[int]) -> list[np.ndarray]:
    """Reference runs of the GAN under the official profile, each with a softmax file
    that gets exactly ``errors[i]`` test images wrong and a curve every 100 epochs."""
    store = RetrainStore(url)
    folder = Path(url.removeprefix("sqlite:///")).parent
    probs = []
    for seed, wrong in enumerate(errors):
        p = np.full((N_TEST, 10), 0.01, dtype=np.float32)
        predicted = labels.copy()
        predicted[:wrong] = (labels[:wrong] + 1 + seed) % 10  # the first `wrong` are wrong
        p[np.arange(N_TEST), predicted] = 0.6 + 0.1 * seed  # no ties in the ensemble
        np.save(folder / f"softmax{seed}.npy", p.astype(np.float16))
        probs.append(p.astype(np.float16).astype(np.float32))
        curve = {"100": wrong + 20, "200": wrong + 5, "300": wrong}
        store.add(RetrainRun("gan-reference", "gan", -1, {"batch_size": 100}, "official",
                             100, seed, seed, True, 0.99, 1 - wrong / N_TEST, wrong, N_TEST,
                             300, 7200.0, budget="c61dbfcec051",
                             notes={"test_curve": curve, "steps_per_epoch": 600,
                                    "test_softmax": f"softmax{seed}.npy", "steps": 180_000,
                                    "val_curve": {"1": 0.9, "300": 0.99}}))
    return probs


def test_protocol_numbers_by_hand(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'official.db'}"
    labels = _labels(tmp_path)
    probs = _official_runs(url, labels, [4, 6, 8])
    (row,) = retrain_rows(url, [])  # no study: the reference runs alone
    assert row.trial == -1 and row.errors == (4, 6, 8) and row.runs == 3
    assert row.members[0].curve_in_steps() == ((60_000, 24), (120_000, 9), (180_000, 4))
    # 180,000 steps over 300 epochs: validation errors at steps 600 and 180,000.
    (first, last) = row.members[0].val_errors_in_steps()
    assert first[0] == 600 and first[1] == pytest.approx(1000.0)
    assert last[0] == 180_000 and last[1] == pytest.approx(100.0)
    # The ensemble: mean of the three softmax outputs, argmax, against the labels.
    expected = int(np.sum(np.mean(probs, axis=0).argmax(axis=1) != labels))
    assert ensemble_errors(row, labels) == (expected, 3)
    (result,) = protocol_results([row], lambda: labels)
    assert result.ensemble == (expected, 3)
    # Welch's t-test against 93 ± 6.5 over 10 seeds, from its formula.
    mean, std, n = PROTOCOL.single
    v1, v2 = np.var([4, 6, 8], ddof=1) / 3, std**2 / n
    t = (6 - mean) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / 2 + v2**2 / (n - 1))
    from scipy import stats

    assert result.welch_p == pytest.approx(2 * stats.t.sf(abs(t), df))
    assert result.hours == pytest.approx(6.0)
    head, body = seed_table(result)
    assert head[2] == "test errors at 30k steps (monitor)"
    # 30k steps is epoch 50: not measured by this curve; 60k and 120k are.
    assert body[1][:6] == ["1", "1", "–", "26", "11", "6"]
    # Seed 1 predicts label + 2 for its first 6 images: its confusions, most frequent first
    # (ties by true class).
    pairs = Counter((int(x), (int(x) + 2) % 10) for x in labels[:6])
    top = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    assert result.confusions[1] == tuple((a, b, n) for (a, b), n in top)
    assert body[1][6] == ", ".join(f"{a} → {b}: {n}" for (a, b), n in top)
    # The curve: mean ± std over the seeds, and each seed's own line for the plot.
    ((name, steps, means, stds, runs),) = curve_series(result)
    assert name.endswith("(n = 3)") and steps == [60_000, 120_000, 180_000]
    assert means == [26.0, 11.0, 6.0] and stds == pytest.approx([2.0] * 3)
    assert runs[2] == ([60_000, 120_000, 180_000], [28, 13, 8])
    assert png_curve(curve_series(result), (180_000, 93, 6.5),
                     tmp_path / "curve.png").stat().st_size > 0


def test_labels_are_read_only_when_a_softmax_file_needs_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'official.db'}"
    labels = _labels(tmp_path)
    _official_runs(url, labels, [4, 6])
    for file in tmp_path.glob("softmax*.npy"):
        file.unlink()
    (row,) = retrain_rows(url, [])

    def never() -> np.ndarray:
        raise AssertionError("labels were loaded without a softmax file to score")

    (result,) = protocol_results([row], never)
    assert result.ensemble is None and not result.confusions


def test_report_of_two_databases_with_the_official_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tests.search.report.fabricated import fabricate

    studies = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(studies)
    official = tmp_path / "off" / "official.db"
    official.parent.mkdir()
    data = write_idx(tmp_path / "mnist", 10, N_TEST)
    _official_runs(f"sqlite:///{official}", _labels(data), [4, 6, 8])
    log = tmp_path / "seeds.log"
    log.write_text("seed 0\n  epoch 1: test errors 30, loss 1\n  epoch 2: test errors 20\n"
                   "seed 1\n  epoch 1: test errors 40\n  epoch 2: test errors 10\n")
    assert read_epoch_log(log) == [((500, 30), (1000, 20)), ((500, 40), (1000, 10))]
    out = tmp_path / "out"
    assert analyze.main(["--storage", studies, "--storage", f"sqlite:///{official}",
                         "--out", str(out), "--data-dir", str(data),
                         "--curve-log", str(log)]) == 0
    report = (out / "REPORT.md").read_text()
    assert "## The paper's protocol, measured" in report
    assert "| test errors /10k, one model: mean ± std | 6.0 ± 2.0 (n = 3 seeds) | 93 ± 6.5" \
        in report
    anchor = next(line for line in report.splitlines()
                  if line.startswith("| Improved-GAN, feature matching"))
    assert "6.0 ± 2.0 (n = 3, official protocol)" in anchor
    assert (out / "plots" / "protocol_curve_0.png").read_bytes()[:4] == b"\x89PNG"
    assert "![validation errors against steps](plots/val_curves.png)" in report
    page = (out / "plots" / "protocol_curve_0.html").read_text()
    assert "seeds (n = 2)" in page and "paper: 93" in page
    # The supervised study of the first database is still reported.
    assert "| supervised |" in report
    # A database with nothing yet is skipped beside others, and refused alone.
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    import sqlalchemy

    with sqlalchemy.create_engine(empty).begin() as conn:  # a database, none of our tables
        conn.exec_driver_sql("CREATE TABLE x (y int)")
    assert analyze.main(["--storage", studies, "--storage", empty, "--out",
                         str(tmp_path / "o4")]) == 0
    assert "skipped: no ssl-hpo studies" in capsys.readouterr().err
    assert analyze.main(["--storage", empty, "--out", str(tmp_path / "o5")]) == 2
    # A retrain-only database alone is a valid report too; bad data is one line, exit 2.
    assert analyze.main(["--storage", f"sqlite:///{official}", "--out",
                         str(tmp_path / "o2"), "--data-dir", str(data)]) == 0
    capsys.readouterr()
    bad = tmp_path / "o3"
    assert analyze.main(["--storage", f"sqlite:///{official}", "--out", str(bad),
                         "--data-dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and not bad.exists()
