"""Framework overhead: one baseline configuration through ssl-hpo vs a bare Keras script.

Both sides do the same work: the same architecture and optimiser, the labeled set tiled
into epochs, per-epoch validation on the same monitor subset, early stopping that restores
the best weights, and a final score on the whole validation set. The framework side runs as
an Optuna trial on SQLite (pruning callback, user attributes, storage writes). Runs
alternate so machine noise hits both sides alike; the target is an overhead <= 5 %.

    python benchmarks/overhead.py --repeats 3 --epochs 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import keras  # noqa: E402
import numpy as np  # noqa: E402
import optuna  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from objectives import Objective, get_method, get_profile, make_search_data  # noqa: E402
from objectives import resolve_source, release  # noqa: E402
from objectives.budget import Budget  # noqa: E402
from objectives.data import SearchData  # noqa: E402
from storage import open_storage  # noqa: E402

PARAMS = {
    "learning_rate": 1e-3,
    "batch_size": 32,
    "kernel_size": 5,
    "depth": 2,
    "filters": 32,
    "latent_width": 128,
    "downsample": "max_pool",
    "padding": "same",
    "dropout": 0.25,
}


def bare_keras(data: SearchData, budget: Budget, seed: int) -> float:
    """What a user would write by hand for the same configuration."""
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    layers: list[keras.layers.Layer] = [keras.Input((28, 28, 1))]
    for block in range(PARAMS["depth"]):
        layers += [
            keras.layers.Conv2D(PARAMS["filters"] * 2**block, PARAMS["kernel_size"],
                                padding=PARAMS["padding"], activation="relu"),
            keras.layers.MaxPooling2D(2),
        ]
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(PARAMS["latent_width"], activation="relu"),
        keras.layers.Dropout(PARAMS["dropout"]),
        keras.layers.Dense(10),
    ]
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(PARAMS["learning_rate"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x = np.tile(data.labeled_x, (budget.labeled_repeats, 1, 1, 1))
    y = np.tile(data.labeled_y, budget.labeled_repeats)
    monitor = (data.val_x[: budget.val_monitor], data.val_y[: budget.val_monitor])
    model.fit(x, y, batch_size=PARAMS["batch_size"], epochs=budget.max_epochs,
              validation_data=monitor, validation_batch_size=budget.eval_batch_size,
              verbose=0, callbacks=[keras.callbacks.EarlyStopping(
                  monitor="val_accuracy", mode="max", patience=budget.patience,
                  restore_best_weights=True)])
    model.evaluate(data.val_x, data.val_y, batch_size=budget.eval_batch_size, verbose=0)
    seconds = time.perf_counter() - started
    release()
    return seconds


def framework(data: SearchData, budget: Budget, seed: int, study: optuna.Study) -> float:
    """The same run as one ssl-hpo trial on SQLite storage."""
    started = time.perf_counter()
    method = get_method("supervised")
    study.enqueue_trial(PARAMS)
    objective = Objective(method, data, budget, seed)
    trial = study.ask()
    study.tell(trial, objective(trial))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--append", default=None, help="markdown file to append the table to")
    args = checked_args(parser)
    source = resolve_source(args.data_dir)
    data = make_search_data(*source.load_train(), 100, 0)
    # A fixed number of epochs on both sides: patience beyond the budget never triggers.
    budget = replace(get_profile("bench"), max_epochs=args.epochs, patience=args.epochs + 1)
    with tempfile.TemporaryDirectory() as tmp:
        study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp}/o.db"),
                                    direction="maximize")
        bare_keras(data, budget, 0)  # warm-up: first-use costs of TensorFlow on neither side
        rows = []
        for rep in range(args.repeats):
            ours = framework(data, budget, rep, study)
            bare = bare_keras(data, budget, rep)
            rows.append((rep, f"{ours:.2f}", f"{bare:.2f}", f"{100 * (ours / bare - 1):+.1f} %"))
    ours_total = sum(float(r[1]) for r in rows)
    bare_total = sum(float(r[2]) for r in rows)
    rows.append(("total", f"{ours_total:.2f}", f"{bare_total:.2f}",
                 f"{100 * (ours_total / bare_total - 1):+.1f} %"))
    columns = ["repeat", "ssl-hpo trial (s)", "bare Keras (s)", "overhead"]
    notes = (f"{args.epochs} epochs of {budget.labeled_repeats}x100 labeled images, "
             f"{budget.val_monitor} monitored validation images per epoch, final score on "
             f"{len(data.val_y)}; target overhead <= 5 %.")
    publish("Framework overhead", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
