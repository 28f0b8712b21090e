"""Convergence: the guides' architectures learn real data within the guides' epochs.

The Sequential guide trains each of its example models on random numbers, which
shows that the code runs but not that anything is learnt. Here the same
architectures, with the guides' optimizers, batch sizes and epoch counts, are trained
on small real data sets bundled with scikit-learn (nothing is downloaded):

| case | data | as |
|---|---|---|
| `mlp-multiclass` | `load_digits`, 10 classes | 64 features |
| `mlp-binary` | `load_breast_cancer`, 2 classes | 30 features |
| `vgg-convnet` | `load_digits` | 8x8x1 images |
| `lstm` | `load_digits` | sequences of 8 rows of 8 pixels |
| `stacked-lstm` | `load_digits` | sequences of 8 rows of 8 pixels |
| `conv1d` | `load_digits` | sequences of 8 rows of 8 pixels |

Features are standardized with the training split's mean and deviation. Each case is
trained from several seeds (`[convergence] seeds`); the median held-out accuracy over
the seeds must reach the case's floor in `[convergence.floors]` of `thresholds.toml`,
and the worst seed must reach `[convergence] worst_seed_fraction` of it (one unlucky
seed is tolerated, a model that only sometimes learns is not).

Where the guides' models do not fit this data, the smallest change is made and noted
in the case: the digits are 8x8, so the convolutions pad (`padding="same"`) instead of
shrinking the input to nothing; the sequence classifiers get a 10-way softmax head
instead of the guides' single sigmoid, and the LSTM reads rows of pixels instead of
the output of an `Embedding`.
"""

from __future__ import annotations

import functools
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from conformance import thresholds

SETTINGS = thresholds.load()["convergence"]


# --- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Standardized train and test arrays, labels as integers."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int


@functools.cache
def _split(loader_name: str) -> Split:
    """A stratified split of one scikit-learn data set, standardized on its train part."""
    import sklearn.datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = getattr(sklearn.datasets, loader_name)()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data,
        data.target,
        test_size=SETTINGS["test_fraction"],
        stratify=data.target,
        random_state=SETTINGS["split_seed"],
    )
    scaler = StandardScaler().fit(x_train)
    return Split(
        scaler.transform(x_train).astype("float32"),
        y_train.astype("int64"),
        scaler.transform(x_test).astype("float32"),
        y_test.astype("int64"),
        int(data.target.max()) + 1,
    )


# --- the guides' architectures -----------------------------------------------------------


