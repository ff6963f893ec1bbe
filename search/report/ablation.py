"""The ablation tables: per ablated trial (the selection's winner, or any trial a user
ablates, such as the best rival of a reference that won), each parameter reverted to the
reference's value alone, its validation accuracy on the same redrawn draws as the trial as
searched, and what the change from the reference is worth (the trial less the variant,
paired by draw); then the reference itself, every change reverted at once, whose worth is
the changes' together, beside the sum of the single ones (they add up, or interact)."""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.report.markup import Section, html_table, md_table
from search.stats import paired_p, summarize
from storage.selection import (
    ABLATION_REFERENCE, ABLATION_SUFFIX, ABLATION_WINNER, SelectionStore)

__all__ = ["Ablation", "ablation_sections", "ablations"]


@dataclass(frozen=True)
class Ablation:
    """One ablated trial under one profile: per variant, (data seed, validation accuracy)
    runs, and the parameters it trained (the winner's first)."""

    study: str
    trial: int
    profile: str
    runs: dict[str, dict[int, float]]
    params: dict[str, dict[str, Any]]

    def worth(self, label: str) -> tuple[float, float | None, int]:
        """What the winner's value of ``label`` is worth: the winner's accuracy less the
        variant's, mean over the draws both ran, the paired t-test's p (``None`` under 2
        draws or constant differences), and the draws."""
        ours, theirs = self.runs[ABLATION_WINNER], self.runs[label]
        draws = sorted(set(ours) & set(theirs))
        diffs = [ours[d] - theirs[d] for d in draws]
        if not diffs:
            return math.nan, None, 0
        p = paired_p([ours[d] for d in draws], [theirs[d] for d in draws])
        return sum(diffs) / len(diffs), p, len(draws)


def ablations(urls: Sequence[str]) -> list[Ablation]:
    """Every ablation stored at ``urls``, in stored order, each with its winner's runs."""
    runs: dict[tuple[str, int, str, str], dict[str, dict[int, float]]] = {}
    params: dict[tuple[str, int, str, str], dict[str, dict[str, Any]]] = {}
    for url in urls:
        for run in SelectionStore(url).runs():
            if not run["study_name"].endswith(ABLATION_SUFFIX) or "ablation" not in run["notes"]:
                continue
            key = (run["study_name"].removesuffix(ABLATION_SUFFIX), run["source_trial"],
                   run["profile"], run["budget"])
            label = run["notes"]["ablation"]
            runs.setdefault(key, defaultdict(dict))[label][run["data_seed"]] = float(
                run["val_accuracy"])
            params.setdefault(key, {})[label] = run["params"]
    out = []
    for key, by_label in runs.items():
        if ABLATION_WINNER in by_label:  # the unchanged winner is what a variant meets
            study, trial, profile, _ = key
            out.append(Ablation(study, trial, profile, dict(by_label), params[key]))
    return out


def _shown(value: Any) -> str:
    # A sampled float's 17 digits say nothing 4 significant ones do not.
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(ablation: Ablation) -> tuple[list[str], list[list[str]]]:
    head = ["configuration", "value", "val accuracy (mean ± std, n)",
            "the trial's value is worth (paired)"]
    winner = ablation.params[ABLATION_WINNER]
    singles = [label for label in ablation.runs
               if label not in (ABLATION_WINNER, ABLATION_REFERENCE)]
    body = []
    for label, accuracies in ablation.runs.items():
        s = summarize(list(accuracies.values()))
        cell = f"{s.mean:.4f} ± {s.std:.4f} (n={s.n})" if s.n > 1 else f"{s.mean:.4f} (n=1)"
        if label == ABLATION_WINNER:
            body.append([f"{ablation.study}#{ablation.trial} as searched", "–", cell, "–"])
            continue
        worth, p, n = ablation.worth(label)
        p_text = "p –" if p is None else f"p = {p:.2g}"
        if label == ABLATION_REFERENCE:
            total = sum(ablation.worth(single)[0] for single in singles)
            value = f"all {len(singles)} reverted; the single worths sum to {total:+.4f}"
            name = "the reference"
        else:
            value = (f"{_shown(winner.get(label, '–'))} → "
                     f"{_shown(ablation.params[label].get(label, '–'))}")
            name = f"{label} reverted"
        body.append([name, value, cell, f"{worth:+.4f} over {n} draws ({p_text})"])
    return head, body


def ablation_sections(found: Sequence[Ablation]) -> Section:
    """Markdown lines and HTML parts of the ablations (no files)."""
    md: list[str] = []
    parts: list[str] = []
    for ablation in found:
        title = (f"Ablation of {ablation.study}#{ablation.trial}: each change from the "
                 f"reference reverted alone (profile {ablation.profile}, validation only)")
        table = _table(ablation)
        caption = ("Every variant ran on the same redrawn labeled draws as the trial as "
                   "searched; a positive worth means the trial's value beats the "
                   "reference's.")
        md += [f"## {title}", "", caption, "", md_table(*table), ""]
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>"
                     f"{html_table(*table)}")
    return md, parts, []
