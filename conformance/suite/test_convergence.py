"""Convergence: the guides' architectures learn real data within the guides' epochs.

The Sequential guide trains each of its example models on random numbers, which
shows that the code runs but not that anything is learnt. Here the same
architectures, with the guides' optimizers, batch sizes and epoch counts, are trained
on small real data sets bundled with scikit-learn (nothing is downloaded); the models
come from the catalogue (`models.py`), at the sizes of this data:

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from conformance import thresholds
from conformance.suite import models

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


@dataclass(frozen=True)
class Case:
    """One guide architecture (from the catalogue) on one data set, trained as the guide
    trains it: its optimizer, epochs and batch size."""

    spec: models.Spec  # its input shape is one standardized sample, reshaped
    dataset: str  # a scikit-learn loader

    @property
    def id(self) -> str:
        return self.spec.name


CASES = [
    Case(models.mlp_multiclass(features=64), "load_digits"),
    Case(models.mlp_binary(features=30), "load_breast_cancer"),
    # The convolutions pad: unpadded 3x3 ones would shrink an 8x8 digit to nothing
    # before the second block.
    Case(models.vgg_convnet(image_shape=(8, 8, 1), padding="same"), "load_digits"),
    # Rows of pixels replace the Embedding's output.
    Case(models.lstm_classifier(input_shape=(8, 8), vocabulary=0, classes=10), "load_digits"),
    # As the guide writes it but for 8 features, not 16.
    Case(models.stacked_lstm(data_dim=8), "load_digits"),
    # 8 steps are too few to lose two at each convolution: they pad.
    Case(models.conv1d_classifier(input_shape=(8, 8), padding="same", classes=10), "load_digits"),
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
    spec = case.spec
    binary = spec.loss == "binary_crossentropy"
    data = _split(case.dataset)
    x_train = data.x_train.reshape((-1, *spec.input_shape))
    x_test = data.x_test.reshape((-1, *spec.input_shape))
    if binary:
        y_train = data.y_train.reshape(-1, 1).astype("float32")
    else:
        y_train = np.eye(data.classes, dtype="float32")[data.y_train]
    _seed(keras, seed)
    model = models.compile_model(keras, models.build_sequential(keras, spec), spec)
    model.fit(x_train, y_train, epochs=spec.epochs, batch_size=spec.batch_size, verbose=0)
    # Calling the model (inference mode) instead of `predict`: the same numbers without
    # compiling a second function for every seed.
    scores = _as_numpy(keras, model(x_test, training=False))
    predicted = (scores.reshape(-1) > 0.5).astype("int64") if binary else scores.argmax(axis=-1)
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
        f"{case.spec.epochs} epochs, received {median:.3f} ({report})"
    )
    assert min(accuracies.values()) >= worst_floor, (
        f"{case.id}: expected every seed to reach {worst_floor:.3f}, received {report}"
    )
