"""Seconds per epoch over the 50,000 unlabeled images, per method, against the matmul peak.

For each method one epoch of its main unlabeled-data phase is timed after a warm-up epoch
on a slice (so tracing is not timed): the supervised classifier step (as if every image
were labeled), autoencoder pretraining, SimCLR pretraining (two views), and one GAN epoch
(500 steps of 100 labeled + 100 unlabeled + 100 fake images, D and G steps). FLOPs are
counted analytically (2 per multiply-accumulate, training = 3x forward) and compared with
a float32 matmul peak measured in the same run.

    python benchmarks/epoch_throughput.py --append results/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks.common import publish, table  # noqa: E402
from objectives import make_search_data, release, resolve_source  # noqa: E402
from objectives.autoencoder import DenoisingAutoencoder, build_decoder  # noqa: E402
from objectives.base import RunContext  # noqa: E402
from objectives.classifier import Classifier  # noqa: E402
from objectives.contrastive import ContrastivePretrainer  # noqa: E402
from objectives.encoder import EncoderConfig, build_encoder  # noqa: E402
from objectives.gan import PAPER_WIDTHS, Gan, gan_dataset  # noqa: E402
from objectives.macs import decoder_macs, encoder_macs, mlp_macs  # noqa: E402
from objectives.profiles import get_profile  # noqa: E402
from spaces.gan import PAPER_PARAMS  # noqa: E402

ENCODER = {"kernel_size": 5, "depth": 2, "filters": 32, "latent_width": 128,
           "downsample": "max_pool", "padding": "same", "dropout": 0.0}
BATCH = 100


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """float32 GFLOP/s of a large square matmul."""
    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    mm = tf.function(tf.matmul)
    mm(a, b).numpy()
    started = time.perf_counter()
    for _ in range(repeats):
        out = mm(a, b)
    out.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - started) / 1e9


def timed_fit(model: keras.Model, warm: object, full: object, **kwargs: object) -> float:
    model.fit(warm, epochs=1, verbose=0, **kwargs)
    started = time.perf_counter()
    model.fit(full, epochs=1, verbose=0, **kwargs)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--methods", default="supervised,autoencoder,contrastive,gan")
    parser.add_argument("--append", default=None, help="markdown file to append the table to")
    args = parser.parse_args()
    x, y = resolve_source(args.data_dir).load_train()
    data = make_search_data(x, y, 100, 0)
    unl, n = data.unlabeled_x, len(data.unlabeled_x)
    warm = unl[:2000]
    peak = matmul_peak()
    config = EncoderConfig.from_params(ENCODER)
    enc = encoder_macs(config)
    rows = []

    def supervised() -> tuple[float, float]:
        model = Classifier(build_encoder(config))
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        labels = np.resize(data.val_y, n)
        seconds = timed_fit(model, tf.data.Dataset.from_tensor_slices(
            (warm, labels[:2000])).batch(BATCH), tf.data.Dataset.from_tensor_slices(
            (unl, labels)).batch(BATCH))
        return seconds, 3 * (enc + 128 * 10) * n

    def autoencoder() -> tuple[float, float]:
        model = DenoisingAutoencoder(build_encoder(config), build_decoder(config), 0.3)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        seconds = timed_fit(model, warm, unl, batch_size=BATCH)
        return seconds, 3 * (enc + decoder_macs(config)) * n

    def contrastive() -> tuple[float, float]:
        model = ContrastivePretrainer(build_encoder(config), 64, 0.5, 1.0)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        seconds = timed_fit(model, warm, unl, batch_size=BATCH)
        return seconds, 2 * 3 * (enc + mlp_macs([128, 64, 64])) * n

    def gan() -> tuple[float, float]:
        method, params = Gan(), dict(PAPER_PARAMS)
        model = method.build(params, data, get_profile("bench"), RunContext(seed=0))
        seconds = timed_fit(model, gan_dataset(data, warm, BATCH),
                            gan_dataset(data, unl, BATCH))
        d = mlp_macs([784, *PAPER_WIDTHS, 10])
        g = mlp_macs([100, 500, 500, 784])
        per_step = 3 * d * 3 * BATCH + g * BATCH + 3 * d * BATCH + 3 * g * BATCH
        return seconds, per_step * (n // BATCH)

    benches = {"supervised": supervised, "autoencoder": autoencoder,
               "contrastive": contrastive, "gan": gan}
    for name in args.methods.split(","):
        keras.utils.set_random_seed(0)
        seconds, macs = benches[name]()
        gflops = 2 * macs / seconds / 1e9
        rows.append((name + (" (paper preset)" if name == "gan" else ""), f"{seconds:.1f}",
                     f"{2 * macs / 1e12:.2f}", f"{gflops:.1f}", f"{100 * gflops / peak:.0f} %"))
        release()
    text = table(["method", "s / epoch (50,000 images)", "TFLOP / epoch", "GFLOP/s",
                  "of matmul peak"], rows)
    text += (f"\n\nfloat32 matmul peak (2048x2048) measured in the same run: {peak:.1f} "
             f"GFLOP/s. Encoder of the conv methods: {ENCODER}. Target: paper GAN <= 25 s.")
    publish("Epoch throughput (benchmarks/epoch_throughput.py)", text, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
