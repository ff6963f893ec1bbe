"""The discriminator's analytic cost and the profile's cap on it."""

from __future__ import annotations

import dataclasses

import pytest

from objectives import get_method
from objectives.budget import Budget
from objectives.encoder import InfeasibleConfig
from objectives.gan import discriminator_macs
from spaces.gan import PAPER_PARAMS


def test_gan_size_cap_refuses_large_discriminators(budget: Budget) -> None:
    # The official MLP: 784-1000-500-250-250-250-10, by hand.
    paper = 784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 250 * 2 + 250 * 10
    assert discriminator_macs(PAPER_PARAMS) == paper
    big = {**PAPER_PARAMS, "preset": "conv", "kernel_size": 5, "depth": 3, "filters": 32,
           "latent_width": 256, "downsample": "max_pool", "padding": "same"}
    # Conv blocks 28x28x32 (k5, 1 channel), 14x14x64, 7x7x128, pooled to 3x3, dense 256, 10.
    conv = (28 * 28 * 25 * 32 + 14 * 14 * 25 * 32 * 64 + 7 * 7 * 25 * 64 * 128
            + 3 * 3 * 128 * 256 + 256 * 10)
    assert discriminator_macs(big) == conv
    gan = get_method("gan")
    capped = dataclasses.replace(budget, gan_max_macs=paper)
    gan.check(PAPER_PARAMS, capped)  # at the cap is allowed
    gan.check(big, budget)  # no cap
    with pytest.raises(InfeasibleConfig, match="21.0 M multiply-accumulates"):
        gan.check(big, capped)
    assert budget.fingerprint != capped.fingerprint
    assert budget.fingerprint == dataclasses.replace(budget).fingerprint
