"""Numerics: forward passes and optimizer steps against the NumPy oracle (`oracle.py`).

Each test builds one layer through the implementation under test, gives it weights
drawn from a seeded NumPy generator, runs it on fixed inputs and compares the result
with the oracle's float64 arithmetic, within `[numerics]` of `thresholds.toml`. The
expected weight shapes are part of each case: they pin down Keras's weight layout
(kernel, recurrent kernel, bias; gates i, f, c, o), which `set_weights` users rely on.

The optimizer tests train a linear `Dense` layer on a squared-error loss with
`train_on_batch` and compare its new weights with the oracle's update rule: SGD
(momentum, Nesterov), RMSprop, and, for implementations that claim Keras 2's API,
`SGD(lr=..., decay=...)` with Keras 2's time-based decay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from conformance import thresholds
from conformance.suite import oracle

NUMERICS = thresholds.load()["numerics"]
BATCH = NUMERICS["batch_size"]


def _rng() -> np.random.Generator:
    return np.random.default_rng(NUMERICS["seed"])


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    """float32 draws: exactly what the implementation receives (the oracle widens them)."""
    return (rng.standard_normal(shape) * scale).astype("float32")


def _assert_close(actual: Any, expected: np.ndarray, what: str) -> None:
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, (
        f"{what}: expected shape {expected.shape}, received {actual.shape}"
    )
    np.testing.assert_allclose(
        actual, expected, rtol=NUMERICS["rtol"], atol=NUMERICS["atol"], err_msg=what
    )


# --- forward passes ------------------------------------------------------------------


@dataclass(frozen=True)
class Forward:
    """One layer, the shapes of its weights, and the oracle's version of it."""

    id: str
    input_shape: tuple[int, ...]  # one sample, without the batch axis
    make: Callable[[Any], Any]  # keras -> the layer
    weight_shapes: tuple[tuple[int, ...], ...]  # in get_weights() order
    oracle: Callable[..., np.ndarray]  # (x, *weights) -> expected output
    vocabulary: int = 0  # > 0: integer inputs below this (Embedding)
    weight_scale: float = 1.0  # smaller weights keep recurrent gates out of saturation


ACTIVATION_NAMES = ("linear", "relu", "sigmoid", "softmax", "tanh")

