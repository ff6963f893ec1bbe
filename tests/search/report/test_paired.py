"""The reference against a searched configuration, draw by draw: pairs by hand, the paired
t-test by its formula, the signed-rank test by counting sign patterns, and the section in
the report."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from scipy import stats

from search.report.paired import paired_sections, pairings
from search.report.readers.retrain_reader import retrain_rows
from search.report.reference import Importances
from search.stats import signed_rank_floor, signed_rank_p
from storage.results import RetrainRun, RetrainStore

REFERENCE = [100, 120, 236, 95, 90]
WINNER = [80, 100, 130, 85, 88]


def _runs(store: RetrainStore, study: str, trial: int, errors: list[int], profile: str,
          vary: bool = True, budget: str = "c61dbfcec051") -> None:
    for seed, e in enumerate(errors):
        store.add(RetrainRun(study, "gan", trial, {"lr": 3e-4 if trial < 0 else 1e-3},
                             profile, 100, seed, seed if vary else 0, vary, 0.98,
                             1 - e / 10_000, e, 10_000, 300, 60.0, budget=budget,
                             notes={"test_curve": {"10": 3 * e, "300": e},
                                    "steps_per_epoch": 600}))


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = RetrainStore(url)
    _runs(store, "gan-reference", -1, REFERENCE, "official")
    _runs(store, "gan-levers", 7, WINNER, "official")
    _runs(store, "gan-levers", 8, [90, 90], "final")  # another profile: no pair
    _runs(store, "gan-levers", 9, [70, 75, 72], "official", vary=False)  # one subset
    _runs(store, "gan-levers", 10, [99], "official")  # one draw only
    return url


def test_pairs_only_the_same_draws_under_the_same_profile(url: str) -> None:
    rows = retrain_rows(url, ["gan-levers"])
    (pairing,) = pairings(rows)
    assert (pairing.reference.trial, pairing.challenger.trial) == (-1, 7)
    assert [(s, r.test_errors, c.test_errors) for s, r, c in pairing.draws] == list(
        zip(range(5), REFERENCE, WINNER, strict=True))
    assert pairing.differences == [-20, -20, -106, -10, -2] and pairing.wins == 5


def test_paired_t_test_by_its_formula(url: str) -> None:
    (pairing,) = pairings(retrain_rows(url, ["gan-levers"]))
    d = [w - r for w, r in zip(WINNER, REFERENCE, strict=True)]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    t = mean / (sd / math.sqrt(n))
    assert pairing.p_value == pytest.approx(2 * stats.t.sf(abs(t), n - 1))


def _signed_rank_by_counting(diffs: list[int]) -> float:
    """Two-sided p of the signed-rank sum by enumerating every sign pattern of the ranks
    of |d| (ties share their mean rank), zero differences dropped."""
    kept = [d for d in diffs if d != 0]
    ranks = stats.rankdata([abs(d) for d in kept])
    centre = ranks.sum() / 2
    observed = abs(sum(r for r, d in zip(ranks, kept, strict=True) if d > 0) - centre)
    patterns = list(itertools.product((0, 1), repeat=len(kept)))
    extreme = sum(abs(sum(r * s for r, s in zip(ranks, signs, strict=True)) - centre)
                  >= observed - 1e-9 for signs in patterns)
    return extreme / len(patterns)


@pytest.mark.parametrize("diffs, by_hand", [
    ([-20, -20, -106, -10, -2], 2 / 32),  # every draw better: 2 of 32 sign patterns
    ([-3, -14, 4, -132], 6 / 16),  # positive-rank sum 2: sums 0, 1, 2 and mirrors
    ([-3, -14, 4, -132, 0], 6 / 16),  # a tied draw drops out
])
def test_signed_rank_by_counting_sign_patterns(diffs: list[int], by_hand: float) -> None:
    p = signed_rank_p(diffs, [0] * len(diffs))
    assert p == pytest.approx(by_hand) == pytest.approx(_signed_rank_by_counting(diffs))


def test_signed_rank_needs_two_draws_that_differ() -> None:
    assert signed_rank_p([5, 7], [5, 7]) is None and signed_rank_p([5, 7], [5, 6]) is None
    assert signed_rank_floor(5) == pytest.approx(0.0625) and signed_rank_floor(2) == 0.5


def test_no_test_when_every_difference_is_the_same(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = RetrainStore(url)
    _runs(store, "gan-reference", -1, [100, 110], "official")
    _runs(store, "gan-levers", 7, [90, 100], "official")
    (pairing,) = pairings(retrain_rows(url, ["gan-levers"]))
    assert pairing.p_value is None and pairing.wins == 2


def test_the_section_shows_draws_ensembles_and_curves(url: str, tmp_path: Path) -> None:
    rows = retrain_rows(url, ["gan-levers"])
    md, parts, written = paired_sections(pairings(rows), {("gan-levers", 7): (75, 5)},
                                         tmp_path)
    text = "\n".join(md)
    assert "the reference against gan-levers#7" in text
    assert "| 2 | 236 | 130 | -106 |" in text
    assert "| gan-levers#7 | 96.6 ± 20.1 | 75 (5 models) |" in text
    assert "| reference | 128.2 ± 61.3 | – |" in text
    # An ensemble over other draws than the paired ones says so.
    md, _, _ = paired_sections(pairings(rows), {("gan-levers", 7): (75, 5),
                                                ("gan-reference", -1): (82, 6)}, tmp_path)
    assert "| reference | 128.2 ± 61.3 | 82 (6 models, over 6 draws, not these 5) |" in (
        "\n".join(md))
    assert "better on 5 of 5 draws; paired t-test p = " in text
    assert "Wilcoxon signed-rank p = 0.062 (its floor on 5 draws: 0.062)" in text
    assert [p.name for p in written] == ["paired_curves_0.png"] and written[0].stat().st_size
    assert len(parts) == 1


def test_the_section_shows_the_challenger_study_s_importances(url: str, tmp_path: Path) -> None:
    rows = retrain_rows(url, ["gan-levers"])
    md, _, _ = paired_sections(pairings(rows), {}, tmp_path,
                               {"gan-levers": Importances({"lr": 0.7, "z_dim": 0.3}, 12)})
    text = "\n".join(md)
    assert "What mattered in gan-levers" in text and "| lr | 0.700 |" in text
    assert "over its 12 finished trials" in text
    md, _, _ = paired_sections(pairings(rows), {}, tmp_path,
                               {"other-study": Importances({"lr": 1.0}, 5)})
    assert "What mattered" not in "\n".join(md)
