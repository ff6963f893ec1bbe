"""The ablation path: variants by hand on a conditional space, planned on shared draws,
run through the command line on the GAN, and tabulated by the report."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from objectives import get_method
from objectives.profiles import get_profile
from search.report.ablation import ablation_sections, ablations
from search.winners.ablation import REFERENCE as REFERENCE_LABEL
from search.winners.ablation import WINNER, ablation_candidates, plan_ablation, variants
from spaces import parse_space
from storage import SelectionStore, open_storage
from storage.selection import ABLATIONS_ATTR, SelectionRun, ablation_study, record_ablation
from tests.conftest import run_cli

SPACE = parse_space("ablate", {
    "lr": {"kind": "float", "low": 1e-5, "high": 1e-2, "log": True, "grid": [3e-4]},
    "schedule": {"kind": "categorical", "choices": ["constant", "decay"]},
    "decay_start": {"kind": "float", "low": 0.1, "high": 0.9, "grid": [0.66],
                    "when": {"schedule": ["decay"]}},
    "beta": {"kind": "categorical", "choices": [0.5, 0.9]},
})
REFERENCE = {"lr": 3e-4, "schedule": "constant", "beta": 0.5}
WINNER_PARAMS = {"lr": 1e-3, "schedule": "decay", "decay_start": 0.5, "beta": 0.5}


def test_variants_revert_one_parameter_each_and_drop_what_it_activated() -> None:
    assert variants(SPACE, WINNER_PARAMS, REFERENCE) == [
        (WINNER, WINNER_PARAMS),
        ("lr", {**WINNER_PARAMS, "lr": 3e-4}),
        # decay_start depends on the schedule: reverting the schedule drops it, and it
        # has no variant of its own (the reference has no value for it).
        ("schedule", {"lr": 1e-3, "schedule": "constant", "beta": 0.5}),
        # Two reverts: the reference itself, every change at once, ends the path.
        (REFERENCE_LABEL, REFERENCE),
    ]
    assert variants(SPACE, REFERENCE, REFERENCE) == [(WINNER, REFERENCE)]
    # One change only: its revert is the reference, which is not trained twice.
    assert [label for label, _ in variants(SPACE, {**REFERENCE, "beta": 0.9}, REFERENCE)] == [
        WINNER, "beta"]


def test_reverting_gives_what_it_activates_the_reference_value() -> None:
    reference = {**WINNER_PARAMS, "lr": 3e-4, "decay_start": 0.66}
    winner = {"lr": 3e-4, "schedule": "constant", "beta": 0.5}
    # Reverting decay_start, which the winner's schedule leaves inactive, changes nothing:
    # no variant; reverting the schedule gives the reference, which is not trained twice.
    assert variants(SPACE, winner, reference) == [(WINNER, winner), ("schedule", reference)]


def test_every_variant_meets_the_winner_on_the_same_draws() -> None:
    method = get_method("gan")
    configurations = variants(method.space, {**method.reference_params, "learning_rate": 1e-3},
                              method.reference_params)
    candidates = ablation_candidates(method, "gan-levers", 7, configurations)
    planned = plan_ablation(method, candidates, [label for label, _ in configurations],
                            get_profile("smoke"), 2, 100)
    assert [r.notes["ablation"] for r in planned] == [WINNER, WINNER, "learning_rate",
                                                      "learning_rate"]
    assert {r.study_name for r in planned} == {"gan-levers-ablation"}
    assert [(r.seed, r.data_seed) for r in planned] == [(1000, 1000), (1001, 1001)] * 2


def _store(url: str, runs: dict[str, list[float]], params: dict[str, dict]) -> None:
    store = SelectionStore(url)
    for label, accuracies in runs.items():
        for i, acc in enumerate(accuracies):
            store.add(SelectionRun(ablation_study("gan-levers"), "gan", 7, params[label],
                                   "select", "abc", 100, 1000 + i, 1000 + i, acc, 30, 1.0,
                                   notes={"ablation": label}))


def test_the_report_says_what_each_change_is_worth(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    _store(url, {WINNER: [0.98, 0.97, 0.99], "lr": [0.96, 0.96, 0.96]},
           {WINNER: {"lr": 1e-3}, "lr": {"lr": 3e-4}})
    (found,) = ablations([url])
    assert (found.study, found.trial, found.profile) == ("gan-levers", 7, "select")
    worth, p, n = found.worth("lr")
    assert worth == pytest.approx(0.02) and n == 3
    # Paired differences 0.02, 0.01, 0.03: t = 0.02 / (0.01 / sqrt(3)), 2 degrees of freedom.
    from scipy import stats

    assert p == pytest.approx(2 * stats.t.sf(0.02 / (0.01 / 3 ** 0.5), 2))
    md, parts, _ = ablation_sections([found])
    text = "\n".join(md)
    assert "| lr reverted | 0.001 → 0.0003 | 0.9600 ± 0.0000 (n=3) | +0.0200 over 3 draws" in text
    assert "| gan-levers#7 as searched | – | 0.9800 ± 0.0100 (n=3) | – |" in text
    assert len(parts) == 1


def test_the_reference_row_sets_the_changes_together_beside_their_sum(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    _store(url, {WINNER: [0.98, 0.97], "lr": [0.97, 0.96], "beta": [0.975, 0.965],
                 REFERENCE_LABEL: [0.95, 0.95]},
           {WINNER: {"lr": 1e-3, "beta": 0.9}, "lr": {"lr": 3e-4, "beta": 0.9},
            "beta": {"lr": 1e-3, "beta": 0.5}, REFERENCE_LABEL: {"lr": 3e-4, "beta": 0.5}})
    (found,) = ablations([url])
    text = "\n".join(ablation_sections([found])[0])
    # Together +0.025 (0.03, 0.02), where the single reverts sum to +0.015: they interact.
    assert ("| the reference | all 2 reverted; the single worths sum to +0.0150 | "
            "0.9500 ± 0.0000 (n=2) | +0.0250 over 2 draws") in text
    assert "| beta reverted | 0.9 → 0.5 |" in text


def test_a_report_made_mid_ablation_lists_what_is_still_to_come(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    optuna.create_study(storage=open_storage(url), study_name="gan-levers")
    params = {WINNER: {"lr": 1e-3, "beta": 0.9}, "lr": {"lr": 3e-4, "beta": 0.9},
              "beta": {"lr": 1e-3, "beta": 0.5}, REFERENCE_LABEL: {"lr": 3e-4, "beta": 0.5}}
    planned = [SelectionRun(ablation_study("gan-levers"), "gan", 7, params[label], "select",
                            "abc", 100, 1000 + i, 1000 + i, 0.0, 0, 0.0,
                            notes={"ablation": label})
               for label in params for i in range(2)]
    record_ablation(open_storage(url), "gan-levers", planned)
    (found,) = ablations([url])  # a plan alone: every variant still to train
    text = "\n".join(ablation_sections([found])[0])
    assert "| gan-levers#7 as searched | – | not trained yet | – |" in text
    assert "Stored so far: 0 of its 8 runs; the rest are to come." in text
    assert "compute-hours" not in text  # nothing stored, nothing spent
    assert "| the reference | all 2 reverted | not trained yet | – |" in text

    _store(url, {WINNER: [0.98, 0.97], "lr": [0.96]}, params)
    (found,) = ablations([url])
    assert found.progress() == (3, 8)
    text = "\n".join(ablation_sections([found])[0])
    assert "| lr reverted | 0.001 → 0.0003 | 0.9600 (n=1 of 2) | +0.0200 over 1 draws" in text
    assert "| beta reverted | 0.9 → 0.5 | not trained yet | – |" in text
    assert ("| the reference | all 2 reverted; the 1 measured single worths sum to +0.0200 "
            "| not trained yet | – |") in text
    assert "Stored so far: 3 of its 8 runs" in text
    # _store's runs take 1 s each: 3 of them, 3 s, 0.0008 h.
    assert found.seconds == pytest.approx(3.0)
    assert "Its 3 stored runs took 0.0 compute-hours" in text
    # Rows keep the order in which the variants train, not the order runs were stored.
    assert text.index("lr reverted") < text.index("beta reverted") < text.index(
        "the reference |")


def test_a_collapsed_run_is_named_in_its_variant_s_cell(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    params = {WINNER: {"lr": 1e-3}, "lr": {"lr": 3e-4}}
    _store(url, {WINNER: [0.97], "lr": [0.97]}, params)
    store = SelectionStore(url)
    for label, accuracy, epochs, reason in (
            (WINNER, 0.97, 12, "early stopping: no better in 4 epochs"),
            ("lr", 0.85, 8, "collapse: loss_unl 0.0006 < 0.01 for 2 epochs (epoch 8)")):
        store.add(SelectionRun(ablation_study("gan-levers"), "gan", 7, params[label],
                               "select", "abc", 100, 1001, 1001, accuracy, epochs, 1.0,
                               notes={"ablation": label, "stop_reason": reason}))
    (found,) = ablations([url])
    # Only the collapse guard's stops count; an early stop is none.
    assert found.collapsed == {"lr": {1001: 8}}
    text = "\n".join(ablation_sections([found])[0])
    assert ("| lr reverted | 0.001 → 0.0003 | 0.9100 ± 0.0849 (n=2; collapsed on draw 1001 "
            "at epoch 8) |") in text
    assert "| gan-levers#7 as searched | – | 0.9700 ± 0.0000 (n=2) | – |" in text


@pytest.mark.parametrize("argv, message", [
    (["--method", "supervised", "--ablate", "0", "--study-name", "s"],
     "has no reference configuration"),
    (["--method", "gan", "--ablate", "0"], "--ablate needs --study-name"),
    (["--method", "gan", "--ablate", "0", "--study-name", "s", "--retrain", "2"],
     "--ablate is a command of its own"),
    (["--method", "gan", "--ablate", "5", "--study-name", "gan-levers"],
     "has no trial #5 with parameters"),
])
def test_bad_ablations_get_one_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                    argv: list[str], message: str) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    optuna.create_study(storage=open_storage(url), study_name="gan-levers")
    code, out, err = run_cli(capsys, *argv, "--storage", url)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_the_command_ablates_a_gan_trial_and_tops_up(tmp_path: Path, mnist_dir: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    method = get_method("gan")
    params = method.space.point({**method.reference_params, "learning_rate": 1e-3})
    study = optuna.create_study(storage=open_storage(url), study_name="gan-levers",
                                direction="maximize")
    study.add_trial(optuna.trial.create_trial(
        params=params, distributions=method.space.distributions(params), value=0.9))
    argv = ["--method", "gan", "--ablate", "0", "--study-name", "gan-levers", "--storage", url,
            "--profile", "smoke", "--select-seeds", "1", "--data-dir", str(mnist_dir),
            "--threads", "2"]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and "1 parameter(s) reverted one at a time" in out
    runs = SelectionStore(url).runs()
    assert sorted(r["notes"]["ablation"] for r in runs) == ["learning_rate", WINNER]
    assert "  learning_rate: val " in out and "as searched)" in out
    code, out, _ = run_cli(capsys, *argv)  # stored: nothing trains again
    assert code == 0 and SelectionStore(url).runs() == runs
    # The plan is recorded once on the study, however often the command runs.
    (plan,) = optuna.load_study(study_name="gan-levers", storage=url).user_attrs[
        ABLATIONS_ATTR]
    assert (plan["trial"], plan["profile"], plan["seeds"]) == (0, "smoke", 1)
    assert list(plan["variants"]) == [WINNER, "learning_rate"]
    assert plan["variants"]["learning_rate"]["learning_rate"] == pytest.approx(
        method.reference_params["learning_rate"])


def test_the_reference_itself_has_nothing_to_ablate(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    method = get_method("gan")
    params = method.space.point(method.reference_params)
    study = optuna.create_study(storage=open_storage(url), study_name="gan-levers")
    study.add_trial(optuna.trial.create_trial(
        params=params, distributions=method.space.distributions(params), value=0.9))
    code, _, err = run_cli(capsys, "--method", "gan", "--ablate", "0", "--study-name",
                           "gan-levers", "--storage", url)
    assert code == 2 and "is the reference configuration: nothing to ablate" in err
    assert len(err.strip().splitlines()) == 1