FORWARD = [
    *[
        Forward(
            f"dense-{name}",
            (6,),
            lambda k, name=name: k.layers.Dense(5, activation=name),
            ((6, 5), (5,)),
            lambda x, w, b, name=name: oracle.dense(x, w, b, name),
        )
        for name in ACTIVATION_NAMES
    ],
    # Dense on a 3D input acts on the last axis, step by step.
    Forward(
        "dense-on-sequence",
        (3, 6),
        lambda k: k.layers.Dense(4, activation="relu"),
        ((6, 4), (4,)),
        lambda x, w, b: oracle.dense(x, w, b, "relu"),
    ),
    *[
        # A 2D sample shows that softmax normalises over the last axis only.
        Forward(
            f"activation-{name}",
            (3, 7),
            lambda k, name=name: k.layers.Activation(name),
            (),
            lambda x, name=name: oracle.activation(name, x),
        )
        for name in ACTIVATION_NAMES
    ],
    Forward(
        "dropout-inference", (5,), lambda k: k.layers.Dropout(0.5), (), oracle.dropout_at_inference
    ),
    Forward("flatten", (3, 4, 2), lambda k: k.layers.Flatten(), (), oracle.flatten),
    *[
        # Width 4 with `same` pads unevenly (one step before, two after at stride 1),
        # and length 10 with stride 3 leaves a remainder: both corners of the rule.
        Forward(
            f"conv1d-{padding}-stride{stride}",
            (10, 3),
            lambda k, p=padding, s=stride: k.layers.Conv1D(5, 4, strides=s, padding=p),
            ((4, 3, 5), (5,)),
            lambda x, w, b, p=padding, s=stride: oracle.conv1d(x, w, b, s, p),
        )
        for padding in ("valid", "same")
        for stride in (1, 2, 3)
    ],
    Forward(
        "conv1d-relu",
        (10, 3),
        lambda k: k.layers.Conv1D(5, 3, activation="relu"),
        ((3, 3, 5), (5,)),
        lambda x, w, b: oracle.conv1d(x, w, b, act="relu"),
    ),
    *[
        Forward(
            f"conv2d-{padding}-strides{strides[0]}x{strides[1]}",
            (7, 8, 3),
            lambda k, p=padding, s=strides: k.layers.Conv2D(4, (3, 2), strides=s, padding=p),
            ((3, 2, 3, 4), (4,)),
            lambda x, w, b, p=padding, s=strides: oracle.conv2d(x, w, b, s, p),
        )
        for padding in ("valid", "same")
        for strides in ((1, 1), (2, 2), (2, 3))
    ],
    Forward(
        "conv2d-relu",
        (6, 6, 2),
        lambda k: k.layers.Conv2D(3, (3, 3), activation="relu"),
        ((3, 3, 2, 3), (3,)),
        lambda x, w, b: oracle.conv2d(x, w, b, act="relu"),
    ),
    *[
        Forward(
            f"maxpooling1d-pool{pool}-strides{strides}-{padding}",
            (11, 3),
            lambda k, q=pool, s=strides, p=padding: k.layers.MaxPooling1D(q, strides=s, padding=p),
            (),
            lambda x, q=pool, s=strides, p=padding: oracle.max_pooling1d(x, q, s, p),
        )
        for pool, strides, padding in ((2, None, "valid"), (3, 2, "valid"), (3, 2, "same"))
    ],
    *[
        Forward(
            f"maxpooling2d-pool{pool[0]}x{pool[1]}-{padding}",
            (7, 9, 2),
            lambda k, q=pool, s=strides, p=padding: k.layers.MaxPooling2D(q, strides=s, padding=p),
            (),
            lambda x, q=pool, s=strides, p=padding: oracle.max_pooling2d(x, q, s, p),
        )
        for pool, strides, padding in (
            ((2, 2), None, "valid"),
            ((3, 3), (2, 2), "valid"),
            ((2, 2), None, "same"),
        )
    ],
    Forward(
        "global-average-pooling1d",
        (6, 4),
        lambda k: k.layers.GlobalAveragePooling1D(),
        (),
        oracle.global_average_pooling1d,
    ),
    Forward(
        "embedding",
        (6,),
        lambda k: k.layers.Embedding(11, 4),
        ((11, 4),),
        oracle.embedding,
        vocabulary=11,
    ),
    *[
        Forward(
            f"lstm-return-sequences-{flag}",
            (5, 3),
            lambda k, r=flag: k.layers.LSTM(4, return_sequences=r),
            ((3, 16), (4, 16), (16,)),
            lambda x, w, u, b, r=flag: oracle.lstm(x, w, u, b, return_sequences=r)[0],
            weight_scale=0.5,
        )
        for flag in (False, True)
    ],
    Forward(
        "time-distributed-dense",
        (4, 6),
        lambda k: k.layers.TimeDistributed(k.layers.Dense(3, activation="tanh")),
        ((6, 3), (3,)),
        lambda x, w, b: oracle.time_distributed_dense(x, w, b, "tanh"),
    ),
]


def _inputs(case: Forward, rng: np.random.Generator) -> np.ndarray:
    if case.vocabulary:
        return rng.integers(0, case.vocabulary, size=(BATCH, *case.input_shape)).astype("int32")
    return _normal(rng, (BATCH, *case.input_shape))


@pytest.mark.parametrize("case", FORWARD, ids=[case.id for case in FORWARD])
def test_forward_pass(keras, case: Forward):
    """The layer's output equals the oracle's for the same weights and inputs."""
    rng = _rng()
    x = _inputs(case, rng)
    weights = [_normal(rng, shape, case.weight_scale) for shape in case.weight_shapes]
    inputs = keras.Input(shape=case.input_shape, dtype="int32" if case.vocabulary else "float32")
    layer = case.make(keras)
    model = keras.Model(inputs, layer(inputs))
    shapes = [tuple(np.shape(w)) for w in layer.get_weights()]
    assert shapes == list(case.weight_shapes), (
        f"{case.id}: expected weights of shapes {list(case.weight_shapes)}, received {shapes}"
    )
    layer.set_weights(weights)
    _assert_close(model.predict(x, verbose=0), case.oracle(x, *weights), case.id)


