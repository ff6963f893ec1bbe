"""The report's tables: one row per method against the baseline (Welch's t-test) and the
paper's anchors, as header and body lists that the pages format."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from scipy import stats

from search.report.readers.study_reader import RetrainRow, StudyRow
from search.report.readers.selection_reader import SelectionGroup, mark_checks
from search.stats import Summary

__all__ = ["BASELINE", "PAPER_ANCHORS", "MethodRow", "baseline_first", "mean_std",
           "method_rows", "num", "p_text", "welch"]

BASELINE = "supervised"

# MNIST, 100 labels, test errors out of 10,000 (Salimans et al. 2016, Table 1).
PAPER_ANCHORS: list[tuple[str, float, float | None]] = [
    ("Improved-GAN, feature matching", 93, 6.5),
    ("Improved-GAN, ensemble of 10", 86, 5.6),
    ("ADGM", 96, 2),
    ("Ladder network", 106, 37),
    ("Skip DGM", 132, 7),
    ("CatGAN", 191, 10),
    ("Virtual adversarial", 212, None),
    ("DGN", 333, 14),
]

def baseline_first(methods: Iterable[str]) -> list[str]:
    """Method names sorted, the baseline first: the order of every table."""
    return sorted(methods, key=lambda m: (m != BASELINE, m))


@dataclass(frozen=True)
class MethodRow:
    """One method across its studies, with its main retrain group."""

    method: str
    studies: str
    complete: int
    pruned: int
    failed: int
    best_val_accuracy: float | None
    retrain: RetrainRow | None
    errors_diff_to_baseline: float | None
    welch_p: float | None
    search_hours: float
    selection_hours: float = 0.0
    calibration_hours: float = 0.0  # the search's calibration trials, within search_hours
    retrain_hours: float = 0.0
    selection: tuple[SelectionGroup, ...] = ()
    # Against the row with the fewest mean test errors under the same profile (for that
    # row itself, the runner-up): whichever method leads, each other is tested against it.
    leader: str | None = None
    errors_diff_to_leader: float | None = None
    leader_welch_p: float | None = None
    profile: str = ""  # the search's; its retrain group may have run at another

    @property
    def compute_hours(self) -> float:
        """Search, selection and every retrain of the row's studies (sweeps included)."""
        return self.search_hours + self.selection_hours + self.retrain_hours


def _main_group(rows: Sequence[RetrainRow], n_labeled: int = 100) -> RetrainRow | None:
    # The search's own labeled subset first: a label sweep also holds 100-label groups,
    # whose subset is redrawn per run, and those belong to the sweep's table.
    candidates = [r for r in rows if r.n_labeled == n_labeled]
    # Then the preferred group: a profile retuned since keeps its older group apart.
    return max(candidates, key=lambda r: (r.labeled_subset == "fixed", *r.preference),
               default=None)


def welch(mine: Sequence[int], theirs: Sequence[int]) -> tuple[float, float | None]:
    """Difference of mean test errors and Welch's p (None below two runs a side)."""
    diff = sum(mine) / len(mine) - sum(theirs) / len(theirs)
    if len(mine) < 2 or len(theirs) < 2:
        return diff, None
    return diff, float(stats.ttest_ind(mine, theirs, equal_var=False).pvalue)


def method_rows(studies: Sequence[StudyRow], retrains: Sequence[RetrainRow],
                selections: Sequence[SelectionGroup] = ()) -> list[MethodRow]:
    """Aggregates studies per method (and per held-fixed setting, e.g. the unaugmented
    baseline, and per profile when several were searched); Welch's t-test of test errors
    against the baseline of the same profile whose search held nothing fixed. A row's
    selection holds its studies' candidates (selections run on the search's subset), the
    fidelity checks among them marked and left out of its hours (``mark_checks``).

    The retrain group shown for a row is the 100-label group of its studies on the
    search's fixed labeled subset, else their 100-label group with the most runs.
    """
    # A calibration-only study measured the rungs; it chose no winner and retrained none.
    studies = [r for r in studies if not r.calibration_only]
    several = len({r.profile for r in studies}) > 1
    by_label: dict[str, list[StudyRow]] = defaultdict(list)
    for row in studies:
        by_label[row.label + (f" [{row.profile}]" if several else "")].append(row)
    order = sorted(by_label, key=lambda k: (by_label[k][0].method != BASELINE,
                                            bool(by_label[k][0].fixed), k))
    groups = {}
    for label in order:
        names = {r.study for r in by_label[label]}
        groups[label] = _main_group([r for r in retrains if r.study in names])
    bases = {by_label[k][0].profile: groups[k] for k in order
             if by_label[k][0].method == BASELINE and not by_label[k][0].fixed}
    out = []
    for label in order:
        rows = by_label[label]
        group = groups[label]
        base = bases.get(rows[0].profile)
        diff = p_value = None
        if group is not None and base is not None and group is not base:
            diff, p_value = welch(group.errors, base.errors)
        values = [r.best_val_accuracy for r in rows if r.best_val_accuracy is not None]
        names = {r.study for r in rows}
        mine = mark_checks([g for g in selections if g.study in names],
                           None if group is None else group.profile,
                           None if group is None else group.selected_at)
        out.append(MethodRow(
            method=label,
            studies=", ".join(r.study for r in rows),
            complete=sum(r.complete for r in rows),
            pruned=sum(r.pruned for r in rows),
            failed=sum(r.failed for r in rows),
            best_val_accuracy=max(values) if values else None,
            retrain=group,
            errors_diff_to_baseline=diff,
            welch_p=p_value,
            search_hours=sum(r.compute_hours for r in rows),
            calibration_hours=sum(r.calibration_hours for r in rows),
            selection_hours=sum(g.seconds for g in mine if not g.check) / 3600.0,
            retrain_hours=sum(r.seconds for r in retrains if r.study in names) / 3600.0,
            selection=tuple(mine),
            profile=rows[0].profile,
        ))
    return _against_leaders(out)


