"""When a selection chose the reference: the evidence in its place, the candidates' means
and the search's importances (search/report/reference.py)."""

from __future__ import annotations

from types import SimpleNamespace

from search.report.readers.selection_reader import SelectionGroup
from search.report.reference import Importances, importance_table, reference_sections
from storage.selection import REDRAWN


def test_the_importance_table_ranks_most_first_then_by_name() -> None:
    assert importance_table({"b": 0.2, "a": 0.2, "lr": 0.6}, top=2) == (
        ["parameter", "importance"], [["lr", "0.600"], ["a", "0.200"]])


def _group(trial: int, accuracies: tuple[float, ...], **marks: bool) -> SelectionGroup:
    return SelectionGroup(method="gan", study="gan-levers", trial=trial, profile="final",
                          budget="abc", n_labeled=100, data_seed=REDRAWN,
                          accuracies=accuracies, seconds=60.0, steps=1000, **marks)


def test_a_selection_that_chose_the_reference_says_so_with_the_importances() -> None:
    chosen = _group(0, (0.98, 0.99), chosen=True, reference=True)
    proposals = [_group(7, (0.97, 0.98)), _group(3, (0.975, 0.985))]
    check = _group(7, (0.99, 0.99), check=True)  # a fidelity check chooses nothing
    md, parts, _ = reference_sections([proposals[0], chosen, proposals[1], check],
                                      {"gan-levers": Importances({"learning_rate": 0.7,
                                                                  "z_dim": 0.3}, 16)})
    assert md[0] == "## gan: gan-levers's selection chose the reference (gan-levers#0)"
    assert ("trained its 3 best trials again, 2 runs each on redrawn labeled subsets, at "
            "profile final") in md[2]
    # Against the best of the search's own proposals, by mean: #3's 0.98, not #7's 0.975.
    assert "best mean, 0.9850 (the best of the search's own proposals: gan-levers#3, 0.9800)" \
        in md[2]
    assert "| learning_rate | 0.700 |" in "\n".join(md) and "<td>z_dim</td>" in parts[0]
    assert "so nothing of it was trained on test" in md[2]
    # Retrained all the same (the comparison's gan-final#0): its runs are the answer.
    retrained = SimpleNamespace(study="gan-levers", trial=0)
    md, _, _ = reference_sections([chosen, *proposals], {}, [retrained])  # type: ignore[list-item]
    assert md[2].endswith("its retrains on test are those of gan-levers#0.")
    # A proposal chosen, or the reference losing: no such section.
    assert reference_sections([_group(0, (0.9,), reference=True),
                               _group(3, (0.95,), chosen=True)], {}) == ([], [], [])