@pytest.mark.parametrize(
    ("axis", "first", "second"), [(-1, (3, 4), (3, 2)), (1, (3, 4), (5, 4))], ids=["last", "time"]
)
def test_concatenate(keras, axis, first, second):
    """`keras.layers.concatenate` joins two inputs along `axis` (batch axis excluded)."""
    rng = _rng()
    a, b = _normal(rng, (BATCH, *first)), _normal(rng, (BATCH, *second))
    input_a, input_b = keras.Input(shape=first), keras.Input(shape=second)
    model = keras.Model([input_a, input_b], keras.layers.concatenate([input_a, input_b], axis=axis))
    _assert_close(
        model.predict([a, b], verbose=0), oracle.concatenate([a, b], axis=axis), "concatenate"
    )


def _reset_states(model: Any) -> None:
    """Keras 2's `model.reset_states()`; Keras 3 has `reset_state()` on each stateful layer."""
    reset = getattr(model, "reset_states", None)
    if reset is not None:
        reset()
        return
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            (getattr(layer, "reset_state", None) or layer.reset_states)()


@pytest.mark.parametrize("return_sequences", [False, True])
def test_stateful_lstm(keras, return_sequences):
    """A stateful LSTM starts batch 2 from batch 1's final state; a reset forgets it."""
    rng = _rng()
    timesteps, features, units = 5, 3, 4
    first = _normal(rng, (BATCH, timesteps, features))
    second = _normal(rng, (BATCH, timesteps, features))
    weights = [
        _normal(rng, shape, 0.5)
        for shape in ((features, 4 * units), (units, 4 * units), (4 * units,))
    ]
    inputs = keras.Input(shape=(timesteps, features), batch_size=BATCH)
    layer = keras.layers.LSTM(units, stateful=True, return_sequences=return_sequences)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights(weights)

    expected_first, state = oracle.lstm(first, *weights, return_sequences=return_sequences)
    expected_second, _ = oracle.lstm(
        second, *weights, return_sequences=return_sequences, initial_state=state
    )
    _assert_close(model.predict(first, batch_size=BATCH, verbose=0), expected_first, "batch 1")
    _assert_close(
        model.predict(second, batch_size=BATCH, verbose=0),
        expected_second,
        "batch 2 (must start from batch 1's final state)",
    )
    _reset_states(model)
    _assert_close(
        model.predict(first, batch_size=BATCH, verbose=0),
        expected_first,
        "batch 1 again after resetting the states",
    )


# --- optimizer steps -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """An optimizer as the implementation builds it, and the oracle's rule and settings."""

    id: str
    make: Callable[[Any], Any]  # keras -> optimizer
    rule: str  # a key of oracle.OPTIMIZER_STEPS
    hyper: dict[str, Any] = field(default_factory=dict)
    marks: tuple[Any, ...] = ()


