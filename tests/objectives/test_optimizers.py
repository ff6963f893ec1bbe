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
