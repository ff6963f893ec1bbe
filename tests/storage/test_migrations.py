"""storage.migrations and the retrain command's use of it: a restated profile keeps the
stored runs that computed what it computes, and only those."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from objectives import get_method, get_profile
from objectives.budget import budget_steps
from search.cli.retrain_command import _restate
from storage import RetrainRun, RetrainStore
from storage.migrations import restate_budget

WHY = "600 steps per epoch stated outright"


def _run(method: str, batch: int, profile: str, budget: str, seed: int) -> RetrainRun:
    return RetrainRun("s", method, -1, {"batch_size": batch}, profile, 100, seed, seed, True,
                      0.99, 0.99, 100, 10_000, 300, 1.0, notes={"steps": 180_000},
                      budget=budget)


def _stored(url: str) -> dict[int, tuple[str, dict]]:
    return {r["seed"]: (r["budget"], r["notes"]) for r in RetrainStore(url).runs()}


def test_only_runs_that_computed_the_same_move_and_say_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = RetrainStore(url)
    store.add(_run("gan", 100, "official", "old", 0))  # moves
    store.add(_run("gan", 64, "official", "old", 1))  # another computation: stays
    store.add(_run("gan", 100, "final", "old", 2))  # another profile
    store.add(_run("supervised", 100, "official", "old", 3))  # another method
    def same(params: dict) -> bool:
        return params["batch_size"] == 100

    assert restate_budget(url, "gan", "official", "old", "new", WHY, same) == 1
    runs = _stored(url)
    assert runs[0] == ("new", {"steps": 180_000, "restated": {"from": "old", "why": WHY}})
    assert {seed: budget for seed, (budget, _) in runs.items() if seed} == {
        1: "old", 2: "old", 3: "old"}
    # Nothing left to move: it may run before every retrain.
    assert restate_budget(url, "gan", "official", "old", "new", WHY, same) == 0


def test_official_is_180000_steps_at_any_batch_and_keeps_its_batch_100_runs(
    tmp_path: Path, capsys
) -> None:
    official = get_profile("official")
    assert budget_steps(official, 64)["gan"] == budget_steps(official, 100)["gan"] == 180_000
    gan = get_method("gan")
    # The fingerprint the five official runs of results/official.db were stored under.
    before = gan.budget_fingerprint(replace(official, gan_epoch_steps=None))
    assert before == "c61dbfcec051"
    url = f"sqlite:///{tmp_path / 'official.db'}"
    store = RetrainStore(url)
    store.add(_run("gan", 100, "official", before, 0))
    store.add(_run("gan", 64, "official", before, 1))  # 300 passes: 281,100 steps
    _restate(url, gan, official)
    runs = _stored(url)
    assert runs[0][0] == gan.budget_fingerprint(official) != before
    assert runs[1][0] == before
    assert "1 official run(s) stored under [c61dbfcec051] restated" in capsys.readouterr().out
    _restate(url, gan, get_profile("final"))  # a profile with no restatement: nothing
    assert _stored(url) == runs
