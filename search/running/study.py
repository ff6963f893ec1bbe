"""The search: creating, tagging and resuming studies, and counting their trials.

A study is named ``<method>-<sampler>`` unless the user names it, and is tagged with the
method, sampler, pruner, profile and data settings, so retraining and analysis can find a
method's studies without the user repeating them. Rerunning the same command resumes the
study and tops it up (``search.running.runner``) to ``n_trials`` finished (complete or pruned,
feasible) trials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from spaces.base import SearchSpace

__all__ = [
    "COMPARABILITY_TAGS",
    "FINISHED",
    "SearchError",
    "SearchOutcome",
    "best_trials",
    "counts",
    "default_study_name",
    "finished_count",
    "infeasible",
    "method_studies",
    "open_study",
    "reference_point",
    "repeats_search",
    "study_tags",
    "summarize_study",
]

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# Tags that must match when a study is resumed: trials under other values are not comparable
# (every trial trains with the study's one model seed, so trials differ only by parameters,
# and a retrain knows which seed would repeat a trial's run).
COMPARABILITY_TAGS = ("method", "profile", "n_labeled", "data_seed", "seed", "fixed")


class SearchError(ValueError):
    """A study cannot be used as asked (wrong method, nothing finished, ...)."""


@dataclass(frozen=True)
class SearchOutcome:
    """Trial counts of a study after a run."""

    complete: int
    pruned: int
    failed: int
    best_value: float | None
    best_params: Mapping[str, Any] | None
    infeasible: int = 0


def study_tags(method: str, sampler: str, pruner: str, profile: str, n_labeled: int,
               data_seed: int, seed: int, fixed: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
    """The user attributes a search study carries; :data:`COMPARABILITY_TAGS` must match on
    resume. ``fixed`` (parameters held, as a JSON text) is tagged only when some are."""
    tags = {"method": method, "sampler": sampler, "pruner": pruner, "profile": profile,
            "n_labeled": n_labeled, "data_seed": data_seed, "seed": seed}
    if fixed:
        tags["fixed"] = json.dumps(dict(fixed), sort_keys=True)
    return tags


def repeats_search(tags: Mapping[str, Any], profile: str, n_labeled: int, seed: int,
                   data_seed: int) -> bool:
    """Whether a run under these settings would be its study's own search run again.

    Every trial of a study trains with the study's model seed on its labeled subset and
    profile (``tags``, from :func:`study_tags`). A retrain run with all four the same
    repeats the trial's run, and its test score carries the search's luck: the trial was
    ranked high on that very run's validation score. Studies without these tags repeat
    nothing. A profile is compared by name, as a study records no budget fingerprint.
    """
    searched = tuple(tags.get(k) for k in ("profile", "n_labeled", "seed", "data_seed"))
    return None not in searched and searched == (profile, n_labeled, seed, data_seed)


def default_study_name(method: str, sampler: str,
                       fixed: Mapping[str, Any] | None = None) -> str:
    """``<method>-<sampler>`` (plus ``-<name>-<value>`` per held parameter), the study a
    plain ``run_study.py`` command resumes."""
    held = "".join(f"-{k}-{v}" for k, v in sorted((fixed or {}).items()))
    return f"{method}-{sampler}{held}"


def open_study(
    storage: optuna.storages.BaseStorage,
    study_name: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    tags: Mapping[str, Any],
    first_params: Mapping[str, Any] | None = None,
) -> optuna.Study:
    """Creates or resumes ``study_name``, tagged with ``tags`` (method, sampler, ...).

    ``first_params`` (a method's reference configuration) is enqueued when the study has
    no trial yet, so it runs first; do this once, before any worker starts.

    Raises:
        SearchError: If the existing study was made for another method, profile, label
            count or data seed.
    """
    study = optuna.create_study(
        storage=storage,
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        direction="maximize",
        load_if_exists=True,
    )
    for key in COMPARABILITY_TAGS:
        existing = study.user_attrs.get(key)
        if key in tags and existing is not None and existing != tags[key]:
            raise SearchError(
                f"study {study_name!r} was run with {key}={existing!r}, not {tags[key]!r}; "
                "its trials would not be comparable (use another --study-name)"
            )
    for key, value in tags.items():
        study.set_user_attr(key, value)
    if first_params is not None and not study.get_trials(deepcopy=False):
        study.enqueue_trial(dict(first_params), user_attrs={"reference": True})
    return study


def reference_point(space: SearchSpace, reference: Mapping[str, Any] | None,
                    fixed: Mapping[str, Any]) -> dict[str, Any] | None:
    """A method's reference as a point of ``space``, to start a study from; ``None`` when
    there is none or it disagrees with a parameter the study holds (a search of the conv
    GAN, or of FixMatch at another mu, has no reference among its configurations)."""
    if reference is None:
        return None
    point = space.point(reference)
    return point if all(point.get(k) == v for k, v in fixed.items() if k in point) else None


def infeasible(trial: FrozenTrial) -> bool:
    """Whether the trial was refused as infeasible (a constraint > 0) before it trained."""
    return any(v > 0 for v in trial.constraints.values())


def counts(trial: FrozenTrial) -> bool:
    """Whether the trial counts towards ``n_trials``: complete or pruned, and feasible."""
    return trial.state in FINISHED and not infeasible(trial)


def finished_count(study: optuna.Study) -> int:
    """Complete plus pruned feasible trials: the trials that count towards ``n_trials``."""
    return sum(counts(t) for t in study.get_trials(deepcopy=False, states=FINISHED))


def summarize_study(study: optuna.Study) -> SearchOutcome:
    """Trial counts and the best trial of ``study``."""
    trials = study.get_trials(deepcopy=False)
    by_state = {state: sum(t.state == state for t in trials) for state in TrialState}
    refused = sum(infeasible(t) for t in trials)
    best = best_trials(study, 1)
    return SearchOutcome(
        complete=by_state[TrialState.COMPLETE],
        pruned=by_state[TrialState.PRUNED] - refused,
        failed=by_state[TrialState.FAIL],
        infeasible=refused,
        best_value=best[0].value if best else None,
        best_params=best[0].params if best else None,
    )


def best_trials(study: optuna.Study, top: int) -> list[FrozenTrial]:
    """The ``top`` completed trials with distinct parameters, best first.

    A configuration trained twice (a retried trial, an enqueued setting TPE proposed
    again) counts once, under its earliest trial: two of a top 3 on one configuration
    would spend the selection's seeds on it twice and leave a real runner-up out.
    """
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    chosen: list[FrozenTrial] = []
    seen: set[str] = set()
    for trial in sorted(done, key=lambda t: (-t.value, t.number)):
        key = json.dumps(trial.params, sort_keys=True)
        if key not in seen:
            seen.add(key)
            chosen.append(trial)
    return chosen[:top]


def method_studies(
    storage: optuna.storages.BaseStorage, method: str, sampler: str | None = None
) -> list[optuna.Study]:
    """Studies in ``storage`` tagged with ``method`` (and ``sampler`` if given)."""
    found = []
    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
        attrs = summary.user_attrs
        if attrs.get("method") != method:
            continue
        if sampler is not None and attrs.get("sampler") != sampler:
            continue
        found.append(optuna.load_study(study_name=summary.study_name, storage=storage))
    return found

