"""refimpl's fast `fit` path (`refimpl.training.fast_fit`) against Keras 3's step path.

Each comparison builds two identical models (same seed, same initial weights), trains
one with Keras 3's step-by-step `fit` (`fast_paths(False)`) and one with the fused epoch
loop, on the same data in the same order (`shuffle=False`), and requires the same
`History` and the same final weights and optimizer `iterations`: the MLPs with dropout
and partial last batches, Keras 2's SGD with `decay`, a functional model with two
inputs and two outputs, validation (`validation_data`, `validation_split`,
`validation_freq`), `sample_weight` and `class_weight`, `initial_epoch`, a stateful
stacked LSTM, an XLA-compiled LSTM and recompiling between fits. Shuffling uses every
sample once per epoch and is reproducible under a seed. Epoch-level callbacks see the
same calls and stop training at the same epoch; a callback with batch-level hooks, a
generator, `REFIMPL_FAST_FIT=0` and `fast_paths(False)` keep Keras 3's path. The progress
output of `verbose=2` is line for line Keras 3's, timings aside.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from refimpl import callbacks as callbacks_module  # noqa: E402
from refimpl import compilation, optimizers  # noqa: E402
from refimpl._keras3 import keras3  # noqa: E402
from refimpl.layers import LSTM, Dense, Dropout, Embedding, Input, concatenate  # noqa: E402
from refimpl.models import Model, Sequential  # noqa: E402
from refimpl.training import compiled, fast_fit, fast_path  # noqa: E402
from refimpl.training.fast_path import Call, fast_paths  # noqa: E402

RTOL = 1e-6
ATOL = 1e-6


@pytest.fixture
def fast_calls(count_calls):
    """Counts the calls of the fast path (and still runs it)."""
    return count_calls(fast_fit, "fit")


def _mlp(outputs=1, optimizer="rmsprop", loss="binary_crossentropy", seed=3):
    keras3.utils.set_random_seed(seed)
    model = Sequential()
    model.add(Dense(16, activation="relu", input_dim=20))
    model.add(Dropout(0.5))
    model.add(Dense(outputs, activation="sigmoid" if outputs == 1 else "softmax"))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _binary_data(samples=203, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.random_sample((samples, 20))
    return x, (x[:, :1] + rng.random_sample((samples, 1)) * 0.5 > 0.75).astype("int32")


def _twins(build):
    """Two models from `build`, the second with the first's initial weights."""
    step, fast = build(), build()
    fast.set_weights(step.get_weights())
    return step, fast


