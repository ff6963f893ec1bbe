"""The single-process Adam: same updates as Keras' Adam, no global registrations per trace."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import ops

from objectives.optimizers import adam


def _train_steps(optimizer: keras.optimizers.Optimizer) -> np.ndarray:
    """The kernel's change over three steps."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    start = model.layers[0].kernel.numpy()
    x = tf.constant(np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4))

    @tf.function
    def step() -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - 1.0))
        optimizer.apply(tape.gradient(loss, model.trainable_variables),
                        model.trainable_variables)

    for _ in range(3):
        step()
    return model.layers[0].kernel.numpy() - start


def test_updates_match_keras_adam() -> None:
    # The fused kernel orders the same float32 operations differently: the updates agree to
    # rounding (about 1e-5 of their size), where a wrong formula would be off by percents.
    ours = _train_steps(adam(0.01, beta_1=0.5))
    theirs = _train_steps(keras.optimizers.Adam(0.01, beta_1=0.5))
    assert np.abs(theirs).min() > 1e-3
    np.testing.assert_allclose(ours, theirs, rtol=1e-4)


def test_fused_update_is_one_kernel_per_variable() -> None:
    variable = keras.Variable(np.ones(5, dtype="float32"))
    optimizer = adam(0.1)
    optimizer.build([variable])
    graph = tf.function(lambda g: optimizer.apply([g], [variable])).get_concrete_function(
        tf.TensorSpec((5,), tf.float32)).graph
    kinds = {op.type for op in graph.get_operations()}
    assert "ResourceApplyAdam" in kinds
    assert "Sqrt" not in kinds  # no element-wise rewrite of the update beside it


def test_tracing_registers_no_gradient_function() -> None:
    # Keras' own Adam adds one entry per traced step here; each pins its graph in memory.
    before = len(ops._gradient_registry.list())
    _train_steps(adam(0.01))
    _train_steps(adam(0.01))
    assert len(ops._gradient_registry.list()) == before
    _train_steps(keras.optimizers.Adam(0.01))
    assert len(ops._gradient_registry.list()) > before  # the check above can fail


def test_official_form_puts_epsilon_inside_the_root() -> None:
    # Two steps by hand, as the Improved-GAN code writes them.
    variable = keras.Variable(np.array([0.5, -1.0, 2.0], dtype="float32"))
    optimizer = adam(0.003, official=True, beta_1=0.5)
    grads = [np.array([1e-5, -0.2, 3.0], "float32"), np.array([2e-5, 0.1, -1.0], "float32")]
    p, m, v = variable.numpy().astype("float64"), 0.0, 0.0
    for t, g in enumerate(grads, start=1):
        optimizer.apply([tf.constant(g)], [variable])
        m = 0.5 * m + 0.5 * g
        v = 0.999 * v + 0.001 * g.astype("float64") ** 2
        p = p - 0.003 * (m / (1 - 0.5**t)) / np.sqrt(v / (1 - 0.999**t) + 1e-8)
    np.testing.assert_allclose(variable.numpy(), p, rtol=1e-6)
    # The tiny gradient's step is damped by the epsilon under the root (Keras' form
    # would move it by nearly the full learning rate).
    assert abs(variable.numpy()[0] - 0.5) < 0.6 * 2 * 0.003
