"""The practical limit: each guide model trained by a fused loop in plain TensorFlow.

No Keras at all: the model is a function of `tf.Variable`s, the loss, the accuracy
and the optimizer update are a few TensorFlow ops each, and one `tf.function` runs a
whole epoch (shuffle, every batch including the last partial one, validation) with a
`tf.while_loop`. Recurrent layers compute the input projection of all time steps at
once, then unroll short sequences and loop over long ones. The arithmetic is the
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
from typing import Any

import numpy as np
import tensorflow as tf

from benchmarks.models import Case, Data

_EPSILON = 1e-7


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


# -- losses, accuracy, optimizers --------------------------------------------------------
def _binary_crossentropy(y, p):
    p = tf.clip_by_value(p, _EPSILON, 1 - _EPSILON)
    y = tf.cast(tf.reshape(y, tf.shape(p)), p.dtype)
    return tf.reduce_mean(-(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)))


def _categorical_crossentropy(y, p):
    p = tf.clip_by_value(p / tf.reduce_sum(p, -1, keepdims=True), _EPSILON, 1 - _EPSILON)
    return tf.reduce_mean(-tf.reduce_sum(tf.cast(y, p.dtype) * tf.math.log(p), -1))


def _binary_accuracy(y, p):
    y = tf.cast(tf.reshape(y, tf.shape(p)), p.dtype)
    return tf.reduce_mean(tf.cast(tf.equal(y, tf.round(p)), tf.float32))


def _categorical_accuracy(y, p):
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y, -1), tf.argmax(p, -1)), tf.float32))


class _RMSprop:
    def __init__(self, variables, lr=0.001, rho=0.9):
        self.lr, self.rho = lr, rho
        self.slots = [tf.Variable(tf.zeros_like(v)) for v in variables]

    def apply(self, gradients, variables):
        for g, v, a in zip(gradients, variables, self.slots, strict=True):
            if isinstance(g, tf.IndexedSlices):  # an embedding's: update only its rows
                rows, positions = tf.unique(g.indices)
                g = tf.math.unsorted_segment_sum(g.values, positions, tf.shape(rows)[0])
                # Decay in place: after a scatter, a dense read copies the whole table.
                every_row = tf.range(tf.shape(a, out_type=rows.dtype)[0])
                a.scatter_mul(tf.IndexedSlices(tf.constant(self.rho, a.dtype), every_row))
                a.scatter_add(tf.IndexedSlices((1 - self.rho) * tf.square(g), rows))
                step = self.lr * g / (tf.sqrt(tf.gather(a, rows)) + _EPSILON)
                v.scatter_sub(tf.IndexedSlices(step, rows))
                continue
            a.assign(self.rho * a + (1 - self.rho) * tf.square(g))
            v.assign_sub(self.lr * g / (tf.sqrt(a) + _EPSILON))


class _NesterovSGD:
    """SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True), Keras 2's formula."""

    def __init__(self, variables, lr=0.01, decay=1e-6, momentum=0.9):
        self.lr, self.decay, self.momentum = lr, decay, momentum
        self.iterations = tf.Variable(0.0)
        self.slots = [tf.Variable(tf.zeros_like(v)) for v in variables]

    def apply(self, gradients, variables):
        lr = self.lr / (1.0 + self.decay * self.iterations)
        for g, v, m in zip(gradients, variables, self.slots, strict=True):
            g = tf.convert_to_tensor(g)
            m.assign(self.momentum * m - lr * g)
            v.assign_add(self.momentum * m - lr * g)
        self.iterations.assign_add(1.0)


# -- the guide models --------------------------------------------------------------------
def _model(name: str, p: _Params) -> tuple[Callable, list, type]:
    """forward(x, training) -> list of outputs, the losses per output, the optimizer."""
    relu, sigmoid, softmax = tf.nn.relu, tf.sigmoid, tf.nn.softmax
    bce = (_binary_crossentropy, _binary_accuracy)
    cce = (_categorical_crossentropy, _categorical_accuracy)
    if name in ("mlp_binary_small", "mlp_softmax_small"):
        out = 1 if name == "mlp_binary_small" else 10
        hidden, top = _dense(p, 100, 32, relu), _dense(p, 32, out, sigmoid if out == 1 else softmax)
        return (lambda x, t: [top(hidden(x))]), [bce if out == 1 else cce], _RMSprop
    if name in ("mlp_multiclass", "mlp_binary"):
        out = 10 if name == "mlp_multiclass" else 1
        d1, d2 = _dense(p, 20, 64, relu), _dense(p, 64, 64, relu)
        top, drop = _dense(p, 64, out, softmax if out == 10 else sigmoid), _dropout(0.5)

        def mlp(x, t):
            return [top(drop(d2(drop(d1(x), t)), t))]

        return mlp, [cce if out == 10 else bce], _NesterovSGD if out == 10 else _RMSprop
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

        return vgg, [cce], _NesterovSGD
    if name == "lstm_embedding":
        table = p.kernel(1000, 256)
        lstm, top = _lstm(p, 256, 128, 40), _dense(p, 128, 1, sigmoid)

        def words(x, t):
            return [top(_dropout(0.5)(lstm(tf.gather(table, x))[0], t))]

        return words, [bce], _RMSprop
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

        return conv, [bce], _RMSprop
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

        return stacked, [cce], _RMSprop
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

        return headline, [bce, bce], _RMSprop
    if name == "shared_lstm":
        lstm, top = _lstm(p, 256, 64, 140), _dense(p, 128, 1, sigmoid)

        def shared(x, t):
            return [top(tf.concat([lstm(x[0])[0], lstm(x[1])[0]], -1))]

        return shared, [bce], _RMSprop
    raise ValueError(f"No fused limit for case {name!r}.")


