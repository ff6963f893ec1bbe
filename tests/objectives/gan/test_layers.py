"""Weight normalisation and its data-dependent initialisation."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from objectives.gan import WeightNormDense


def test_weight_norm_keeps_norm_equal_to_scale() -> None:
    layer = WeightNormDense(7, activation="relu", train_scale=True)
    x = tf.random.normal((64, 5)) * 3.0 + 1.0
    layer(x)
    layer.scale.assign(tf.linspace(0.5, 2.0, 7))
    np.testing.assert_allclose(np.linalg.norm(layer.kernel().numpy(), axis=0),
                               np.linspace(0.5, 2.0, 7), rtol=1e-5)
    out = layer.data_init(x)
    pre = x @ layer.kernel() + layer.bias
    np.testing.assert_allclose(np.mean(pre, axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.std(pre, axis=0), 1.0, atol=1e-3)
    np.testing.assert_allclose(np.linalg.norm(layer.kernel().numpy(), axis=0),
                               layer.scale.numpy(), rtol=1e-5)
    np.testing.assert_allclose(out, layer(x), atol=1e-5)


def test_shared_column_scales_give_the_same_features_and_generator_gradient() -> None:
    from objectives.gan.networks import build_discriminator
    from spaces.gan import PAPER_PARAMS

    disc = build_discriminator({**PAPER_PARAMS, "mlp_width_scale": 0.05})
    x = tf.random.uniform((8, 28, 28, 1))
    disc(x)
    disc.data_init(x)
    scales = disc.column_scales()
    assert all(s is not None for s in scales)
    np.testing.assert_allclose(disc.features(x, scales=scales), disc.features(x), rtol=1e-5,
                               atol=1e-6)
    # The generator's gradient flows through the inputs, not through the shared scales.
    source = tf.Variable(tf.random.uniform((8, 28, 28, 1)))
    grads = []
    for shared in (scales, None):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(disc.features(source * 1.0, scales=shared)))
        grads.append(tape.gradient(loss, source).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)
