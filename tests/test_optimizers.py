"""refimpl.optimizers against Keras 2's own optimizers, `tf_keras.optimizers.legacy`.

The same small model, with the same weights, is trained on the same batches in refimpl
and in tf_keras; after every step the weights must agree to float32 precision. That
pins down each update rule (where epsilon goes, the Nadam momentum schedule, the
Nesterov step) and Keras 2's time-based `decay`, `lr / (1 + decay * t)`. Then the
Keras 2 surface: `optimizer.lr`, string names in `compile`, defaults, configs, and
Keras 2's positional argument order.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402
from oracle import copy_weights  # noqa: E402

import refimpl  # noqa: E402
from refimpl import backend as K  # noqa: E402
from refimpl import optimizers  # noqa: E402

RNG = np.random.default_rng(99)
X = RNG.normal(size=(8, 5)).astype("float32")
Y = RNG.normal(size=(8, 3)).astype("float32")
STEPS = 4
#: Several float32 updates accumulate round-off; Adam-like rules divide by small numbers.
RTOL, ATOL = 2e-5, 2e-6

# (test id, class name, Keras 2 keyword arguments). Large epsilons make a misplaced
# epsilon (inside or outside the square root) visible.
CASES = [
    ("SGD", "SGD", {"lr": 0.1}),
    ("SGD-momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD-nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD-decay", "SGD", {"lr": 0.1, "decay": 0.3}),
    ("SGD-all", "SGD", {"lr": 0.1, "decay": 0.1, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", "RMSprop", {}),
    ("RMSprop-decay", "RMSprop", {"lr": 0.01, "decay": 0.3}),
    ("RMSprop-epsilon", "RMSprop", {"lr": 0.01, "rho": 0.8, "epsilon": 0.1}),
    ("RMSprop-momentum", "RMSprop", {"lr": 0.01, "momentum": 0.5, "epsilon": 0.1}),
    ("RMSprop-centered", "RMSprop", {"lr": 0.01, "centered": True, "epsilon": 0.1}),
    (
        "RMSprop-centered-momentum",
        "RMSprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5, "epsilon": 0.1},
    ),
    ("Adagrad", "Adagrad", {"lr": 0.1}),
    ("Adagrad-epsilon-decay", "Adagrad", {"lr": 0.1, "epsilon": 0.1, "decay": 0.3}),
    ("Adadelta", "Adadelta", {"lr": 1.0}),
    ("Adadelta-options", "Adadelta", {"lr": 1.0, "rho": 0.9, "epsilon": 1e-3, "decay": 0.3}),
    ("Adam", "Adam", {"lr": 0.01}),
    ("Adam-amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam-options", "Adam", {"lr": 0.01, "beta_1": 0.8, "epsilon": 0.1, "decay": 0.3}),
    ("Adamax", "Adamax", {"lr": 0.01}),
    ("Adamax-decay", "Adamax", {"lr": 0.01, "beta_2": 0.9, "epsilon": 0.1, "decay": 0.3}),
    ("Nadam", "Nadam", {"lr": 0.01}),
    ("Nadam-schedule_decay", "Nadam", {"lr": 0.01, "schedule_decay": 0.2, "epsilon": 0.1}),
]


def _model(keras):
    return keras.models.Sequential(
        [keras.layers.Dense(8, activation="tanh", input_shape=(5,)), keras.layers.Dense(3)]
    )


def _oracle_optimizer(name: str, kwargs: dict):
    """tf_keras's legacy (Keras 2) optimizer; it spells `lr` as `learning_rate`."""
    kwargs = dict(kwargs)
    if "lr" in kwargs:
        kwargs["learning_rate"] = kwargs.pop("lr")
    return getattr(tf_keras.optimizers.legacy, name)(**kwargs)


def _pair(name: str, kwargs: dict, run_eagerly: bool):
    model, expected = _model(refimpl), _model(tf_keras)
    copy_weights(expected, model, np.random.default_rng(5))
    model.compile(getattr(optimizers, name)(**kwargs), "mse", run_eagerly=run_eagerly)
    expected.compile(_oracle_optimizer(name, kwargs), "mse", run_eagerly=run_eagerly)
    return model, expected


