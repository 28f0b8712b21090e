"""Keras 2.0-2.2's names and behaviours on refimpl, beside tf_keras's (issue 22).

Keras 2.0-2.2 logged `metrics=['accuracy']` as `acc` and `metrics=['mae']` as
`mean_absolute_error`; tf_keras logs what the user wrote. Each test trains the same
small model on refimpl and on tf_keras: what tf_keras code does (iterate, count,
print, index by tf_keras's names) must give tf_keras's answer, and what Keras 2.2 code
does (index by Keras 2.2's names, monitor them, format them into a checkpoint path)
must give the value Keras 2.2 would have read. The other behaviours of the era
(`mode='auto'`, `add_loss`/`add_update` with `inputs=`) are here too; the decisions
are listed in `refimpl.legacy.ERA_DECISIONS`.
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402

import refimpl  # noqa: E402
from refimpl import backend as K  # noqa: E402
from refimpl import callbacks, legacy, metric_names  # noqa: E402

RNG = np.random.RandomState(0)
X = RNG.rand(64, 4).astype("float32")
Y = (X[:, 0] > 0.5).astype("float32")[:, None]
FIT = {"epochs": 2, "batch_size": 16, "verbose": 0, "validation_split": 0.25, "shuffle": False}


def _model(keras, metrics, outputs=1):
    layers = keras.layers
    inputs = layers.Input((4,))
    heads = [layers.Dense(1, activation="sigmoid", name=name)(inputs) for name in "ab"[:outputs]]
    model = keras.models.Model(inputs, heads if outputs > 1 else heads[0])
    model.compile("sgd", "binary_crossentropy", metrics=metrics)
    return model


def _both(metrics, outputs=1, **fit):
    """(refimpl's History, tf_keras's History) of the same fit."""
    y = [Y] * outputs if outputs > 1 else Y
    mine = _model(refimpl, metrics, outputs).fit(X, y, **{**FIT, **fit})
    theirs = _model(tf_keras, metrics, outputs).fit(X, y, **{**FIT, **fit})
    return mine, theirs


#: metrics= -> {Keras 2.2's name: tf_keras's name} of the logs.
ERAS = [
    (["accuracy"], {"acc": "accuracy", "val_acc": "val_accuracy"}),
    (["acc"], {"acc": "acc", "val_acc": "val_acc"}),
    (["mae"], {"mean_absolute_error": "mae", "val_mean_absolute_error": "val_mae"}),
    (["mse", "accuracy"], {"mean_squared_error": "mse", "val_acc": "val_accuracy"}),
]


@pytest.mark.parametrize(("metrics", "names"), ERAS)
def test_history_answers_both_eras_and_iterates_as_tf_keras(metrics, names):
    mine, theirs = _both(metrics)
    history = mine.history
    # tf_keras code: iteration, len, keys, printing see tf_keras's names, in its order.
    assert list(history) == list(theirs.history)
    assert len(history) == len(theirs.history)
    assert repr(list(history.keys())) == repr(list(theirs.history.keys()))
    # Keras 2.2 code: its names read the same values.
    for keras22, tf_name in names.items():
        assert keras22 in history and tf_name in history
        assert history[keras22] == history[tf_name] == history.get(keras22)
    with pytest.raises(KeyError):
        history["binary_acc"]  # another metric, not a spelling of this one


def test_history_pickles_and_dumps_as_a_plain_dict():
    mine, _ = _both(["accuracy"])
    loaded = pickle.loads(pickle.dumps(mine.history))
    assert type(loaded) is dict and loaded == dict(mine.history)
    assert json.loads(json.dumps(mine.history)) == dict(mine.history)


def test_every_callback_reads_both_eras_in_its_logs():
    """A Keras 2.2 callback on the fused path and on Keras 3's step path (batch hooks),
    a LambdaCallback, and what a hook writes into `logs` reaching History."""
    read = []

    class EpochReader(refimpl.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            read.append(("epoch", logs["acc"] == logs["accuracy"], logs.get("val_acc")))
            logs["val_f1"] = 0.5  # a Keras 2 habit: a metric computed here, logged

    class BatchReader(refimpl.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            read.append(("batch", "acc" in logs))

    lam = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: read.append(logs["val_acc"]))
    model = _model(refimpl, ["accuracy"])
    fused = model.fit(X, Y, callbacks=[EpochReader(), lam], **FIT)
    assert model.fit_fallback_reason == ""
    assert fused.history["val_f1"] == [0.5, 0.5]
    stepped = model.fit(X, Y, callbacks=[EpochReader(), BatchReader()], **FIT)
    assert model.fit_fallback_reason
    assert list(stepped.history)[-1] == "val_f1"
    epochs = [r for r in read if isinstance(r, tuple) and r[0] == "epoch"]
    assert len(epochs) == 4 and all(same and value is not None for _, same, value in epochs)
    assert ("batch", True) in read
    assert sum(isinstance(r, float) for r in read) == 2


def test_metrics_names_and_return_dict_as_tf_keras_answering_keras22():
    mine, theirs = _model(refimpl, ["accuracy", "mae"]), _model(tf_keras, ["accuracy", "mae"])
    for model in (mine, theirs):
        model.fit(X, Y, **FIT)
    assert mine.metrics_names == theirs.metrics_names
    assert "acc" in mine.metrics_names
    assert mine.metrics_names.index("mean_absolute_error") == theirs.metrics_names.index("mae")
    logs = mine.evaluate(X, Y, verbose=0, return_dict=True)
    assert list(logs) == list(theirs.evaluate(X, Y, verbose=0, return_dict=True))
    assert logs["acc"] == logs["accuracy"] and logs["mean_absolute_error"] == logs["mae"]
    assert mine.train_on_batch(X, Y, return_dict=True)["acc"] is not None


def test_multi_output_names_of_both_eras():
    mine, theirs = _both(["accuracy", "mae"], outputs=2)
    assert list(mine.history) == list(theirs.history)
    assert mine.history["val_a_acc"] == mine.history["val_a_accuracy"]
    assert mine.history["b_mean_absolute_error"] == mine.history["b_mae"]
    assert "c_acc" not in mine.history  # no output named c


def test_csv_logger_columns_are_tf_keras(tmp_path):
    paths = {}
    for name, keras in (("mine", refimpl), ("theirs", tf_keras)):
        paths[name] = str(tmp_path / f"{name}.csv")
        model = _model(keras, ["accuracy"])
        model.fit(X, Y, callbacks=[keras.callbacks.CSVLogger(paths[name])], **FIT)
    headers = {}
    for name, path in paths.items():
        with open(path) as lines:
            headers[name] = next(csv.reader(lines))
    assert headers["mine"] == headers["theirs"]


def test_monitors_in_keras22_spelling(tmp_path):
    """`val_acc` for `metrics=['accuracy']`: monitored, maximised, formatted into paths."""
    path = str(tmp_path / "weights-{epoch:02d}-{val_acc:.2f}.h5")
    stop = callbacks.EarlyStopping(monitor="val_acc", patience=5)
    save = callbacks.ModelCheckpoint(path, monitor="val_acc", save_best_only=True,
                                     save_weights_only=True)  # fmt: skip
    plateau = callbacks.ReduceLROnPlateau(monitor="val_mean_absolute_error", patience=5)
    model = _model(refimpl, ["accuracy", "mae"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(X, Y, callbacks=[stop, save, plateau], **FIT)
    assert not [w for w in caught if "not available" in str(w.message)]
    assert (stop.mode, save.mode, plateau.mode) == ("max", "max", "min")
    first = f"weights-01-{history.history['val_accuracy'][0]:.2f}.h5"
    assert first in os.listdir(tmp_path)
    assert stop.best == max(history.history["val_acc"])


#: Monitors where Keras 2.2's rule, tf_keras's ModelCheckpoint and refimpl agree.
AGREED = ["val_acc", "acc", "val_accuracy", "val_loss", "loss", "mean_absolute_error",
          "val_top_k_categorical_accuracy", "fmeasure", "out_acc", "val_mae"]  # fmt: skip
#: Where refimpl departs from one of them: monitor -> (refimpl's mode, the word naming
#: its entry in ERA_DECISIONS).
DEPARTURES = {
    "val_auc": ("max", "'auc'"),
    "val_fmeasure": ("max", "'fmeasure'"),
    "val_accent_loss": ("min", "'accent'"),
}


@pytest.mark.parametrize("monitor", AGREED)
def test_auto_mode_reads_the_name_as_keras2(monitor):
    keras22 = "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
    theirs = tf_keras.callbacks.ModelCheckpoint("unused.h5", monitor=monitor).monitor_op
    assert callbacks.auto_mode(monitor) == keras22
    assert (theirs is np.greater) == (keras22 == "max")
    assert callbacks.EarlyStopping(monitor=monitor).mode == keras22
    assert callbacks.ModelCheckpoint("x.h5", monitor=monitor).mode == keras22


@pytest.mark.parametrize("monitor", sorted(DEPARTURES))
def test_auto_mode_departures_are_recorded(monitor):
    mode, word = DEPARTURES[monitor]
    assert callbacks.auto_mode(monitor) == mode
    decisions = [d for d in legacy.ERA_DECISIONS if word in d.what or word in d.keras22]
    assert decisions and all("auto" in d.what for d in decisions)


def test_explicit_mode_and_positional_arguments_are_kept():
    assert callbacks.EarlyStopping("val_acc", 0, 2, 0, "min").mode == "min"
    stop = callbacks.EarlyStopping("val_acc", 0.1, 3)
    assert (stop.mode, stop.patience, stop.monitor) == ("max", 3, "val_acc")


def test_add_loss_and_add_update_take_keras2_inputs():
    """The book's VAE layer (`add_loss(loss, inputs=inputs)`) and Keras 2's
    `add_update([(variable, value)], inputs)`, which runs once a training step."""
    layers = refimpl.layers

    class KLDivergence(layers.Layer):
        def call(self, inputs):
            mean, log_var = inputs
            kl = -0.5 * K.mean(1 + log_var - K.square(mean) - K.exp(log_var), axis=-1)
            self.add_loss(K.mean(kl), inputs=inputs)
            return mean

    class StepCounter(layers.Layer):
        def build(self, shape):
            self.count = self.add_weight(name="count", shape=(), initializer="zeros",
                                         trainable=False)  # fmt: skip

        def call(self, x):
            self.add_update([(self.count, self.count + 1)], x)
            return x

    inputs = layers.Input((4,))
    counter = StepCounter()
    encoded = [layers.Dense(2)(inputs), layers.Dense(2)(inputs)]
    model = refimpl.models.Model(inputs, layers.Dense(1)(counter(KLDivergence()(encoded))))
    model.compile("sgd", "mse")
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert float(K.get_value(counter.count)) == 2 * len(X) / 16  # once a step, not in predict
    # The loss is the mean squared error plus the KL term of the encoder's outputs.
    mean, log_var = refimpl.models.Model(inputs, encoded).predict(X)
    kl = np.mean(-0.5 * np.mean(1 + log_var - mean**2 - np.exp(log_var), axis=-1))
    mse = np.mean((model.predict(X) - Y) ** 2)
    assert model.evaluate(X, Y, verbose=0, batch_size=len(X)) == pytest.approx(mse + kl, 1e-4)
    assert float(K.get_value(counter.count)) == 2 * len(X) / 16


def test_metric_logs_write_through_and_spellings():
    logs = metric_names.MetricLogs({"loss": 1.0, "accuracy": 0.5}, outputs=("out",))
    logs["acc"] = 0.75
    assert dict(logs) == {"loss": 1.0, "accuracy": 0.75}
    assert metric_names.keras22_name("crossentropy") == "ce"
    assert "val_out_accuracy" in metric_names.spellings("val_out_acc", ("out",))
    assert metric_names.spellings("binary_accuracy") == []
    assert logs.with_every_spelling()["acc"] == 0.75


# -- keras.backend ------------------------------------------------------------------------
def _numpy(x):
    return np.asarray(x)


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "axes", "transpose"),
    [
        ((2, 3, 5, 4), (2, 3, 4, 6), None, (False, False)),
        ((2, 3, 5, 4), (2, 3, 6, 4), [3, 3], (False, True)),
        ((2, 3, 4, 5), (2, 3, 6, 4), [2, 3], (True, True)),  # the call
        ((2, 3, 4, 5), (2, 3, 4, 6), (-2, -2), (True, False)),
        ((2, 2, 3, 5, 4), (2, 2, 3, 4, 6), 4, (False, True)),
    ],
)
def test_batch_dot_of_rank_4_and_more_is_keras22s_batched_product(x_shape, y_shape, axes,
                                                                  transpose):  # fmt: skip
    """Keras 2.2: a matrix product of the last two axes over all the leading ones."""
    if isinstance(axes, int):
        y_shape = (*y_shape[:-2], y_shape[-1], y_shape[-2])
    x, y = RNG.rand(*x_shape).astype("f4"), RNG.rand(*y_shape).astype("f4")
    a = np.swapaxes(x, -1, -2) if transpose[0] else x
    b = np.swapaxes(y, -1, -2) if transpose[1] else y
    np.testing.assert_allclose(_numpy(K.batch_dot(x, y, axes=axes)), a @ b, rtol=1e-5)


@pytest.mark.parametrize(
    ("x_shape", "y_shape", "axes"),
    [((4, 3, 5), (4, 5, 2), None), ((4, 3, 5), (4, 3, 2), (1, 1)), ((4, 5), (4, 2, 5), (1, 2)),
     ((4, 3, 5, 2), (4, 6, 5), (2, 2)), ((4, 3, 5, 2), (4, 3, 5, 6), (1, 1))],
)  # fmt: skip
def test_batch_dot_elsewhere_is_tf_keras(x_shape, y_shape, axes):
    """Ranks below 4, unequal ranks, or an axis outside the last two: tf_keras's
    definition (the same as Keras 2.2's below rank 4)."""
    x, y = RNG.rand(*x_shape).astype("f4"), RNG.rand(*y_shape).astype("f4")
    expected = tf_keras.backend.batch_dot(x, y, axes=axes)
    np.testing.assert_allclose(_numpy(K.batch_dot(x, y, axes=axes)), expected, rtol=1e-5)


def test_batch_dot_of_rank_4_rejects_leading_axes_that_differ():
    with pytest.raises(ValueError, match="leading ones"):
        K.batch_dot(np.ones((2, 3, 4, 5)), np.ones((2, 4, 5, 6)))


def _step(inputs, states):
    """A simple RNN cell with a constant bias: (output, [new state])."""
    (h, bias) = states
    output = np.float32(0.5) * h + inputs[:, :3] * 0.25 + bias
    return output, [output]


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_rnn_as_tf_keras(go_backwards, unroll, masked):
    x = RNG.rand(2, 5, 4).astype("f4")
    h0 = RNG.rand(2, 3).astype("f4")
    bias = np.full((2, 3), 0.1, "f4")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool) if masked else None
    kwargs = {"go_backwards": go_backwards, "mask": mask, "constants": [bias], "unroll": unroll}
    mine = K.rnn(_step, x, [h0], **kwargs)
    constant = tf_keras.backend.constant
    kwargs["constants"] = [constant(bias)]
    theirs = tf_keras.backend.rnn(_step, constant(x), [constant(h0)], **kwargs)
    pairs = zip((mine[0], mine[1], *mine[2]), (theirs[0], theirs[1], *theirs[2]), strict=True)
    for got, expected in pairs:
        np.testing.assert_allclose(_numpy(got), _numpy(expected), rtol=1e-5)


