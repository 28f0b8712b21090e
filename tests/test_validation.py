"""Arguments users get wrong get an error that names them, what was expected and what was
received; everything Keras 2 accepted with a meaning is still accepted.

Each case runs on refimpl and on tf_keras (Keras 2's own code): the bad inputs that
Keras 2 accepted silently are exactly those of `refimpl.validation.KERAS2_ACCEPTED`,
and the names of losses and metrics that `compile` accepts are derived from tf_keras.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import tensorflow as tf
import tf_keras

import refimpl
from refimpl import validation

X = np.random.default_rng(0).random((12, 4)).astype("float32")
Y = np.eye(3, dtype="float32")[np.arange(12) % 3]


def _model(keras):
    return keras.models.Sequential([keras.layers.Dense(3, input_dim=4, activation="softmax")])


def _compiled(keras):
    model = _model(keras)
    model.compile("sgd", "categorical_crossentropy")
    return model


def _fit(**kwargs):
    return lambda keras: _compiled(keras).fit(X, Y, verbose=0, **kwargs)


def _optimizer(name, **kwargs):
    # tf_keras spells `lr` `learning_rate`, and keeps `decay` in its legacy optimizers.
    def make(keras):
        if keras is tf_keras:
            renamed = {{"lr": "learning_rate"}.get(k, k): v for k, v in kwargs.items()}
            module = keras.optimizers.legacy if "decay" in kwargs else keras.optimizers
            return getattr(module, name)(**renamed)
        return getattr(keras.optimizers, name)(**kwargs)

    return make


def _two_inputs_given_one(keras):
    a, b = keras.layers.Input((4,)), keras.layers.Input((4,))
    model = keras.models.Model([a, b], keras.layers.Dense(3)(keras.layers.concatenate([a, b])))
    model.compile("sgd", "mse")
    model.fit(X, Y, verbose=0)


def _generator_steps(steps):
    def run(keras):
        def batches():
            while True:
                yield X, Y

        _compiled(keras).fit(batches(), steps_per_epoch=steps, epochs=1, verbose=0)

    return run


#: case -> (run it on an implementation, the words refimpl's error must hold).
BAD: dict[str, tuple] = {
    "compile(loss='nope')": (
        lambda k: _model(k).compile("sgd", "nope"),
        r"unknown loss name 'nope'; expected",
    ),
    "compile(metrics=['nope'])": (
        lambda k: _model(k).compile("sgd", "mse", metrics=["nope"]),
        r"unknown metric name 'nope'; expected",
    ),
    "fit(batch_size=0)": (_fit(batch_size=0), r"`batch_size` .*integer >= 1.*received 0"),
    "fit(batch_size=2.5)": (_fit(batch_size=2.5), r"`batch_size` .*integer.*received 2.5"),
    "fit(epochs=-1)": (_fit(epochs=-1), r"`epochs` .*integer >= 0.*received -1"),
    "fit(initial_epoch=-1)": (_fit(initial_epoch=-1), r"`initial_epoch` .*received -1"),
    "fit(validation_split=1.5)": (_fit(validation_split=1.5), r"`validation_split` .*< 1.*1.5"),
    "fit(validation_split=-0.1)": (_fit(validation_split=-0.1), r"`validation_split`.*-0.1"),
    "fit(class_weight={5: 1.0})": (
        _fit(class_weight={5: 1.0}),
        r"class indices below 3 .*received 5",
    ),
    "fit(class_weight={'a': 1.0})": (
        _fit(class_weight={"a": 1.0}),
        r"class indices \(integers >= 0\), received 'a'",
    ),
    "fit(validation_data=<3 columns>)": (
        _fit(validation_data=(X[:, :3], Y)),
        r"shape \(None, 4\).* in `validation_data`, received an array of shape \(12, 3\)",
    ),
    "fit(x=<3 columns>)": (
        lambda k: _compiled(k).fit(X[:, :3], Y, verbose=0),
        r"input '\w+' is incompatible with the layer: expected arrays of shape \(None, 4\)"
        r".*received .*shape \(12, 3\)",
    ),
    "fit(x=<rank 3>)": (
        lambda k: _compiled(k).fit(X.reshape(12, 2, 2), Y, verbose=0),
        r"expected arrays of shape \(None, 4\).*received .*shape \(12, 2, 2\)",
    ),
    "fit(x=<strings>)": (
        lambda k: _compiled(k).fit(np.full((12, 4), "a"), Y, verbose=0),
        r"expected numbers \(float32\) in `x`, received an array of <U1 values",
    ),
    "fit(x=<no rows>)": (
        lambda k: _compiled(k).fit(X[:0], Y[:0], verbose=0),
        r"expected at least one sample in `x`, received an empty array of shape \(0, 4\)",
    ),
    "predict(x=<no rows>)": (
        lambda k: _model(k).predict(X[:0], verbose=0),
        r"expected at least one sample in `x`",
    ),
    "fit(x=<one array for two inputs>)": (
        _two_inputs_given_one,
        r"expected 2 input array\(s\) in `x`, received 1",
    ),
    "fit(steps_per_epoch=0)": (_generator_steps(0), r"`steps_per_epoch` .*received 0"),
    "predict(x=<3 columns>)": (
        lambda k: _model(k).predict(X[:, :3], verbose=0),
        r"expected arrays of shape \(None, 4\).*received .*shape \(12, 3\)",
    ),
    "predict(batch_size=0)": (
        lambda k: _model(k).predict(X, batch_size=0, verbose=0),
        r"`predict` expected `batch_size`.*received 0",
    ),
    "evaluate(batch_size=0)": (
        lambda k: _compiled(k).evaluate(X, Y, batch_size=0, verbose=0),
        r"`evaluate` expected `batch_size`.*received 0",
    ),
    "Dense(units=True)": (
        lambda k: k.layers.Dense(True),
        r"`Dense` expected `units` to be an integer .*received True",
    ),
    "Dense(units=2.5)": (
        lambda k: k.layers.Dense(2.5),
        r"`Dense` expected `units` to be an integer .*received 2.5",
    ),
    "LSTM(dropout=1.5)": (
        lambda k: k.layers.LSTM(2, dropout=1.5),
        r"`LSTM` expected `dropout` to be a number >= 0 and <= 1, received 1.5",
    ),
    "Dropout(rate='0.5')": (
        lambda k: k.layers.Dropout("0.5")(X, training=True),
        r"`Dropout` expected `rate` to be a number >= 0 and <= 1, received '0.5'",
    ),
    "SGD(lr=-1)": (_optimizer("SGD", lr=-1), r"`lr` to be a number >= 0, received -1"),
    "SGD(lr='fast')": (_optimizer("SGD", lr="fast"), r"`lr` to be a number.*received 'fast'"),
    "SGD(momentum=1.5)": (_optimizer("SGD", momentum=1.5), r"`momentum` .*<= 1.*1.5"),
    "SGD(decay=-1)": (_optimizer("SGD", decay=-1), r"`decay` .*>= 0, received -1"),
    "RMSprop(rho=1.5)": (_optimizer("RMSprop", rho=1.5), r"`rho` .*<= 1, received 1.5"),
    "Adam(beta_1=1.0)": (_optimizer("Adam", beta_1=1.0), r"`beta_1` .*< 1, received 1.0"),
    "Adam(beta_2=-0.1)": (_optimizer("Adam", beta_2=-0.1), r"`beta_2` .*>= 0.*-0.1"),
    "Adam(epsilon=-1)": (_optimizer("Adam", epsilon=-1), r"`epsilon` .*>= 0.*received -1"),
}


def _accepts(keras, run) -> bool:
    try:
        run(keras)
    except (ValueError, TypeError, tf.errors.OpError):
        return False
    return True


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_argument_is_named_with_what_was_expected_and_received(case):
    run, words = BAD[case]
    with pytest.raises((ValueError, TypeError)) as raised:
        run(refimpl)
    message = str(raised.value)
    assert re.search(words, message), message
    assert "expected" in message and "receive" in message, message


@pytest.mark.parametrize("case", sorted(BAD))
def test_keras2_accepted_exactly_the_cases_the_table_lists(case):
    run, _ = BAD[case]
    assert _accepts(tf_keras, run) == (case in validation.KERAS2_ACCEPTED), (
        f"{case}: tf_keras {'accepts' if _accepts(tf_keras, run) else 'rejects'} it; "
        "update refimpl.validation.KERAS2_ACCEPTED"
    )


def test_every_case_keras2_accepted_is_one_of_these_tests():
    assert set(validation.KERAS2_ACCEPTED) <= set(BAD)


def _fit_one_column(keras):
    model = keras.models.Sequential([keras.layers.Dense(2, input_shape=(1,))])
    model.compile("sgd", "mse")
    model.fit(X[:, 0], Y[:, :2], verbose=0)


def _lstm_rank_two(keras):
    model = keras.models.Sequential([keras.layers.LSTM(2, input_shape=(5, 1))])
    model.compile("sgd", "mse")
    model.fit(np.zeros((12, 5), "float32"), Y[:, :2], verbose=0)


#: Inputs at the edge of what makes sense, which Keras 2 accepted with a meaning.
GOOD: dict[str, object] = {
    "fit(epochs=0)": _fit(epochs=0),
    "fit(batch_size=None)": _fit(batch_size=None),
    "fit(batch_size=np.int64(4))": _fit(batch_size=np.int64(4)),
    "fit(validation_split=0.0)": _fit(validation_split=0.0),
    "fit(initial_epoch=1, epochs=2)": _fit(initial_epoch=1, epochs=2),
    "fit(class_weight={np.int64(0): 1, 1: 2.0, 2: 0.5})": _fit(
        class_weight={np.int64(0): 1, 1: 2.0, 2: 0.5}
    ),
    "fit(x=<a column>) for an input of shape (None, 1)": _fit_one_column,
    "fit(x=<ints>)": lambda k: _compiled(k).fit(np.ones((12, 4), "int64"), Y, verbose=0),
    "fit(x=<rank 2>) for an input of shape (None, 5, 1)": _lstm_rank_two,
    "SGD(lr=0.0, momentum=0.0)": _optimizer("SGD", lr=0.0, momentum=0.0),
    "SGD(momentum=1.0)": _optimizer("SGD", momentum=1.0),
    "RMSprop(rho=0.0)": _optimizer("RMSprop", rho=0.0),
    "Adam(beta_1=0.0, epsilon=0.0)": _optimizer("Adam", beta_1=0.0, epsilon=0.0),
    "SGD(lr=np.float32(0.1))": _optimizer("SGD", lr=np.float32(0.1)),
    "compile(metrics=['acc', 'mae'])": lambda k: _model(k).compile(
        "sgd", "mse", metrics=["acc", "mae"]
    ),
    "compile(loss=<a function>)": lambda k: _model(k).compile("sgd", lambda y, p: (y - p) ** 2),
}


#: Cases of GOOD that Keras 2.2 accepted and tf_keras (2.4 and later) rejects.
KERAS22_ONLY = {"fit(epochs=0)": "Keras 2.2 ran no epoch and returned an empty History"}


@pytest.mark.parametrize("case", sorted(GOOD))
@pytest.mark.parametrize("keras", [refimpl, tf_keras], ids=["refimpl", "tf_keras"])
def test_what_keras2_accepted_with_a_meaning_is_accepted(keras, case):
    if keras is tf_keras and case in KERAS22_ONLY:
        with pytest.raises(ValueError, match="epochs"):
            GOOD[case](keras)
        return
    GOOD[case](keras)


NOT_NAMES = {"get", "serialize", "deserialize"}


def _names(module) -> list[str]:
    """The names `module.get` resolves in tf_keras: functions and their aliases."""
    names = []
    for name in dir(module):
        if name.startswith("_") or not name.islower() or name in NOT_NAMES:
            continue
        try:
            found = module.get(name)
        except (ValueError, TypeError):
            continue
        if callable(found):
            names.append(name)
    return names


LOSS_NAMES = _names(tf_keras.losses)
METRIC_NAMES = _names(tf_keras.metrics)


def test_the_names_come_from_tf_keras():
    assert {"mse", "categorical_crossentropy", "kld", "huber"} <= set(LOSS_NAMES)
    assert {"mae", "top_k_categorical_accuracy", "binary_accuracy"} <= set(METRIC_NAMES)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_compile_accepts_every_loss_name_keras2_had(name):
    _model(refimpl).compile("sgd", name)


@pytest.mark.parametrize("name", sorted(set(METRIC_NAMES) | {"accuracy", "acc"}))
def test_compile_accepts_every_metric_name_keras2_had(name):
    model = _model(refimpl)
    sparse = name.startswith("sparse")
    model.compile("sgd", "sparse_categorical_crossentropy" if sparse else "mse", metrics=[name])
    labels = np.arange(12) % 3 if sparse else Y
    logs = model.evaluate(X, labels, batch_size=12, verbose=0, return_dict=True)
    assert name in logs or name in ("acc", "accuracy"), logs
