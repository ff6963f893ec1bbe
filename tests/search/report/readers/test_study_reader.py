"""The study reader and analyze.py over a fabricated database: the tables by hand, the
files and plots the CLI writes, filters, missing or ambiguous databases, and the label
sweep end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import analyze
from search.report.readers.study_reader import collect, retrain_rows
from search.report import label_sweeps, method_rows
from storage import RetrainRun, RetrainStore
from tests.search.report.fabricated import fabricate


def test_tables_match_hand_computed_values(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    studies, rows = collect(url)
    assert [r.study for r in rows] == ["supervised-tpe", "gan-random"]
    row = rows[0]
    assert (row.complete, row.pruned, row.failed) == (3, 1, 0)
    assert row.best_val_accuracy == 0.9 and row.best_trial == 1
    assert row.compute_hours == pytest.approx(1.5)
    (retrain,) = retrain_rows(url, ["supervised-tpe"])
    assert retrain.errors == (800, 900, 1000)
    assert retrain.runs == 3 and retrain.test_errors_mean == 900.0
    assert retrain.test_errors_std == pytest.approx(100.0)
    acc = [0.92, 0.91, 0.90]
    low, high = stats.t.interval(0.95, 2, loc=np.mean(acc), scale=stats.sem(acc))
    assert retrain.test_accuracy_ci_low == pytest.approx(low)
    assert retrain.test_accuracy_ci_high == pytest.approx(high)


def test_cli_writes_tables_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    # A run of the GAN's setting under a retuned profile (another fingerprint): a group of
    # its own in the tables, but fewer runs, so its digits are not the ones shown.
    grid = tmp_path / "retuned.png"
    grid.write_bytes(b"\x89PNG\r\n\x1a\n retuned")
    RetrainStore(url).add(RetrainRun(
        "gan-random", "gan", 0, {"learning_rate": 1e-3}, "smoke", 100, 0, 0, True, 0.95,
        0.99, 100, 10_000, 5, 1.0, notes={"samples_png": str(grid)}, budget="feedbeef0000"))
    out = tmp_path / "out"
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    text = (out / "summary.md").read_text()
    assert "supervised-tpe" in text and "900.0 ± 100.0000 / 10000" in text
    with (out / "studies.csv").open() as handle:
        assert next(csv.DictReader(handle))["complete"] == "3"
    plots = out / "plots"
    for name in ("history", "val_vs_learning_rate", "val_vs_depth"):
        page = (plots / f"supervised-tpe__{name}.html").read_text()
        assert 'src="plotly.min.js"' in page and 'src="http' not in page
    assert (plots / "plotly.min.js").stat().st_size > 1_000_000
    assert '"type":"log"' in (plots / "supervised-tpe__val_vs_learning_rate.html").read_text()
    assert "REPORT.md" in capsys.readouterr().out
    report = (out / "REPORT.md").read_text()
    assert "not measured" in report and "93 ± 6.5" in report and "333 ± 14" in report
    assert report.index("| supervised |") < report.index("| gan |")
    gan_row = report[report.index("| gan |"):].splitlines()[0]
    assert "(p = 0.0" in gan_row and "p=" not in report
    assert "![supervised-tpe](plots/supervised-tpe__slices.png)" in report
    assert (plots / "supervised-tpe__slices.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("contour_width_depth", "importances", "intermediate"):
        assert (plots / f"supervised-tpe__{name}.html").exists()
    page = (out / "report.html").read_text()
    # Per study: one grid of slice panels, history, importances and contour inline (the
    # one-trial GAN study: grid and history); one page per parameter linked. Besides: the
    # methods figure at the top and the compute figure; no label sweep: the only redrawn
    # runs are the GAN's, at one label count.
    assert 'src="http' not in page and page.count("Plotly.newPlot") == 4 + 2 + 2
    assert "Test errors vs labels" not in report
    assert 'href="plots/supervised-tpe__val_vs_depth.html"' in page
    grid = (plots / "supervised-tpe__slices.html").read_text()
    assert all(f'"{name}"' in grid for name in ("depth", "latent_width", "learning_rate"))
    assert report.index("![test errors per method](plots/methods.png)") < report.index(
        "## Methods compared")
    assert (plots / "methods.png").read_bytes()[:4] == b"\x89PNG"
    methods = (plots / "methods.html").read_text()
    assert "supervised (n=3)" in methods and "paper: Ladder network" in methods
    # The sample grids of the retrained GAN runs that wrote one, copied beside the report.
    shown = "![seed 0](plots/gan-random__retrain_trial0_labels100_varied_smoke_seed0.png)"
    assert shown in report and "seed1.png" in report and "seed2.png" not in report
    assert (plots / "gan-random__retrain_trial0_labels100_varied_smoke_seed1.png").exists()
    assert b"retuned" not in (
        plots / "gan-random__retrain_trial0_labels100_varied_smoke_seed0.png").read_bytes()
    assert report.count("generated digits of the retrained gan-random#0") == 1
    assert "(100 labels, varied per run subset, smoke)" in report
    assert 'alt="seed 1"' in page


def test_filters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    assert len(collect(url, method="supervised")[1]) == 1
    assert [r.study for r in collect(url, method="gan")[1]] == ["gan-random"]
    assert len(collect(url, study="supervised-tpe")[1]) == 1
    assert analyze.main(["--storage", url, "--method", "autoencoder", "--out",
                         str(tmp_path / "o")]) == 2


def test_missing_and_empty_databases_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "missing.db"
    assert analyze.main(["--storage", f"sqlite:///{missing}", "--out", str(tmp_path)]) == 2
    assert "no study database" in capsys.readouterr().err
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    assert analyze.main(["--storage", f"sqlite:///{empty}", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no Optuna studies" in err and err.count("\n") == 1


def test_label_sweep_table_and_plot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    store = RetrainStore(url)
    for n_labeled, errors in ((20, [3000, 3400]), (50, [2000, 2100, 2300]),
                              (100, [200, 500, 800, 1100])):
        for seed, e in enumerate(errors):
            store.add(RetrainRun("supervised-tpe", "supervised", 1, {"learning_rate": 3e-3},
                                 "smoke", n_labeled, seed, seed, True, 0.7, 1 - e / 10_000, e,
                                 10_000, 5, 2.0, budget="abc"))
    # The same profile name with other values (a retuned profile) is a group of its own.
    store.add(RetrainRun("supervised-tpe", "supervised", 1, {"learning_rate": 3e-3}, "smoke",
                         50, 0, 0, True, 0.7, 0.5, 5000, 10_000, 5, 2.0, budget="xyz"))
    _, rows = collect(url)
    retrains = retrain_rows(url, [r.study for r in rows])
    sweeps = label_sweeps(retrains, rows)
    assert list(sweeps) == ["smoke"]
    sweep = sweeps["smoke"]
    assert list(sweep) == ["supervised", "gan"]  # baseline first; fixed subsets left out
    assert sorted(sweep["supervised"]) == [20, 50, 100]
    # The comparison at 100 labels keeps the search's fixed subset, though it has fewer runs.
    assert method_rows(rows, retrains)[0].retrain.errors == (800, 900, 1000)
    assert sweep["supervised"][50].errors == (2000, 2100, 2300)  # 3 runs beat the 1-run group
    assert sweep["gan"][100].test_errors_mean == 125.0
    out = tmp_path / "out"
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    section = report[report.index("## Test errors vs labels"):]
    assert "| 20 | 3200 ± 283 (n=2) | – | 1677 ± 452 |" in section
    assert "| 100 | 650 ± 387 (n=4) | 125 ± 26 (n=4) | 93 ± 6.5 |" in section
    p = stats.ttest_ind([100, 130, 160, 110], [200, 500, 800, 1100], equal_var=False).pvalue
    tests = section[section.index("Welch"):]
    assert "| labels | gan − supervised |" in tests
    assert f"| 100 | -525 (p = {p:.3f}) |" in tests and "| 20 | – |" in tests
    assert "| 200 | – | – | 90 ± 4.2 |" in section
    assert (out / "plots" / "label_sweep_smoke.png").read_bytes()[:4] == b"\x89PNG"
    assert '"type":"log"' in (out / "plots" / "label_sweep_smoke.html").read_text()


def test_one_study_name_in_two_databases_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # Their plots and retrain runs would be merged under one name: refused, nothing written.
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db"))
    fabricate(first)
    fabricate(second)
    out = tmp_path / "out"
    assert analyze.main(["--storage", first, "--storage", second, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'supervised-tpe' is in" in err and err.count("\n") == 1 and not out.exists()
    # Either one alone still reports.
    assert analyze.main(["--storage", first, "--out", str(out), "--no-plots"]) == 0


