"""Training budgets as data, selected by ``--profile``.

``smoke`` runs in seconds (tests, CI), ``bench`` is a real search that fits a 2-core CPU,
``final`` is where each method has converged (the comparison's retrains, and the top rung
of its Hyperband searches), ``select`` a cheaper ``final`` for choosing among the best
trials, ``paper`` uses the paper's epoch counts, ``official`` is the
official Improved-GAN protocol (retraining only). :func:`budget_steps` states each in
optimiser steps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import MISSING, asdict, dataclass, fields, replace

from spaces.registry import Registry

__all__ = ["PRETRAIN_MIN_GAIN", "PROFILES", "Budget", "budget_steps", "get_profile"]


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


_LATER_FIELDS = ("pretrain_patience", "gan_epoch_steps", "pretrain_max_macs")
# Relative improvement of the pretraining signal that counts as progress.
PRETRAIN_MIN_GAIN = 0.005


PROFILES: Registry[Budget] = Registry("profile")
PROFILES.register(
    "smoke",
    Budget(
        name="smoke",
        max_epochs=2,
        patience=1,
        labeled_repeats=1,
        val_monitor=200,
        val_limit=500,
        unlabeled_limit=1000,
        pretrain_epochs=1,
        gan_epochs=2,
        gan_patience=1,
        eval_batch_size=250,
    ),
)
PROFILES.register(
    "bench",
    Budget(
        name="bench",
        max_epochs=25,
        patience=5,
        labeled_repeats=10,
        val_monitor=2000,
        val_limit=None,
        unlabeled_limit=10_000,
        pretrain_epochs=2,
        # 10 GAN epochs of 10,000 unlabeled images and a discriminator of at most 4x the
        # paper MLP's multiply-accumulates, so that a GAN search and 5 retrains fit the
        # 2.5-hour pipeline (results/README.md). Until 2026-11-29 bench ran 15 GAN epochs,
        # patience 5, uncapped: the best conv GAN then (21 M) took 45-90 min per run.
        gan_epochs=10,
        gan_patience=4,
        gan_max_macs=6_000_000,
    ),
)
PROFILES.register(
    "paper",
    Budget(
        name="paper",
        max_epochs=200,
        patience=30,
        labeled_repeats=20,
        val_monitor=None,
        val_limit=None,
        unlabeled_limit=None,
        pretrain_epochs=30,
        gan_epochs=300,
        gan_patience=300,
    ),
)

# The official Improved-GAN protocol for MNIST (train_mnist_feature_matching.py): all
# 60,000 training images unlabeled, 600 steps of batch 100 per epoch, a fixed 300 epochs,
# the official Adam, the parameter average evaluated. Retraining only.
PROFILES.register(
    "official",
    replace(PROFILES.get("paper"), name="official", max_epochs=300, patience=300,
            val_monitor=1000, early_stopping=False,
            fold_validation=True, official_adam=True, test_curve_every=10),
)

# The comparison's final budget: where each method has converged (results/README.md).
# - The baseline and every fine-tuning phase train until early stopping on validation:
#   at most 200 epochs of the labeled set tiled 20x (20 steps of 100), patience 20.
# - SimCLR and the autoencoder pretrain on all 50,000 unlabeled images until their
#   signal flattens (k-NN probe accuracy, resp. loss, not 0.5 % better in 3 epochs), at
#   most 50 epochs.
# - The GAN trains 120 epochs of 500 steps: 60,000 steps at any batch size, a third of the
#   paper's 180,000, by which an independent port of the official code is at about 110
#   test errors. Epochs of one pass over the pool would give a batch of 16 375,000 steps,
#   6 hours of this machine for the paper MLP alone. Its patience equals its epochs: no
#   early stop, the best validated average is kept.
# - The discriminator cap stays at bench's 6 M multiply-accumulates: the searches that
#   pick the configurations run under it, so it refuses no winner, and it bounds a final
#   run's cost (the 1.5 M paper MLP takes about 20 s per 500-step epoch here, so 40
#   minutes for 60,000 steps; a 6 M body several times that).
# - The model a pretraining method trains (SimCLR's encoder; the autoencoder's encoder
#   and decoder) is capped at the GAN's 6 M multiply-accumulates per image too: an epoch
#   then costs at most about 50 s here (SimCLR at 1.4 M: 27 s, 3.8 M: 40 s), so 50 epochs
#   stay under an hour. SimCLR's largest encoder (160 M) took 684 s per epoch, 9 hours
#   for 50; an autoencoder of 3.8 M + 45.0 M (decoder) 243 s (2026-11-30,
#   results/README.md step 28).
# - The GAN trains with the official Adam form (epsilon inside the root). With Keras'
#   form the official setting collapsed at every try, seeds 0 and 1, after 17-21 epochs
#   (8,500-10,500 steps): loss_unl under 0.001, the generator's loss from 3-6 to over 100,
#   validation accuracy falling from 0.928; with the official form seed 0 was at 0.9675
#   and rising at epoch 30, loss_unl 0.43 (2026-11-30, results/README.md step 28).
PROFILES.register(
    "final",
    Budget(
        name="final",
        max_epochs=200,
        patience=20,
        labeled_repeats=20,
        val_monitor=2000,
        val_limit=None,
        unlabeled_limit=None,
        pretrain_epochs=50,
        pretrain_patience=3,
        gan_epochs=120,
        gan_patience=120,
        gan_max_macs=6_000_000,
        gan_epoch_steps=500,
        official_adam=True,
        pretrain_max_macs=6_000_000,
    ),
)

# The selection step's budget (``--select-profile``): `final` with the GAN cut to a
# quarter (30 epochs, 15,000 steps) and pretraining to at most 20 epochs, so that three
# candidates x three seeds cost about as much as two final runs.
# benchmarks/selection_fidelity.py checks that it ranks the candidates as `final` does.
PROFILES.register(
    "select",
    replace(PROFILES.get("final"), name="select", pretrain_epochs=20, gan_epochs=30,
            gan_patience=30),
)


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
            "gan": budget.gan_epochs * (budget.gan_epoch_steps or per_unlabeled_epoch)}


def get_profile(name: str) -> Budget:
    """Returns the registered budget ``name``."""
    return PROFILES.get(name)
