"""The models of the Keras 2 guides, buildable with each implementation, and their data.

Each `Case` is one model of the guides, taken from the suite's catalogue
(`conformance/suite/models.py`), with the guide's data sizes, batch size and optimizer.
`build(api)` writes the model in Keras 2's idiom for Keras 2 implementations (refimpl,
tf_keras: `input_shape=`, `batch_input_shape=`, `SGD(lr=..., decay=...)`) and in Keras
3's for Keras 3 (an `Input` first, the same time-based decay as an `InverseTimeDecay`
schedule), so every implementation trains the same architecture on the same arrays.

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

from conformance.suite import models

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
    #: The catalogue's description of a Sequential model (the limit trains it from there).
    spec: models.Spec | None = None


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

    def compile(model: Any, **kwargs: Any) -> Any:  # noqa: A001 - mirrors model.compile
        model.compile(**kwargs, **compile_kwargs)
        return model

    return SimpleNamespace(name=impl, keras=keras, keras2=keras2, compile=compile, sgd=sgd)


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


# -- models: the catalogue's, compiled as the guides compile them ---------------------------
def _compiled(spec: models.Spec) -> Callable[[Any], Any]:
    """Build `spec` in the implementation's idiom; compile it as its guide does."""

    def build(k: Any) -> Any:
        model = models.build_sequential(k.keras, spec, "input_shape" if k.keras2 else "input")
        optimizer = k.sgd() if spec.optimizer == "sgd-nesterov" else "rmsprop"
        metrics = {"metrics": list(spec.metrics)} if spec.metrics else {}
        return k.compile(model, loss=spec.loss, optimizer=optimizer, **metrics)

    return build


def _sequential_case(name: str, guide: str, spec: models.Spec, data: Callable[[], Data],
                     **flags: bool) -> Case:  # fmt: skip
    """A case of a Sequential model, with the guide's batch size and epochs."""
    return Case(name, guide, _compiled(spec), data, batch_size=spec.batch_size,
                guide_epochs=spec.epochs, predict_batch=spec.batch_size if spec.stateful else 1,
                spec=spec, **flags)  # fmt: skip


def _headline(k: Any) -> Any:
    model, _ = models.headline(k.keras)
    # The guide passes one loss for both outputs, which Keras 2 accepted; Keras 3
    # wants one per output.
    loss = "binary_crossentropy" if k.keras2 else ["binary_crossentropy"] * 2
    return k.compile(model, optimizer="rmsprop", loss=loss,
                     loss_weights=list(models.HEADLINE_LOSS_WEIGHTS))  # fmt: skip


def _shared_lstm(k: Any) -> Any:
    model, _ = models.shared_lstm(k.keras)
    return k.compile(model, optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])


#: Every model of the guides; `guide_epochs` is what the guide's `fit` call asks for.
CASES: dict[str, Case] = {
    case.name: case
    for case in (
        _sequential_case("mlp_binary_small", "walkthrough, 1100 epochs",
                         models.walkthrough_mlp(1), _dense_binary(100, 1000)),
        _sequential_case("mlp_softmax_small", "walkthrough, 1000 epochs",
                         models.walkthrough_mlp(10), _dense_classes(100, 1000)),
        _sequential_case("mlp_multiclass", "MLP multi-class, SGD decay", models.mlp_multiclass(),
                         _dense_classes(20, 1000)),
        _sequential_case("mlp_binary", "MLP binary", models.mlp_binary(), _dense_binary(20, 1000)),
        _sequential_case("vgg_convnet", "VGG-like convnet", models.vgg_convnet(), _vgg_data,
                         heavy=True),
        _sequential_case("lstm_embedding", "Embedding + LSTM", models.lstm_classifier(),
                         _words_data, recurrent=True),
        _sequential_case("conv1d", "Conv1D sequence classifier", models.conv1d_classifier(),
                         _conv1d_data),
        _sequential_case("stacked_lstm", "stacked LSTM, validation", models.stacked_lstm(),
                         _stacked_data, recurrent=True),
        _sequential_case("stateful_lstm", "stateful stacked LSTM",
                         models.stacked_lstm(stateful=True), _stateful_data, recurrent=True),
        Case("headline", "functional, 2 inputs 2 outputs", _headline, _headline_data,
             batch_size=32, guide_epochs=50, recurrent=True),
        Case("shared_lstm", "functional, shared LSTM", _shared_lstm, _tweets_data,
             batch_size=32, guide_epochs=10, recurrent=True),
    )
}  # fmt: skip

__all__ = ["IMPLEMENTATIONS", "DEFAULT_IMPLEMENTATIONS", "CASES", "Case", "Data", "load_api"]