def test_ctc_functions_as_tf_keras():
    logits = RNG.rand(3, 8, 5).astype("f4") * 4
    y_pred = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype("f4")
    labels = np.array([[1, 2, 0], [3, 3, 1], [2, 0, 0]], "int32")
    input_length = np.array([[8], [7], [6]], "int32")
    label_length = np.array([[2], [3], [1]], "int32")
    cost = K.ctc_batch_cost(labels, y_pred, input_length, label_length)
    expected = tf_keras.backend.ctc_batch_cost(labels, y_pred, input_length, label_length)
    assert cost.shape == (3, 1)
    np.testing.assert_allclose(_numpy(cost), _numpy(expected), rtol=1e-5)
    for greedy in (True, False):
        lengths = input_length[:, 0]
        mine = K.ctc_decode(y_pred, lengths, greedy=greedy, beam_width=4, top_paths=1)
        theirs = tf_keras.backend.ctc_decode(y_pred, lengths, greedy=greedy, beam_width=4)
        np.testing.assert_array_equal(_numpy(mine[0][0]), _numpy(theirs[0][0]))
        np.testing.assert_allclose(_numpy(mine[1]), _numpy(theirs[1]), rtol=1e-5)


@pytest.mark.parametrize("name", ["crossentropy", "ce"])
@pytest.mark.parametrize("loss", ["binary_crossentropy", "mse"])
def test_crossentropy_metric_follows_the_loss(name, loss):
    """'crossentropy'/'ce' is the crossentropy matching the loss (Keras 2.2 and tf_keras;
    Keras 3 cannot read it), logged as written and answering Keras 2.2's 'ce'."""
    models = [_model(keras, [name]) for keras in (refimpl, tf_keras)]
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.compile("sgd", loss, metrics=[name])
    mine, theirs = (model.fit(X, Y, **FIT).history for model in models)
    assert list(mine) == list(theirs)
    np.testing.assert_allclose(mine[name], theirs[name], rtol=1e-4)
    assert mine["ce"] == mine["crossentropy"] == mine[name]


