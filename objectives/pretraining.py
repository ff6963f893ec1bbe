"""Shared pretrain-then-fine-tune plumbing of the autoencoder and SimCLR methods.

:class:`PretrainMethod` builds the shared encoder, pretrains it on the unlabeled pool
(or loads it from the pretraining cache), then puts the classifier head on it, frozen or
fine-tuned with its own learning rate. Subclasses only say which parameters pretraining
depends on and how to build the pretraining model; :meth:`PretrainMethod.fit_pretrainer`
is the pretraining phase's one training loop (the plateau rule, the pruner's reports,
per-epoch checkpoints and resuming).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.cache import cache_key
from objectives.checkpoint import discard_checkpoint, pretrain_checkpoint, resume_point
from objectives.classifier import Classifier, label_augmenter
from objectives.data import SearchData
from objectives.encoder import EncoderConfig, build_encoder
from objectives.macs import check_cap, encoder_macs
from objectives.optimizers import adam
from objectives.pretrainer import Plateau, Pretrainer
from objectives.progress import EpochProgress
from objectives.training import EpochLog
from spaces.common import ENCODER_PARAMS

__all__ = ["PretrainMethod"]


class PretrainMethod(Method):
    """A method that pretrains the shared encoder on unlabeled images, then fine-tunes.

    Attributes:
        pretrain_params: Parameters (besides the encoder's) that pretraining depends on;
            all others (``finetune_learning_rate``, ``freeze_encoder``) only affect
            fine-tuning, so trials differing in those alone reuse a cached encoder.
        pruning_signal: Log key of the pretraining signal the pruner sees at steps
            ``0 .. pretrain_epochs - 1`` (higher is better), ``None`` for none.
        plateau_signal: Log key and mode (``min``, ``max``) of the signal whose flattening
            ends pretraining, under a profile with ``pretrain_patience``.
    """

    pretrain_params: tuple[str, ...] = ("learning_rate", "batch_size")
    pruning_signal: str | None = None
    plateau_signal: tuple[str, str] = ("loss", "min")
    unread_budget_fields: frozenset[str] = frozenset({
        "official_adam", "consistency_epochs", "consistency_epoch_steps"})

    def check(self, params: Mapping[str, Any], budget: Budget) -> None:
        super().check(params, budget)
        macs = self.pretrain_macs(EncoderConfig.from_params(self.space.resolve(params)))
        check_cap(macs, budget.pretrain_max_macs, "pretraining model", budget.name)

    def pretrain_macs(self, config: EncoderConfig) -> int:
        """Forward multiply-accumulates per image of the model pretraining trains (what
        ``Budget.pretrain_max_macs`` caps): the encoder by default."""
        return encoder_macs(config)

    def pretrain_steps(self, budget: Budget) -> int:
        return budget.pretrain_epochs

    @abc.abstractmethod
    def pretrain(
        self,
        encoder: keras.Model,
        params: Mapping[str, Any],
        unlabeled: np.ndarray,
        data: SearchData,
        budget: Budget,
        context: RunContext,
    ) -> tuple[Pretrainer, EpochLog]:
        """Trains ``encoder`` in place on ``unlabeled`` with :meth:`fit_pretrainer`; returns
        the fitted pretraining model and its epoch log."""

    # --- the pretraining loop ------------------------------------------------------------

    def fit_pretrainer(self, model: Pretrainer, unlabeled: np.ndarray, batch_size: int,
                       budget: Budget, context: RunContext,
                       callbacks: Sequence[keras.callbacks.Callback] = ()) -> EpochLog:
        """Fits ``model`` on ``unlabeled`` for ``budget.pretrain_epochs`` epochs, or until the
        plateau rule stops it.

        The phase reports :attr:`pruning_signal` to the pruner and writes a checkpoint
        beside the run's after every epoch; a killed run resumes from it.

        Args:
            callbacks: The method's callbacks that write logs (e.g. a probe): they run
                before the pruner and the plateau rule read them.

        Returns:
            The epoch log, the epochs before a resume included.
        """
        log = EpochLog()
        pruning = context.pruning(self.pruning_signal, 0) if self.pruning_signal else []
        progress = [EpochProgress(f"{c.label} pretraining", c.stream)
                    for c in context.callbacks if isinstance(c, EpochProgress)]
        # The log comes after the method's callbacks, so it records what they write.
        every = [keras.callbacks.TerminateOnNaN(), *callbacks, log, *pruning,
                 *self.plateau(budget, *self.plateau_signal), *progress,
                 *context.pretrain_callbacks]
        path = pretrain_checkpoint(context.checkpoint)
        if path is not None and path.exists():
            # A pretrainer builds its heads in its first step; the checkpoint needs them now.
            model.pretrain_loss(tf.constant(unlabeled[:2]))
        initial = resume_point(path, context.seed, every, budget.pretrain_epochs,
                               context.notes, "pretrain_resumed_from_epoch")
        model.fit(unlabeled, batch_size=batch_size, epochs=budget.pretrain_epochs,
                  initial_epoch=initial, shuffle=True, verbose=0, callbacks=every)
        discard_checkpoint(path)
        context.seconds_before_resume += log.carried
        return log

    def _report_rest(self, context: RunContext, budget: Budget, values: list[float],
                     start: int) -> None:
        """Reports the pretraining signal at the steps from ``start`` to the last
        pretraining step, the last value standing for the epochs not run.

        A plateau ends pretraining early and a cached encoder skips it. The pruner compares
        trials step by step, so each must report the same kind of value at the same steps:
        without this, the fine-tuning's validation accuracy of one trial would meet the
        probe accuracy of another at the same rung.

        Raises:
            optuna.TrialPruned: If the pruner stops the trial at one of these steps.
        """
        if not self.pruning_signal or not values:
            return
        callbacks = context.pruning(self.pruning_signal, 0)
        for epoch in range(start, budget.pretrain_epochs):
            logs = {self.pruning_signal: values[min(epoch, len(values) - 1)]}
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)

    @staticmethod
    def plateau(budget: Budget, monitor: str, mode: str) -> list[keras.callbacks.Callback]:
        """The stopping rule of ``budget`` on ``monitor``: none without a patience."""
        if budget.pretrain_patience is None:
            return []
        return [Plateau(monitor, mode, budget.pretrain_patience)]

    def build(
        self, params: Mapping[str, Any], data: SearchData, budget: Budget, context: RunContext
    ) -> keras.Model:
        encoder = build_encoder(EncoderConfig.from_params(params))
        keyed = (*ENCODER_PARAMS, *self.pretrain_params)
        key = cache_key({
            "method": self.name,
            "params": {name: params[name] for name in keyed},
            "data_seed": data.data_seed,
            "seed": context.seed,
            "epochs": budget.pretrain_epochs,
            "unlabeled": budget.unlabeled_limit,
            # Only when set: the entries cached before the rule existed keep their keys.
            **({"patience": budget.pretrain_patience} if budget.pretrain_patience else {}),
        })
        cache = context.pretrain_cache
        reported = 0  # pretraining steps the pruner has seen
        if cache is not None and cache.load(key, encoder):
            context.notes["pretrain_cache"] = "hit"
            cost = cache.meta(key)
        else:
            unlabeled = data.unlabeled_x[: budget.unlabeled_limit]
            pretrainer, log = self.pretrain(encoder, params, unlabeled, data, budget, context)
            # What pretraining cost, in the units budgets compare: steps and epochs; and
            # its signal per epoch, for the pruner of a trial that finds it in the cache.
            cost = {"pretrain_steps": int(pretrainer.optimizer.iterations),
                    "pretrain_epochs": log.epochs}
            if self.pruning_signal:
                cost["pretrain_signal"] = [float(h[self.pruning_signal])
                                           for h in log.history if self.pruning_signal in h]
                reported = len(cost["pretrain_signal"])
            if cache is not None:
                cache.store(key, encoder, cost)
                context.notes["pretrain_cache"] = "miss"
        self._report_rest(context, budget, cost.get("pretrain_signal") or [], reported)
        context.notes.update({k: v for k, v in cost.items() if k != "pretrain_signal"})
        context.notes["pretrain_key"] = key
        # A frozen encoder keeps its pretrained features; only the head learns from labels.
        encoder.trainable = not bool(params["freeze_encoder"])
        model = Classifier(encoder, augment=label_augmenter(params), name=self.name)
        model.compile(optimizer=adam(params["finetune_learning_rate"]))
        return model