OPTIMIZERS = [
    # Defaults: Keras 2's SGD is lr=0.01 without momentum, RMSprop lr=0.001, rho=0.9,
    # epsilon=1e-7 (K.epsilon()).
    Step("sgd-defaults", lambda k: k.optimizers.SGD(), "sgd", {"lr": 0.01}),
    Step("sgd", lambda k: k.optimizers.SGD(learning_rate=0.1), "sgd", {"lr": 0.1}),
    Step(
        "sgd-momentum",
        lambda k: k.optimizers.SGD(learning_rate=0.1, momentum=0.9),
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
    ),
    Step(
        "sgd-nesterov",
        lambda k: k.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    ),
    Step("rmsprop-defaults", lambda k: k.optimizers.RMSprop(), "rmsprop", {"lr": 0.001}),
    # A large epsilon makes its place visible: Keras 2 adds it outside the square root.
    Step(
        "rmsprop-epsilon-outside-sqrt",
        lambda k: k.optimizers.RMSprop(learning_rate=0.01, rho=0.8, epsilon=0.1),
        "rmsprop",
        {"lr": 0.01, "rho": 0.8, "epsilon": 0.1},
    ),
    # Keras 2's spelling, as the guides write it: `lr`, then `lr` with time-based
    # `decay`. A decay of 0.5 halves the rate by the third step, far beyond the
    # tolerances.
    Step(
        "sgd-keras2-lr",
        lambda k: k.optimizers.SGD(lr=0.1, momentum=0.9),
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
        (pytest.mark.requires("keras2_api"),),
    ),
    Step(
        "sgd-keras2-lr-decay-nesterov",
        lambda k: k.optimizers.SGD(lr=0.1, momentum=0.9, decay=0.5, nesterov=True),
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "decay": 0.5, "nesterov": True},
        (pytest.mark.requires("keras2_api"),),
    ),
    Step(
        "rmsprop-keras2-lr-decay",
        lambda k: k.optimizers.RMSprop(lr=0.01, rho=0.8, epsilon=0.1, decay=0.5),
        "rmsprop",
        {"lr": 0.01, "rho": 0.8, "epsilon": 0.1, "decay": 0.5},
        (pytest.mark.requires("keras2_api"),),
    ),
]


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=case.marks) for case in OPTIMIZERS]
)
def test_optimizer_steps(keras, case: Step):
    """Weights after a few `train_on_batch` calls equal the oracle's update rule."""
    steps = NUMERICS["optimizer_steps"]
    rng = _rng()
    x = _normal(rng, (BATCH, 6))
    target = _normal(rng, (BATCH, 3))
    kernel, bias = _normal(rng, (6, 3), 0.5), _normal(rng, (3,), 0.5)
    inputs = keras.Input(shape=(6,))
    layer = keras.layers.Dense(3)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([kernel, bias])
    model.compile(optimizer=case.make(keras), loss="mse")
    for _ in range(steps):
        model.train_on_batch(x, target)
    expected = oracle.train_dense_mse(case.rule, x, target, kernel, bias, steps, **case.hyper)
    for name, actual, wanted in zip(("kernel", "bias"), layer.get_weights(), expected, strict=True):
        _assert_close(actual, wanted, f"{case.id}: {name} after {steps} steps")


# --- sparse gradients ----------------------------------------------------------------

#: Word ids that repeat within a sample and across the batch, so an `Embedding`'s
#: gradient holds several slices for the same row.
REPEATED_WORDS = np.array([[1, 3, 3, 7, 1, 0], [3, 3, 3, 2, 9, 1]] * 4, dtype="int32")


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_embedding_updates_with_repeated_words(keras, optimizer):
    """An `Embedding` trains exactly as the same table applied to one-hot words.

    Keras 2 summed the gradient of a word that appears several times in a batch before
    the optimizer's (non-linear) update, as for any dense gradient; an implementation
    that updates each occurrence separately drifts away from that.
    """
    steps = NUMERICS["optimizer_steps"]
    rng = _rng()
    table, kernel = _normal(rng, (10, 4), 0.5), _normal(rng, (24, 3), 0.5)
    target = _normal(rng, (len(REPEATED_WORDS), 3))
    one_hot = np.eye(10, dtype="float32")[REPEATED_WORDS]
    weights = {}
    for name, words, inputs in (
        ("embedding", keras.layers.Embedding(10, 4), keras.Input(shape=(6,), dtype="int32")),
        ("one-hot", keras.layers.Dense(4, use_bias=False), keras.Input(shape=(6, 10))),
    ):
        top = keras.layers.Dense(3, use_bias=False)
        model = keras.Model(inputs, top(keras.layers.Flatten()(words(inputs))))
        words.set_weights([table])
        top.set_weights([kernel])
        model.compile(optimizer=optimizer, loss="mse")
        for _ in range(steps):
            model.train_on_batch(REPEATED_WORDS if name == "embedding" else one_hot, target)
        weights[name] = words.get_weights()[0]
    _assert_close(
        weights["embedding"], weights["one-hot"], f"{optimizer}: table after {steps} steps"
    )
