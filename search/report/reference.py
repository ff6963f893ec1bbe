"""When a search's selection chose the reference itself there is no challenger to pair
with it: the section gives the evidence instead, the candidates' validation means and the
search's parameter importances (which the paired sections show too)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from search.report.markup import Section, html_table, md_table
from search.report.readers.retrain_reader import RetrainRow
from search.report.readers.selection_reader import SelectionGroup
from storage.selection import REDRAWN

__all__ = ["Importances", "importance_part", "importance_table", "reference_choices",
           "reference_sections"]


@dataclass(frozen=True)
class Importances:
    """A study's parameter importances and the number of finished trials they rest on:
    a handful of trials gives shares that mean little, and the caption says how many."""

    shares: Mapping[str, float]
    trials: int


def importance_table(importances: Mapping[str, float], top: int = 10
                     ) -> tuple[list[str], list[list[str]]]:
    """The ``top`` most important parameters, most first, with their shares."""
    ranked = sorted(importances.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return ["parameter", "importance"], [[name, f"{share:.3f}"] for name, share in ranked]


def importance_part(study: str, importances: Mapping[str, Importances]
                    ) -> tuple[list[str], str]:
    """Markdown lines and HTML of ``study``'s importance table; empty without one."""
    found = importances.get(study)
    if found is None or not found.shares:
        return [], ""
    caption = (f"What mattered in {study}: its parameters' importances for validation "
               f"accuracy (Optuna's PED-ANOVA, over its {found.trials} finished trials).")
    table = importance_table(found.shares)
    return ([caption, "", md_table(*table), ""],
            f"<p>{html.escape(caption)}</p>{html_table(*table)}")


def reference_choices(selections: Sequence[SelectionGroup]) -> list[SelectionGroup]:
    """The selections' choices that are their search's enqueued reference (fidelity checks
    chose nothing, and are left out)."""
    return [g for g in selections if g.chosen and g.reference and not g.check]


def reference_sections(selections: Sequence[SelectionGroup],
                       importances: Mapping[str, Importances],
                       retrains: Sequence[RetrainRow] = ()) -> Section:
    """One section per selection that chose its search's reference: the search found
    nothing better on validation. ``retrains`` tells whether the chosen trial was
    retrained on test all the same (as the comparison's studies were) or not."""
    md: list[str] = []
    parts: list[str] = []
    for chosen in reference_choices(selections):
        rivals = sorted((g for g in selections if g.selection == chosen.selection
                         and g is not chosen and not g.check),
                        key=lambda g: -g.summary.mean)
        title = (f"{chosen.method}: {chosen.study}'s selection chose the reference "
                 f"({chosen.study}#{chosen.trial})")
        runs = ("redrawn labeled subsets" if chosen.data_seed == REDRAWN
                else f"labeled subset {chosen.data_seed} with fresh model seeds")
        text = (f"The selection trained its {len(rivals) + 1} best trials again, "
                f"{chosen.summary.n} runs each on {runs}, at profile {chosen.profile}, "
                f"validation only. The reference, which the search enqueued as its first "
                f"trial, had the best mean, {chosen.summary.mean:.4f}"
                + (f" (the best of the search's own proposals: {rivals[0].study}#"
                   f"{rivals[0].trial}, {rivals[0].summary.mean:.4f})" if rivals else "")
                + ". The search found nothing better"
                + (f"; its retrains on test are those of {chosen.study}#{chosen.trial}."
                   if any((r.study, r.trial) == (chosen.study, chosen.trial)
                          for r in retrains)
                   else ", so nothing of it was trained on test: the reference's own test "
                   "runs stand."))
        shares_md, shares_html = importance_part(chosen.study, importances)
        md += [f"## {title}", "", text, "", *shares_md]
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>{shares_html}")
    return md, parts, []