def _expected_lr(kwargs: dict, default: float, step: int) -> float:
    return kwargs.get("lr", default) / (1.0 + kwargs.get("decay", 0.0) * step)


@pytest.mark.parametrize(("name", "kwargs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_training_steps_match_tf_keras(name, kwargs):
    # Eager steps compute exactly what compiled ones do and skip tracing two models.
    model, expected = _pair(name, kwargs, run_eagerly=True)
    for step in range(STEPS):
        loss = model.train_on_batch(X, Y)
        expected_loss = expected.train_on_batch(X, Y)
        np.testing.assert_allclose(loss, expected_loss, rtol=RTOL, atol=ATOL)
        for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"step {step}")
    optimizer = model.optimizer
    decayed = K.get_value(optimizer.learning_rate)
    assert int(K.get_value(optimizer.iterations)) == STEPS
    if name != "Nadam":
        default = float(K.get_value(_oracle_optimizer(name, {}).lr))
        np.testing.assert_allclose(decayed, _expected_lr(kwargs, default, STEPS), rtol=1e-6)
        oracle_lr = K.get_value(expected.optimizer._decayed_lr("float32"))
        np.testing.assert_allclose(decayed, oracle_lr, rtol=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("SGD", {"lr": 0.1, "decay": 0.2, "momentum": 0.9}), ("Adam", {"lr": 0.01, "decay": 0.2})],
)
def test_fit_compiled_matches_tf_keras(name, kwargs):
    """Compiled (graph) steps in `fit`, several batches per epoch, in order."""
    model, expected = _pair(name, kwargs, run_eagerly=False)
    for m in (model, expected):
        m.fit(X, Y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), expected.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    # 8 samples in batches of 2 for 2 epochs: 8 steps, and the rate decayed 8 times.
    assert int(K.get_value(model.optimizer.iterations)) == 8
    np.testing.assert_allclose(
        K.get_value(model.optimizer.learning_rate), _expected_lr(kwargs, 0.0, 8), rtol=1e-6
    )


def test_decayed_learning_rate_schedule():
    optimizer = optimizers.SGD(lr=0.5, decay=0.25)
    variable = K.variable(np.zeros(2, "float32"))
    for step in range(4):
        np.testing.assert_allclose(
            K.get_value(optimizer.learning_rate), 0.5 / (1 + 0.25 * step), rtol=1e-6
        )
        optimizer.apply_gradients([(np.ones(2, "float32"), variable)])
    # The base rate, Keras 2's `lr`, does not decay.
    np.testing.assert_allclose(K.get_value(optimizer.lr), 0.5, rtol=1e-6)


# -- `lr`, names, defaults, configs ------------------------------------------------------

#: Keras 2's string identifiers for its optimizers.
NAMES = ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"]
CLASS_NAMES = {name: cls.__name__ for name, cls in optimizers.BY_NAME.items()}

#: Hyperparameters both configs carry; tf_keras's Nadam stores Keras 2's
#: `schedule_decay` under the name `decay`.
HYPERPARAMETERS = [
    "learning_rate", "momentum", "nesterov", "rho", "epsilon", "centered",
    "initial_accumulator_value", "beta_1", "beta_2", "amsgrad", "decay",
]  # fmt: skip


def _hyperparameters(config: dict, name: str) -> dict:
    values = {k: config[k] for k in HYPERPARAMETERS if k in config}
    if name == "nadam":
        values["schedule_decay"] = values.pop("decay", config.get("schedule_decay"))
    return {k: pytest.approx(float(v), rel=1e-6) for k, v in values.items()}


