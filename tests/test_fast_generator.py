"""refimpl's chunked `fit_generator` (`refimpl.training.fast_generator`) against Keras 3's.

Twin models (same seed, same initial weights) train on the same batches, one through
Keras 3's step path (`fast_paths(False)`), one through runs of stacked batches; the `History`,
the final weights and the optimizer's `iterations` must agree: an MLP with dropout,
batches of two sizes (a partial last batch in each pass over the file), sample weights
as a third element, a two-input, two-output functional model, a stateful LSTM,
several epochs taken from one generator, and `initial_epoch`. The generator never runs
further ahead of training than Keras 2's enqueuer let it (one batch with
`workers=0`); a
generator that runs out stops training with Keras 3's warning; a batch of another kind
mid-stream is a clear error; the generator's own exceptions reach the caller;
`class_weight` weighs samples as Keras 2 did (Keras 3 refuses it with generators); and
`Sequence`s, `validation_data`, batch-level callbacks and tensors keep Keras 3's path.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from refimpl import callbacks as callbacks_module  # noqa: E402
from refimpl._keras3 import keras3  # noqa: E402
from refimpl.layers import LSTM, Dense, Dropout, Input, concatenate  # noqa: E402
from refimpl.models import Model, Sequential  # noqa: E402
from refimpl.training import fast_generator  # noqa: E402
from refimpl.training.data import kind_of  # noqa: E402
from refimpl.training.fast_path import Call, fast_paths  # noqa: E402
from refimpl.training.feed import Feed  # noqa: E402

RTOL = 1e-5
ATOL = 1e-6


@pytest.fixture
def fast_calls(count_calls):
    """Counts the calls of the fast path (and still runs it)."""
    return count_calls(fast_generator, "fit_generator")


def _mlp(seed=3):
    keras3.utils.set_random_seed(seed)
    model = Sequential()
    model.add(Dense(16, activation="relu", input_dim=20))
    model.add(Dropout(0.5))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _file_batches(samples=90, batch_size=32, weights=False, seed=0):
    """Keras 2's example: loop over a 'file' forever; the last batch of a pass is short."""
    rng = np.random.RandomState(seed)
    x = rng.random_sample((samples, 20))
    y = (x.mean(axis=1, keepdims=True) > 0.5).astype("int32")
    w = rng.random_sample((samples,))
    while True:
        for start in range(0, samples, batch_size):
            part = slice(start, start + batch_size)
            yield (x[part], y[part], w[part]) if weights else (x[part], y[part])


