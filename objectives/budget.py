"""The training budget of a run: epochs, patience, caps and validation sizes.

:class:`Budget` is what a profile (``objectives.profiles``) holds and what every method
reads; its fingerprint tells stored runs of a retuned profile from old ones.
:func:`budget_steps` states a budget in optimiser steps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import MISSING, asdict, dataclass, fields, replace

__all__ = ["CONSISTENCY_EPOCH_STEPS", "PRETRAIN_MIN_GAIN", "Budget", "budget_steps"]


@dataclass(frozen=True)
class Budget:
    """How much training a trial or a retrain run gets.

    Attributes:
        name: Profile name.
        max_epochs: Upper bound on epochs; early stopping usually ends sooner.
        patience: Early-stopping patience in epochs, on validation accuracy.
        labeled_repeats: One epoch of labeled training is the labeled set tiled this many
            times. With 100 labels a literal epoch is one or two steps, so validating after
            each would cost far more than training; tiling keeps validation a small share.
        val_monitor: Validation images scored after every epoch (for early stopping and
            pruning); ``None`` scores all of them. The objective itself is always the
            accuracy of the restored best weights on the whole validation set.
        val_limit: Cap on the validation set (``smoke`` only), ``None`` for all 10,000.
        unlabeled_limit: Cap on the unlabeled images a pretraining or GAN epoch walks
            through, ``None`` for the whole 50,000-image pool.
        pretrain_epochs: Pretraining epochs (autoencoder, SimCLR) over the unlabeled set;
            with ``pretrain_patience``, the most it may run.
        pretrain_patience: Pretraining stops once its signal (the autoencoder's loss,
            SimCLR's k-NN probe accuracy) has not improved by :data:`PRETRAIN_MIN_GAIN`
            (relative) for this many epochs: "until it flattens". ``None`` runs all
            ``pretrain_epochs``.
        gan_epochs: GAN epochs; one epoch is one pass over the unlabeled set, each
            unlabeled batch paired with a labeled batch.
        gan_patience: Early-stopping patience of the GAN, in GAN epochs.
        gan_epoch_steps: Steps in one GAN epoch whatever the batch size (the unlabeled set
            walked round and round), so that every configuration gets the same number of
            optimiser steps; ``None``: one epoch is one pass over the unlabeled set, and a
            smaller batch makes more steps.
        pretrain_max_macs: Cap on the forward multiply-accumulates per image of the model
            a pretraining method trains (the encoder; for the autoencoder with its
            decoder, ``PretrainMethod.pretrain_macs``); larger configurations are
            infeasible. ``None`` for no cap. Pretraining walks the whole unlabeled pool,
            twice per image for SimCLR, every epoch.
        gan_max_macs: Cap on the GAN discriminator's forward multiply-accumulates per image
            (``objectives.gan.networks.discriminator_macs``); larger configurations are
            infeasible. ``None`` for no cap. The discriminator runs on three batches per step for
            many epochs, so its size decides whether a GAN run fits the profile's time.
        eval_batch_size: Batch size of inference passes.
        early_stopping: Whether validation accuracy stops the run early and picks the
            weights it ends with; ``False`` trains every epoch and keeps the last weights.
        fold_validation: Whether the validation images join the unlabeled pool (the
            official GAN protocol trains on all 60,000); such a profile only retrains,
            since nothing may then be selected on validation.
        official_adam: Whether the GAN trains with the official Adam form
            (``objectives.optimizers.OfficialAdam``).
        test_curve_every: Retrain runs record test errors every this many epochs (a
            monitor, read by no decision); ``None`` for none.
        consistency_epochs: Epochs of consistency training (FixMatch), each of
            ``consistency_epoch_steps`` steps whatever the batch: its budget in steps.
            ``None``: ``max_epochs`` epochs of 100 steps.
        consistency_epoch_steps: Steps of one consistency-training epoch.
    """

    name: str
    max_epochs: int
    patience: int
    labeled_repeats: int
    val_monitor: int | None
    val_limit: int | None
    unlabeled_limit: int | None
    pretrain_epochs: int
    gan_epochs: int
    gan_patience: int
    gan_max_macs: int | None = None
    eval_batch_size: int = 1000
    early_stopping: bool = True
    fold_validation: bool = False
    official_adam: bool = False
    test_curve_every: int | None = None
    pretrain_patience: int | None = None
    gan_epoch_steps: int | None = None
    pretrain_max_macs: int | None = None
    consistency_epochs: int | None = None
    consistency_epoch_steps: int | None = None

    @property
    def fingerprint(self) -> str:
        """A short hash of every field: tells results of a retuned profile from old ones.

        Fields added after results were stored count only when set, so that the profiles
        that existed keep their fingerprints, and their stored runs stay reusable.
        """
        hashed = {k: v for k, v in asdict(self).items()
                  if k not in _LATER_FIELDS or v is not None}
        text = json.dumps(hashed, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def fingerprint_for(self, unread: Iterable[str]) -> str:
        """The fingerprint of a method's runs: the fields in ``unread``, which the method
        never reads, count at their defaults, so that retuning them leaves its stored runs
        reusable (``final``'s Adam form concerns the GAN only)."""
        defaults = {f.name: f.default for f in fields(self) if f.default is not MISSING}
        return replace(self, **{name: defaults[name] for name in unread}).fingerprint


# Fields added after runs were stored: hashed only when set, so old fingerprints hold.
_LATER_FIELDS = ("pretrain_patience", "gan_epoch_steps", "pretrain_max_macs",
                 "consistency_epochs", "consistency_epoch_steps")
# Steps of a consistency-training epoch when a profile sets none.
CONSISTENCY_EPOCH_STEPS = 100
# Relative improvement of the pretraining signal that counts as progress.
PRETRAIN_MIN_GAIN = 0.005


def budget_steps(budget: Budget, batch_size: int = 100, pool: int = 50_000,
                 n_labeled: int = 100) -> dict[str, int]:
    """Each phase's budget in optimiser steps at ``batch_size`` (upper bounds: early
    stopping and the pretraining rule end runs sooner), so profiles compare in the unit
    the paper states its budget in."""
    unlabeled = pool if budget.unlabeled_limit is None else min(pool, budget.unlabeled_limit)
    unlabeled += 10_000 if budget.fold_validation else 0
    per_labeled_epoch = -(-n_labeled * budget.labeled_repeats // batch_size)
    per_unlabeled_epoch = -(-unlabeled // batch_size)
    return {"classifier": budget.max_epochs * per_labeled_epoch,
            "pretraining": budget.pretrain_epochs * per_unlabeled_epoch,
            "gan": budget.gan_epochs * (budget.gan_epoch_steps or per_unlabeled_epoch),
            "consistency": (budget.consistency_epochs or budget.max_epochs)
            * (budget.consistency_epoch_steps or CONSISTENCY_EPOCH_STEPS)}
