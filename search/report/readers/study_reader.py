"""One row per ssl-hpo study of a database (its trials, best value, retrains), and the
tables written from those rows.

Reads only: studies through Optuna, retrain runs through ``storage.results``. Writes under
an output folder ``summary.md`` (both tables), ``studies.csv`` and ``retrain.csv``; the
report with its plots is ``search/report/``.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from search.calibration import calibration_only, stored_calibration
from search.report.readers.retrain_reader import RetrainRow, repeats_note, retrain_rows
from search.running.study import infeasible
from storage.results import RetrainStore
from storage.urls import StorageError, mask_url, read_storage

__all__ = [
    "EmptyStorage",
    "RetrainRow",
    "StudyRow",
    "collect",
    "retrain_rows",
    "write_tables",
]


class EmptyStorage(StorageError):
    """A readable database without any study or reference retrain to report."""


@dataclass(frozen=True)
class StudyRow:
    """One study: what was searched and how the trials ended."""

    study: str
    method: str
    sampler: str
    pruner: str
    profile: str
    complete: int
    pruned: int
    failed: int
    best_val_accuracy: float | None
    best_trial: int | None
    best_params: str
    compute_hours: float
    infeasible: int = 0
    fixed: str = ""
    calibration_only: bool = False
    calibration_hours: float = 0.0  # within compute_hours

    @property
    def label(self) -> str:
        """The method, with the parameters its search held fixed (e.g. no augmentation)."""
        if not self.fixed:
            return self.method
        held = json.loads(self.fixed)
        return f"{self.method} ({', '.join(f'{k}={v}' for k, v in sorted(held.items()))})"


def _has_reference_runs(url: str, method: str | None) -> bool:
    return any(r["source_trial"] < 0 and method in (None, r["method"])
               for r in RetrainStore(url).runs())


def collect(
    url: str, method: str | None = None, study: str | None = None
) -> tuple[list[optuna.Study], list[StudyRow]]:
    """Loads the ssl-hpo studies at ``url`` (filtered) and summarises each.

    A database may hold no study but reference retrain runs (retrained without a
    search); both lists are empty then.

    Raises:
        StorageError: If the database is missing, or holds no matching study and (unless
            ``study`` is given) no reference retrain run.
    """
    storage = read_storage(url)
    summaries = ([] if storage is None
                 else optuna.get_all_study_summaries(storage, include_best_trial=False))
    chosen = [
        s for s in summaries
        if "method" in s.user_attrs
        and (method is None or s.user_attrs["method"] == method)
        and (study is None or s.study_name == study)
    ]
    if not chosen:
        if study is None and _has_reference_runs(url, method):
            return [], []
        what = " matching the filters" if (method or study) else ""
        raise EmptyStorage(f"no ssl-hpo studies{what} in {mask_url(url)}; run a search "
                           "(or a --reference retrain) first")
    studies = [optuna.load_study(study_name=s.study_name, storage=storage) for s in chosen]
    return studies, [_study_row(s) for s in studies]


def _study_row(study: optuna.Study) -> StudyRow:
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    best = max(done, key=lambda t: t.value) if done else None
    attrs = study.user_attrs
    seconds = sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials)
    calibration = stored_calibration(study)
    return StudyRow(
        study=study.study_name,
        method=attrs.get("method", "?"),
        sampler=attrs.get("sampler", "?"),
        pruner=attrs.get("pruner", "?"),
        profile=attrs.get("profile", "?"),
        complete=len(done),
        pruned=sum(t.state == TrialState.PRUNED and not infeasible(t) for t in trials),
        failed=sum(t.state == TrialState.FAIL for t in trials),
        best_val_accuracy=best.value if best else None,
        best_trial=best.number if best else None,
        best_params=json.dumps(best.params, sort_keys=True) if best else "",
        compute_hours=seconds / 3600.0,
        infeasible=sum(infeasible(t) for t in trials),
        fixed=attrs.get("fixed", ""),
        calibration_only=calibration_only(study),
        calibration_hours=0.0 if calibration is None else calibration.seconds / 3600.0,
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _markdown(rows: Sequence[Any], columns: Sequence[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines)


def _write_csv(path: Path, rows: Sequence[Any]) -> None:
    with path.open("w", newline="") as handle:
        writer = None
        for row in rows:
            record = asdict(row)
            record.pop("members", None)  # per-run records: one line per group here
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(record))
                writer.writeheader()
            writer.writerow(record)


def write_tables(out: Path, studies: Sequence[StudyRow], retrains: Sequence[RetrainRow]) -> str:
    """Writes ``summary.md``, ``studies.csv`` and ``retrain.csv``; returns the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    study_table = _markdown(
        [(s.study, s.method, s.sampler, s.pruner, s.profile, s.complete, s.pruned,
          s.failed + s.infeasible,
          s.best_val_accuracy, s.best_trial, s.best_params, f"{s.compute_hours:.2f}")
         for s in studies],
        ["study", "method", "sampler", "pruner", "profile", "complete", "pruned",
         "failed or infeasible",
         "best val acc", "best trial", "best params", "compute h"],
    )
    retrain_table = _markdown(
        [(r.method, f"{r.study}#{r.trial}", r.profile_label, r.n_labeled, r.labeled_subset,
          r.runs,
          r.val_accuracy_mean, r.test_accuracy_mean,
          f"{_fmt(r.test_accuracy_ci_low)}..{_fmt(r.test_accuracy_ci_high)}",
          f"{r.test_errors_mean:.1f} ± {_fmt(r.test_errors_std)} / {r.test_size}")
         for r in retrains],
        ["method", "config", "profile", "labels", "labeled subset", "runs", "val acc",
         "test acc", "95% CI (Student t)", "test errors mean ± std"],
    )
    note = repeats_note(retrains)
    left_out = f"\n\n{note}" if note else ""
    text = (
        "# ssl-hpo results\n\n## Studies\n\n" + study_table
        + "\n\n## Retrained best configurations (test set)\n\n"
        + (retrain_table if retrains else "No retrain runs yet (`run_study.py --retrain 5`).")
        + left_out + "\n"
    )
    (out / "summary.md").write_text(text)
    _write_csv(out / "studies.csv", studies)
    _write_csv(out / "retrain.csv", retrains)
    return text