def _assert_same_training(step, fast, step_history, fast_history):
    assert sorted(fast_history.history) == sorted(step_history.history)
    for key, values in step_history.history.items():
        np.testing.assert_allclose(fast_history.history[key], values, rtol=RTOL, atol=ATOL)
    assert fast_history.epoch == step_history.epoch
    for a, b in zip(step.get_weights(), fast.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
    assert int(fast.optimizer.iterations) == int(step.optimizer.iterations)


def _compare(build, x, y, fast_calls, **fit_kwargs):
    step, fast = _twins(build)
    fit_kwargs.setdefault("verbose", 0)
    fit_kwargs.setdefault("shuffle", False)
    with fast_paths(False):
        step_history = step.fit(x, y, **fit_kwargs)
    assert not fast_calls
    fast_history = fast.fit(x, y, **fit_kwargs)
    assert len(fast_calls) == 1, "the fast path was not taken"
    _assert_same_training(step, fast, step_history, fast_history)
    return step_history, fast_history, step, fast


def test_mlp_with_dropout_and_partial_batch_trains_like_keras3(fast_calls):
    x, y = _binary_data()  # 203 samples: 6 batches of 32 and one of 11
    history, _, _, fast = _compare(_mlp, x, y, fast_calls, epochs=3, batch_size=32)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert int(fast.optimizer.iterations) == 3 * 7


def test_keras2_sgd_decay_advances_iterations_per_batch(fast_calls):
    def build():
        sgd = optimizers.SGD(lr=0.05, decay=0.01, momentum=0.9, nesterov=True)
        return _mlp(outputs=3, optimizer=sgd, loss="categorical_crossentropy")

    x, labels = _binary_data()
    y = keras3.utils.to_categorical(labels[:, 0] + (x[:, 1] > 0.5), 3)
    *_, fast = _compare(build, x, y, fast_calls, epochs=4, batch_size=50)
    assert int(fast.optimizer.iterations) == 4 * 5


def _two_in_two_out(seed=5):
    keras3.utils.set_random_seed(seed)
    words = Input(shape=(12,), dtype="int32", name="words")
    extra = Input(shape=(3,), name="extra")
    encoded = LSTM(8)(Embedding(50, 6)(words))
    aux = Dense(1, activation="sigmoid", name="aux")(encoded)
    hidden = Dense(8, activation="relu")(concatenate([encoded, extra]))
    main = Dense(1, activation="sigmoid", name="main")(hidden)
    model = Model(inputs=[words, extra], outputs=[main, aux])
    model.compile(
        optimizer="rmsprop", loss="binary_crossentropy", loss_weights=[1.0, 0.2], jit_compile=False
    )
    return model


def _two_in_two_out_data(samples=70):
    rng = np.random.RandomState(1)
    words = rng.randint(1, 50, size=(samples, 12)).astype("int32")
    extra = rng.random_sample((samples, 3))
    labels = ((words < 25).mean(axis=1, keepdims=True) + extra[:, :1] > 1.0).astype("int32")
    return words, extra, labels


def test_functional_model_with_two_inputs_and_outputs(fast_calls):
    # 70 samples in batches of 14: no partial batch (see the next test for one).
    words, extra, labels = _two_in_two_out_data()
    history, *_ = _compare(
        _two_in_two_out, [words, extra], [labels, labels], fast_calls, epochs=2, batch_size=14
    )
    assert {"loss", "main_loss", "aux_loss"} <= set(history.history)


def test_each_outputs_loss_is_the_mean_over_samples(fast_calls):
    """With a partial last batch, `main_loss` is the epoch's mean over samples (Keras 2).

    Keras 3's step path weighs each batch's per-output loss by the batch size only
    where the traced step knows it statically, which its partial-batch trace does not;
    the fused loop always knows it. With a learning rate of 0 the weights stay put, so
    the epoch means must equal one evaluation over all the data.
    """
    words, extra, labels = _two_in_two_out_data()
    model = _two_in_two_out()
    model.compile(
        optimizer=optimizers.SGD(lr=0.0), loss="binary_crossentropy", loss_weights=[1.0, 0.2]
    )
    history = model.fit([words, extra], [labels, labels], epochs=1, batch_size=16, verbose=0)
    assert len(fast_calls) == 1
    expected = model.evaluate(
        [words, extra], [labels, labels], batch_size=len(words), verbose=0, return_dict=True
    )
    for key in ("loss", "main_loss", "aux_loss"):
        assert history.history[key][0] == pytest.approx(expected[key], rel=1e-5)


def test_inputs_and_outputs_given_as_dicts(fast_calls):
    words, extra, labels = _two_in_two_out_data()
    _compare(
        _two_in_two_out,
        {"words": words, "extra": extra},
        {"main": labels, "aux": labels},
        fast_calls,
        epochs=2,
        batch_size=35,
    )


def test_validation_data_and_validation_freq(fast_calls):
    x, y = _binary_data()
    vx, vy = _binary_data(61, seed=1)
    history, *_ = _compare(
        _mlp,
        x,
        y,
        fast_calls,
        epochs=4,
        batch_size=32,
        validation_data=(vx, vy),
        validation_freq=2,
    )
    assert len(history.history["val_loss"]) == 2  # epochs 2 and 4 only
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_validation_split_takes_the_last_samples(fast_calls):
    x, y = _binary_data()
    history, *_ = _compare(
        _mlp,
        x,
        y,
        fast_calls,
        epochs=2,
        batch_size=32,
        validation_split=0.25,
        validation_batch_size=20,
    )
    assert len(history.history["val_accuracy"]) == 2


def test_sample_weight(fast_calls):
    x, y = _binary_data()
    weights = np.linspace(0.1, 2.0, len(x))
    _compare(_mlp, x, y, fast_calls, epochs=2, batch_size=32, sample_weight=weights)


def test_class_weight(fast_calls):
    x, y = _binary_data()
    _compare(_mlp, x, y, fast_calls, epochs=2, batch_size=32, class_weight={0: 0.3, 1: 3.0})


def test_initial_epoch_counts_epochs_from_there(fast_calls):
    x, y = _binary_data()
    history, *_ = _compare(_mlp, x, y, fast_calls, epochs=5, initial_epoch=3, batch_size=64)
    assert history.epoch == [3, 4]


def _stateful_lstm():
    keras3.utils.set_random_seed(11)
    model = Sequential()
    model.add(LSTM(8, return_sequences=True, stateful=True, batch_input_shape=(16, 5, 4)))
    model.add(LSTM(8, stateful=True))
    model.add(Dense(3, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def test_stateful_lstm_carries_states_like_keras3(fast_calls):
    rng = np.random.RandomState(2)
    x, y = rng.random_sample((64, 5, 4)), rng.random_sample((64, 3))
    validation = (rng.random_sample((32, 5, 4)), rng.random_sample((32, 3)))
    *_, step, fast = _compare(
        _stateful_lstm, x, y, fast_calls, epochs=2, batch_size=16, validation_data=validation
    )
    for step_layer, fast_layer in zip(step.layers[:2], fast.layers[:2], strict=True):
        for a, b in zip(step_layer.states, fast_layer.states, strict=True):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=RTOL, atol=ATOL)


def test_xla_compiled_model_trains_like_keras3(fast_calls):
    def build():
        keras3.utils.set_random_seed(4)
        model = Sequential([LSTM(8, input_shape=(6, 3)), Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer="adam", jit_compile=True)
        return model

    rng = np.random.RandomState(3)
    x = rng.random_sample((40, 6, 3))
    y = (x.mean(axis=(1, 2)) > 0.5).astype("float32")
    _compare(build, x, y, fast_calls, epochs=2, batch_size=16)


def test_long_runs_of_small_models_compile_the_loop_with_xla(fast_calls, monkeypatch):
    monkeypatch.delenv("REFIMPL_XLA", raising=False)
    monkeypatch.setitem(compilation.LONG_RUN_XLA_STEPS, ("CPU", "dense"), 12)

    def build():
        keras3.utils.set_random_seed(5)
        model = Sequential([Dense(16, activation="relu", input_dim=20), Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        return model

    step, fast = _twins(build)
    assert not fast.jit_compile  # the policy: no XLA for dense models on a CPU
    assert fast_path.jit_mode(fast, 11) == "off" and fast_path.jit_mode(fast, 12) == "loop"
    x, y = _binary_data(64)
    kwargs = {"epochs": 3, "batch_size": 16, "verbose": 0, "shuffle": False}  # 12 steps
    with fast_paths(False):
        step_history = step.fit(x, y, **kwargs)
    fast_history = fast.fit(x, y, **kwargs)
    assert len(fast_calls) == 1
    functions = compiled.keys(fast, "fast_fit")
    assert [key[-1] for key in functions] == ["loop"], "the loop was not compiled with XLA"
    for key, values in step_history.history.items():  # XLA fuses: rounding differs a little
        np.testing.assert_allclose(fast_history.history[key], values, rtol=1e-5, atol=1e-6)
    for a, b in zip(step.get_weights(), fast.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_refimpl_xla_decides_long_runs_too(monkeypatch):
    monkeypatch.setenv("REFIMPL_XLA", "0")
    model = _mlp()
    assert fast_path.jit_mode(model, 10**9) == "off"


def test_recompiling_between_fits_uses_the_new_configuration(fast_calls):
    x, y = _binary_data()
    step, fast = _twins(_mlp)
    for model, fast_flag in ((step, False), (fast, True)):
        with fast_paths(fast_flag):
            model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
        model.compile(optimizer=optimizers.SGD(lr=0.1), loss="mse", metrics=["mae"])
    with fast_paths(False):
        step_history = step.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    fast_history = fast.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
    assert len(fast_calls) == 2
    assert sorted(fast_history.history) == ["loss", "mae"]
    _assert_same_training(step, fast, step_history, fast_history)


def test_shuffling_uses_every_sample_once_per_epoch(fast_calls):
    # With a learning rate of 0 the weights never move, so an epoch's mean loss is the
    # loss over the whole data set only if each sample is seen exactly once.
    x, y = _binary_data()
    keras3.utils.set_random_seed(0)
    model = Sequential([Dense(4, activation="relu", input_dim=20), Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(lr=0.0), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    assert len(fast_calls) == 1
    expected = model.evaluate(x, y, batch_size=len(x), verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected] * 3, rtol=1e-5)


def test_shuffling_is_reproducible_under_a_seed_and_changes_the_order(fast_calls):
    x, y = _binary_data()
    runs = []
    for shuffle in (True, True, False):
        model = _mlp(seed=8)
        keras3.utils.set_random_seed(21)
        runs.append(model.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=shuffle))
    assert runs[0].history == runs[1].history
    assert runs[0].history["loss"] != runs[2].history["loss"]


class _Recorder(callbacks_module.Callback):
    """Records the epoch-level calls it receives, with the logs' keys."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_train_end(self, logs=None):
        self.calls.append(("train_end", sorted(logs or {})))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs or {})))

    def on_test_begin(self, logs=None):
        self.calls.append("test_begin")

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", sorted(logs or {})))


def test_epoch_level_callbacks_see_the_same_calls(fast_calls, tmp_path):
    x, y = _binary_data()
    vx, vy = _binary_data(40, seed=1)
    step, fast = _twins(_mlp)
    recorders, histories, logs = [], [], []
    for model, flag in ((step, False), (fast, True)):
        recorder = _Recorder()
        csv_path = tmp_path / f"log_{flag}.csv"
        schedule = callbacks_module.LearningRateScheduler(lambda epoch: 0.01 / (1 + epoch))
        callbacks = [recorder, callbacks_module.CSVLogger(str(csv_path)), schedule]
        with fast_paths(flag):
            histories.append(
                model.fit(
                    x,
                    y,
                    epochs=3,
                    batch_size=32,
                    shuffle=False,
                    verbose=0,
                    validation_data=(vx, vy),
                    callbacks=callbacks,
                )
            )
        recorders.append(recorder.calls)
        logs.append(csv_path.read_text().splitlines())
    assert len(fast_calls) == 1
    assert recorders[1] == recorders[0]
    assert recorders[1][:3] == ["train_begin", ("epoch_begin", 0), "test_begin"]
    assert histories[1].history["lr"] == pytest.approx([0.01, 0.005, 0.01 / 3])
    _assert_same_training(step, fast, *histories)
    assert logs[1][0] == logs[0][0]  # the same CSV columns
    for fast_row, step_row in zip(logs[1][1:], logs[0][1:], strict=True):
        np.testing.assert_allclose(
            [float(v) for v in fast_row.split(",")],
            [float(v) for v in step_row.split(",")],
            rtol=RTOL,
            atol=ATOL,
        )


def test_early_stopping_stops_at_the_same_epoch(fast_calls):
    x, y = _binary_data()
    histories = []
    step, fast = _twins(_mlp)
    for model, flag in ((step, False), (fast, True)):
        stop = callbacks_module.EarlyStopping(monitor="loss", min_delta=0.01, patience=1)
        with fast_paths(flag):
            histories.append(
                model.fit(
                    x,
                    y,
                    epochs=50,
                    batch_size=32,
                    shuffle=False,
                    verbose=0,
                    callbacks=[stop],
                )
            )
    assert len(fast_calls) == 1
    assert len(histories[0].epoch) < 50
    _assert_same_training(step, fast, *histories)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer:UserWarning")
def test_model_checkpoint_saves_each_epoch(fast_calls, tmp_path):
    x, y = _binary_data()
    model = _mlp()
    path = str(tmp_path / "weights.{epoch:02d}.weights.h5")
    checkpoint = callbacks_module.ModelCheckpoint(path, save_weights_only=True, monitor="loss")
    model.fit(x, y, epochs=3, batch_size=64, verbose=0, callbacks=[checkpoint])
    assert len(fast_calls) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"weights.0{epoch}.weights.h5" for epoch in (1, 2, 3)
    ]
    restored = _mlp()
    restored.load_weights(str(tmp_path / "weights.03.weights.h5"))
    for a, b in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


class _BatchCounter(callbacks_module.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_batch_end(self, batch, logs=None):
        self.batches += 1


def test_batch_level_callbacks_get_every_batch(fast_calls):
    x, y = _binary_data()  # 203 samples in batches of 32: 7 a epoch
    counter = _BatchCounter()
    lambdas = []
    lambda_callback = callbacks_module.LambdaCallback(
        on_batch_end=lambda b, logs: lambdas.append(b)
    )
    model = _mlp()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[counter, lambda_callback])
    assert not fast_calls
    assert counter.batches == 14
    assert lambdas == list(range(7)) * 2


@pytest.mark.parametrize(
    ("callback", "reason"),
    [
        (callbacks_module.TerminateOnNaN(), "TerminateOnNaN has batch-level hooks"),
        (
            keras3.callbacks.ModelCheckpoint("x.keras", save_freq=3),
            "ModelCheckpoint has batch-level hooks",
        ),
        (callbacks_module.EarlyStopping(), ""),
        (callbacks_module.ModelCheckpoint("x.h5"), ""),
        (keras3.callbacks.ProgbarLogger(), ""),
    ],
)
def test_which_callbacks_keep_the_fast_path(callback, reason):
    x, y = _binary_data()
    call = Call.of({"x": x, "y": y, "callbacks": [callback], "epochs": 1})
    assert (fast_fit.FAST_FIT.why_not(_mlp(), call) or "") == reason


def test_fallback_reasons():
    x, y = _binary_data()
    model = _mlp()
    cases = {
        "x is not a NumPy array (or a list or dict of them)": ((iter([]), None), {}),
        "y is not a NumPy array (or a list or dict)": ((x, None), {}),
        "steps_per_epoch is given": ((x, y), {"steps_per_epoch": 3}),
        "shuffle='batch'": ((x, y), {"shuffle": "batch"}),
        "validation_data is not a tuple of NumPy arrays": (
            (x, y),
            {"validation_data": iter([(x, y)])},
        ),
        "the argument 'unknown'": ((x, y), {"unknown": 1}),
        "": ((x, y), {"validation_data": (x, y), "shuffle": False, "class_weight": {0: 1}}),
    }
    for reason, ((data_x, data_y), kwargs) in cases.items():
        call = Call.of({"x": data_x, "y": data_y, **kwargs})
        assert (fast_fit.FAST_FIT.why_not(model, call) or "") == reason
    unbuilt = Sequential([Dense(1)])
    call = Call.of({"x": x, "y": y})
    assert fast_fit.FAST_FIT.why_not(unbuilt, call) == "the model is not compiled"
    # `fit` records the reason of the path it took.
    model.fit(x, y, epochs=1, verbose=0, shuffle="batch")
    assert model.fit_fallback_reason == "shuffle='batch'"
    model.fit(x, y, epochs=1, verbose=0)
    assert model.fit_fallback_reason == ""


def test_switches_force_keras3_path(fast_calls, monkeypatch):
    x, y = _binary_data()
    model = _mlp()
    with fast_paths(False):
        model.fit(x, y, epochs=1, verbose=0)
    monkeypatch.setenv(fast_path.ENV_SWITCH, "0")
    assert fast_fit.FAST_FIT.why_not(model, Call.of({"x": x, "y": y})) == "REFIMPL_FAST_FIT=0"
    model.fit(x, y, epochs=1, verbose=0)
    assert not fast_calls
    monkeypatch.setenv(fast_path.ENV_SWITCH, "1")
    model.fit(x, y, epochs=1, verbose=0)
    assert len(fast_calls) == 1


def test_unbuilt_sequential_model_is_built_before_the_loop(fast_calls):
    x, y = _binary_data()
    keras3.utils.set_random_seed(1)
    model = Sequential([Dense(8, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert len(fast_calls) == 1
    assert model.built and int(model.optimizer.iterations) == 14
    assert len(history.history["loss"]) == 2


def _timeless(text: str) -> str:
    # "7/7 - 0s - 3ms/step - accuracy: ..." -> "7/7 - T - T - accuracy: ..."
    return re.sub(r"\d+(\.\d+)?(us|ms|s)(/step)?", "T", text)


def test_verbose_2_prints_keras3_lines(fast_calls, capsys):
    x, y = _binary_data()
    step, fast = _twins(_mlp)
    outputs = []
    for model, flag in ((step, False), (fast, True)):
        with fast_paths(flag):
            model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=2)
        outputs.append(_timeless(capsys.readouterr().out))
    assert len(fast_calls) == 1
    assert outputs[1] == outputs[0]
    lines = outputs[1].splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.fullmatch(r"7/7 - T - T - accuracy: \d\.\d{4} - loss: \d\.\d{4}", lines[1])


def test_verbose_1_prints_the_final_bar_of_each_epoch(fast_calls, capsys):
    x, y = _binary_data()
    step, fast = _twins(_mlp)
    with fast_paths(False):
        step.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=1)
    step_lines = _timeless(capsys.readouterr().out).splitlines()
    fast.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=1)
    fast_lines = _timeless(capsys.readouterr().out).splitlines()
    assert len(fast_calls) == 1
    # Keras 3 refreshes the bar during the epoch; the last line of each epoch is final.
    # Keras pads a final line with spaces over a longer refresh: ignore trailing blanks.
    assert [line.rstrip() for line in fast_lines if line] == [
        step_lines[0],
        step_lines[step_lines.index("Epoch 2/2") - 1].split("\r")[-1].rstrip(),
        "Epoch 2/2",
        step_lines[-1].split("\r")[-1].rstrip(),
    ]


def test_verbose_0_prints_nothing(capsys):
    x, y = _binary_data()
    _mlp().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
