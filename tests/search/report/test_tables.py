"""The comparison table: Welch's tests against the baseline and the leader by hand, a
search with held parameters as a row of its own, and a winner retrained at another
budget leading no one (search/report/tables.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from scipy import stats

from search.report import method_rows
from search.report.readers.study_reader import collect, retrain_rows
from search.report.tables import main_table
from storage import RetrainRun, RetrainStore, open_storage
from tests.search.report.fabricated import fabricate


def test_method_table_welch_and_ci_by_hand(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    _, rows = collect(url)
    table = method_rows(rows, retrain_rows(url, [r.study for r in rows]))
    assert [r.method for r in table] == ["supervised", "gan"]
    base, gan = table
    assert base.errors_diff_to_baseline is None and base.welch_p is None
    gan_errors, base_errors = [100, 130, 160, 110], [800, 900, 1000]
    assert gan.errors_diff_to_baseline == pytest.approx(np.mean(gan_errors) - 900.0)
    # Welch by hand: t = (m1 - m2) / sqrt(s1^2/n1 + s2^2/n2), Welch-Satterthwaite dof.
    v1, v2 = np.var(gan_errors, ddof=1) / 4, np.var(base_errors, ddof=1) / 3
    t = (np.mean(gan_errors) - 900.0) / np.sqrt(v1 + v2)
    dof = (v1 + v2) ** 2 / (v1**2 / 3 + v2**2 / 2)
    assert gan.welch_p == pytest.approx(2 * stats.t.sf(abs(t), dof))
    assert gan.welch_p == pytest.approx(
        stats.ttest_ind(gan_errors, base_errors, equal_var=False).pvalue)
    assert gan.retrain.labeled_subset == "varied per run"
    assert base.compute_hours == pytest.approx(1.5 + 6.0 / 3600)
    # Against the leader (the GAN, fewest errors): the baseline is tested against it, and
    # the leader against the runner-up, the same test the other way round.
    assert (base.leader, gan.leader) == ("gan", "supervised")
    assert base.errors_diff_to_leader == pytest.approx(900.0 - np.mean(gan_errors))
    assert gan.errors_diff_to_leader == pytest.approx(-base.errors_diff_to_leader)
    assert base.leader_welch_p == pytest.approx(gan.welch_p)
    assert gan.leader_welch_p == pytest.approx(gan.welch_p)
    head, body = main_table(table)
    assert head[6] == "Δ errors vs the leader (Welch p)"
    assert body[0][6] == f"+{900.0 - np.mean(gan_errors):.1f} vs gan (p = {gan.welch_p:.3f})"


def test_a_search_with_held_parameters_is_its_own_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    storage = open_storage(url)
    held = optuna.create_study(storage=storage, study_name="supervised-tpe-augment-False",
                               direction="maximize")
    for key, value in {"method": "supervised", "sampler": "tpe", "profile": "smoke",
                       "fixed": '{"augment": false}'}.items():
        held.set_user_attr(key, value)
    dist = {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    held.add_trial(optuna.trial.create_trial(params={"learning_rate": 1e-3},
                                             distributions=dist, value=0.7))
    store = RetrainStore(url)
    for seed, errors in enumerate([1500, 1600, 1700]):
        store.add(RetrainRun("supervised-tpe-augment-False", "supervised", 0,
                             {"learning_rate": 1e-3}, "smoke", 100, seed, 0, False, 0.8,
                             1 - errors / 10_000, errors, 10_000, 5, 2.0))
    studies, rows = collect(url)
    names = [s.study_name for s in studies]
    table = method_rows(rows, retrain_rows(url, names))
    assert [r.method for r in table] == ["supervised", "supervised (augment=False)", "gan"]
    unaugmented = table[1]
    # Compared with the baseline whose search held nothing (800, 900, 1000 errors).
    assert unaugmented.errors_diff_to_baseline == pytest.approx(700.0)
    assert unaugmented.welch_p == pytest.approx(
        stats.ttest_ind([1500, 1600, 1700], [800, 900, 1000], equal_var=False).pvalue)


def test_a_winner_retrained_at_another_budget_leads_no_one(tmp_path: Path) -> None:
    # A search at `smoke` whose winner was retrained only at a costlier profile (as the
    # GAN levers' winner goes through the paper's 180,000 steps): fewer errors, but no
    # rival for the 60,000-step rows of its search profile, and its cell says where.
    url = f"sqlite:///{tmp_path / 'a.db'}"
    fabricate(url)
    storage = open_storage(url)
    levers = optuna.create_study(storage=storage, study_name="gan-levers",
                                 direction="maximize")
    for key, value in {"method": "gan", "profile": "smoke",
                       "fixed": '{"preset": "paper"}'}.items():
        levers.set_user_attr(key, value)
    levers.add_trial(optuna.trial.create_trial(
        params={"learning_rate": 1e-3},
        distributions={"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2)},
        value=0.97, user_attrs={"seconds": 60.0}))
    store = RetrainStore(url)
    for seed, errors in enumerate([50, 60, 70]):
        store.add(RetrainRun("gan-levers", "gan", 0, {"learning_rate": 1e-3}, "official",
                             100, seed, seed, True, 0.97, 1 - errors / 10_000, errors,
                             10_000, 5, 2.0))
    _, rows = collect(url)
    table = {r.method: r for r in method_rows(rows, retrain_rows(url, [r.study for r in rows]))}
    levers_row = table["gan (preset=paper)"]
    assert levers_row.retrain.profile == "official"
    assert levers_row.leader is None and levers_row.errors_diff_to_leader is None
    # The smoke rows still lead and follow each other, as without it.
    assert (table["supervised"].leader, table["gan"].leader) == ("gan", "supervised")
    _, body = main_table(list(table.values()))
    cells = {line[0]: line[4] for line in body}
    assert cells["gan (preset=paper)"] == (
        "60.0 ± 10.0, n=3 (varied per run labels, official profile)")
    assert cells["gan"].endswith("(varied per run labels)")

