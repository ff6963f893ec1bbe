"""The label sweep: one table per profile, held-fixed searches apart, reference runs left
to the protocol section (search/report/sweep.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from scipy import stats

from search.report.readers.retrain_reader import RunRecord
from search.report.readers.study_reader import RetrainRow, StudyRow
from search.report.sweep import (
    label_sweeps, sweep_paired_table, sweep_sections, sweep_tests_table)


def _group(study: str, method: str, profile: str, n_labeled: int, errors: tuple[int, ...],
           trial: int = 0, subset: str = "varied per run") -> RetrainRow:
    mean = sum(errors) / len(errors)
    return RetrainRow(method=method, study=study, trial=trial, profile=profile, budget="",
                      n_labeled=n_labeled, labeled_subset=subset, runs=len(errors),
                      val_accuracy_mean=0.9, test_accuracy_mean=1 - mean / 10_000,
                      test_accuracy_ci_low=0.0, test_accuracy_ci_high=1.0,
                      test_errors_mean=mean, test_errors_std=float("nan"),
                      test_size=10_000, errors=errors, seconds=60.0)


def _study(name: str, method: str, profile: str, fixed: str = "") -> StudyRow:
    return StudyRow(study=name, method=method, sampler="tpe", pruner="hyperband",
                    profile=profile, complete=1, pruned=0, failed=0, best_val_accuracy=0.9,
                    best_trial=0, best_params="{}", compute_hours=1.0, fixed=fixed)


STUDIES = [_study("supervised-final", "supervised", "final"),
           _study("supervised-final-augment-False", "supervised", "final",
                  fixed='{"augment": false}'),
           _study("gan-final", "gan", "final"),
           _study("supervised-tpe", "supervised", "bench"),
           _study("gan-tpe", "gan", "bench")]

RETRAINS = [
    _group("supervised-final", "supervised", "final", 20, (3000, 3200)),
    _group("supervised-final", "supervised", "final", 100, (500, 600, 700)),
    _group("supervised-final-augment-False", "supervised", "final", 100, (1200, 1300)),
    _group("gan-final", "gan", "final", 100, (100, 120, 140)),
    # The search's own fixed subset belongs to the main table, not to the sweep.
    _group("gan-final", "gan", "final", 100, (90,) * 5, subset="fixed"),
    _group("supervised-tpe", "supervised", "bench", 100, (1300, 1400, 1500, 1600, 1700)),
    _group("gan-tpe", "gan", "bench", 100, (1500, 1600, 1700, 1800, 1900)),
    # The official protocol: five runs at 100 labels, retrained without a search, and a
    # searched winner retrained the same way: each has its own section, neither a sweep.
    _group("gan-reference", "gan", "official", 100, (94, 118, 87, 236, 93), trial=-1),
    _group("gan-final", "gan", "official", 100, (90, 100, 80, 150, 85)),
]


def test_one_sweep_per_profile_in_the_rows_order() -> None:
    sweeps = label_sweeps(RETRAINS, STUDIES)
    # A 5-run bench group never stands in for a 3-run final one: profiles stay apart.
    assert list(sweeps) == ["final", "bench"]
    final = sweeps["final"]
    assert list(final) == ["supervised", "gan", "supervised (augment=False)"]
    assert final["gan"][100].errors == (100, 120, 140)
    assert sorted(final["supervised"]) == [20, 100]
    assert final["supervised (augment=False)"][100].errors == (1200, 1300)
    assert sweeps["bench"]["gan"][100].errors == (1500, 1600, 1700, 1800, 1900)


def test_a_retuned_profile_s_newer_group_wins_a_tie() -> None:
    old = replace(_group("gan-tpe", "gan", "bench", 50, (2500,) * 5), budget="f66a",
                  newest="2026-11-29 06:00:00")
    new = replace(_group("gan-tpe", "gan", "bench", 50, (2400,) * 5), budget="f473",
                  newest="2026-11-30 20:00:00")
    at_100 = _group("gan-tpe", "gan", "bench", 100, (1500,) * 5)
    for rows in ([old, new, at_100], [new, old, at_100]):
        assert label_sweeps(rows, STUDIES)["bench"]["gan"][50].budget == "f473"
    # More runs still come first: a newer group still filling up does not stand in.
    short = replace(new, runs=2, errors=(2400, 2400))
    assert label_sweeps([old, short, at_100], STUDIES)["bench"]["gan"][50].budget == "f66a"
    # One column at one label count is no sweep.
    assert label_sweeps([old, new], STUDIES) == {}


def test_welch_against_the_unfixed_baseline_of_the_same_profile() -> None:
    tests = sweep_tests_table(label_sweeps(RETRAINS, STUDIES)["final"])
    assert tests is not None
    head, body = tests
    assert head == ["labels", "gan − supervised", "supervised (augment=False) − supervised"]
    p_gan = stats.ttest_ind([100, 120, 140], [500, 600, 700], equal_var=False).pvalue
    p_weak = stats.ttest_ind([1200, 1300], [500, 600, 700], equal_var=False).pvalue
    assert body == [["20", "–", "–"],
                    ["100", f"-480 (p = {p_gan:.3f})", f"+650 (p = {p_weak:.3f})"]]


def test_sections_write_a_table_and_plots_per_profile(tmp_path: Path) -> None:
    md, html_parts, written = sweep_sections(RETRAINS, STUDIES, tmp_path)
    text = "\n".join(md)
    assert text.index("profile final") < text.index("profile bench")
    assert "| 100 | 600 ± – (n=3) | 120 ± – (n=3) | 1250 ± – (n=2) | 93 ± 6.5 |" in text
    assert "official" not in text and len(html_parts) == 2
    assert sorted(p.name for p in written) == [
        "label_sweep_bench.html", "label_sweep_bench.png",
        "label_sweep_final.html", "label_sweep_final.png"]
    assert all(p.stat().st_size > 0 for p in written)


def _drawn(study: str, method: str, errors_by_seed: dict[int, int]) -> RetrainRow:
    members = tuple(RunRecord(seed=s, data_seed=s, test_errors=e, epochs=10, seconds=1.0)
                    for s, e in errors_by_seed.items())
    return replace(_group(study, method, "final", 100, tuple(errors_by_seed.values())),
                   members=members)


def test_methods_pair_with_the_lowest_mean_on_the_draws_they_share() -> None:
    gan = _drawn("gan-final", "gan", {1: 100, 2: 240, 3: 110, 4: 95, 5: 130})
    # Worse than the GAN on draws 1-4 by 10-30 errors, each; Welch would see two
    # overlapping spreads, the pairs see the same sign four times.
    fixmatch = _drawn("fixmatch-final", "fixmatch", {1: 120, 2: 250, 3: 140, 4: 110})
    base = _drawn("supervised-final", "supervised", {1: 600, 2: 700, 3: 650, 4: 620, 5: 640})
    studies = [*STUDIES, _study("fixmatch-final", "fixmatch", "final")]
    table = sweep_paired_table(label_sweeps([base, gan, fixmatch], studies)["final"])
    assert table is not None
    head, body = table
    assert head == ["labels", "lowest mean", "supervised − lowest", "fixmatch − lowest",
                    "gan − lowest"]
    p_fix = stats.ttest_rel([120, 250, 140, 110], [100, 240, 110, 95]).pvalue
    p_base = stats.ttest_rel([600, 700, 650, 620, 640], [100, 240, 110, 95, 130]).pvalue
    assert p_base < 0.001 < p_fix
    assert body == [["100", "gan", "+507 on 5, better on 0, p < 0.001",
                     f"+19 on 4, better on 0, p = {p_fix:.3f}", "–"]]


def test_no_paired_table_without_two_shared_draws() -> None:
    gan = _drawn("gan-final", "gan", {1: 100, 2: 240})
    base = _drawn("supervised-final", "supervised", {2: 600, 3: 700})
    assert sweep_paired_table(label_sweeps([gan, base], STUDIES)["final"]) is None
    # Several runs on one draw (model seeds on one subset) pair with nothing either.
    fixed = replace(gan, members=tuple(replace(m, data_seed=0) for m in gan.members))
    assert sweep_paired_table(label_sweeps([fixed, base], STUDIES)["final"]) is None