@pytest.mark.parametrize("name", NAMES)
def test_string_names_in_compile(name):
    model = _model(refimpl)
    model.compile(optimizer=name, loss="mse")
    cls = getattr(optimizers, CLASS_NAMES[name])
    assert type(model.optimizer) is cls
    expected = getattr(tf_keras.optimizers.legacy, CLASS_NAMES[name])()
    config = model.optimizer.get_config()
    assert _hyperparameters(config, name) == _hyperparameters(expected.get_config(), name)
    # Keras 3 numbers optimizer names (sgd, sgd_1, ...): compare the rest.
    fresh = optimizers.get(name).get_config()
    assert {**fresh, "name": ""} == {**config, "name": ""}


@pytest.mark.parametrize("name", NAMES)
def test_lr_get_and_set(name):
    optimizer = optimizers.get(name)
    expected = _oracle_optimizer(CLASS_NAMES[name], {})
    np.testing.assert_allclose(K.get_value(optimizer.lr), K.get_value(expected.lr), rtol=1e-6)
    K.set_value(optimizer.lr, 0.25)
    np.testing.assert_allclose(K.get_value(optimizer.lr), 0.25, rtol=1e-6)
    np.testing.assert_allclose(K.get_value(optimizer.learning_rate), 0.25, rtol=1e-6)
    optimizer.lr = 0.5
    np.testing.assert_allclose(K.get_value(optimizer.lr), 0.5, rtol=1e-6)


def test_lr_set_with_decay_changes_the_base_rate():
    optimizer = optimizers.SGD(lr=0.1, decay=1.0)
    variable = K.variable(np.zeros(1, "float32"))
    optimizer.apply_gradients([(np.ones(1, "float32"), variable)])
    K.set_value(optimizer.lr, 0.4)  # Keras 2: the base rate; the decay still applies
    np.testing.assert_allclose(K.get_value(optimizer.learning_rate), 0.4 / 2.0, rtol=1e-6)


# (class name, Keras 2 keyword arguments other than the defaults)
CONFIGS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "decay": 1e-6, "nesterov": True}),
    ("RMSprop", {"lr": 0.002, "rho": 0.8, "epsilon": 1e-5, "decay": 0.01}),
    ("Adagrad", {"lr": 0.02, "epsilon": 1e-4, "decay": 0.1}),
    ("Adadelta", {"lr": 1.0, "rho": 0.9, "epsilon": 1e-6, "decay": 0.1}),
    ("Adam", {"lr": 0.003, "beta_1": 0.8, "beta_2": 0.99, "decay": 0.1, "amsgrad": True}),
    ("Adamax", {"lr": 0.002, "beta_1": 0.8, "epsilon": 1e-5, "decay": 0.1}),
    ("Nadam", {"lr": 0.002, "beta_2": 0.99, "schedule_decay": 0.01}),
]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_config_round_trip(name, kwargs):
    optimizer = getattr(optimizers, name)(**kwargs)
    config = optimizer.get_config()
    for key, value in kwargs.items():
        stored = config["learning_rate" if key == "lr" else key]
        assert stored == pytest.approx(value, rel=1e-6), key
    rebuilt = type(optimizer).from_config(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(again) is type(optimizer)
    assert again.get_config() == config


# (call, attribute -> expected value): Keras 2's positional order.
POSITIONAL = [
    (lambda: optimizers.SGD(0.1, 0.9), {"lr": 0.1, "momentum": 0.9}),
    (
        lambda: optimizers.SGD(0.1, 0.9, 0.01, True),
        {"lr": 0.1, "momentum": 0.9, "decay": 0.01, "nesterov": True},
    ),
    (lambda: optimizers.RMSprop(0.01, 0.8, 1e-4, 0.1), {"lr": 0.01, "rho": 0.8, "decay": 0.1}),
    (lambda: optimizers.Adagrad(0.02, 1e-4, 0.1), {"lr": 0.02, "epsilon": 1e-4, "decay": 0.1}),
    (lambda: optimizers.Adadelta(1.0, 0.9, 1e-5, 0.1), {"lr": 1.0, "rho": 0.9, "decay": 0.1}),
    (
        lambda: optimizers.Adam(0.01, 0.8, 0.99, 1e-4, 0.1, True),
        {"lr": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4, "decay": 0.1, "amsgrad": True},
    ),
    (lambda: optimizers.Adamax(0.01, 0.8, 0.99, 1e-4, 0.1), {"beta_2": 0.99, "decay": 0.1}),
    (
        lambda: optimizers.Nadam(0.01, 0.8, 0.99, 1e-4, 0.01),
        {"beta_1": 0.8, "schedule_decay": 0.01},
    ),
]


@pytest.mark.parametrize(("build", "expected"), POSITIONAL, ids=[str(i) for i in range(8)])
def test_keras2_positional_order(build, expected):
    optimizer = build()
    for attribute, value in expected.items():
        received = getattr(optimizer, attribute)
        if attribute == "lr":
            received = K.get_value(received)
        assert received == pytest.approx(value, rel=1e-6), attribute


def test_integer_and_numpy_learning_rates():
    assert K.get_value(optimizers.SGD(lr=1).lr) == 1.0
    assert K.get_value(optimizers.Adam(np.float32(0.5)).lr) == 0.5


def test_lr_and_learning_rate_together_raise():
    with pytest.raises(TypeError, match="`lr`.*`learning_rate`"):
        optimizers.SGD(lr=0.1, learning_rate=0.2)


def test_negative_decay_raises():
    with pytest.raises(ValueError, match="decay"):
        optimizers.SGD(decay=-1.0)


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="Unknown optimizer 'sgdd'"):
        optimizers.get("sgdd")


