"""Helpers for tests that hold refimpl to Keras 2, with tf_keras as the oracle.

tf_keras is Keras 2's own code. A test describes a model once, as a function of the
Keras module (`refimpl` or `tf_keras`); these helpers build it in both, give both the
same weights (tf_keras's, randomised so that zero biases and unit scales cannot hide an
error, then copied into refimpl with `set_weights`), run both on the same inputs and
compare.

Example:

>>> dense = lambda k, x: k.layers.Dense(3)(x)  # doctest: +SKIP
>>> compare_models(dense, [np.ones((2, 4), "f")])  # doctest: +SKIP
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import tf_keras  # noqa: E402

import refimpl  # noqa: E402

#: The two implementations, by the name a test id uses.
IMPLEMENTATIONS = {"refimpl": refimpl, "tf_keras": tf_keras}

#: float32 tolerances: a few ulps of accumulated round-off in small networks.
RTOL = 1e-5
ATOL = 1e-5

#: Weights whose values must stay positive (a variance under a square root).
POSITIVE_WEIGHTS = ("moving_variance",)

#: Weight names that Keras 3 changed without changing the weight: Keras 2's
#: DepthwiseConv2D called its kernel `depthwise_kernel`, Keras 3's calls it `kernel`.
SAME_WEIGHT = {"depthwise_kernel": "kernel"}


def weight_name(variable: Any) -> str:
    """The last component of a weight's name (`kernel`, `bias`, ...), in either Keras.

    tf_keras names a variable `dense/kernel:0`, Keras 3 `dense/kernel`; the layer
    prefixes depend on each framework's name counters and are not compared.
    """
    name = getattr(variable, "path", None) or variable.name
    name = name.split("/")[-1].split(":")[0]
    return SAME_WEIGHT.get(name, name)


def weight_signature(weights: Sequence[Any]) -> list[tuple[str, tuple[int, ...]]]:
    """`(name, shape)` of each weight, in order: what must agree before `set_weights`."""
    return [(weight_name(w), tuple(int(d) for d in w.shape)) for w in weights]


def random_weights(weights: Sequence[Any], rng: np.random.Generator) -> list[np.ndarray]:
    """Random values for `weights` (positive where a variance requires it)."""
    values = []
    for w in weights:
        value = rng.normal(scale=0.5, size=tuple(w.shape)).astype(w.dtype.name.replace("_ref", ""))
        if weight_name(w) in POSITIVE_WEIGHTS:
            value = np.abs(value) + 0.5
        values.append(value)
    return values


def copy_weights(source: Any, target: Any, rng: np.random.Generator | None = None) -> None:
    """Randomise `source`'s weights (tf_keras) and copy them into `target` (refimpl).

    Asserts first that both hold the same weights, by name and shape, in the same order.
    """
    expected = weight_signature(source.weights)
    received = weight_signature(target.weights)
    assert received == expected, (
        f"refimpl's weights {received} differ from tf_keras's {expected} (name, shape, order)"
    )
    if rng is not None:
        source.set_weights(random_weights(source.weights, rng))
    target.set_weights(source.get_weights())
    for got, want in zip(target.get_weights(), source.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def assert_close(received: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Compare outputs, which may be nested lists of tensors, within float tolerance."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(received, (list, tuple)), f"expected a list, received {received!r}"
        assert len(received) == len(expected), f"{len(received)} outputs, expected {len(expected)}"
        for got, want in zip(received, expected, strict=True):
            assert_close(got, want, rtol, atol)
        return
    got, want = np.asarray(received), np.asarray(expected)
    assert got.shape == want.shape, f"shape {got.shape}, expected {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def functional_model(
    keras: Any, build: Callable[[Any, Any], Any], inputs: Sequence[np.ndarray]
) -> Any:
    """`Model(inputs, build(keras, inputs))` with one `Input` per array in `inputs`.

    `build` receives a single tensor when there is one input, else a list.
    """
    tensors = [keras.Input(shape=array.shape[1:], dtype=array.dtype.name) for array in inputs]
    outputs = build(keras, tensors[0] if len(tensors) == 1 else tensors)
    return keras.Model(tensors[0] if len(tensors) == 1 else tensors, outputs)


def as_numpy(outputs: Any) -> Any:
    """A model call's result as NumPy arrays (nested lists kept)."""
    if isinstance(outputs, (list, tuple)):
        return [as_numpy(o) for o in outputs]
    return np.asarray(outputs)


def compare_models(
    build: Callable[[Any, Any], Any],
    inputs: Sequence[np.ndarray],
    seed: int = 0,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> tuple[Any, Any]:
    """Build `build` in refimpl and tf_keras, share weights, compare on `inputs`.

    Returns `(refimpl_model, tf_keras_model)` for further checks.
    """
    rng = np.random.default_rng(seed)
    expected_model = functional_model(tf_keras, build, inputs)
    model = functional_model(refimpl, build, inputs)
    copy_weights(expected_model, model, rng)
    feed = list(inputs) if len(inputs) > 1 else inputs[0]
    expected = as_numpy(expected_model(feed, training=False))
    received = as_numpy(model(feed, training=False))
    assert_close(received, expected, rtol, atol)
    return model, expected_model


def sequential_pair(build: Callable[[Any], list[Any]]) -> tuple[Any, Any]:
    """`Sequential(build(keras))` in refimpl and in tf_keras."""
    return refimpl.models.Sequential(build(refimpl)), tf_keras.models.Sequential(build(tf_keras))


def config_without_name(layer: Any) -> dict[str, Any]:
    """A layer's config minus what differs between two otherwise identical layers."""
    config = dict(layer.get_config())
    config.pop("name", None)
    return config
