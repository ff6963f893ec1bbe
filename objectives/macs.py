"""Analytic multiply-accumulate counts of the project's models (per image, forward pass).

The epoch-throughput benchmark turns them into achieved FLOP/s; profiles use them to cap
the size of the costliest models (``Budget.gan_max_macs``, ``Budget.pretrain_max_macs``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from objectives.encoder import INPUT_SHAPE, EncoderConfig, InfeasibleConfig
from spaces.common import conv_out

__all__ = ["check_cap", "decoder_macs", "encoder_macs", "mlp_macs"]


def encoder_macs(config: EncoderConfig) -> int:
    """Conv blocks, then the dense latent layer."""
    side, channels, macs = INPUT_SHAPE[0], INPUT_SHAPE[2], 0
    stride = 2 if config.downsample == "stride" else 1
    for block in range(config.depth):
        filters = config.filters * 2**block
        out = conv_out(side, config.kernel_size, stride, config.padding)
        macs += out * out * config.kernel_size**2 * channels * filters
        side = out if stride == 2 else out // 2
        channels = filters
    return macs + side * side * channels * config.latent_width


def decoder_macs(config: EncoderConfig) -> int:
    """The autoencoder's mirror: dense expand, one transposed conv per block, pixel conv."""
    side = math.ceil(INPUT_SHAPE[0] / 2**config.depth)
    channels = config.filters * 2 ** (config.depth - 1)
    macs = config.latent_width * side * side * channels
    for block in reversed(range(config.depth)):
        filters = config.filters * 2 ** max(block - 1, 0)
        macs += side * side * config.kernel_size**2 * channels * filters
        side, channels = side * 2, filters
    return macs + side * side * config.kernel_size**2 * channels


def mlp_macs(widths: Sequence[int]) -> int:
    """Dense layers ``widths[0] -> widths[1] -> ...``."""
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def check_cap(macs: int, cap: int | None, model: str, profile: str) -> None:
    """Refuses a ``model`` of ``macs`` per image over the ``profile``'s ``cap`` (``None``:
    uncapped).

    Raises:
        InfeasibleConfig: With both sizes, so the trial's one log line says why.
    """
    if cap is not None and macs > cap:
        raise InfeasibleConfig(
            f"{model} of {macs / 1e6:.1f} M multiply-accumulates per image exceeds the "
            f"{profile!r} profile's cap of {cap / 1e6:.1f} M")