def test_callback_params_hold_keras22_keys_too():
    """Keras 2.2 callbacks read `self.params['metrics']`, `['samples']`, `['batch_size']`
    and `['do_validation']`; tf_keras's `verbose`, `epochs` and `steps` stay."""
    seen = {}

    class ParamsReader(refimpl.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.update(self.params)

    model = _model(refimpl, ["accuracy"])
    for _ in range(2):  # the second fit: the metrics are built before the callbacks start
        model.fit(X, Y, callbacks=[ParamsReader()], **FIT)
    assert seen["metrics"] == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert (seen["samples"], seen["batch_size"], seen["do_validation"]) == (48, 16, True)
    assert (seen["epochs"], seen["steps"], seen["verbose"]) == (2, 3, 0)


# Keras 2.2's remaining backend functions, against tf_keras's.
IMAGES = RNG.rand(2, 6, 6, 3).astype("f4")
VOLUMES = RNG.rand(2, 4, 6, 6, 3).astype("f4")
BACKEND_CASES = [
    ("map_fn", (lambda row: row * 2.0, X), {}),
    ("foldl", (lambda total, row: total + row, X), {}),
    ("foldr", (lambda total, row: total * 0.5 + row, X), {}),
    ("in_top_k", (X, np.arange(64) % 4, 2), {}),
    ("batch_normalization", (X, X.mean(0), X.var(0), np.ones(4, "f4"), np.ones(4, "f4")), {}),
    ("conv3d", (VOLUMES, RNG.rand(2, 3, 3, 3, 5).astype("f4")), {"padding": "same"}),
    ("conv3d", (np.moveaxis(VOLUMES, -1, 1), RNG.rand(2, 3, 3, 3, 5).astype("f4")),
     {"data_format": "channels_first"}),
    ("pool3d", (VOLUMES, (2, 2, 2)), {"strides": (2, 2, 2), "pool_mode": "avg"}),
    ("separable_conv2d", (IMAGES, RNG.rand(3, 3, 3, 2).astype("f4"),
                          RNG.rand(1, 1, 6, 4).astype("f4")), {}),
    ("depthwise_conv2d", (IMAGES, RNG.rand(3, 3, 3, 2).astype("f4")), {"padding": "same"}),
    ("conv2d_transpose", (IMAGES, RNG.rand(3, 3, 4, 3).astype("f4"), (2, 13, 13, 4)),
     {"strides": (2, 2)}),
    ("resize_images", (IMAGES, 2, 3, "channels_last"), {}),
    ("resize_images", (np.moveaxis(IMAGES, -1, 1), 2, 2, "channels_first"),
     {"interpolation": "bilinear"}),
    ("spatial_3d_padding", (VOLUMES, ((1, 0), (0, 2), (1, 1))), {}),
]  # fmt: skip


def _tensors(values):
    """NumPy arrays as TensorFlow constants (tf_keras's backend reads `x.shape.rank`)."""
    constant = tf_keras.backend.constant
    return [constant(v, dtype=v.dtype) if isinstance(v, np.ndarray) else v for v in values]


@pytest.mark.parametrize(("name", "args", "kwargs"), BACKEND_CASES)
def test_keras22_backend_functions_as_tf_keras(name, args, kwargs):
    mine = getattr(K, name)(*args, **kwargs)
    theirs = getattr(tf_keras.backend, name)(*_tensors(args), **kwargs)
    np.testing.assert_allclose(_numpy(mine), _numpy(theirs), rtol=1e-5, atol=1e-6)


def test_keras22_batch_norm_helpers_as_tf_keras():
    gamma, beta = np.full(4, 2.0, "f4"), np.full(4, 0.5, "f4")
    mine = K.normalize_batch_in_training(X, gamma, beta, [0])
    theirs = tf_keras.backend.normalize_batch_in_training(*_tensors([X, gamma, beta]), [0])
    for got, expected in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(_numpy(got), _numpy(expected), rtol=1e-5, atol=1e-6)
    variable = K.variable(np.zeros(4, "f4"))
    K.moving_average_update(variable, np.ones(4, "f4"), 0.9)
    np.testing.assert_allclose(K.get_value(variable), np.full(4, 0.1), rtol=1e-6)
    assert [K.get_uid("dense"), K.get_uid("dense")] == [1, 2]
    K.reset_uids()
    assert K.get_uid("dense") == 1 and K.get_variable_shape(variable) == (4,)
    assert K.print_tensor(variable, "moving: ") is variable
