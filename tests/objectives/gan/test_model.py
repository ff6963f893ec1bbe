"""The losses of Salimans et al. and the parameter average of the training model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp, softplus

from objectives import get_method
from objectives.base import RunContext
from objectives.budget import Budget
from objectives.data import SearchData
from objectives.gan import gan_losses
from objectives.training import release
from spaces.gan import PAPER_PARAMS
from tests.objectives.test_methods import _params


def test_gan_losses_match_numpy() -> None:
    rng = np.random.default_rng(0)
    lab, unl, fake = (rng.normal(size=(6, 10)).astype(np.float32) for _ in range(3))
    y = np.array([0, 3, 9, 2, 2, 5])
    loss_lab, loss_unl = gan_losses(lab, y, unl, fake)
    expected_lab = np.mean(logsumexp(lab, axis=1) - lab[np.arange(6), y])
    lse_u, lse_f = logsumexp(unl, axis=1), logsumexp(fake, axis=1)
    expected_unl = (-0.5 * lse_u.mean() + 0.5 * softplus(lse_u).mean()
                    + 0.5 * softplus(lse_f).mean())
    assert float(loss_lab) == pytest.approx(expected_lab, rel=1e-5)
    assert float(loss_unl) == pytest.approx(expected_unl, rel=1e-5)


def test_gan_average_is_the_official_debiased_average(tiny_data: SearchData,
                                                       budget: Budget) -> None:
    # The official average s_t = d s_{t-1} + (1 - d) p_t starts at zero and is read as
    # s_t / (1 - d^t); the model keeps only the debiased value and must agree with it.
    params = _params("gan", dict(PAPER_PARAMS))
    model = get_method("gan").build(params, tiny_data, budget, RunContext(seed=0))
    d_vars = model.discriminator.trainable_variables
    decay, rng = float(params["ema_decay"]), np.random.default_rng(0)
    sums = [np.zeros(v.shape) for v in d_vars]
    for step in range(1, 6):
        for var in d_vars:
            var.assign(rng.normal(size=var.shape).astype("float32"))
        model._update_average(d_vars)
        sums = [decay * s + (1 - decay) * v.numpy() for s, v in zip(sums, d_vars)]
    for s, avg in zip(sums, model.average.trainable_variables):
        np.testing.assert_allclose(avg.numpy(), s / (1 - decay**5), atol=1e-5)  # float32, terms ~1
    release()