#: Weights of each output's loss (the headline model weighs its auxiliary loss 0.2).
LOSS_WEIGHTS = {"headline": (1.0, 0.2)}


class Trainer:
    """One guide model and its data, trained an epoch per call of a compiled function."""

    def __init__(self, case: Case, data: Data | None = None, jit_compile: bool = False):
        data = data or case.data()
        self.case = case
        params = _Params()
        self.forward, self.heads, optimizer = _model(case.name, params)
        self.variables = params.variables
        self.optimizer = optimizer(self.variables)
        self.weights = LOSS_WEIGHTS.get(case.name, (1.0,) * len(self.heads))
        self.x = _tensors(data.x)
        self.y = _tensors(data.y if isinstance(data.y, list) else [data.y])
        validation = data.fit_kwargs.get("validation_data")
        self.validation = None
        if validation is not None:
            self.validation = (_tensors(validation[0]), _tensors([validation[1]]))
        self.shuffle = data.fit_kwargs.get("shuffle", True)
        self.size = _first(self.x).shape[0]
        self._epoch = tf.function(self._run, jit_compile=jit_compile, autograph=False)

    def _losses(self, ys, outputs):
        loss = tf.add_n(
            [
                w * head[0](y, p)
                for w, head, y, p in zip(self.weights, self.heads, ys, outputs, strict=True)
            ]
        )
        return loss, self.heads[0][1](ys[0], outputs[0])

    def _step(self, x, ys):
        with tf.GradientTape() as tape:
            loss, accuracy = self._losses(ys, self.forward(x, True))
        self.optimizer.apply(tape.gradient(loss, self.variables), self.variables)
        return loss, accuracy

    def _loop(self, x, ys, order, step: Callable) -> tuple[Any, Any]:
        """Run `step` over every batch in `order`; the sample-weighted mean results."""
        batch = self.case.batch_size
        full, remainder = divmod(int(order.shape[0]), batch)
        batches = tf.reshape(order[: full * batch], [full, batch])

        def body(i, loss, accuracy):
            index = batches[i]
            step_loss, step_accuracy = step(_gather(x, index), _gather(ys, index))
            return i + 1, loss + step_loss * batch, accuracy + step_accuracy * batch

        _, loss, accuracy = tf.while_loop(
            lambda i, *_: i < full, body, (tf.constant(0), tf.constant(0.0), tf.constant(0.0))
        )
        if remainder:
            index = order[full * batch :]
            step_loss, step_accuracy = step(_gather(x, index), _gather(ys, index))
            loss += step_loss * remainder
            accuracy += step_accuracy * remainder
        count = float(order.shape[0])
        return loss / count, accuracy / count

    def _run(self) -> dict[str, Any]:
        order = tf.range(self.size)
        if self.shuffle:
            order = tf.random.shuffle(order)
        logs = dict(
            zip(("loss", "accuracy"), self._loop(self.x, self.y, order, self._step), strict=True)
        )
        if self.validation is not None:
            x, ys = self.validation
            order = tf.range(_first(x).shape[0])

            def evaluate(xb, yb):
                return self._losses(yb, self.forward(xb, False))

            logs.update(
                zip(("val_loss", "val_accuracy"), self._loop(x, ys, order, evaluate), strict=True)
            )
        return logs

    def epoch(self) -> dict[str, float]:
        """Train one epoch; the epoch's mean loss and accuracy (and validation's)."""
        return {name: float(value) for name, value in self._epoch().items()}

    def predict_function(self) -> Callable:
        """A compiled inference call (for the batch-1 latency of the limit)."""
        return tf.function(lambda x: self.forward(x, False), autograph=False)


def _tensors(data: Any) -> Any:
    if isinstance(data, list):
        return [_tensor(a) for a in data]
    return _tensor(data)


def _tensor(array: np.ndarray) -> tf.Tensor:
    return tf.constant(array.astype("float32") if array.dtype.kind == "f" else array)


def _first(data: Any) -> Any:
    return data[0] if isinstance(data, list) else data


def _gather(data: Any, index: Any) -> Any:
    if isinstance(data, list):
        return [tf.gather(a, index) for a in data]
    return tf.gather(data, index)


__all__ = ["Trainer", "LOSS_WEIGHTS"]
