"""The plain-TensorFlow reference trainer: a model trained with no Keras at all.

The model is a function of `tf.Variable`s, `forward(x, training) -> [outputs]`; the
losses, the accuracy and the optimizer updates are Keras 2's formulas written out in a
few TensorFlow ops each, and one `tf.function` runs a whole epoch (every batch, in
order or shuffled, the last partial one included, then validation) in a
`tf.while_loop`. Two users, one trainer:

- the suite's TensorFlow baseline (`baselines.py`), against which the performance
  tests time an implementation, and
- the benchmarks' practical limit (`benchmarks/limit.py`), what no Keras can be
  expected to beat by much.

Example (TensorFlow needed):

>>> import numpy as np, tensorflow as tf
>>> kernel = tf.Variable(np.zeros((3, 1), "float32"))
>>> trainer = Trainer(lambda x, training: [tf.sigmoid(x @ kernel)], [kernel],
...                   [LOSSES["binary_crossentropy"]], make_optimizer("rmsprop", [kernel]),
...                   batch_size=2, x=np.ones((4, 3), "float32"), y=np.ones((4, 1), "float32"))
>>> round(trainer.epoch()["loss"], 2)
0.69
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from conformance.suite.models import EPSILON, OPTIMIZERS

# --- losses and accuracies ---------------------------------------------------------------


def binary_crossentropy(y: Any, p: Any) -> Any:
    p = tf.clip_by_value(p, EPSILON, 1 - EPSILON)
    y = tf.cast(tf.reshape(y, tf.shape(p)), p.dtype)
    return tf.reduce_mean(-(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p)))


def categorical_crossentropy(y: Any, p: Any) -> Any:
    # Keras scales the probabilities to sum to one before clipping them.
    p = tf.clip_by_value(p / tf.reduce_sum(p, -1, keepdims=True), EPSILON, 1 - EPSILON)
    return tf.reduce_mean(-tf.reduce_sum(tf.cast(y, p.dtype) * tf.math.log(p), -1))


def binary_accuracy(y: Any, p: Any) -> Any:
    y = tf.cast(tf.reshape(y, tf.shape(p)), p.dtype)
    return tf.reduce_mean(tf.cast(tf.equal(y, tf.round(p)), tf.float32))


def categorical_accuracy(y: Any, p: Any) -> Any:
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(y, -1), tf.argmax(p, -1)), tf.float32))


#: Loss name -> (loss, the accuracy Keras's 'accuracy' metric picks for it).
LOSSES: dict[str, tuple[Callable, Callable]] = {
    "binary_crossentropy": (binary_crossentropy, binary_accuracy),
    "categorical_crossentropy": (categorical_crossentropy, categorical_accuracy),
}


# --- optimizers: Keras 2's updates, hyperparameters from the catalogue's OPTIMIZERS ------------


class RMSprop:
    """RMSprop without momentum, epsilon outside the square root (Keras 2).

    `sparse_rows`: an embedding's gradient (`tf.IndexedSlices`) updates only the rows
    its batch used, as refimpl's does, with the numbers of a dense update; otherwise it
    is made dense first, as most optimizers do.
    """

    def __init__(self, variables: Sequence[tf.Variable], *, learning_rate: float, rho: float,
                 epsilon: float, sparse_rows: bool = False):  # fmt: skip
        self.lr, self.rho, self.epsilon, self.sparse_rows = learning_rate, rho, epsilon, sparse_rows
        self.slots = [tf.Variable(tf.zeros_like(v)) for v in variables]

    def apply(self, gradients: Sequence[Any], variables: Sequence[tf.Variable]) -> None:
        for g, v, a in zip(gradients, variables, self.slots, strict=True):
            if self.sparse_rows and isinstance(g, tf.IndexedSlices):
                self._apply_rows(g, v, a)
                continue
            g = tf.convert_to_tensor(g)
            a.assign(self.rho * a + (1 - self.rho) * tf.square(g))
            v.assign_sub(self.lr * g / (tf.sqrt(a) + self.epsilon))

    def _apply_rows(self, g: tf.IndexedSlices, v: tf.Variable, a: tf.Variable) -> None:
        rows, positions = tf.unique(g.indices)
        g = tf.math.unsorted_segment_sum(g.values, positions, tf.shape(rows)[0])
        # Decay in place: after a scatter, a dense read copies the whole table.
        every_row = tf.range(tf.shape(a, out_type=rows.dtype)[0])
        a.scatter_mul(tf.IndexedSlices(tf.constant(self.rho, a.dtype), every_row))
        a.scatter_add(tf.IndexedSlices((1 - self.rho) * tf.square(g), rows))
        step = self.lr * g / (tf.sqrt(tf.gather(a, rows)) + self.epsilon)
        v.scatter_sub(tf.IndexedSlices(step, rows))


class NesterovSGD:
    """SGD with Nesterov momentum and Keras 2's time-based `decay`, lr / (1 + decay * t)
    (no decay arithmetic at all when `decay` is 0)."""

    def __init__(self, variables: Sequence[tf.Variable], *, learning_rate: float,
                 momentum: float, decay: float = 0.0):  # fmt: skip
        self.lr, self.decay, self.momentum = learning_rate, decay, momentum
        self.iterations = tf.Variable(0.0)
        self.slots = [tf.Variable(tf.zeros_like(v)) for v in variables]

    def apply(self, gradients: Sequence[Any], variables: Sequence[tf.Variable]) -> None:
        lr = self.lr / (1.0 + self.decay * self.iterations) if self.decay else self.lr
        for g, v, m in zip(gradients, variables, self.slots, strict=True):
            g = tf.convert_to_tensor(g)
            m.assign(self.momentum * m - lr * g)
            v.assign_add(self.momentum * m - lr * g)
        if self.decay:
            self.iterations.assign_add(1.0)


#: The catalogue's optimizer names -> these classes.
_OPTIMIZER_CLASSES = {"rmsprop": RMSprop, "sgd-nesterov": NesterovSGD}


def make_optimizer(name: str, variables: Sequence[tf.Variable], **options: Any) -> Any:
    """The optimizer `name` of the catalogue's OPTIMIZERS, with its hyperparameters;
    `options`: `decay` (SGD) or `sparse_rows` (RMSprop)."""
    return _OPTIMIZER_CLASSES[name](variables, **options, **OPTIMIZERS[name][1])


# --- the trainer ---------------------------------------------------------------------------


class Trainer:
    """`forward` trained on `x`, `y`: one compiled call per epoch.

    `heads` has one (loss, accuracy or None) per output; the loss is their sum weighted
    by `loss_weights`, the accuracy the first output's (None: not computed, no work).
    """

    def __init__(
        self,
        forward: Callable[[Any, bool], list[Any]],
        variables: Sequence[tf.Variable],
        heads: Sequence[tuple[Callable, Callable | None]],
        optimizer: Any,
        batch_size: int,
        x: Any,
        y: Any,
        *,
        loss_weights: Sequence[float] | None = None,
        shuffle: bool = False,
        validation: tuple[Any, Any] | None = None,
        jit_compile: bool = False,
    ):
        self.forward, self.variables, self.heads = forward, list(variables), list(heads)
        self.optimizer, self.batch_size, self.shuffle = optimizer, batch_size, shuffle
        self.weights = tuple(loss_weights or (1.0,) * len(self.heads))
        self.x, self.y = _tensors(x), _tensors(y if isinstance(y, list) else [y])
        self.validation = None
        if validation is not None:
            self.validation = (_tensors(validation[0]), _tensors([validation[1]]))
        self.size = _first(self.x).shape[0]
        self._epoch = tf.function(self._run, jit_compile=jit_compile, autograph=False)
        self._one_step = tf.function(self._step, autograph=False)

    def _losses(self, ys: list[Any], outputs: list[Any]) -> tuple[Any, Any]:
        loss = tf.add_n([w * head[0](y, p) for w, head, y, p
                         in zip(self.weights, self.heads, ys, outputs, strict=True)])  # fmt: skip
        accuracy = self.heads[0][1]
        return loss, accuracy(ys[0], outputs[0]) if accuracy else tf.constant(0.0)

    def _step(self, x: Any, ys: list[Any], training: bool = True) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            loss, accuracy = self._losses(ys, self.forward(x, training))
        self.optimizer.apply(tape.gradient(loss, self.variables), self.variables)
        return loss, accuracy

    def _loop(self, x: Any, ys: list[Any], order: Any, step: Callable) -> tuple[Any, Any]:
        """Run `step` over every batch in `order`; the sample-weighted mean results."""
        batch = self.batch_size
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
        logs = dict(zip(("loss", "accuracy"), self._loop(self.x, self.y, order, self._step),
                        strict=True))  # fmt: skip
        if self.validation is not None:
            x, ys = self.validation

            def evaluate(xb, yb):
                return self._losses(yb, self.forward(xb, False))

            results = self._loop(x, ys, tf.range(_first(x).shape[0]), evaluate)
            logs.update(zip(("val_loss", "val_accuracy"), results, strict=True))
        if self.heads[0][1] is None:
            logs = {name: value for name, value in logs.items() if "accuracy" not in name}
        return logs

    def epoch(self) -> dict[str, float]:
        """Train one epoch; the epoch's mean loss and accuracy (and validation's)."""
        return {name: float(value) for name, value in self._epoch().items()}

    def step(self, x: Any, y: Any, training: bool = True) -> float:
        """One update on the batch `x`, `y`; its loss. `training=False` leaves dropout out."""
        return float(self._one_step(_tensors(x), _tensors(y if isinstance(y, list) else [y]),
                                    training)[0])  # fmt: skip

    def predict_function(self) -> Callable:
        """A compiled inference call: inputs -> the list of outputs."""
        return tf.function(lambda x: self.forward(x, False), autograph=False)


def _tensors(data: Any) -> Any:
    """Arrays as constants (floats as float32), lists of arrays as lists of constants."""
    if isinstance(data, list):
        return [_tensors(a) for a in data]
    if isinstance(data, np.ndarray):
        return tf.constant(data.astype("float32") if data.dtype.kind == "f" else data)
    return tf.convert_to_tensor(data)


def _first(data: Any) -> Any:
    return data[0] if isinstance(data, list) else data


def _gather(data: Any, index: Any) -> Any:
    if isinstance(data, list):
        return [tf.gather(a, index) for a in data]
    return tf.gather(data, index)
