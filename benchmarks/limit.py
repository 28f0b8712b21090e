"""The practical limit: each guide model trained by a fused loop in plain TensorFlow.

No Keras at all: the model is a function of `tf.Variable`s, trained by the suite's
reference trainer (`conformance/suite/tf_trainer.py`, also its performance baseline):
the loss, the accuracy and the optimizer update are a few TensorFlow ops each, and one
`tf.function` runs a whole epoch (shuffle, every batch including the last partial one,
validation) with a `tf.while_loop`. A Sequential model is the catalogue's description
(`conformance/suite/models.py`) run by the baselines' TensorFlow ops; the functional
ones are written out here. Recurrent layers compute the input projection of all time
steps at once, then unroll short sequences and loop over long ones. The arithmetic is
the guides' (same shapes, same optimizers; an embedding's RMSprop update touches only
the rows its batch used, as refimpl's does, with the numbers of a dense update); what
is left out is every layer of framework between the user and TensorFlow, so no Keras
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
from conformance.suite import baselines, models, tf_trainer


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


#: Sequences up to this length are unrolled; longer ones loop (unrolling 100 or 140
#: steps makes tracing and XLA compilation take minutes).
_UNROLL_STEPS = 16


def _lstm(params: _Params, units_in: int, units: int, sequences: bool = False):
    """An LSTM (Keras gate order i, f, c, o): call(x, state) -> (output, state)."""
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
        steps = x.shape[1]
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


def _lstm_layer(p: _Params, layer: models.Layer, units_in: int, batch_size: int) -> Callable:
    """A catalogue LSTM layer; a stateful one carries its state from batch to batch."""
    lstm = _lstm(p, units_in, layer.size, layer.return_sequences)
    if not layer.stateful:
        return lambda x, training: lstm(x)[0]
    state = [tf.Variable(tf.zeros([batch_size, layer.size])) for _ in range(2)]

    def call(x, training):
        y, (h, c) = lstm(x, (state[0].read_value(), state[1].read_value()))
        state[0].assign(h)
        state[1].assign(c)
        return y

    return call


# -- the guide models --------------------------------------------------------------------
def _sequential(spec: models.Spec, p: _Params) -> Callable:
    """forward(x, training) of a catalogue model: the baselines' TensorFlow ops, with
    this module's LSTM (projected inputs, a loop for long sequences) and initial values."""
    ops = baselines.tf_ops(tf)
    calls = []
    for layer, shapes in zip(spec.layers, baselines.weight_shapes(spec), strict=True):
        if layer.kind == "lstm":
            calls.append(_lstm_layer(p, layer, shapes[0][0], spec.batch_size))
            continue
        weights = [p.kernel(*shape) if len(shape) > 1 else p.bias(shape[0]) for shape in shapes]
        calls.append(lambda x, training, op=ops[layer.kind], w=weights, ly=layer:
                     op(x, w, ly, training))  # fmt: skip

    def forward(x, training):
        for call in calls:
            x = call(x, training)
        return [x]

    return forward


def _headline(p: _Params) -> Callable:
    table = p.kernel(10000, 512)
    lstm, aux = _lstm(p, 512, 32), _dense(p, 32, 1, tf.sigmoid)
    d = [_dense(p, 37, 64, tf.nn.relu), _dense(p, 64, 64, tf.nn.relu),
         _dense(p, 64, 64, tf.nn.relu)]  # fmt: skip
    main = _dense(p, 64, 1, tf.sigmoid)

    def headline(x, t):
        encoded = lstm(tf.gather(table, x[0]))[0]
        h = tf.concat([encoded, tf.cast(x[1], tf.float32)], -1)
        for layer in d:
            h = layer(h)
        return [main(h), aux(encoded)]

    return headline


def _shared_lstm(p: _Params) -> Callable:
    lstm, top = _lstm(p, 256, 64), _dense(p, 128, 1, tf.sigmoid)

    def shared(x, t):
        return [top(tf.concat([lstm(x[0])[0], lstm(x[1])[0]], -1))]

    return shared


#: The functional models, written out here (the catalogue's describe Sequential ones
#: only): case name -> (forward builder, the loss of each output, the optimizer).
FUNCTIONAL: dict[str, tuple[Callable[[_Params], Callable], list[str], str]] = {
    "headline": (_headline, ["binary_crossentropy"] * 2, "rmsprop"),
    "shared_lstm": (_shared_lstm, ["binary_crossentropy"], "rmsprop"),
}

#: Weights of each output's loss (the headline model weighs its auxiliary loss 0.2).
LOSS_WEIGHTS = {"headline": models.HEADLINE_LOSS_WEIGHTS}

#: Keras 2's SGD `decay` of the guides (refimpl and tf_keras run it; Keras 3 as a schedule).
SGD_DECAY = 1e-6


def _model(case: Case, p: _Params) -> tuple[Callable, list[str], str]:
    """forward(x, training) -> list of outputs, the loss of each output, the optimizer."""
    if case.spec is not None:
        return _sequential(case.spec, p), [case.spec.loss], case.spec.optimizer
    if case.name not in FUNCTIONAL:
        raise ValueError(f"No fused limit for case {case.name!r}.")
    build, losses, optimizer = FUNCTIONAL[case.name]
    return build(p), losses, optimizer


class Trainer(tf_trainer.Trainer):
    """One guide model and its data, trained by the reference trainer as the guide
    trains it: shuffled, validated where the guide validates, an embedding's RMSprop
    update touching only its batch's rows."""

    def __init__(self, case: Case, data: Data | None = None, jit_compile: bool = False):
        data = data or case.data()
        self.case = case
        params = _Params()
        forward, losses, optimizer = _model(case, params)
        options = {"decay": SGD_DECAY} if optimizer == "sgd-nesterov" else {"sparse_rows": True}
        super().__init__(
            forward, params.variables, [tf_trainer.LOSSES[loss] for loss in losses],
            tf_trainer.make_optimizer(optimizer, params.variables, **options), case.batch_size,
            data.x, data.y, loss_weights=LOSS_WEIGHTS.get(case.name),
            shuffle=data.fit_kwargs.get("shuffle", True),
            validation=data.fit_kwargs.get("validation_data"), jit_compile=jit_compile,
        )  # fmt: skip


__all__ = ["Trainer", "LOSS_WEIGHTS"]
