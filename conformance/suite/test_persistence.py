"""Persistence: models and weights survive a save and a load unchanged.

Round trips, each checked by predictions (equal within `[persistence]
prediction_atol` of `thresholds.toml`; 0 means bit for bit) and by the weights:

- `model.save` / `keras.models.load_model` in the native `.keras` archive and in
  Keras 2's HDF5 file (`.h5`, capability `hdf5`);
- `save_weights` / `load_weights` into a fresh model of the same architecture, to
  `.weights.h5` (the name Keras 3 requires) and, Keras 2 only, to a plain `.h5`;
- the optimizer's state: training resumed from a saved model gives the same weights
  as a run that never stopped (Nesterov SGD's velocities, Adam's moments and its
  iteration count all have to come back);
- `to_json` / `keras.models.model_from_json`: the same architecture, and with the
  original's weights the same predictions.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from conformance import thresholds

SETTINGS = thresholds.load()["persistence"]

#: Whole-model formats: test id -> (file name, marks). `model.save` picks the format
#: from the file name's extension.
MODEL_FORMATS = {
    "keras": ("model.keras", ()),
    "h5": ("model.h5", (pytest.mark.requires("hdf5"),)),
}
#: Weights-only files: test id -> (file name, marks).
WEIGHT_FORMATS = {
    "weights-h5": ("model.weights.h5", ()),
    "keras2-plain-h5": ("weights.h5", (pytest.mark.requires("keras2_api"),)),
}


def _params(formats: dict[str, tuple[str, tuple[Any, ...]]]) -> list[Any]:
    return [pytest.param(name, id=key, marks=marks) for key, (name, marks) in formats.items()]


def _model(keras: Any, dropout: float = 0.3) -> Any:
    """A small two-input functional model: embeddings, a convolution, dense layers.

    (No recurrent layer: it would make some implementations compile with XLA, which
    costs more time than this file's budget allows; the numerics tests cover LSTM.)
    """
    layers = keras.layers
    words = keras.Input(shape=(6,), dtype="int32", name="words")
    extra = keras.Input(shape=(3,), name="extra")
    x = layers.Embedding(20, 4)(words)
    x = layers.Conv1D(5, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = keras.layers.concatenate([x, extra])
    x = layers.Dense(8, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    out = layers.Dense(2, activation="softmax", name="out")(x)
    return keras.Model(inputs=[words, extra], outputs=out)


def _data(samples: int) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(samples)
    words = rng.integers(0, 20, size=(samples, 6)).astype("int32")
    extra = rng.standard_normal((samples, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, size=samples)]
    return [words, extra], y


def _compile(keras: Any, model: Any, optimizer: str = "sgd") -> None:
    # Stateful optimizers, so that a lost optimizer state shows in the weights.
    optimizers = {
        "sgd": lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        "adam": lambda: keras.optimizers.Adam(learning_rate=0.01),
    }
    model.compile(optimizer=optimizers[optimizer](), loss="categorical_crossentropy")


def _assert_same_predictions(original: Any, loaded: Any, what: str) -> None:
    x, _ = _data(SETTINGS["samples"])
    expected = original.predict(x, verbose=0)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0),
        expected,
        rtol=0,
        atol=SETTINGS["prediction_atol"],
        err_msg=f"{what}: predictions differ after the round trip",
    )


def _assert_same_weights(original: Any, loaded: Any, what: str) -> None:
    first, second = original.get_weights(), loaded.get_weights()
    assert len(first) == len(second), f"{what}: {len(first)} weights saved, {len(second)} loaded"
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        np.testing.assert_array_equal(b, a, err_msg=f"{what}: weight {index}")


def _trained(keras: Any, steps: int, optimizer: str = "sgd") -> Any:
    model = _model(keras)
    _compile(keras, model, optimizer)
    x, y = _data(SETTINGS["samples"])
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model


@pytest.mark.parametrize("filename", _params(MODEL_FORMATS))
def test_save_and_load_model(keras, tmp_path, filename):
    """`model.save` then `load_model`: the same weights, predictions and layer names."""
    model = _trained(keras, SETTINGS["steps_before_save"])
    path = str(tmp_path / filename)
    model.save(path)
    loaded = keras.models.load_model(path)
    _assert_same_weights(model, loaded, filename)
    _assert_same_predictions(model, loaded, filename)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


@pytest.mark.parametrize("filename", _params(WEIGHT_FORMATS))
def test_save_and_load_weights(keras, tmp_path, filename):
    """`save_weights` then `load_weights` into a freshly initialised twin."""
    model = _trained(keras, SETTINGS["steps_before_save"])
    path = str(tmp_path / filename)
    model.save_weights(path)
    twin = _model(keras)
    # Compiled alike, so that both run the same program (an implementation may compile
    # predict differently, e.g. with XLA, once a model is compiled).
    _compile(keras, twin)
    twin.load_weights(path)
    _assert_same_weights(model, twin, filename)
    _assert_same_predictions(model, twin, filename)


# Nesterov SGD keeps a velocity per weight; Adam two moments and the iteration count
# (its bias correction depends on it).
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("filename", _params(MODEL_FORMATS))
def test_training_resumes_after_load(keras, tmp_path, filename, optimizer):
    """Save mid-training, load, go on: the weights match an uninterrupted run."""
    before, after = SETTINGS["steps_before_save"], SETTINGS["steps_after_load"]
    x, y = _data(SETTINGS["samples"])
    # No dropout here: both runs must see the same computation, step by step.
    start = _model(keras, dropout=0.0).get_weights()
    interrupted, uninterrupted = _model(keras, dropout=0.0), _model(keras, dropout=0.0)
    for model in (interrupted, uninterrupted):
        model.set_weights(start)
        _compile(keras, model, optimizer)
    for _ in range(before):
        interrupted.train_on_batch(x, y)
        uninterrupted.train_on_batch(x, y)
    path = str(tmp_path / filename)
    interrupted.save(path)
    resumed = keras.models.load_model(path)
    for _ in range(after):
        resumed.train_on_batch(x, y)
        uninterrupted.train_on_batch(x, y)
    for index, (a, b) in enumerate(
        zip(uninterrupted.get_weights(), resumed.get_weights(), strict=True)
    ):
        np.testing.assert_allclose(
            b,
            a,
            rtol=SETTINGS["resume_rtol"],
            atol=SETTINGS["resume_atol"],
            err_msg=f"{filename}, {optimizer}: weight {index} after resuming",
        )


def test_json_round_trip(keras):
    """`to_json` / `model_from_json`: same architecture; same predictions with same weights."""
    model = _trained(keras, 1)
    text = model.to_json()
    rebuilt = keras.models.model_from_json(text)
    # The architecture is `class_name` and `config`; Keras 3 adds build and compile
    # settings beside them, which Keras 2's `to_json` never held.
    architecture = {key: json.loads(text)[key] for key in ("class_name", "config")}
    again = json.loads(rebuilt.to_json())
    assert {key: again[key] for key in architecture} == architecture, (
        "the architecture changed on a to_json / model_from_json round trip"
    )
    assert rebuilt.count_params() == model.count_params()
    _compile(keras, rebuilt)  # compiled alike, as in test_save_and_load_weights
    rebuilt.set_weights(model.get_weights())
    _assert_same_predictions(model, rebuilt, "model_from_json")
