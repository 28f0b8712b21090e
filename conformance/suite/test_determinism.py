"""Determinism: the same seed gives the same model, before and after training.

Each run seeds everything (`keras.utils.set_random_seed` where the implementation has
it, otherwise Python's `random`, NumPy and TensorFlow), builds a small model, records
its initial weights, trains it briefly with shuffling and dropout, and records the
weights again. Two runs with the same seed, one after the other in this process, must
agree within `[determinism] atol` of `thresholds.toml` (0: bit for bit); a run with
another seed must start from different weights, which shows the seed is really used.

Two architectures: a dense network with dropout (random initialisers, dropout masks,
shuffled batches) and an LSTM (orthogonal recurrent initialiser).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from conformance import thresholds

SETTINGS = thresholds.load()["determinism"]


def seed_everything(keras: Any, seed: int) -> None:
    """Seed the implementation's random generators the way its users would."""
    set_random_seed = getattr(getattr(keras, "utils", None), "set_random_seed", None)
    if set_random_seed is not None:
        set_random_seed(seed)
        return
    random.seed(seed)
    np.random.seed(seed)
    try:
        import tensorflow as tf
    except ImportError:  # an implementation without TensorFlow: NumPy and random only
        return
    tf.random.set_seed(seed)


def _mlp(keras: Any) -> tuple[Any, tuple[int, ...], int]:
    layers = keras.layers
    model = keras.models.Sequential(
        [
            keras.Input(shape=(12,)),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(3, activation="softmax"),
        ]
    )
    return model, (12,), 3


def _lstm(keras: Any) -> tuple[Any, tuple[int, ...], int]:
    layers = keras.layers
    model = keras.models.Sequential(
        [
            keras.Input(shape=(5, 4)),
            layers.LSTM(8),
            layers.Dropout(0.5),
            layers.Dense(3, activation="softmax"),
        ]
    )
    return model, (5, 4), 3


#: Architecture id -> keras -> (model, input shape of one sample, classes).
ARCHITECTURES: dict[str, Callable[[Any], tuple[Any, tuple[int, ...], int]]] = {
    "mlp-dropout": _mlp,
    "lstm": _lstm,
}


def _run(keras: Any, architecture: str, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(initial weights, weights after a short fit) of one freshly seeded run."""
    seed_everything(keras, seed)
    model, sample_shape, classes = ARCHITECTURES[architecture](keras)
    initial = [np.array(w) for w in model.get_weights()]
    # The data comes from the seeded NumPy generator too: part of what must repeat.
    x = np.random.random((SETTINGS["samples"], *sample_shape)).astype("float32")
    labels = np.random.randint(classes, size=SETTINGS["samples"])
    y = np.eye(classes, dtype="float32")[labels]
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy"
    )
    model.fit(
        x, y, epochs=SETTINGS["epochs"], batch_size=SETTINGS["batch_size"], shuffle=True, verbose=0
    )
    return initial, [np.array(w) for w in model.get_weights()]


def _assert_same(first: list[np.ndarray], second: list[np.ndarray], what: str) -> None:
    assert len(first) == len(second), f"{what}: {len(first)} weights, then {len(second)}"
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        np.testing.assert_allclose(
            b, a, rtol=0, atol=SETTINGS["atol"], err_msg=f"{what}: weight {index}"
        )


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_same_seed_same_weights(keras, architecture):
    """Two runs with one seed: equal initial weights and equal weights after `fit`."""
    first_initial, first_trained = _run(keras, architecture, SETTINGS["seed"])
    second_initial, second_trained = _run(keras, architecture, SETTINGS["seed"])
    _assert_same(first_initial, second_initial, "initial weights")
    _assert_same(first_trained, second_trained, "weights after fit")
    changed = any(
        not np.array_equal(a, b) for a, b in zip(first_initial, first_trained, strict=True)
    )
    assert changed, "fit left every weight unchanged: nothing was trained"


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_other_seed_other_weights(keras, architecture):
    """A different seed gives different initial weights (the seed is really used)."""
    seeded, _ = _run(keras, architecture, SETTINGS["seed"])
    other, _ = _run(keras, architecture, SETTINGS["other_seed"])
    # Only weights drawn at random (mostly distinct values) depend on the seed; biases of
    # zeros, or of zeros and ones (the LSTM's forget gate), do not.
    kernels = [
        (a, b) for a, b in zip(seeded, other, strict=True) if np.unique(a).size > a.size // 2
    ]
    assert kernels, "every initial weight is constant: no random initialiser was used"
    assert all(not np.array_equal(a, b) for a, b in kernels), (
        "seeds {seed} and {other_seed} gave identical initial kernels".format(**SETTINGS)
    )
