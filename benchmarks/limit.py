"""The practical limit: each guide model trained by a fused loop in plain TensorFlow.

No Keras at all: the model is a function of `tf.Variable`s, trained by the suite's
reference trainer (`conformance/suite/tf_trainer.py`, also its performance baseline):
the loss, the accuracy and the optimizer update are a few TensorFlow ops each, and one
`tf.function` runs a whole epoch (shuffle, every batch including the last partial one,
validation) with a `tf.while_loop`. Recurrent layers compute the input projection of all
time steps at once, then unroll short sequences and loop over long ones. The arithmetic is the
guides' (same shapes, same optimizers; an embedding's RMSprop update touches only the
rows its batch used, as refimpl's does, with the numbers of a dense update); what is
left out is every layer of framework between the user and TensorFlow, so no Keras
implementation can be expected to beat these numbers by much.

Example:

>>> trainer = Trainer(CASES["mlp_binary_small"])  # doctest: +SKIP
>>> trainer.epoch()  # doctest: +SKIP
{'loss': 0.69, 'accuracy': 0.51}
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from benchmarks.models import Case, Data
from conformance.suite import models, tf_trainer


class _Params:
    """The variables of one model, created in order with a seeded Glorot-uniform init."""

    def __init__(self, seed: int = 0):
        self._rng = np.random.RandomState(seed)
        self.variables: list[tf.Variable] = []

    def kernel(self, *shape: int) -> tf.Variable:
        fan_in = int(np.prod(shape[:-1]))
        limit = np.sqrt(6.0 / (fan_in + shape[-1]))
        value = self._rng.uniform(-limit, limit, size=shape).astype("float32")
        self.variables.append(tf.Variable(value))
        return self.variables[-1]

    def bias(self, size: int, value: float = 0.0) -> tf.Variable:
        self.variables.append(tf.Variable(np.full((size,), value, "float32")))
        return self.variables[-1]


# -- layers: functions of variables -----------------------------------------------------
def _dense(params: _Params, units_in: int, units: int, activation: Callable | None = None):
    kernel, bias = params.kernel(units_in, units), params.bias(units)

    def call(x):
        y = tf.matmul(x, kernel) + bias
        return activation(y) if activation else y

    return call


def _dropout(rate: float):
    def call(x, training):
        return tf.nn.dropout(x, rate) if training else x

    return call


#: Sequences up to this length are unrolled; longer ones loop (unrolling 100 or 140
#: steps makes tracing and XLA compilation take minutes).
_UNROLL_STEPS = 16


def _lstm(params: _Params, units_in: int, units: int, steps: int, sequences: bool = False):
    """An LSTM (Keras gate order i, f, c, o) over `steps` time steps."""
    kernel = params.kernel(units_in, 4 * units)
    recurrent = params.kernel(units, 4 * units)
    # Keras's unit_forget_bias: the forget gate starts at 1.
    bias = tf.Variable(np.r_[np.zeros(units), np.ones(units), np.zeros(2 * units)].astype("f4"))
    params.variables.append(bias)

    def cell(z_input, h, c):
        i, f, g, o = tf.split(z_input + tf.matmul(h, recurrent), 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        return tf.sigmoid(o) * tf.tanh(c), c

    def call(x, state=None):
        # The input projection of every step at once, outside the recurrence.
        projected = tf.einsum("btf,fg->btg", x, kernel) + bias
        if state is None:
            zeros = tf.zeros([tf.shape(x)[0], units])
            state = (zeros, zeros)
        h, c = state
        if steps <= _UNROLL_STEPS:
            outputs = []
            for t in range(steps):
                h, c = cell(projected[:, t], h, c)
                outputs.append(h)
            return (tf.stack(outputs, axis=1) if sequences else h), (h, c)
        # Read each step from a TensorArray: slicing a tensor captured by the loop would
        # make the gradient add up a full-size tensor at every step.
        by_time = tf.TensorArray(tf.float32, size=steps).unstack(tf.transpose(projected, [1, 0, 2]))
        outputs = tf.TensorArray(tf.float32, size=steps)

        def body(t, h, c, outputs):
            h, c = cell(by_time.read(t), h, c)
            return t + 1, h, c, outputs.write(t, h)

        _, h, c, outputs = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), h, c, outputs)
        )
        if sequences:
            return tf.transpose(outputs.stack(), [1, 0, 2]), (h, c)
        return h, (h, c)

    return call


# -- the guide models --------------------------------------------------------------------
def _model(name: str, p: _Params) -> tuple[Callable, list[str], str]:
    """forward(x, training) -> list of outputs, the loss of each output, the optimizer."""
    relu, sigmoid, softmax = tf.nn.relu, tf.sigmoid, tf.nn.softmax
    bce, cce = "binary_crossentropy", "categorical_crossentropy"
    if name in ("mlp_binary_small", "mlp_softmax_small"):
        out = 1 if name == "mlp_binary_small" else 10
        hidden, top = _dense(p, 100, 32, relu), _dense(p, 32, out, sigmoid if out == 1 else softmax)
        return (lambda x, t: [top(hidden(x))]), [bce if out == 1 else cce], "rmsprop"
    if name in ("mlp_multiclass", "mlp_binary"):
        out = 10 if name == "mlp_multiclass" else 1
        d1, d2 = _dense(p, 20, 64, relu), _dense(p, 64, 64, relu)
        top, drop = _dense(p, 64, out, softmax if out == 10 else sigmoid), _dropout(0.5)

        def mlp(x, t):
            return [top(drop(d2(drop(d1(x), t)), t))]

        return mlp, [cce if out == 10 else bce], "sgd-nesterov" if out == 10 else "rmsprop"
    if name == "vgg_convnet":
        convs = [p.kernel(3, 3, a, b) for a, b in ((3, 32), (32, 32), (32, 64), (64, 64))]
        biases = [p.bias(b) for b in (32, 32, 64, 64)]
        fc, top = _dense(p, 22 * 22 * 64, 256, relu), _dense(p, 256, 10, softmax)

        def vgg(x, t):
            for stage in (0, 2):
                for j in (stage, stage + 1):
                    x = relu(tf.nn.conv2d(x, convs[j], 1, "VALID") + biases[j])
                x = _dropout(0.25)(tf.nn.max_pool2d(x, 2, 2, "VALID"), t)
            return [top(_dropout(0.5)(fc(tf.reshape(x, [-1, 22 * 22 * 64])), t))]

        return vgg, [cce], "sgd-nesterov"
    if name == "lstm_embedding":
        table = p.kernel(1000, 256)
        lstm, top = _lstm(p, 256, 128, 40), _dense(p, 128, 1, sigmoid)

        def words(x, t):
            return [top(_dropout(0.5)(lstm(tf.gather(table, x))[0], t))]

        return words, [bce], "rmsprop"
    if name == "conv1d":
        shapes = ((100, 64), (64, 64), (64, 128), (128, 128))
        kernels = [p.kernel(3, a, b) for a, b in shapes]
        biases = [p.bias(b) for _, b in shapes]
        top = _dense(p, 128, 1, sigmoid)

        def conv(x, t):
            for j in range(4):
                x = relu(tf.nn.conv1d(x, kernels[j], 1, "VALID") + biases[j])
                if j == 1:
                    x = tf.nn.max_pool1d(x, 3, 3, "VALID")
            return [top(_dropout(0.5)(tf.reduce_mean(x, 1), t))]

        return conv, [bce], "rmsprop"
    if name in ("stacked_lstm", "stateful_lstm"):
        layers = [_lstm(p, 16, 32, 8, True), _lstm(p, 32, 32, 8, True), _lstm(p, 32, 32, 8)]
        top = _dense(p, 32, 10, softmax)
        states = None
        if name == "stateful_lstm":
            states = [tuple(tf.Variable(tf.zeros([32, 32])) for _ in range(2)) for _ in layers]

        def stacked(x, t):
            for j, layer in enumerate(layers):
                if states is None:
                    x, _ = layer(x)
                else:
                    x, (h, c) = layer(x, (states[j][0].read_value(), states[j][1].read_value()))
                    states[j][0].assign(h)
                    states[j][1].assign(c)
            return [top(x)]

        return stacked, [cce], "rmsprop"
    if name == "headline":
        table = p.kernel(10000, 512)
        lstm, aux = _lstm(p, 512, 32, 100), _dense(p, 32, 1, sigmoid)
        d = [_dense(p, 37, 64, relu), _dense(p, 64, 64, relu), _dense(p, 64, 64, relu)]
        main = _dense(p, 64, 1, sigmoid)

        def headline(x, t):
            encoded = lstm(tf.gather(table, x[0]))[0]
            h = tf.concat([encoded, tf.cast(x[1], tf.float32)], -1)
            for layer in d:
                h = layer(h)
            return [main(h), aux(encoded)]

        return headline, [bce, bce], "rmsprop"
    if name == "shared_lstm":
        lstm, top = _lstm(p, 256, 64, 140), _dense(p, 128, 1, sigmoid)

        def shared(x, t):
            return [top(tf.concat([lstm(x[0])[0], lstm(x[1])[0]], -1))]

        return shared, [bce], "rmsprop"
    raise ValueError(f"No fused limit for case {name!r}.")


#: Weights of each output's loss (the headline model weighs its auxiliary loss 0.2).
LOSS_WEIGHTS = {"headline": models.HEADLINE_LOSS_WEIGHTS}


#: Keras 2's SGD `decay` of the guides (refimpl and tf_keras run it; Keras 3 as a schedule).
SGD_DECAY = 1e-6


class Trainer(tf_trainer.Trainer):
    """One guide model and its data, trained by the reference trainer as the guide
    trains it: shuffled, validated where the guide validates, an embedding's RMSprop
    update touching only its batch's rows."""

    def __init__(self, case: Case, data: Data | None = None, jit_compile: bool = False):
        data = data or case.data()
        self.case = case
        params = _Params()
        forward, losses, optimizer = _model(case.name, params)
        options = {"decay": SGD_DECAY} if optimizer == "sgd-nesterov" else {"sparse_rows": True}
        super().__init__(
            forward, params.variables, [tf_trainer.LOSSES[loss] for loss in losses],
            tf_trainer.make_optimizer(optimizer, params.variables, **options), case.batch_size,
            data.x, data.y, loss_weights=LOSS_WEIGHTS.get(case.name),
            shuffle=data.fit_kwargs.get("shuffle", True),
            validation=data.fit_kwargs.get("validation_data"), jit_compile=jit_compile,
        )  # fmt: skip


__all__ = ["Trainer", "LOSS_WEIGHTS"]