# -- sparse gradients -------------------------------------------------------------------
#: Word ids with repeats within and across samples: an Embedding's gradient then holds
#: several slices for the same row, which must add up before a non-linear update.
WORDS = np.array([[1, 3, 3, 7, 1, 0], [3, 3, 3, 2, 9, 1]] * 4, dtype="int32")
WORD_TARGETS = RNG.normal(size=(8, 3)).astype("float32")


def _words_model(embedding: bool):
    """Embedding(10, 4) + Dense(3), or the same arithmetic on one-hot words (dense grads)."""
    layers = refimpl.layers
    if embedding:
        inputs, words = layers.Input((6,), dtype="int32"), layers.Embedding(10, 4)
    else:
        inputs, words = layers.Input((6, 10)), layers.Dense(4, use_bias=False)
    return refimpl.models.Sequential([inputs, words, layers.Flatten(), layers.Dense(3)])


@pytest.mark.parametrize(("name", "kwargs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("run_eagerly", [True, False], ids=["eager", "compiled"])
def test_sparse_gradients_update_as_their_dense_sum(name, kwargs, run_eagerly):
    sparse, dense = _words_model(embedding=True), _words_model(embedding=False)
    weights = [np.random.default_rng(3).normal(size=w.shape).astype("float32")
               for w in sparse.get_weights()]  # fmt: skip
    sparse.set_weights(weights)
    dense.set_weights(weights)
    one_hot = np.eye(10, dtype="float32")[WORDS]
    for model in (sparse, dense):
        model.compile(getattr(optimizers, name)(**kwargs), "mse", run_eagerly=run_eagerly)
    for step in range(STEPS):
        sparse.train_on_batch(WORDS, WORD_TARGETS)
        dense.train_on_batch(one_hot, WORD_TARGETS)
        for got, want in zip(sparse.get_weights(), dense.get_weights(), strict=True):
            # A gather and a one-hot product sum in different orders; Keras 3's
            # undeduplicated updates miss by 1e-2 and more.
            # A gather and a one-hot product sum in different orders; Keras 3's
            # undeduplicated updates miss by 1e-2 and more.
            np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5, err_msg=f"step {step}")


def test_keras2_lowercase_aliases_are_the_classes():
    """Keras 2.0-2.2 exported `keras.optimizers.rmsprop` and friends (Keras 2.1 code uses
    `rmsprop(lr=0.001, decay=1e-6)`)."""
    for name, cls in optimizers.BY_NAME.items():
        assert getattr(optimizers, name) is cls
    assert optimizers.rmsprop(lr=0.5, decay=0.1).get_config()["decay"] == pytest.approx(0.1)
