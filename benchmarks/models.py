"""The models of the Keras 2 guides, buildable with each implementation, and their data.

Each `Case` is one model of the guides (docs/*/sequential-model.md,
functional-api.md, notes-sequential-walkthrough.md) with the guide's data sizes, batch
size and optimizer. `build(api)` writes the model the way the guide does for Keras 2
implementations (refimpl, tf_keras: `input_dim=`, `batch_input_shape=`, `SGD(lr=...,
decay=...)`) and in Keras 3's idiom for Keras 3 (an `Input` first, the same time-based
decay as an `InverseTimeDecay` schedule), so every implementation trains the same
architecture on the same arrays.

Example:

>>> api = load_api("refimpl")  # doctest: +SKIP
>>> case = CASES["mlp_binary_small"]  # doctest: +SKIP
>>> model = case.build(api); data = case.data()  # doctest: +SKIP
>>> model.fit(data.x, data.y, batch_size=case.batch_size, **data.fit_kwargs)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

#: Implementations a benchmark can run, with the environment each needs. `limit` is
#: the fused pure-TensorFlow loop of `benchmarks/limit.py`, not a Keras.
IMPLEMENTATIONS: dict[str, dict[str, str]] = {
    "refimpl": {},
    "refimpl_step": {"REFIMPL_FAST_FIT": "0"},
    "keras3": {},
    "keras3_xla": {},
    # Keras 3 on its other backends, with that backend's defaults (JAX compiles each
    # step with XLA; PyTorch runs eagerly). Not in the default set: they are peers for
    # machines where TensorFlow is missing, such as a GPU host (see run.py).
    "keras3_jax": {"KERAS_BACKEND": "jax"},
    "keras3_torch": {"KERAS_BACKEND": "torch"},
    "tf_keras": {},
    "limit": {},
    # For the XLA policy (refimpl/compilation.py): refimpl with XLA forced off or on,
    # and on with the whole epoch loop compiled instead of the step.
    "refimpl_noxla": {"REFIMPL_XLA": "0"},
    "refimpl_xla": {"REFIMPL_XLA": "1"},
    "refimpl_xla_loop": {"REFIMPL_XLA": "1", "REFIMPL_FAST_FIT_XLA": "loop"},
}
#: What `benchmarks/run.py` compares unless told otherwise.
DEFAULT_IMPLEMENTATIONS = ("refimpl", "refimpl_step", "keras3", "keras3_xla", "tf_keras", "limit")


@dataclass
class Data:
    """The arrays of one guide example and the extra `fit` arguments it uses."""

    x: Any
    y: Any
    fit_kwargs: dict[str, Any] = field(default_factory=dict)

    def first(self, count: int) -> Any:
        """The first `count` samples of the inputs (for inference latency)."""
        if isinstance(self.x, list):
            return [a[:count] for a in self.x]
        return self.x[:count]


@dataclass(frozen=True)
class Case:
    """One model of the guides: how to build it, its data, and its training setup."""

    name: str
    guide: str
    build: Callable[[Any], Any]
    data: Callable[[], Data]
    batch_size: int
    #: How many epochs the guide trains it for (the 1100-epoch MLP, ...).
    guide_epochs: int = 10
    #: A fixed inference batch (stateful models accept only their own batch size).
    predict_batch: int = 1
    #: Relative cost: heavy cases run fewer timed epochs in quick mode.
    heavy: bool = False
    #: Whether the model has recurrent layers (where XLA pays on CPU).
    recurrent: bool = False


# -- implementations -------------------------------------------------------------------
def load_api(impl: str, set_environment: bool = True) -> SimpleNamespace:
    """Import one implementation and describe it for the builders below.

    refimpl, Keras 3 and tf_keras are best compared in separate processes
    (`benchmarks/run.py` does that); `set_environment=False` leaves the variables of
    `IMPLEMENTATIONS` to the caller (the pytest benchmarks set them per test).
    """
    if impl not in IMPLEMENTATIONS:
        raise ValueError(
            f"Unknown implementation {impl!r}; expected one of {list(IMPLEMENTATIONS)}."
        )
    if set_environment:
        os.environ.update(IMPLEMENTATIONS[impl])
    if impl.startswith("refimpl"):
        import refimpl

        keras = refimpl
        optimizers = refimpl.optimizers
        keras2 = True

        def sgd() -> Any:
            return optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)

        compile_kwargs: dict[str, Any] = {}
    elif impl.startswith("keras3") or impl == "limit":
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        import keras

        keras2 = False

        def sgd() -> Any:
            # Keras 2's `decay`: lr / (1 + decay * iterations).
            schedule = keras.optimizers.schedules.InverseTimeDecay(0.01, 1, 1e-6)
            return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)

        # TensorFlow's default on CPU is no XLA; the other backends keep their defaults.
        on_tensorflow = keras.backend.backend() == "tensorflow"
        compile_kwargs = {"jit_compile": impl == "keras3_xla"} if on_tensorflow else {}
    else:  # tf_keras
        import tf_keras as keras

        keras2 = True

        def sgd() -> Any:
            return keras.optimizers.legacy.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)

        compile_kwargs = {}

    def sequential(shape: tuple, batch_size: int | None = None) -> tuple[Any, dict]:
        """An empty Sequential model and the input arguments for its first layer."""
        if keras2:
            if batch_size is None:
                return keras.models.Sequential(), {"input_shape": shape}
            return keras.models.Sequential(), {"batch_input_shape": (batch_size, *shape)}
        model = keras.Sequential()
        model.add(keras.Input(shape=shape, batch_size=batch_size))
        return model, {}

    def compile(model: Any, **kwargs: Any) -> Any:  # noqa: A001 - mirrors model.compile
        model.compile(**kwargs, **compile_kwargs)
        return model

    return SimpleNamespace(
        name=impl, keras=keras, keras2=keras2, layers=keras.layers, Input=keras.layers.Input,
        Model=keras.models.Model, sequential=sequential, compile=compile, sgd=sgd,
        to_categorical=keras.utils.to_categorical,
    )  # fmt: skip


# -- data ------------------------------------------------------------------------------
def _rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype="float32")[labels.reshape(-1)]


def _dense_binary(features: int, samples: int) -> Callable[[], Data]:
    def data() -> Data:
        rng = _rng(0)
        return Data(rng.random_sample((samples, features)), rng.randint(2, size=(samples, 1)))

    return data


def _dense_classes(features: int, samples: int) -> Callable[[], Data]:
    def data() -> Data:
        rng = _rng(0)
        x = rng.random_sample((samples, features))
        return Data(x, _one_hot(rng.randint(10, size=(samples, 1)), 10))

    return data


def _vgg_data() -> Data:
    rng = _rng(0)
    return Data(rng.random_sample((100, 100, 100, 3)), _one_hot(rng.randint(10, size=100), 10))


def _words_data() -> Data:
    rng = _rng(7)
    x = rng.randint(1, 1000, size=(512, 40))
    return Data(x, (np.mean(x < 500, axis=1) > 0.5).astype("int32"))


def _conv1d_data() -> Data:
    rng = _rng(7)
    x = rng.random_sample((512, 64, 100))
    return Data(x, (x[:, :, 0].mean(axis=1) > 0.5).astype("int32"))


def _stacked_data() -> Data:
    rng = _rng(0)
    x, y = rng.random_sample((1000, 8, 16)), rng.random_sample((1000, 10))
    validation = (rng.random_sample((100, 8, 16)), rng.random_sample((100, 10)))
    return Data(x, y, {"validation_data": validation})


def _stateful_data() -> Data:
    rng = _rng(0)
    x, y = rng.random_sample((320, 8, 16)), rng.random_sample((320, 10))
    validation = (rng.random_sample((96, 8, 16)), rng.random_sample((96, 10)))
    return Data(x, y, {"validation_data": validation, "shuffle": False})


def _headline_data() -> Data:
    rng = _rng(7)
    headlines = rng.randint(1, 10000, size=(128, 100)).astype("int32")
    additional = rng.random_sample((128, 5))
    labels = ((headlines < 5000).mean(axis=1, keepdims=True) + additional[:, :1] > 1.0).astype(
        "int32"
    )
    return Data([headlines, additional], [labels, labels])


def _tweets_data() -> Data:
    rng = _rng(7)
    chars_a = rng.randint(0, 256, size=(128, 140))
    chars_b = rng.randint(0, 256, size=(128, 140))
    labels = rng.randint(0, 2, size=(128, 1))
    same = labels[:, 0] == 1
    kept = rng.random_sample((128, 140)) < 0.9
    chars_b[same] = np.where(kept[same], chars_a[same], chars_b[same])
    one_hot = np.eye(256, dtype="float32")
    return Data([one_hot[chars_a], one_hot[chars_b]], labels)


# -- models ----------------------------------------------------------------------------
def _small_mlp(units_out: int, activation: str, loss: str) -> Callable[[Any], Any]:
    def build(k: Any) -> Any:
        model, first = k.sequential((100,))
        model.add(k.layers.Dense(32, activation="relu", **first))
        model.add(k.layers.Dense(units_out, activation=activation))
        return k.compile(model, optimizer="rmsprop", loss=loss, metrics=["accuracy"])

    return build


def _mlp(units_out: int, activation: str, loss: str, sgd: bool) -> Callable[[Any], Any]:
    def build(k: Any) -> Any:
        L = k.layers  # noqa: N806
        model, first = k.sequential((20,))
        model.add(L.Dense(64, activation="relu", **first))
        model.add(L.Dropout(0.5))
        model.add(L.Dense(64, activation="relu"))
        model.add(L.Dropout(0.5))
        model.add(L.Dense(units_out, activation=activation))
        optimizer = k.sgd() if sgd else "rmsprop"
        return k.compile(model, loss=loss, optimizer=optimizer, metrics=["accuracy"])

    return build


def _vgg(k: Any) -> Any:
    L = k.layers  # noqa: N806
    model, first = k.sequential((100, 100, 3))
    model.add(L.Conv2D(32, (3, 3), activation="relu", **first))
    model.add(L.Conv2D(32, (3, 3), activation="relu"))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Dropout(0.25))
    model.add(L.Conv2D(64, (3, 3), activation="relu"))
    model.add(L.Conv2D(64, (3, 3), activation="relu"))
    model.add(L.MaxPooling2D(pool_size=(2, 2)))
    model.add(L.Dropout(0.25))
    model.add(L.Flatten())
    model.add(L.Dense(256, activation="relu"))
    model.add(L.Dropout(0.5))
    model.add(L.Dense(10, activation="softmax"))
    return k.compile(model, loss="categorical_crossentropy", optimizer=k.sgd())


def _lstm_words(k: Any) -> Any:
    L = k.layers  # noqa: N806
    model, first = k.sequential((40,))
    model.add(L.Embedding(1000, output_dim=256, **first))
    model.add(L.LSTM(128))
    model.add(L.Dropout(0.5))
    model.add(L.Dense(1, activation="sigmoid"))
    return k.compile(model, loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])


def _conv1d(k: Any) -> Any:
    L = k.layers  # noqa: N806
    model, first = k.sequential((64, 100))
    model.add(L.Conv1D(64, 3, activation="relu", **first))
    model.add(L.Conv1D(64, 3, activation="relu"))
    model.add(L.MaxPooling1D(3))
    model.add(L.Conv1D(128, 3, activation="relu"))
    model.add(L.Conv1D(128, 3, activation="relu"))
    model.add(L.GlobalAveragePooling1D())
    model.add(L.Dropout(0.5))
    model.add(L.Dense(1, activation="sigmoid"))
    return k.compile(model, loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])


def _stacked_lstm(stateful: bool) -> Callable[[Any], Any]:
    def build(k: Any) -> Any:
        L = k.layers  # noqa: N806
        model, first = k.sequential((8, 16), batch_size=32 if stateful else None)
        extra = {"stateful": True} if stateful else {}
        model.add(L.LSTM(32, return_sequences=True, **extra, **first))
        model.add(L.LSTM(32, return_sequences=True, **extra))
        model.add(L.LSTM(32, **extra))
        model.add(L.Dense(10, activation="softmax"))
        return k.compile(
            model, loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"]
        )

    return build


def _headline(k: Any) -> Any:
    L = k.layers  # noqa: N806
    main_input = k.Input(shape=(100,), dtype="int32", name="main_input")
    x = L.Embedding(output_dim=512, input_dim=10000)(main_input)
    lstm_out = L.LSTM(32)(x)
    auxiliary_output = L.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    auxiliary_input = k.Input(shape=(5,), name="aux_input")
    x = L.concatenate([lstm_out, auxiliary_input])
    x = L.Dense(64, activation="relu")(x)
    x = L.Dense(64, activation="relu")(x)
    x = L.Dense(64, activation="relu")(x)
    main_output = L.Dense(1, activation="sigmoid", name="main_output")(x)
    model = k.Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])
    # The guide passes one loss for both outputs, which Keras 2 accepted; Keras 3
    # wants one per output.
    loss = "binary_crossentropy" if k.keras2 else ["binary_crossentropy"] * 2
    return k.compile(model, optimizer="rmsprop", loss=loss, loss_weights=[1.0, 0.2])


def _shared_lstm(k: Any) -> Any:
    L = k.layers  # noqa: N806
    tweet_a = k.Input(shape=(140, 256))
    tweet_b = k.Input(shape=(140, 256))
    shared_lstm = L.LSTM(64)
    merged = L.concatenate([shared_lstm(tweet_a), shared_lstm(tweet_b)], axis=-1)
    predictions = L.Dense(1, activation="sigmoid")(merged)
    model = k.Model(inputs=[tweet_a, tweet_b], outputs=predictions)
    return k.compile(model, optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])


_BINARY, _CATEGORICAL = "binary_crossentropy", "categorical_crossentropy"

#: Every model of the guides; `guide_epochs` is what the guide's `fit` call asks for.
CASES: dict[str, Case] = {
    case.name: case
    for case in (
        Case(
            "mlp_binary_small", "walkthrough, 1100 epochs", _small_mlp(1, "sigmoid", _BINARY),
            _dense_binary(100, 1000), batch_size=32, guide_epochs=1100,
        ),
        Case(
            "mlp_softmax_small", "walkthrough, 1000 epochs",
            _small_mlp(10, "softmax", _CATEGORICAL), _dense_classes(100, 1000), batch_size=32,
            guide_epochs=1000,
        ),
        Case(
            "mlp_multiclass", "MLP multi-class, SGD decay",
            _mlp(10, "softmax", _CATEGORICAL, sgd=True), _dense_classes(20, 1000),
            batch_size=128, guide_epochs=20,
        ),
        Case(
            "mlp_binary", "MLP binary", _mlp(1, "sigmoid", _BINARY, sgd=False),
            _dense_binary(20, 1000), batch_size=128, guide_epochs=20,
        ),
        Case(
            "vgg_convnet", "VGG-like convnet", _vgg, _vgg_data, batch_size=32, guide_epochs=10,
            heavy=True,
        ),
        Case(
            "lstm_embedding", "Embedding + LSTM", _lstm_words, _words_data, batch_size=16,
            guide_epochs=10, recurrent=True,
        ),
        Case(
            "conv1d", "Conv1D sequence classifier", _conv1d, _conv1d_data, batch_size=16,
            guide_epochs=10,
        ),
        Case(
            "stacked_lstm", "stacked LSTM, validation", _stacked_lstm(False), _stacked_data,
            batch_size=64, guide_epochs=5, recurrent=True,
        ),
        Case(
            "stateful_lstm", "stateful stacked LSTM", _stacked_lstm(True), _stateful_data,
            batch_size=32, guide_epochs=5, predict_batch=32, recurrent=True,
        ),
        Case(
            "headline", "functional, 2 inputs 2 outputs", _headline, _headline_data,
            batch_size=32, guide_epochs=50, recurrent=True,
        ),
        Case(
            "shared_lstm", "functional, shared LSTM", _shared_lstm, _tweets_data,
            batch_size=32, guide_epochs=10, recurrent=True,
        ),
    )
}  # fmt: skip

__all__ = ["IMPLEMENTATIONS", "DEFAULT_IMPLEMENTATIONS", "CASES", "Case", "Data", "load_api"]
