"""The method protocol: how a semi-supervised method plugs into search and retraining.

A method owns its search space and knows two things: how to build a compiled model from a
trial's parameters (pretraining first, if it has a pretraining phase) and what ``fit``
should iterate over. Fitting, validation reporting, pruning, early stopping and retraining
are shared (``objectives.training``), so every method is trained and judged the same way.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from objectives.budget import Budget
from objectives.data import SearchData
from objectives.encoder import InfeasibleConfig
from spaces.base import SearchSpace

__all__ = ["FitInputs", "Method", "RunContext", "labeled_inputs"]


@dataclass
class RunContext:
    """What one run gives a method besides parameters and data.

    Attributes:
        seed: Model seed of the run.
        pretrain_cache: Where pretrained encoders are cached (``None``: no caching).
        notes: Facts the method wants recorded with the run (e.g. a cache hit); the search
            stores them as trial user attributes.
        pruning: ``pruning(monitor, step_offset)`` returns the callbacks that report
            ``logs[monitor]`` at step ``epoch + step_offset`` and prune; empty when
            retraining.
        artifact_path: Path prefix (no suffix) for files the method writes about the
            trained model, e.g. the GAN's sample grid; ``None`` writes none.
        checkpoint: The run's checkpoint file: written after every epoch, resumed from if
            a killed run left one, deleted when the run ends; ``None`` for none.
        callbacks: More callbacks for the main phase (e.g. a test-error monitor).
        pretrain_callbacks: More callbacks for the pretraining phase, if the method has
            one (its progress line is made from the main phase's).
        files: Files the method wrote about the trained model (``{name: path}``, e.g. the
            GAN's ``samples_png``); the caller records them with the run.
        seconds_before_resume: Wall time a phase run inside ``build`` (a pretraining
            resumed from its checkpoint) spent before the cut; the run's time adds it.
    """

    seed: int
    pretrain_cache: Any = None
    notes: dict[str, Any] = field(default_factory=dict)
    pruning: Callable[[str, int], list[keras.callbacks.Callback]] = lambda monitor, offset: []
    artifact_path: Path | None = None
    checkpoint: Path | None = None
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    pretrain_callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    seconds_before_resume: float = 0.0


@dataclass
class FitInputs:
    """What ``model.fit`` iterates over in the main (validated) phase.

    Attributes:
        x: Arrays or a ``tf.data.Dataset``.
        y: Labels when ``x`` is an array.
        batch_size: Batch size when ``x`` is an array.
        epochs: Epoch budget of the phase.
        patience: Early-stopping patience, ``None`` for the budget's.
        steps_per_epoch: Steps of an epoch over an endless dataset, ``None`` when an
            epoch is one pass over ``x``.
        callbacks: Method-specific callbacks (e.g. a collapse guard); one with a
            ``stop_reason`` attribute can explain an early end.
    """

    x: Any
    y: np.ndarray | None
    batch_size: int | None
    epochs: int
    patience: int | None = None
    callbacks: Sequence[keras.callbacks.Callback] = ()
    steps_per_epoch: int | None = None


def labeled_inputs(params: Mapping[str, Any], data: SearchData, budget: Budget) -> FitInputs:
    """The labeled set tiled ``budget.labeled_repeats`` times per epoch.

    With 100 labels a literal epoch is a step or two, so validating after each would cost
    far more than training; tiling keeps validation a small share of the time.
    """
    repeats = budget.labeled_repeats
    return FitInputs(
        x=np.tile(data.labeled_x, (repeats, 1, 1, 1)),
        y=np.tile(data.labeled_y, repeats),
        batch_size=int(params["batch_size"]),
        epochs=budget.max_epochs,
    )


class Method(abc.ABC):
    """A searchable method.

    Attributes:
        name: Registry name, also the prefix of its study names.
        space: The method's search space.
        reference_params: A known reference configuration (e.g. a paper's), enqueued as
            the first trial of a new study; ``None`` if the method has none.
        unread_budget_fields: :class:`Budget` fields the method never reads; its runs'
            fingerprints count them at their defaults. Only fields that were at their
            defaults in every profile when runs were stored may join, or those runs'
            fingerprints move.
    """

    name: str
    space: SearchSpace
    reference_params: Mapping[str, Any] | None = None
    unread_budget_fields: frozenset[str] = frozenset({
        "official_adam", "pretrain_max_macs", "consistency_epochs", "consistency_epoch_steps"})

    def budget_fingerprint(self, budget: Budget) -> str:
        """The fingerprint that tells this method's runs under ``budget`` from runs made
        before the profile was retuned."""
        return budget.fingerprint_for(self.unread_budget_fields)

    def check(self, params: Mapping[str, Any], budget: Budget) -> None:
        """Refuses parameters that cannot be built, before anything is built.

        Args:
            params: The trial's hyperparameters (inactive ones may be missing).
            budget: The profile, for methods whose model size it caps.

        Raises:
            InfeasibleConfig: With the reason, e.g. a feature map shrinking below 1x1
                (a constraint of the space).
        """
        reason = self.space.infeasibility(params)
        if reason is not None:
            raise InfeasibleConfig(reason)

    def pretrain_steps(self, budget: Budget) -> int:
        """Pruning steps reported before the main phase (pretraining epochs); 0 by default."""
        return 0

    def step_label(self, budget: Budget, step: int) -> str:
        """Pruning step ``step`` (0-based) in the user's units, for calibration tables."""
        pretrain = self.pretrain_steps(budget)
        if step < pretrain:
            return f"pretraining epoch {step + 1}"
        return f"epoch {step - pretrain + 1}"

    def pruning_steps(self, budget: Budget) -> int:
        """The most steps a run reports to the pruner: the pretraining steps, then one per
        epoch of the main phase. Hyperband's top rung, i.e. the full budget."""
        return self.pretrain_steps(budget) + budget.max_epochs

    @abc.abstractmethod
    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        """Returns a compiled model whose ``test_step`` logs ``accuracy`` on ``(x, y)``.

        Methods with a pretraining phase run it here, on ``data.unlabeled_x``.
        """

    def fit_inputs(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget
    ) -> FitInputs:
        """What the main phase trains on; the labeled set by default."""
        return labeled_inputs(params, data, budget)

    def save_artifacts(self, model: keras.Model, path: Path) -> dict[str, Path]:
        """Writes files about a trained model under the prefix ``path``; returns
        ``{name: file}`` to record with the run. Nothing by default."""
        return {}
