"""A searched configuration against the method's reference on the same labeled draws: per
draw the two test-error figures side by side and both learning curves, a paired t-test
over the draws, and each side's ensemble. When a search's selection chose the reference
itself, there is no challenger: its section gives the evidence instead (the candidates'
validation means and the search's parameter importances).

The labeled subset moves a GAN's test errors more than its model seed does (the paper
setting: 109.6 ± 3.0 over seeds on one subset, 147.0 ± 49.6 over redrawn subsets), so two
configurations are compared draw by draw: each run of one is paired with the run of the
other on the same labeled images (the same data seed, the same profile and label count).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from search.report.markup import Section, html_table, md_table
from search.report.readers.retrain_reader import RetrainRow, RunRecord
from search.report.readers.selection_reader import SelectionGroup
from search.stats import paired_p, summarize
from storage.selection import REDRAWN

__all__ = ["Importances", "Pairing", "importance_table", "paired_sections", "pairings",
           "png_paired_curves", "reference_choices", "reference_sections"]



@dataclass(frozen=True)
class Pairing:
    """A challenger's runs paired with the reference's, one pair per labeled draw.

    ``draws`` holds (data seed, reference run, challenger run), by data seed.
    """

    reference: RetrainRow
    challenger: RetrainRow
    draws: tuple[tuple[int, RunRecord, RunRecord], ...]

    @property
    def differences(self) -> list[int]:
        """The challenger's test errors less the reference's, per draw."""
        return [c.test_errors - r.test_errors for _, r, c in self.draws]

    @property
    def wins(self) -> int:
        """Draws on which the challenger made fewer test errors."""
        return sum(d < 0 for d in self.differences)

    @property
    def p_value(self) -> float | None:
        """Two-sided paired t-test of the test errors; ``None`` under 2 draws or when
        every difference is the same (the test is undefined)."""
        return paired_p([c.test_errors for _, _, c in self.draws],
                        [r.test_errors for _, r, _ in self.draws])


def _single_run_per_draw(row: RetrainRow) -> dict[int, RunRecord]:
    by_draw: dict[int, list[RunRecord]] = {}
    for member in row.members:
        by_draw.setdefault(member.data_seed, []).append(member)
    # A draw with several runs (model seeds on one subset) pairs with nothing: which of
    # them would be "the" run on those labels?
    return {seed: runs[0] for seed, runs in by_draw.items() if len(runs) == 1}


def pairings(rows: Sequence[RetrainRow]) -> list[Pairing]:
    """Every searched configuration paired with its method's reference (trial -1) under
    the same profile (fingerprint included) and label count, on the data seeds both ran
    once; only pairings with at least 2 draws, reference first in ``rows``' order."""
    out = []
    for reference in (r for r in rows if r.trial == -1):
        ours = _single_run_per_draw(reference)
        for challenger in rows:
            if (challenger.trial == -1 or challenger.method != reference.method
                    or challenger.profile_label != reference.profile_label
                    or challenger.n_labeled != reference.n_labeled):
                continue
            theirs = _single_run_per_draw(challenger)
            common = sorted(set(ours) & set(theirs))
            if len(common) >= 2:
                out.append(Pairing(reference, challenger,
                                   tuple((s, ours[s], theirs[s]) for s in common)))
    return out


def _label(row: RetrainRow) -> str:
    return "reference" if row.trial == -1 else f"{row.study}#{row.trial}"


def _tables(pairing: Pairing, ensembles: Mapping[tuple[str, int], tuple[int, int]]
            ) -> tuple[tuple[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]:
    names = (_label(pairing.reference), _label(pairing.challenger))
    per_draw = (["data seed = model seed", *(f"{n}: test errors" for n in names),
                 "difference"],
                [[str(seed), str(r.test_errors), str(c.test_errors),
                  f"{c.test_errors - r.test_errors:+d}"] for seed, r, c in pairing.draws])
    sides = ([r.test_errors for _, r, _ in pairing.draws],
             [c.test_errors for _, _, c in pairing.draws])
    rows = []
    for name, row, errors in zip(names, (pairing.reference, pairing.challenger), sides,
                                 strict=True):
        summary = summarize(errors)
        ensemble = ensembles.get((row.study, row.trial))
        rows.append([name, f"{summary.mean:.1f} ± {summary.std:.1f}",
                     f"{ensemble[0]} ({ensemble[1]} models)" if ensemble else "–"])
    diffs = summarize(pairing.differences)
    interval = ("–" if math.isnan(diffs.ci_low)
                else f"{diffs.ci_low:+.1f} to {diffs.ci_high:+.1f}")
    p = pairing.p_value
    rows.append(["difference", f"{diffs.mean:+.1f} (95 % CI {interval})",
                 f"better on {pairing.wins} of {len(pairing.draws)} draws; paired t-test "
                 + ("p –" if p is None else f"p = {p:.2g}")])
    return per_draw, (["", "test errors on these draws (mean ± std)", "ensemble of the runs"],
                      rows)


def png_paired_curves(pairing: Pairing, path: Path) -> Path | None:
    """One panel per draw: both runs' test errors against optimiser steps (the monitor
    curves); ``None`` when neither side recorded one."""
    panels = [(seed, r.curve_in_steps(), c.curve_in_steps()) for seed, r, c in pairing.draws]
    if not any(a or b for _, a, b in panels):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.0), sharey=True,
                             squeeze=False)
    for ax, (seed, ref, chal) in zip(axes[0], panels, strict=True):
        for curve, name in ((ref, _label(pairing.reference)), (chal, _label(pairing.challenger))):
            if curve:
                ax.plot(*zip(*curve, strict=True), marker=".", label=name)
        ax.set_yscale("log")
        ax.set_title(f"draw {seed}", fontsize=9)
        ax.set_xlabel("optimiser steps", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("test errors out of 10,000", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


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


def paired_sections(found: Sequence[Pairing],
                    ensembles: Mapping[tuple[str, int], tuple[int, int]],
                    plots: Path,
                    importances: Mapping[str, Importances] | None = None) -> Section:
    """Markdown lines, HTML parts and files: one section per pairing of ``found`` (from
    :func:`pairings`), with the challenger's study's parameter importances where
    ``importances`` has them."""
    md: list[str] = []
    parts: list[str] = []
    written: list[Path] = []
    for i, pairing in enumerate(found):
        ref = pairing.reference
        title = (f"{ref.method}: the reference against {_label(pairing.challenger)}, on the "
                 f"same labeled draws (profile {ref.profile_label}, {ref.n_labeled} labels)")
        per_draw, summary = _tables(pairing, ensembles)
        md += [f"## {title}", "", md_table(*per_draw), "", md_table(*summary), ""]
        section = (f"<h2>{html.escape(title)}</h2>{html_table(*per_draw)}<br>"
                   f"{html_table(*summary)}")
        png = png_paired_curves(pairing, plots / f"paired_curves_{i}.png")
        if png is not None:
            md += [f"![test errors per draw against steps](plots/{png.name})", "",
                   "The curves are monitors: no decision read them.", ""]
            section += f'<img alt="curves per draw" src="plots/{png.name}">'
            written.append(png)
        shares_md, shares_html = _importance_part(pairing.challenger.study, importances or {})
        md += shares_md
        parts.append(section + shares_html)
    return md, parts, written


def _importance_part(study: str, importances: Mapping[str, Importances]
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
        shares_md, shares_html = _importance_part(chosen.study, importances)
        md += [f"## {title}", "", text, "", *shares_md]
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>{shares_html}")
    return md, parts, []