def _mlp(keras: Any, features: int, outputs: int, activation: str) -> Any:
    layers = keras.layers
    return keras.models.Sequential(
        [
            keras.Input(shape=(features,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(outputs, activation=activation),
        ]
    )


def _vgg_convnet(keras: Any) -> Any:
    # The guide's convnet with `padding="same"`: unpadded 3x3 convolutions would
    # shrink an 8x8 digit to nothing before the second block.
    layers = keras.layers
    return keras.models.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
            layers.Conv2D(32, (3, 3), activation="relu", padding="same"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
            layers.Conv2D(64, (3, 3), activation="relu", padding="same"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _lstm(keras: Any) -> Any:
    # The guide's LSTM(128) classifier; rows of pixels replace its Embedding's output.
    layers = keras.layers
    return keras.models.Sequential(
        [
            keras.Input(shape=(8, 8)),
            layers.LSTM(128),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _stacked_lstm(keras: Any) -> Any:
    # The guide's stacked LSTM as written: 8 timesteps, 10 classes (8 features, not 16).
    layers = keras.layers
    return keras.models.Sequential(
        [
            keras.Input(shape=(8, 8)),
            layers.LSTM(32, return_sequences=True),
            layers.LSTM(32, return_sequences=True),
            layers.LSTM(32),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _conv1d(keras: Any) -> Any:
    # The guide's Conv1D classifier with `padding="same"` (8 steps are too few to lose
    # two at each convolution).
    layers = keras.layers
    return keras.models.Sequential(
        [
            keras.Input(shape=(8, 8)),
            layers.Conv1D(64, 3, activation="relu", padding="same"),
            layers.Conv1D(64, 3, activation="relu", padding="same"),
            layers.MaxPooling1D(3),
            layers.Conv1D(128, 3, activation="relu", padding="same"),
            layers.Conv1D(128, 3, activation="relu", padding="same"),
            layers.GlobalAveragePooling1D(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def _nesterov_sgd(keras: Any) -> Any:
    # The guides' SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True) without `decay`,
    # which Keras 3 does not accept; over a few hundred steps it changes the rate by
    # less than 0.1 %.
    return keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)


def _rmsprop(keras: Any) -> Any:
    return keras.optimizers.RMSprop(learning_rate=0.001)  # the guides' 'rmsprop'


@dataclass(frozen=True)
class Case:
    """One guide architecture on one data set, trained as the guide trains it."""

    id: str
    dataset: str  # a scikit-learn loader
    sample_shape: tuple[int, ...]  # one standardized sample is reshaped to this
    build: Callable[[Any], Any]  # keras -> an uncompiled model
    optimizer: Callable[[Any], Any]
    epochs: int
    batch_size: int
    binary: bool = False  # one sigmoid output and binary cross-entropy


CASES = [
    Case(
        "mlp-multiclass",
        "load_digits",
        (64,),
        lambda k: _mlp(k, 64, 10, "softmax"),
        _nesterov_sgd,
        epochs=20,
        batch_size=128,
    ),
    Case(
        "mlp-binary",
        "load_breast_cancer",
        (30,),
        lambda k: _mlp(k, 30, 1, "sigmoid"),
        _rmsprop,
        epochs=20,
        batch_size=128,
        binary=True,
    ),
    Case("vgg-convnet", "load_digits", (8, 8, 1), _vgg_convnet, _nesterov_sgd, 10, 32),
    Case("lstm", "load_digits", (8, 8), _lstm, _rmsprop, epochs=10, batch_size=16),
    Case("stacked-lstm", "load_digits", (8, 8), _stacked_lstm, _rmsprop, 5, batch_size=64),
    Case("conv1d", "load_digits", (8, 8), _conv1d, _rmsprop, epochs=10, batch_size=16),
]


# --- training ----------------------------------------------------------------------------


def _seed(keras: Any, seed: int) -> None:
    """Seed the implementation's generators (initial weights, dropout, shuffling)."""
    set_random_seed = getattr(getattr(keras, "utils", None), "set_random_seed", None)
    random.seed(seed)
    np.random.seed(seed)
    if set_random_seed is not None:
        set_random_seed(seed)
        return
    try:
        import tensorflow as tf
    except ImportError:  # an implementation without TensorFlow
        return
    tf.random.set_seed(seed)


def _as_numpy(keras: Any, tensor: Any) -> np.ndarray:
    """A backend tensor as a NumPy array: Keras 3's `ops.convert_to_numpy` where there is
    one (a PyTorch tensor that tracks gradients refuses `np.asarray`), else NumPy's."""
    convert = getattr(getattr(keras, "ops", None), "convert_to_numpy", None)
    return convert(tensor) if convert is not None else np.asarray(tensor)


def held_out_accuracy(keras: Any, case: Case, seed: int) -> float:
    """Train `case` from `seed` as its guide does; its accuracy on the held-out split."""
    data = _split(case.dataset)
    x_train = data.x_train.reshape((-1, *case.sample_shape))
    x_test = data.x_test.reshape((-1, *case.sample_shape))
    if case.binary:
        y_train = data.y_train.reshape(-1, 1).astype("float32")
        loss = "binary_crossentropy"
    else:
        y_train = np.eye(data.classes, dtype="float32")[data.y_train]
        loss = "categorical_crossentropy"
    _seed(keras, seed)
    model = case.build(keras)
    model.compile(optimizer=case.optimizer(keras), loss=loss)
    model.fit(x_train, y_train, epochs=case.epochs, batch_size=case.batch_size, verbose=0)
    # Calling the model (inference mode) instead of `predict`: the same numbers without
    # compiling a second function for every seed.
    scores = _as_numpy(keras, model(x_test, training=False))
    if case.binary:
        predicted = (scores.reshape(-1) > 0.5).astype("int64")
    else:
        predicted = scores.argmax(axis=-1)
    return float((predicted == data.y_test).mean())


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_reaches_accuracy_floor(keras, case, record_property):
    """The median held-out accuracy over seeds reaches the case's floor; no seed fails."""
    floor = SETTINGS["floors"][case.id]
    seeds = SETTINGS["seeds"]
    accuracies = {seed: held_out_accuracy(keras, case, seed) for seed in seeds}
    record_property("accuracies", {str(seed): acc for seed, acc in accuracies.items()})
    median = statistics.median(accuracies.values())
    worst_floor = floor * SETTINGS["worst_seed_fraction"]
    report = ", ".join(f"seed {seed}: {acc:.3f}" for seed, acc in accuracies.items())
    assert median >= floor, (
        f"{case.id}: expected a median held-out accuracy of at least {floor} after "
        f"{case.epochs} epochs, received {median:.3f} ({report})"
    )
    assert min(accuracies.values()) >= worst_floor, (
        f"{case.id}: expected every seed to reach {worst_floor:.3f}, received {report}"
    )
