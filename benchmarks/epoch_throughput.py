"""Seconds per epoch over the 50,000 unlabeled images, per method, against the machine's peak.

For each method one epoch of its main unlabeled-data phase is timed after a warm-up on a
slice (so tracing is not timed): the supervised classifier step (as if every image were
labeled), autoencoder pretraining, SimCLR pretraining (two views), and one GAN epoch (500
steps of 100 labeled + 100 unlabeled + 100 fake images, D and G steps). Each epoch is timed
``--repeats`` times; the table shows the fastest and the median. FLOPs are counted
analytically (2 per multiply-accumulate, training = 3x forward).

The machine's peak is the best float32 matmul rate measured in the same run: TensorFlow
(with whatever oneDNN setting it runs under) and numpy's BLAS, at 2048^3 and 4096^3; the
GAN is also held against the best rate TensorFlow reaches at its own layer shapes. The
FLOP floor is the epoch's FLOPs at that peak: no implementation on this CPU can be faster.

    python benchmarks/epoch_throughput.py --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search.running.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow()  # before TensorFlow is first imported

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.common import checked_args, publish, run  # noqa: E402
from benchmarks.peak import matmul_peaks, tf_matmul_rate  # noqa: E402
from objectives import make_search_data, release, resolve_source  # noqa: E402
from objectives.autoencoder import DenoisingAutoencoder, build_decoder  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.checkpoint import RunCheckpoint  # noqa: E402
from objectives.classifier import Classifier  # noqa: E402
from objectives.contrastive import ContrastivePretrainer  # noqa: E402
from objectives.encoder import EncoderConfig, build_encoder  # noqa: E402
from objectives.gan import PAPER_WIDTHS, Gan, gan_dataset  # noqa: E402
from objectives.macs import decoder_macs, encoder_macs, mlp_macs  # noqa: E402
from objectives.optimizers import adam  # noqa: E402
from objectives.profiles import get_profile  # noqa: E402
from search.running.runtime import device_line  # noqa: E402
from spaces.gan import PAPER_PARAMS  # noqa: E402

ENCODER = {"kernel_size": 5, "depth": 2, "filters": 32, "latent_width": 128,
           "downsample": "max_pool", "padding": "same", "dropout": 0.0}
BATCH = 100


def peaks() -> dict[str, float]:
    """Matmul rates (GFLOP/s) that bound what this machine can do."""
    rates = matmul_peaks()
    # The GAN's own shapes: 300 rows (labeled + unlabeled + fake) through each layer, the
    # rate of all of them in a row (total FLOPs over total seconds).
    widths = [28 * 28, *PAPER_WIDTHS]
    shapes = [(3 * BATCH, k, n) for k, n in zip(widths, widths[1:])]
    flops = [2 * m * k * n for m, k, n in shapes]
    seconds = [f / tf_matmul_rate(*shape) for f, shape in zip(flops, shapes)]
    rates["TensorFlow, GAN layer shapes"] = sum(flops) / sum(seconds)
    return rates


def timed_fit(model: keras.Model, warm: object, full: object, repeats: int,
              **kwargs: object) -> list[float]:
    """Seconds of each of ``repeats`` epochs over ``full``, after a warm-up on ``warm``."""
    model.fit(warm, epochs=1, verbose=0, **kwargs)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.fit(full, epochs=1, verbose=0, **kwargs)
        seconds.append(time.perf_counter() - started)
    return seconds


def checkpoint_cost(model: keras.Model, epoch_seconds: float, repeats: int = 3) -> str:
    """Size and write time of the per-epoch checkpoint of ``model`` (fastest of repeats)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.ckpt"
        writer = RunCheckpoint(path, [])
        writer.set_model(model)
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            writer.on_epoch_end(0)
            best = min(best, time.perf_counter() - started)
        size = path.stat().st_size
    return (f"Per-epoch checkpoint of the paper GAN: {size / 2**20:.1f} MiB written in "
            f"{best:.2f} s, {100 * best / epoch_seconds:.1f} % of its epoch.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--methods", default="supervised,autoencoder,contrastive,gan")
    parser.add_argument("--repeats", type=int, default=2, help="timed epochs per method")
    parser.add_argument("--append", default=None, help="markdown file to append the table to")
    args = checked_args(parser)
    x, y = resolve_source(args.data_dir).load_train()
    data = make_search_data(x, y, 100, 0)
    unl, n = data.unlabeled_x, len(data.unlabeled_x)
    # The GAN runs 25 steps per compiled call: a warm-up shorter than one call left the
    # timed epoch on a slower path (41.9 instead of 23.4 s), as earlier tables show.
    warm = unl[:5000]
    notes: list[str] = []
    rates = peaks()
    peak = max(rates.values())
    config = EncoderConfig.from_params(ENCODER)
    enc = encoder_macs(config)
    rows = []

    def supervised() -> tuple[list[float], float]:
        model = Classifier(build_encoder(config))
        model.compile(optimizer=adam(1e-3))
        labels = np.resize(data.val_y, n)
        seconds = timed_fit(model, tf.data.Dataset.from_tensor_slices(
            (warm, labels[:len(warm)])).batch(BATCH), tf.data.Dataset.from_tensor_slices(
            (unl, labels)).batch(BATCH), args.repeats)
        return seconds, 3 * (enc + 128 * 10) * n

    def autoencoder() -> tuple[list[float], float]:
        model = DenoisingAutoencoder(build_encoder(config), build_decoder(config), 0.3)
        model.compile(optimizer=adam(1e-3))
        seconds = timed_fit(model, warm, unl, args.repeats, batch_size=BATCH)
        return seconds, 3 * (enc + decoder_macs(config)) * n

    def contrastive() -> tuple[list[float], float]:
        model = ContrastivePretrainer(build_encoder(config), 64, 0.5, 1.0)
        model.compile(optimizer=adam(1e-3))
        seconds = timed_fit(model, warm, unl, args.repeats, batch_size=BATCH)
        return seconds, 2 * 3 * (enc + mlp_macs([128, 64, 64])) * n

    def gan() -> tuple[list[float], float]:
        method, params = Gan(), dict(PAPER_PARAMS)
        model = method.build(params, data, get_profile("bench"), RunContext(seed=0))
        seconds = timed_fit(model, gan_dataset(data, warm, BATCH),
                            gan_dataset(data, unl, BATCH), args.repeats)
        notes.append(checkpoint_cost(model, min(seconds)))
        d = mlp_macs([784, *PAPER_WIDTHS, 10])
        g = mlp_macs([100, 500, 500, 784])
        per_step = 3 * d * 3 * BATCH + g * BATCH + 3 * d * BATCH + 3 * g * BATCH
        return seconds, per_step * (n // BATCH)

    benches = {"supervised": supervised, "autoencoder": autoencoder,
               "contrastive": contrastive, "gan": gan}
    for name in args.methods.split(","):
        keras.utils.set_random_seed(0)
        seconds, macs = benches[name]()
        flops = 2 * macs
        best = min(seconds)
        gflops = flops / best / 1e9
        floor = f"{flops / peak / 1e9:.1f}"
        if name == "gan":
            floor += f" ({flops / rates['TensorFlow, GAN layer shapes'] / 1e9:.1f} at its shapes)"
        rows.append((name + (" (paper preset)" if name == "gan" else ""), f"{best:.1f}",
                     f"{statistics.median(seconds):.1f}", f"{flops / 1e12:.2f}",
                     f"{gflops:.1f}", f"{100 * gflops / peak:.0f} %", floor))
        release()
    columns = ["method", "s / epoch (fastest)", "median", "TFLOP / epoch", "GFLOP/s",
               "of machine peak", "FLOP floor (s)"]
    notes = ("float32 matmul rates measured in the same run (GFLOP/s): "
             + ", ".join(f"{k} {v:.1f}" for k, v in rates.items())
             + f"; machine peak = the best, {peak:.1f}. {' '.join(notes)} "
             f"{args.repeats} timed epochs per "
             f"method. {device_line()}. Encoder of the conv methods: {ENCODER}. "
             "Targets: paper GAN <= 20 s (16 s stretch); supervised <= 41 s, SimCLR <= 71 s, "
             "autoencoder <= 101 s.")
    publish("Epoch throughput", columns, rows, notes, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
