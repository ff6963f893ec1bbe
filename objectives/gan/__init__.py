"""Improved-GAN semi-supervised discriminator with feature matching (Salimans et al. 2016).

The model: a discriminator with K = 10 logits ``l`` whose fake-class logit is fixed at 0,
so ``D(x) = Z / (Z + 1)`` with ``Z = sum_k exp(l_k)``; a generator trained to match the
mean of the discriminator's last hidden layer on real and generated images.

Losses (official code, ``train_mnist_feature_matching.py``)::

    loss_lab = cross-entropy on labeled batches
    loss_unl = -1/2 mean LSE(l_unl) + 1/2 mean softplus(LSE(l_unl))
               + 1/2 mean softplus(LSE(l_fake))
    loss_D   = loss_lab + w_unl * loss_unl
    loss_G   = mean_j (mean f(x_unl)_j - mean f(G(z))_j)^2

The ``paper`` preset ports every detail of the official MNIST setting: weight-normalised
MLP 1000-500-250-250-250 with data-dependent initialisation on 500 images, Gaussian noise
0.3 on the input and 0.5 after every hidden layer (training only), a generator
z(100, uniform) -> 500 softplus + batch norm without scale -> 500 softplus + batch norm ->
784 sigmoid with weight norm (trainable scale, init 1), Adam(0.003, beta1 0.5), one G step
per D step with its own unlabeled batch, evaluation with a parameter average of the
discriminator. The ``conv`` preset swaps the MLP body for the shared conv encoder.

The training loop: one compiled ``train_step`` does the D step (labeled, unlabeled and
fake images in one fused forward pass) and the G step, and updates the parameter average.

One module per part: ``layers`` (noise, weight norm), ``networks`` (discriminator,
generator), ``model`` (losses, ``train_step``, parameter average), ``method`` (registry
glue, datasets, collapse guard, samples).
"""

from objectives.gan.layers import FastGaussianNoise, WeightNormDense
from objectives.gan.method import CollapseGuard, Gan, gan_dataset, sample_grid
from objectives.gan.model import FeatureMatchingGAN, gan_losses
from objectives.gan.networks import (
    PAPER_WIDTHS,
    Discriminator,
    build_discriminator,
    build_generator,
    discriminator_macs,
)

__all__ = [
    "PAPER_WIDTHS",
    "CollapseGuard",
    "Discriminator",
    "FastGaussianNoise",
    "FeatureMatchingGAN",
    "Gan",
    "WeightNormDense",
    "build_discriminator",
    "build_generator",
    "discriminator_macs",
    "gan_dataset",
    "gan_losses",
    "sample_grid",
]
