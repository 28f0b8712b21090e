"""refimpl's fast `predict` (`refimpl.training.fast_predict`) against Keras 3's `predict`.

The outputs must equal Keras 3's (`fast_paths(False)`) for an MLP with dropout (inference
mode), several batch sizes with a partial last batch, a two-input, two-output functional
model (a list of outputs), dict inputs, a stateful LSTM whose states carry across
batches, integer inputs to an `Embedding`, and `predict_classes` / `predict_proba`.
Adding a layer after a `predict` is seen by the next one. A progress bar, callbacks,
`steps`, an unbuilt model and tensor inputs keep Keras 3's path; inputs of different
lengths are a clear error.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from refimpl._keras3 import keras3  # noqa: E402
from refimpl.layers import LSTM, Dense, Dropout, Embedding, Input, concatenate  # noqa: E402
from refimpl.models import Model, Sequential  # noqa: E402
from refimpl.training import fast_predict  # noqa: E402
from refimpl.training.fast_path import Call, fast_paths  # noqa: E402

RNG = np.random.RandomState(0)


@pytest.fixture
def fast_calls(count_calls):
    """Counts the calls of the fast path (and still runs it)."""
    return count_calls(fast_predict, "predict")


def _keras3_predict(model, x, **kwargs):
    """`model.predict` on Keras 3's own path."""
    with fast_paths(False):
        return model.predict(x, **kwargs)


def _assert_same(fast, keras3_outputs):
    assert type(fast) is type(keras3_outputs)
    for a, b in zip(keras3.tree.flatten(keras3_outputs), keras3.tree.flatten(fast), strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)


def _mlp():
    model = Sequential()
    model.add(Dense(32, activation="relu", input_dim=20))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


@pytest.mark.parametrize(("samples", "batch_size"), [(1, None), (70, None), (70, 16), (5, 1)])
def test_mlp_outputs_equal_keras3(fast_calls, samples, batch_size):
    model = _mlp()
    x = RNG.random_sample((samples, 20))
    _assert_same(model.predict(x, batch_size=batch_size), _keras3_predict(model, x))
    assert len(fast_calls) == 1


def test_list_inputs_and_outputs(fast_calls):
    a, b = Input(shape=(6,)), Input(shape=(3,))
    hidden = Dense(8, activation="relu")(concatenate([a, b]))
    model = Model([a, b], [Dense(1, activation="sigmoid")(hidden), Dense(2)(hidden)])
    x = [RNG.random_sample((40, 6)), RNG.random_sample((40, 3))]
    outputs = model.predict(x)
    assert isinstance(outputs, list) and len(outputs) == 2
    _assert_same(outputs, _keras3_predict(model, x))


def test_dict_inputs(fast_calls):
    a, b = Input(shape=(6,), name="a"), Input(shape=(3,), name="b")
    model = Model({"a": a, "b": b}, Dense(2)(concatenate([a, b])))
    x = {"a": RNG.random_sample((9, 6)), "b": RNG.random_sample((9, 3))}
    _assert_same(model.predict(x, batch_size=4), _keras3_predict(model, x, batch_size=4))
    assert len(fast_calls) == 1


def test_stateful_lstm_carries_states_across_batches(fast_calls):
    model = Sequential()
    model.add(LSTM(8, stateful=True, batch_input_shape=(4, 5, 3)))
    model.add(Dense(2))
    x = RNG.random_sample((12, 5, 3))
    fast = model.predict(x, batch_size=4)
    model.reset_states()
    step = _keras3_predict(model, x, batch_size=4)
    _assert_same(fast, step)
    # The states carried: the third batch differs from a fresh start on it.
    model.reset_states()
    fresh = model.predict(x[8:], batch_size=4)
    assert not np.allclose(fresh, fast[8:])


def test_integer_inputs_to_an_embedding(fast_calls):
    model = Sequential([Embedding(50, 4, input_length=6), LSTM(3)])
    model.build((None, 6))
    x = RNG.randint(50, size=(7, 6))
    _assert_same(model.predict(x), _keras3_predict(model, x))


def test_predict_classes_and_proba(fast_calls):
    model = _mlp()
    x = RNG.random_sample((33, 20))
    probabilities = _keras3_predict(model, x)
    np.testing.assert_allclose(model.predict_proba(x), probabilities, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(x), probabilities.argmax(axis=-1))
    assert len(fast_calls) == 2


def test_adding_a_layer_after_predict_is_seen(fast_calls):
    model = _mlp()
    x = RNG.random_sample((3, 20))
    assert model.predict(x).shape == (3, 10)
    model.add(Dense(4))
    assert model.predict(x).shape == (3, 4)
    _assert_same(model.predict(x), _keras3_predict(model, x))


class _Counter(keras3.callbacks.Callback):
    def on_predict_batch_end(self, batch, logs=None):
        pass


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"verbose": 1}, "verbose is not 0"),
        ({"callbacks": [_Counter()]}, "callbacks is given"),
        ({"steps": 1}, "steps is given"),
    ],
)
def test_what_keeps_keras3_path(fast_calls, kwargs, reason):
    model = _mlp()
    x = RNG.random_sample((3, 20))
    verbose = kwargs.pop("verbose", 0)
    call = Call.of({"x": x, "verbose": verbose, **kwargs})
    assert fast_predict.FAST_PREDICT.why_not(model, call) == reason
    assert model.predict(x, verbose=verbose, **kwargs).shape == (3, 10)
    assert model.predict_fallback_reason == reason
    assert not fast_calls


def test_unbuilt_model_and_tensors_keep_keras3_path(fast_calls):
    model = Sequential([Dense(2)])
    call = Call.of({"x": np.ones((1, 3)), "verbose": 0})
    assert fast_predict.FAST_PREDICT.why_not(model, call) == "the model is not built"
    assert model.predict(np.ones((1, 3))).shape == (1, 2)
    assert model.predict(keras3.ops.ones((1, 3))).shape == (1, 2)
    assert not fast_calls
    assert model.predict(np.ones((1, 3))).shape == (1, 2)  # built now
    assert len(fast_calls) == 1


def test_inputs_of_different_lengths_are_an_error():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    model = Model([a, b], Dense(1)(concatenate([a, b])))
    with pytest.raises(ValueError, match=r"same number of samples.*\[3, 4\]"):
        model.predict([np.ones((3, 2)), np.ones((4, 2))])
