"""The search objective: one Optuna trial = one :func:`objectives.training.train` run.

Per-epoch validation accuracy goes to the trial through optuna-integration's Keras pruning
callback (shifted past any pretraining steps); the objective value is the restored model's
accuracy on the whole validation set. Every trial, whatever its end, stores: the resolved
config, epochs run, wall seconds, parameter count, the method's notes (e.g. a pretraining
cache hit), and for failed or pruned trials the reason.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna_integration import KerasPruningCallback

from objectives.base import Method, RunContext
from objectives.budget import Budget
from objectives.cache import cache_key
from objectives.checkpoint import discard_checkpoint, discard_partial_writes, pretrain_checkpoint
from objectives.data import SearchData
from objectives.encoder import InfeasibleConfig
from objectives.progress import EpochProgress
from objectives.training import EpochLog, release, train
from storage.artifacts import record_file, upload

__all__ = ["Objective", "StepOffsetPruning", "trial_checkpoint_name"]


def trial_checkpoint_name(number: int, config: Mapping[str, Any]) -> str:
    """The file name of search trial ``number``'s checkpoint.

    The name holds a hash of the trial's configuration: a study made anew under an old
    name (its database lost, say) numbers its trials from 0 again, and its trial 3 must
    not resume the old trial 3, another configuration, from its weights.
    """
    return f"trial{number}-{cache_key(config)[:12]}.ckpt"


class StepOffsetPruning(KerasPruningCallback):
    """optuna-integration's pruning callback with steps shifted by ``offset``.

    Pretraining methods report their pretraining signal at steps ``0..P-1`` and validation
    accuracy from step ``P`` on, so all trials of a method are compared step for step.
    With ``best``, the value reported is the best of the phase so far (the phase's earlier
    reports are read back from the trial, so a resumed run keeps them), the reading a
    calibration chooses when curves that peak early and decay rank better by their peak.
    """

    def __init__(self, trial: optuna.Trial, monitor: str, offset: int = 0,
                 best: bool = False) -> None:
        super().__init__(trial, monitor)
        self.offset = offset
        self.best = best

    def _best_so_far(self, step: int, value: float) -> float:
        stored = self._trial.study._storage.get_trial(self._trial._trial_id)
        earlier = [v for s, v in stored.intermediate_values.items()
                   if self.offset <= s < step and math.isfinite(v)]
        return max([value, *earlier])

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        step = epoch + self.offset
        if self.best and logs and self._monitor in logs:
            logs = {**logs, self._monitor: self._best_so_far(step, float(logs[self._monitor]))}
        with warnings.catch_warnings():
            # A re-run of a killed trial whose checkpoint is gone (a new machine) trains
            # its first epochs again. It keeps the killed run's reports for them (same
            # parameters and seed), and Optuna would warn once per such epoch.
            warnings.filterwarnings("ignore", message=".*is already reported",
                                    category=UserWarning)
            super().on_epoch_end(step, logs)


class Objective:
    """Callable objective for ``study.optimize`` (or ``ask``/``tell`` via :meth:`run`).

    Args:
        method: The method under search.
        data: Search data; it holds no test images, so a search cannot read them.
        budget: The training budget.
        seed: Model seed used for every trial, so trials differ only by hyperparameters.
        pretrain_cache: Cache of pretrained encoders shared by the study's trials.
        artifact_dir: Folder for per-trial files (e.g. GAN samples), ``None`` for none.
        checkpoint_dir: Folder for per-epoch checkpoints, ``None`` for none.
        storage_url: The study database: files a trial writes (the GAN's sample grid) are
            recorded relative to it and uploaded to its artifact store; ``None`` records
            absolute paths and uploads nothing.
        progress: Show each long trial's epochs (``objectives.progress``); off where
            several workers share one terminal.
        best_so_far: Report the best value of the phase so far to the pruner instead of
            the epoch's (a calibrated study's reading, ``search.calibration``).
        tags: User attributes set on every trial run, e.g. ``{"calibration": True}``.
    """

    def __init__(self, method: Method, data: SearchData, budget: Budget, seed: int,
                 pretrain_cache: Any = None, artifact_dir: Path | None = None,
                 checkpoint_dir: Path | None = None, storage_url: str | None = None,
                 progress: bool = False, best_so_far: bool = False,
                 tags: Mapping[str, Any] | None = None) -> None:
        self.method = method
        self.data = data
        self.budget = budget
        self.seed = seed
        self.pretrain_cache = pretrain_cache
        self.artifact_dir = artifact_dir
        self.checkpoint_dir = checkpoint_dir
        self.storage_url = storage_url
        self.progress = progress
        self.best_so_far = best_so_far
        self.tags = dict(tags or {})

    def _checkpoint(self, trial: optuna.Trial, params: dict[str, Any]) -> Path | None:
        """The trial's checkpoint; a re-run of a killed trial takes over the killed one's."""
        if self.checkpoint_dir is None:
            return None
        folder = self.checkpoint_dir / trial.study.study_name
        config = self._config(params)
        path = folder / trial_checkpoint_name(trial.number, config)
        for stale in folder.glob(f"trial{trial.number}-*.ckpt"):
            if stale not in (path, pretrain_checkpoint(path)):  # an older study's trial
                discard_partial_writes(stale)
                stale.unlink(missing_ok=True)
        # The last trial of the retry chain is the one that ran (and checkpointed) last.
        frozen = next(t for t in trial.study.get_trials(deepcopy=False)
                      if t.number == trial.number)
        with warnings.catch_warnings():  # "experimental" since Optuna 3.0, in every trial
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            history = RetryHeartbeatStaleTrialCallback.retry_history(frozen)
        if history:
            killed = folder / trial_checkpoint_name(history[-1], config)
            for source, target in ((killed, path), (pretrain_checkpoint(killed),
                                                   pretrain_checkpoint(path))):
                discard_partial_writes(source)
                if source.exists():
                    source.replace(target)
        return path

    def __call__(self, trial: optuna.Trial) -> float:
        return self.run(trial, self.method.space.suggest(trial))

    def run(self, trial: optuna.Trial, params: dict[str, Any]) -> float:
        """Trains ``params`` and returns the validation accuracy, recording attributes."""
        trial.set_user_attr("config", json.dumps(self._config(params), sort_keys=True))
        for key, value in self.tags.items():
            trial.set_user_attr(key, value)
        log = EpochLog()

        def pruning(monitor: str, offset: int) -> list[keras.callbacks.Callback]:
            return [StepOffsetPruning(trial, monitor, offset, best=self.best_so_far)]

        artifact = None
        if self.artifact_dir is not None:
            artifact = self.artifact_dir / trial.study.study_name / f"trial{trial.number}"
        label = f"{trial.study.study_name}#{trial.number}"
        progress: list[keras.callbacks.Callback] = [EpochProgress(label)] if self.progress else []
        context = RunContext(seed=self.seed, pretrain_cache=self.pretrain_cache,
                             pruning=pruning, artifact_path=artifact,
                             checkpoint=self._checkpoint(trial, params), callbacks=progress)
        try:
            result = train(self.method, params, self.data, self.budget, context, log=log)
            if result.stop_reason:
                trial.set_user_attr("fail_reason", result.stop_reason)
                raise optuna.TrialPruned(result.stop_reason)
            return result.val_accuracy
        except InfeasibleConfig as exc:
            # Refused before anything was built. A constraint > 0 ranks the trial among
            # TPE's worst, so proposals stop landing in the region; the search does not
            # count it, and it logs one line, not a traceback.
            trial.set_constraint("feasible", 1.0)
            trial.set_user_attr("fail_reason", f"infeasible: {exc}")
            raise optuna.TrialPruned(f"infeasible: {exc}") from None
        except optuna.TrialPruned as exc:
            # Pruned or failed in Python: never re-run (heartbeat recovery re-runs only
            # the trials of killed workers), so its checkpoint would never be read again.
            discard_checkpoint(context.checkpoint)
            if "fail_reason" not in trial.user_attrs:
                trial.set_user_attr("fail_reason", f"pruned: {exc}")
            raise
        except Exception as exc:  # infeasible, non-finite loss, out of memory, ...
            discard_checkpoint(context.checkpoint)
            trial.set_user_attr("fail_reason", f"{type(exc).__name__}: {exc}"[:2000])
            raise
        finally:
            for key, value in context.notes.items():
                trial.set_user_attr(key, value)
            self._record_files(trial, context.files)
            trial.set_user_attr("epochs", log.epochs)
            trial.set_user_attr("seconds", round(log.seconds, 3))
            trial.set_user_attr("best_monitored_val_accuracy", log.best())
            if log.n_params is not None:
                trial.set_user_attr("n_params", log.n_params)
            release()

    def _record_files(self, trial: optuna.Trial, files: dict[str, Path]) -> None:
        for name, path in files.items():
            if self.storage_url is None:
                trial.set_user_attr(name, str(path))
                continue
            trial.set_user_attr(name, record_file(self.storage_url, path))
            # optuna-dashboard shows it on the trial's page (--artifact-dir).
            trial.set_user_attr(f"{name}_artifact_id", upload(self.storage_url, trial, path))

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "method": self.method.name,
            "params": params,
            "profile": self.budget.name,
            "seed": self.seed,
            "data_seed": self.data.data_seed,
            "n_labeled": self.data.n_labeled,
        }