def _compare(build, batches, fast_calls, **kwargs):
    step, fast = build(), build()
    fast.set_weights(step.get_weights())
    kwargs.setdefault("verbose", 0)
    with fast_paths(False):
        step_history = step.fit_generator(batches(), **kwargs)
    assert not fast_calls
    fast_history = fast.fit_generator(batches(), **kwargs)
    assert len(fast_calls) == 1, "the chunked path was not taken"
    assert fast_history.epoch == step_history.epoch
    assert sorted(fast_history.history) == sorted(step_history.history)
    for key, values in step_history.history.items():
        np.testing.assert_allclose(fast_history.history[key], values, rtol=RTOL, atol=ATOL)
    for a, b in zip(step.get_weights(), fast.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
    assert int(fast.optimizer.iterations) == int(step.optimizer.iterations)
    return fast_history


def test_mlp_with_two_batch_sizes_trains_like_keras3(fast_calls):
    # 3 batches per pass (32, 32, 26); 7 steps an epoch cross passes and runs.
    history = _compare(_mlp, _file_batches, fast_calls, steps_per_epoch=7, epochs=3)
    assert history.params["steps"] == 7
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("max_queue_size", [1, 4, 50])
def test_run_length_does_not_change_training(fast_calls, max_queue_size):
    _compare(
        _mlp, _file_batches, fast_calls, steps_per_epoch=5, epochs=2,
        max_queue_size=max_queue_size,
    )  # fmt: skip


def test_sample_weights_as_a_third_element(fast_calls):
    _compare(_mlp, lambda: _file_batches(weights=True), fast_calls, steps_per_epoch=6, epochs=2)


def test_class_weight_becomes_sample_weights_as_in_keras2(fast_calls):
    weighted = {0: 1.0, 1: 3.0}
    _compare(_mlp, _file_batches, fast_calls, steps_per_epoch=4, epochs=2, class_weight=weighted)
    # The same weights given as a third element train the same way.
    x, y = next(_file_batches())
    explicit, by_class = _mlp(), _mlp()
    explicit.train_on_batch(x, y, sample_weight=np.where(y[:, 0] == 1, 3.0, 1.0))
    by_class.fit_generator(iter([(x, y)]), steps_per_epoch=1, class_weight=weighted, verbose=0)
    for a, b in zip(explicit.get_weights(), by_class.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


def test_class_weight_needs_one_target_array():
    model = _two_in_two_out()
    with pytest.raises(ValueError, match="one target array per batch"):
        model.fit_generator(_two_input_batches(), steps_per_epoch=1, class_weight={0: 2.0})


def test_initial_epoch(fast_calls):
    history = _compare(_mlp, _file_batches, fast_calls, steps_per_epoch=4, epochs=3,
                       initial_epoch=1)  # fmt: skip
    assert history.epoch == [1, 2]


def _two_in_two_out(seed=5):
    keras3.utils.set_random_seed(seed)
    a, b = Input(shape=(6,)), Input(shape=(3,))
    hidden = Dense(8, activation="relu")(concatenate([a, b]))
    outputs = [Dense(1, activation="sigmoid", name="main")(hidden), Dense(2, name="aux")(hidden)]
    model = Model(inputs=[a, b], outputs=outputs)
    model.compile(optimizer="sgd", loss=["binary_crossentropy", "mse"], loss_weights=[1.0, 0.2])
    return model


def _two_input_batches():
    rng = np.random.RandomState(1)
    while True:
        a, b = rng.random_sample((16, 6)), rng.random_sample((16, 3))
        yield [a, b], [(a.sum(axis=1, keepdims=True) > 3).astype("float32"), b[:, :2]]


def test_functional_model_with_two_inputs_and_outputs(fast_calls):
    _compare(_two_in_two_out, _two_input_batches, fast_calls, steps_per_epoch=5, epochs=2)


def _stateful_lstm(seed=7):
    keras3.utils.set_random_seed(seed)
    model = Sequential()
    model.add(LSTM(8, return_sequences=True, stateful=True, batch_input_shape=(4, 5, 3)))
    model.add(LSTM(4, stateful=True))
    model.add(Dense(2, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def _sequence_batches():
    rng = np.random.RandomState(2)
    while True:
        x = rng.random_sample((4, 5, 3))
        yield x, np.eye(2)[(x.sum(axis=(1, 2)) > 7.5).astype(int)]


def test_stateful_lstm_carries_states_like_keras3(fast_calls):
    _compare(_stateful_lstm, _sequence_batches, fast_calls, steps_per_epoch=6, epochs=2)


@pytest.mark.parametrize(
    ("workers", "max_queue_size", "bound"),
    # Keras 2's enqueuer: `max_queue_size` waiting, one being trained, one being made.
    [(1, 1, 3), (1, 3, 5), (1, 10, 12), (0, 10, 1)],
)
def test_generator_runs_no_further_ahead_than_keras2(fast_calls, workers, max_queue_size, bound):
    model = _mlp()
    ahead = []

    def watching():
        for yielded, batch in enumerate(_file_batches(), start=1):
            ahead.append(yielded - int(model.optimizer.iterations))
            yield batch

    model.fit_generator(watching(), steps_per_epoch=40, epochs=1, verbose=0,
                        workers=workers, max_queue_size=max_queue_size)  # fmt: skip
    assert len(fast_calls) == 1
    assert max(ahead) <= bound


def test_a_generator_that_runs_out_stops_training(fast_calls):
    model = _mlp()

    def five():
        yield from (batch for _, batch in zip(range(5), _file_batches(), strict=False))

    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit_generator(five(), steps_per_epoch=3, epochs=4, verbose=0)
    assert history.epoch == [0, 1]  # 3 batches, then 2 batches and the warning
    assert int(model.optimizer.iterations) == 5


def test_a_batch_of_another_kind_mid_stream_is_a_clear_error(fast_calls):
    def changing():
        batches = _file_batches()
        yield next(batches)
        x, y = next(batches)
        yield x.tolist(), y

    with pytest.raises(TypeError, match="not NumPy arrays of numbers.*same kind of batch"):
        _mlp().fit_generator(changing(), steps_per_epoch=2, epochs=1, verbose=0)


@pytest.mark.parametrize("workers", [0, 1])
def test_the_generators_own_error_reaches_the_caller(fast_calls, workers):
    def failing():
        yield next(_file_batches())
        raise KeyError("bad line 2")

    with pytest.raises(KeyError, match="bad line 2"):
        _mlp().fit_generator(failing(), steps_per_epoch=3, epochs=1, verbose=0, workers=workers)


def test_the_progress_bar_ends_each_epoch(fast_calls, capsys):
    _mlp().fit_generator(_file_batches(), steps_per_epoch=4, epochs=2, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("4/4 - ") and "accuracy: " in lines[1] and "loss: " in lines[1]


class _Batches(keras3.utils.PyDataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return next(_file_batches(seed=index))


class _BatchHook(callbacks_module.Callback):
    def on_batch_end(self, batch, logs=None):
        pass


def _make_validation():
    return next(_file_batches(seed=9))


@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        (_Batches, {}),
        (_file_batches, {"validation_data": _make_validation()}),
        (_file_batches, {"callbacks": [_BatchHook()]}),
        (lambda: ((keras3.ops.convert_to_tensor(x), y) for x, y in _file_batches()), {}),
    ],
    ids=["sequence", "validation_data", "batch_hooks", "tensors"],
)
def test_what_keeps_keras3_path(fast_calls, data, kwargs):
    history = _mlp().fit_generator(data(), steps_per_epoch=2, epochs=1, verbose=0, **kwargs)
    assert history.epoch == [0]
    assert not fast_calls


def _why_not(model, generator, **arguments):
    """The generator path's answer for `fit_generator(generator, **arguments)`, asked as
    the trainer asks it: `x` is Keras 2's enqueuer (a `Feed`)."""
    with Feed(generator, workers=1, max_queue_size=10, use_multiprocessing=False) as feed:
        call = Call({"x": feed, "steps_per_epoch": 2, **arguments}, kind_of(generator))
        return fast_generator.FAST_GENERATOR.why_not(model, call)


def test_fallback_reasons():
    model = _mlp()
    assert _why_not(model, _file_batches()) is None
    assert "Sequence" in _why_not(model, _Batches())
    assert _why_not(model, _file_batches(), validation_data=(1, 2)) == "validation_data is given"
    assert _why_not(model, iter([([1.0], [0])])) == (
        "the generator's batches are not NumPy arrays of numbers"
    )
    assert _why_not(model, iter([])) == "the generator yielded no batch"
    # `fit_generator` records the reason of the path it took, as `fit` does.
    model.fit_generator(_Batches(), steps_per_epoch=2, verbose=0)
    assert "Sequence" in model.fit_fallback_reason
    model.fit_generator(_file_batches(), steps_per_epoch=2, verbose=0)
    assert model.fit_fallback_reason == ""
