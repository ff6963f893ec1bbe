"""A searched configuration against the method's reference on the same labeled draws: per
draw the two test-error figures side by side and both learning curves, a paired t-test
and a Wilcoxon signed-rank test over the draws, and each side's ensemble, with the
challenger's study's parameter importances (``search.report.reference``).

The labeled subset moves a GAN's test errors more than its model seed does (the paper
setting: 109.6 ± 3.0 over seeds on one subset, 147.0 ± 49.6 over redrawn subsets), so two
configurations are compared draw by draw: each run of one is paired with the run of the
other on the same labeled images (the same data seed, the same profile and label count).
The label sweep pairs two methods the same way (:func:`pair`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from search.report.markup import Section, html_table, md_table
from search.report.readers.retrain_reader import RetrainRow, RunRecord
from search.report.reference import Importances, importance_part
from search.stats import paired_p, signed_rank_floor, signed_rank_p, summarize

__all__ = ["Pairing", "configuration", "pair", "paired_sections", "pairings",
           "png_paired_curves"]


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

    @property
    def signed_rank_p(self) -> float | None:
        """Two-sided Wilcoxon signed-rank test of the test errors; ``None`` under 2 draws
        whose errors differ."""
        return signed_rank_p([c.test_errors for _, _, c in self.draws],
                             [r.test_errors for _, r, _ in self.draws])


def _single_run_per_draw(row: RetrainRow) -> dict[int, RunRecord]:
    by_draw: dict[int, list[RunRecord]] = {}
    for member in row.members:
        by_draw.setdefault(member.data_seed, []).append(member)
    # A draw with several runs (model seeds on one subset) pairs with nothing: which of
    # them would be "the" run on those labels?
    return {seed: runs[0] for seed, runs in by_draw.items() if len(runs) == 1}


def pair(reference: RetrainRow, challenger: RetrainRow) -> Pairing | None:
    """The two groups' runs paired on the data seeds each ran once; ``None`` under 2."""
    ours, theirs = _single_run_per_draw(reference), _single_run_per_draw(challenger)
    common = sorted(set(ours) & set(theirs))
    if len(common) < 2:
        return None
    return Pairing(reference, challenger, tuple((s, ours[s], theirs[s]) for s in common))


def pairings(rows: Sequence[RetrainRow]) -> list[Pairing]:
    """Every searched configuration paired with its method's reference (trial -1) under
    the same profile (fingerprint included) and label count, on the data seeds both ran
    once; only pairings with at least 2 draws, reference first in ``rows``' order."""
    out = []
    for reference in (r for r in rows if r.trial == -1):
        for challenger in rows:
            if (challenger.trial == -1 or challenger.method != reference.method
                    or challenger.profile_label != reference.profile_label
                    or challenger.n_labeled != reference.n_labeled):
                continue
            pairing = pair(reference, challenger)
            if pairing is not None:
                out.append(pairing)
    return out


def configuration(row: RetrainRow) -> str:
    """``reference`` for the method's reference configuration (trial -1, retrained
    without a search), else ``study#trial``."""
    return "reference" if row.trial < 0 else f"{row.study}#{row.trial}"


def _tables(pairing: Pairing, ensembles: Mapping[tuple[str, int], tuple[int, int]]
            ) -> tuple[tuple[list[str], list[list[str]]], tuple[list[str], list[list[str]]]]:
    names = (configuration(pairing.reference), configuration(pairing.challenger))
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
        # While the challenger's draws are still training, the reference's ensemble holds
        # draws the challenger's does not: said, so the two are not read as a pair.
        beyond = "" if not ensemble or ensemble[1] == len(pairing.draws) else (
            f", over {ensemble[1]} draws, not these {len(pairing.draws)}")
        rows.append([name, f"{summary.mean:.1f} ± {summary.std:.1f}",
                     f"{ensemble[0]} ({ensemble[1]} models{beyond})" if ensemble else "–"])
    diffs = summarize(pairing.differences)
    interval = ("–" if math.isnan(diffs.ci_low)
                else f"{diffs.ci_low:+.1f} to {diffs.ci_high:+.1f}")
    rows.append(["difference", f"{diffs.mean:+.1f} (95 % CI {interval})",
                 f"better on {pairing.wins} of {len(pairing.draws)} draws; "
                 + _tests(pairing)])
    return per_draw, (["", "test errors on these draws (mean ± std)", "ensemble of the runs"],
                      rows)


def _tests(pairing: Pairing) -> str:
    t, ranks = pairing.p_value, pairing.signed_rank_p
    text = "paired t-test " + ("p –" if t is None else f"p = {t:.2g}")
    text += "; Wilcoxon signed-rank " + ("p –" if ranks is None else f"p = {ranks:.2g}")
    if ranks is not None:
        # With few draws the ranks cannot reach a small p at all: said, so a p of 0.06
        # on 5 draws reads as the strongest evidence 5 draws can give, not a near miss.
        differing = sum(d != 0 for d in pairing.differences)
        text += f" (its floor on {differing} draws: {signed_rank_floor(differing):.2g})"
    return text


def png_paired_curves(pairing: Pairing, path: Path) -> Path | None:
    """One panel per draw: both runs' test errors against optimiser steps (the monitor
    curves); ``None`` when neither side recorded one."""
    panels = [(seed, r.curve_in_steps(), c.curve_in_steps(), r.test_errors, c.test_errors)
              for seed, r, c in pairing.draws]
    if not any(a or b for _, a, b, _, _ in panels):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.0), sharey=True,
                             squeeze=False)
    for ax, (seed, ref, chal, ref_end, chal_end) in zip(axes[0], panels, strict=True):
        for curve, name in ((ref, configuration(pairing.reference)),
                            (chal, configuration(pairing.challenger))):
            if curve:
                ax.plot(*zip(*curve, strict=True), marker=".", label=name)
        ax.set_yscale("log")
        ax.set_title(f"draw {seed}: {ref_end} against {chal_end} at the end", fontsize=9)
        ax.set_xlabel("optimiser steps", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("test errors out of 10,000", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


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
        title = (f"{ref.method}: the reference against {configuration(pairing.challenger)}, "
                 f"on the same labeled draws (profile {ref.profile_label}, "
                 f"{ref.n_labeled} labels)")
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
        shares_md, shares_html = importance_part(pairing.challenger.study, importances or {})
        md += shares_md
        parts.append(section + shares_html)
    return md, parts, written