def _against_leaders(rows: list[MethodRow]) -> list[MethodRow]:
    """Each row's Welch test against the leader of its profile: the row with the fewest
    mean test errors over at least two runs retrained at the same budget (a winner
    retrained at the paper's 180,000 steps is no rival for 60,000-step runs); the leader
    is tested against the runner-up."""
    out = []
    for row in rows:
        mine = row.retrain
        if mine is None or mine.runs < 2:
            out.append(row)
            continue
        rivals = sorted(((g.test_errors_mean, i, r.method, g) for i, r in enumerate(rows)
                         if r.profile == row.profile and r is not row
                         and (g := r.retrain) is not None and g.runs >= 2
                         and g.profile == mine.profile),
                        key=lambda rival: rival[:2])
        if not rivals:
            out.append(row)
            continue
        _, _, leader, group = rivals[0]
        diff, p_value = welch(mine.errors, group.errors)
        out.append(replace(row, leader=leader, errors_diff_to_leader=diff,
                           leader_welch_p=p_value))
    return out


def num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def mean_std(summary: Summary) -> str:
    """Accuracies as mean ± std, the mean alone for one run (its std is undefined)."""
    if summary.n < 2:
        return f"{summary.mean:.4f}"
    return f"{summary.mean:.4f} ± {summary.std:.4f}"


def p_text(p: float | None) -> str:
    # Three decimals would print a highly significant difference as "p=0.000".
    if p is None or math.isnan(p):
        return "p –"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def main_table(rows: Sequence[MethodRow]) -> tuple[list[str], list[list[str]]]:
    head = ["method", "finished / pruned / failed", "best val acc", "test acc (95 % CI)",
            "test errors /10k (mean ± std, n)", "Δ errors vs baseline (Welch p)",
            "Δ errors vs the leader (Welch p)", "compute h"]
    body = []
    for r in rows:
        g = r.retrain
        if g is None:
            acc = "not retrained"
        elif g.runs < 2:
            acc = f"{num(g.test_accuracy_mean)} (one run: no interval)"
        else:
            acc = (f"{num(g.test_accuracy_mean)} ({num(g.test_accuracy_ci_low)}–"
                   f"{num(g.test_accuracy_ci_high)})")
        elsewhere = "" if g is None or g.profile == r.profile else f", {g.profile} profile"
        err = (f"{g.test_errors_mean:.1f} ± {num(g.test_errors_std, 1)}, n={g.runs}"
               f" ({g.labeled_subset} labels{elsewhere})") if g else "–"
        diff = "–" if r.errors_diff_to_baseline is None else (
            f"{r.errors_diff_to_baseline:+.1f} ({p_text(r.welch_p)})")
        lead = "–" if r.errors_diff_to_leader is None else (
            f"{r.errors_diff_to_leader:+.1f} vs {r.leader} ({p_text(r.leader_welch_p)})")
        body.append([r.method, f"{r.complete + r.pruned} / {r.pruned} / {r.failed}",
                     num(r.best_val_accuracy), acc, err, diff, lead,
                     f"{r.compute_hours:.2f}"])
    return head, body


def anchor_table(measured: dict[int, str] | None = None) -> tuple[list[str], list[list[str]]]:
    """The paper's rows; ``measured`` puts this project's figure beside rows by index."""
    measured = measured or {}
    head = ["model (Salimans et al. 2016, Table 1)", "test errors /10k (quoted)",
            "measured here"]
    body = [[name, f"{mean:g}" + (f" ± {std:g}" if std is not None else ""),
             measured.get(i, "not measured")]
            for i, (name, mean, std) in enumerate(PAPER_ANCHORS)]
    return head, body
