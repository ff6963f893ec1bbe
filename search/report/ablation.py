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
from dataclasses import dataclass, field
from typing import Any

from search.report.markup import Section, html_table, md_table
from search.report.tables import mean_std
from search.stats import paired_p, summarize
from storage.selection import (
    ABLATION_REFERENCE, ABLATION_SUFFIX, ABLATION_WINNER, ABLATIONS_ATTR, SelectionStore)
from storage.urls import read_storage

__all__ = ["Ablation", "ablation_sections", "ablations"]


@dataclass(frozen=True)
class Ablation:
    """One ablated trial under one profile: per variant, the parameters it trains (the
    winner's first, then in the order they train) and its (data seed, validation accuracy)
    runs so far; ``seeds`` is the runs planned per variant, 0 where no plan was recorded
    (an ablation begun before plans were); ``collapsed``, per variant, the draws whose run
    the GAN's collapse guard stopped, with the epoch it stopped at; ``seconds``, the
    stored runs' training time together."""

    study: str
    trial: int
    profile: str
    runs: dict[str, dict[int, float]]
    params: dict[str, dict[str, Any]]
    seeds: int = 0
    collapsed: dict[str, dict[int, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def worth(self, label: str) -> tuple[float, float | None, int]:
        """What the winner's value of ``label`` is worth: the winner's accuracy less the
        variant's, mean over the draws both ran, the paired t-test's p (``None`` under 2
        draws or constant differences), and the draws."""
        ours, theirs = self.runs.get(ABLATION_WINNER, {}), self.runs.get(label, {})
        draws = sorted(set(ours) & set(theirs))
        diffs = [ours[d] - theirs[d] for d in draws]
        if not diffs:
            return math.nan, None, 0
        p = paired_p([ours[d] for d in draws], [theirs[d] for d in draws])
        return sum(diffs) / len(diffs), p, len(draws)

    def progress(self) -> tuple[int, int]:
        """(runs stored, runs planned); planned is the stored count without a plan."""
        stored = sum(len(accuracies) for accuracies in self.runs.values())
        return stored, max(stored, self.seeds * len(self.params))


Key = tuple[str, int, str, str]  # (study, trial, profile, budget fingerprint)


def _plans(url: str) -> dict[Key, dict[str, Any]]:
    """The ablation plans recorded on the studies at ``url`` (``record_ablation``)."""
    storage = read_storage(url)
    if storage is None:
        return {}
    return {(s.study_name, int(e["trial"]), e["profile"], e["budget"]): e
            for s in storage.get_all_studies() for e in s.user_attrs.get(ABLATIONS_ATTR, [])}


def ablations(urls: Sequence[str]) -> list[Ablation]:
    """Every ablation stored or planned at ``urls``: those with runs in stored order, then
    those whose plan has none yet."""
    runs: dict[Key, dict[str, dict[int, float]]] = {}
    collapsed: dict[Key, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    params: dict[Key, dict[str, dict[str, Any]]] = {}
    plans: dict[Key, dict[str, Any]] = {}
    seconds: dict[Key, float] = defaultdict(float)
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
            seconds[key] += float(run["seconds"])
            # objectives.gan.CollapseGuard's stop reasons start so (its tests hold it).
            if str(run["notes"].get("stop_reason", "")).startswith("collapse"):
                collapsed[key][label][run["data_seed"]] = int(run["epochs"])
        plans.update(_plans(url))
    out = []
    for key in dict.fromkeys([*runs, *plans]):
        plan = plans.get(key, {})
        # Without a plan, the unchanged winner's runs are what a variant meets.
        if not plan and ABLATION_WINNER not in runs[key]:
            continue
        labels = dict(plan.get("variants", {}))
        for label, stored in params.get(key, {}).items():
            labels.setdefault(label, stored)
        study, trial, profile, _ = key
        out.append(Ablation(study, trial, profile, dict(runs.get(key, {})), labels,
                            int(plan.get("seeds", 0)),
                            {k: dict(v) for k, v in collapsed.get(key, {}).items()},
                            seconds.get(key, 0.0)))
    return out


def _shown(value: Any) -> str:
    # A sampled float's 17 digits say nothing 4 significant ones do not.
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _cell(ablation: Ablation, label: str) -> str:
    accuracies = list(ablation.runs.get(label, {}).values())
    if not accuracies:
        return "not trained yet"
    s = summarize(accuracies)
    of = f" of {ablation.seeds}" if s.n < ablation.seeds else ""
    # A collapsed run's accuracy is the best it reached before the guard stopped it: said,
    # so a low mean reads as a collapse the change avoids, not as a slower climb.
    down = ablation.collapsed.get(label, {})
    of += "".join(f"; collapsed on draw {draw} at epoch {epoch}"
                  for draw, epoch in sorted(down.items()))
    return f"{mean_std(s)} (n={s.n}{of})"


def _table(ablation: Ablation) -> tuple[list[str], list[list[str]]]:
    head = ["configuration", "value", "val accuracy (mean ± std, n)",
            "the trial's value is worth (paired)"]
    winner = ablation.params[ABLATION_WINNER]
    singles = [label for label in ablation.params
               if label not in (ABLATION_WINNER, ABLATION_REFERENCE)]
    worths = [w for w in (ablation.worth(single)[0] for single in singles) if not math.isnan(w)]
    body = []
    for label, params in ablation.params.items():
        cell = _cell(ablation, label)
        if label == ABLATION_WINNER:
            body.append([f"{ablation.study}#{ablation.trial} as searched", "–", cell, "–"])
            continue
        worth, p, n = ablation.worth(label)
        p_text = "p –" if p is None else f"p = {p:.2g}"
        if label == ABLATION_REFERENCE:
            so_far = "" if len(worths) == len(singles) else f" {len(worths)} measured"
            value = f"all {len(singles)} reverted" + (
                f"; the{so_far} single worths sum to {sum(worths):+.4f}" if worths else "")
            name = "the reference"
        else:
            value = f"{_shown(winner.get(label, '–'))} → {_shown(params.get(label, '–'))}"
            name = f"{label} reverted"
        body.append([name, value, cell,
                     f"{worth:+.4f} over {n} draws ({p_text})" if n else "–"])
    return head, body


def ablation_sections(found: Sequence[Ablation]) -> Section:
    """Markdown lines and HTML parts of the ablations (no files)."""
    md: list[str] = []
    parts: list[str] = []
    for ablation in found:
        title = (f"Ablation of {ablation.study}#{ablation.trial}: each change from the "
                 f"reference reverted alone (profile {ablation.profile}, validation only)")
        table = _table(ablation)
        caption = ("Every variant runs on the same redrawn labeled draws as the trial as "
                   "searched; a positive worth means the trial's value beats the "
                   "reference's.")
        stored, planned = ablation.progress()
        if stored:
            caption += (f" Its {stored} stored runs took {ablation.seconds / 3600:.1f} "
                        "compute-hours (not in the cost table: an ablation explains a "
                        "result, it is not part of its price).")
        if stored < planned:
            caption += f" Stored so far: {stored} of its {planned} runs; the rest are to come."
        md += [f"## {title}", "", caption, "", md_table(*table), ""]
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>"
                     f"{html_table(*table)}")
    return md, parts, []
