"""The report's cost table (search, selection and retrain hours; steps per run) and its
winner-selection table, checked by hand on fabricated studies."""

from __future__ import annotations

import json
from pathlib import Path

import analyze
from search.calibration import Calibration, RungRow
from search.report.readers.study_reader import retrain_rows
from storage import RetrainRun, RetrainStore, SelectionRun, SelectionStore, open_storage
from storage.selection import record_selection
from tests.search.report.fabricated import fabricate


def test_costs_and_selection_tables_by_hand(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    store = SelectionStore(url)
    for trial, accuracies in ((1, [0.88, 0.86]), (0, [0.89, 0.89])):
        for seed, acc in enumerate(accuracies):
            store.add(SelectionRun("supervised-tpe", "supervised", trial, {}, "smoke", "",
                                   100, 0, 1000 + seed, acc, 5, 900.0,
                                   notes={"steps": 50 * (seed + 1),
                                          **({"cpu": "Test CPU (model 1, AVX2)"}
                                             if seed == 0 else {})}))
    out = tmp_path / "out"
    assert analyze.main(["--storage", url, "--out", str(out), "--no-plots"]) == 0
    assert not (out / "REPORT.md").exists()
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    # Search 3 x 1800 s, selection 4 x 900 s, retrains 3 x 2 s: 1.5 + 1.0 + 0.00167 h.
    budget = report[report.index("## What each result cost"):].splitlines()
    row = next(line for line in budget if line.startswith("| supervised |"))
    assert row.endswith("| 1.50 | 0.00 | 1.00 | 0.00 | 2.50 |")
    # Hours of different machines add up: the caption says which CPUs trained the runs.
    machines = next(line for line in budget if line.startswith("Wall-clock hours"))
    assert "by the CPU that trained them: Test CPU (model 1, AVX2): 2; not recorded" in machines
    gan = next(line for line in budget if line.startswith("| gan |"))
    assert gan.endswith("| 0.10 | 0.00 | 0.00 | 0.00 | 0.10 |")
    table = report[report.index("## Winner selection"):].splitlines()
    chosen = [line for line in table if line.startswith("| supervised |")]
    assert chosen[0].startswith("| supervised | supervised-tpe#0 |")
    assert "0.8900 ± 0.0000 | 0.8900, 0.8900 | 75 | 0.50 |" in chosen[0]
    assert chosen[0].endswith("| yes |")
    assert "0.8700 ± 0.0141" in chosen[1] and chosen[1].endswith("|  |")
    # The main table's compute hours count the selection too.
    main = next(line for line in report.splitlines() if line.startswith("| supervised | 4"))
    assert main.endswith("| 2.50 |")
    assert (out / "plots" / "compute.png").read_bytes()[:4] == b"\x89PNG"
    assert "supervised (n=3)" in (out / "plots" / "compute.html").read_text()


def test_a_selection_at_the_retrains_profile_beside_a_cheaper_one_is_a_check(
    tmp_path: Path
) -> None:
    # The pipeline selects at a cheaper profile ("bench") and retrains at "smoke"; the
    # fidelity benchmark then reruns the selection at "smoke", where trial 1 ranks first.
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    store = SelectionStore(url)
    for profile, trial, accuracies in (("bench", 1, [0.88, 0.86]), ("bench", 0, [0.89, 0.89]),
                                       ("smoke", 1, [0.95, 0.95]), ("smoke", 0, [0.90, 0.90])):
        for seed, acc in enumerate(accuracies):
            store.add(SelectionRun("supervised-tpe", "supervised", trial, {}, profile, "",
                                   100, 0, 1000 + seed, acc, 5, 900.0))
    out = tmp_path / "out"
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    table = report[report.index("## Winner selection"):].splitlines()
    assert "A fidelity check reruns" in table[2]
    rows = {tuple(cell.strip() for cell in line.split("|")[2:4]): line for line in table
            if line.startswith("| supervised |")}
    assert rows[("supervised-tpe#0", "bench")].endswith("| yes |")
    assert rows[("supervised-tpe#1", "smoke (fidelity check)")].endswith("|  |")
    assert not any(line.endswith("| yes |") for key, line in rows.items() if "check" in key[1])
    # Hours: the bench selection's 4 runs of 900 s; the check's 4 runs are left out.
    budget = report[report.index("## What each result cost"):].splitlines()
    row = next(line for line in budget if line.startswith("| supervised |"))
    assert row.endswith("| 1.50 | 0.00 | 1.00 | 0.00 | 2.50 |")


def test_calibration_hours_sit_in_the_search_and_a_measurement_has_a_row_of_its_own(
        tmp_path: Path) -> None:
    import optuna

    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    rows = {"last": [RungRow(0, "epoch 1", 3, 0.8, 0.5, 1.0)],
            "best": [RungRow(0, "epoch 1", 3, 0.8, 0.5, 1.0)]}
    # The search's first trial was its calibration: 0.5 h of its 1.5.
    searched = optuna.load_study(study_name="supervised-tpe", storage=url)
    searched.set_user_attr("calibration", json.dumps(Calibration(
        0.6, "last", 0, "epoch 1", [0], seconds=1800.0, rows=rows).to_dict()))
    # A calibration run as a study of its own: 3 trials of 400 s, all calibration trials.
    measured = optuna.create_study(storage=url, study_name="supervised-calibration",
                                   direction="maximize")
    for key, value in {"method": "supervised", "sampler": "tpe", "pruner": "hyperband",
                       "profile": "smoke"}.items():
        measured.set_user_attr(key, value)
    dist = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    for index, value in enumerate((0.8, 0.7, 0.9)):
        measured.add_trial(optuna.trial.create_trial(
            params={"learning_rate": 1e-3 * (index + 1)}, distributions=dist, value=value,
            intermediate_values={0: value}, user_attrs={
                "calibration": True, "calibration_index": index, "seconds": 400.0}))
    measured.set_user_attr("calibration", json.dumps(Calibration(
        0.6, "last", 0, "epoch 1", [0, 1, 2], seconds=1200.0, rows=rows).to_dict()))
    out = tmp_path / "out"
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    budget = report[report.index("## What each result cost"):].split("\n## ")[0].splitlines()
    assert next(line for line in budget if line.startswith("| supervised |")).endswith(
        "| 1.50 | 0.50 | 0.00 | 0.00 | 1.50 |")
    own = [line for line in budget if "calibration only" in line]
    assert own == ["| supervised [smoke]: calibration only (supervised-calibration) | – | – "
                   "| – | – | – | 0.33 | – | – | 0.33 |"]
    # A measurement chooses nothing: no row of the main table.
    main = report[report.index("## Methods compared"):report.index("## What each result")]
    assert "supervised-calibration" not in main


def test_steps_per_run_count_pretraining_and_skip_runs_without_steps(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = RetrainStore(url)
    for seed, notes in enumerate([{"steps": 1000, "pretrain_steps": 4000}, {"steps": 1200},
                                  {}]):
        store.add(RetrainRun("autoencoder-tpe", "autoencoder", 0, {}, "final", 100, seed, 0,
                             False, 0.9, 0.95, 500, 10_000, 5, 2.0, notes=notes))
    (row,) = retrain_rows(url, ["autoencoder-tpe"])
    assert row.steps_per_run() == round((5000 + 1200) / 2)


def test_a_reference_chosen_by_the_selection_gets_its_section(tmp_path: Path) -> None:
    import optuna

    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = optuna.create_study(storage=url, study_name="gan-levers", direction="maximize")
    for key, value in {"method": "gan", "sampler": "tpe", "pruner": "hyperband",
                       "profile": "smoke"}.items():
        study.set_user_attr(key, value)
    dist = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    for lr, value in ((3e-3, 0.98), (1e-3, 0.97), (1e-4, 0.90)):
        study.add_trial(optuna.trial.create_trial(
            params={"learning_rate": lr}, distributions=dist, value=value,
            user_attrs={"reference": True} if lr == 3e-3 else {}))
    store = SelectionStore(url)
    for trial, accuracies in ((0, [0.98, 0.97]), (1, [0.96, 0.97])):
        for seed, acc in enumerate(accuracies):
            run = SelectionRun("gan-levers", "gan", trial, {}, "smoke", "", 100,
                               1000 + seed, 1000 + seed, acc, 5, 60.0)
            store.add(run)
    out = tmp_path / "out"
    # Until the selection records its choice, its runs may still be training: the
    # reference's lead so far chooses nothing.
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    assert "selection chose the reference" not in report
    assert "| gan | gan-levers#0 (reference) |" in report and "| pending |" in report
    record_selection(open_storage(url), [run], [("gan-levers", 0)])
    assert analyze.main(["--storage", url, "--out", str(out)]) == 0
    report = (out / "REPORT.md").read_text()
    section = report[report.index("## gan: gan-levers's selection chose the reference"):]
    assert "gan-levers#1, 0.9650" in section and "| learning_rate | 1.000 |" in section
    assert "over its 3 finished trials" in section
    assert "| gan | gan-levers#0 (reference) |" in report
