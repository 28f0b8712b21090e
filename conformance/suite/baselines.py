"""Baselines for the performance tests: the guides' models trained without Keras.

A performance ratio compares an implementation with a baseline that does the same
arithmetic in the same process, so that a slow or busy machine slows both alike. The
model is described once, as data, in the catalogue (`models.py`: a `Spec`, a tuple of
`Layer`s); the implementation under test builds it from there, and from the same
description

- `TensorFlowBaseline` trains it directly in TensorFlow, with the reference trainer of
  `tf_trainer.py` (also the benchmarks' practical limit): one `tf.function` runs a
  whole epoch of minibatch steps (a `GradientTape` per step, the optimizer's update
  written out), and another runs the forward pass;
- `NumpyBaseline` does the same in NumPy, forward and backward written out, for
  implementations that do not run on TensorFlow (Keras 3 on JAX or PyTorch).

Both baselines keep Keras's weight layout (kernel, recurrent kernel, bias; LSTM gates
in the order i, f, c, o), so a model's `get_weights()` can start them, and their
forward pass can be checked against the model's predictions.

    >>> from conformance.suite.models import make_data, tiny_classifier
    >>> spec = tiny_classifier(features=3)
    >>> x, y = make_data(spec, samples=8, seed=0)
    >>> baseline = NumpyBaseline(spec, initial_weights(spec, seed=0), x, y)
    >>> baseline.predict(x[:1]).shape
    (1, 2)
    >>> float(baseline.fit_epoch()) > 0
    True
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from conformance.suite import oracle
from conformance.suite.models import EPSILON, OPTIMIZERS, Layer, Spec

# --- shapes and initial weights ----------------------------------------------------------


def _shapes(layer: Layer, shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], tuple]:
    """(weight shapes in Keras's order, output shape) of `layer` on samples of `shape`."""
    if layer.padding != "valid":
        raise ValueError(f"the baselines have 'valid' padding only: {layer}")
    k, n = layer.window, layer.size
    table: dict[str, Callable[[], tuple[list[tuple[int, ...]], tuple]]] = {
        "dense": lambda: ([(shape[-1], n), (n,)], (*shape[:-1], n)),
        "dropout": lambda: ([], shape),
        "conv2d": lambda: (
            [(k, k, shape[-1], n), (n,)],
            (shape[0] - k + 1, shape[1] - k + 1, n),
        ),
        "maxpool2d": lambda: ([], (shape[0] // k, shape[1] // k, shape[2])),
        "flatten": lambda: ([], (math.prod(shape),)),
        "embedding": lambda: ([(layer.vocabulary, n)], (*shape, n)),
        "lstm": lambda: (
            [(shape[-1], 4 * n), (n, 4 * n), (4 * n,)],
            (shape[0], n) if layer.return_sequences else (n,),
        ),
        "conv1d": lambda: ([(k, shape[-1], n), (n,)], (shape[0] - k + 1, n)),
        "maxpool1d": lambda: ([], (shape[0] // k, shape[1])),
        "gap1d": lambda: ([], (shape[-1],)),
    }
    if layer.kind not in table:
        raise ValueError(f"expected a layer kind in {sorted(table)}, received {layer.kind!r}")
    return table[layer.kind]()


def weight_shapes(spec: Spec) -> list[list[tuple[int, ...]]]:
    """The weight shapes of each layer of `spec`, in order."""
    shape, per_layer = spec.input_shape, []
    for layer in spec.layers:
        shapes, shape = _shapes(layer, shape)
        per_layer.append(shapes)
    return per_layer


def initial_weights(spec: Spec, seed: int) -> list[np.ndarray]:
    """Glorot-uniform kernels and zero biases, flattened in `get_weights()` order."""
    rng = np.random.default_rng(seed)
    weights = []
    for shape in (s for shapes in weight_shapes(spec) for s in shapes):
        if len(shape) == 1:
            weights.append(np.zeros(shape, dtype="float32"))
            continue
        fan_in, fan_out = math.prod(shape[:-1]), shape[-1]
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, shape).astype("float32"))
    return weights


def _split(spec: Spec, weights: Sequence[Any]) -> list[list[Any]]:
    """`weights` (flat, Keras order) grouped by layer."""
    grouped, start = [], 0
    for shapes in weight_shapes(spec):
        grouped.append(list(weights[start : start + len(shapes)]))
        start += len(shapes)
    if start != len(weights):
        raise ValueError(f"{spec.name}: expected {start} weight arrays, received {len(weights)}")
    return grouped


def _check_stateless(spec: Spec) -> None:
    if spec.stateful:
        raise ValueError(f"{spec.name}: the baselines train stateless models only")


def _batches(x: np.ndarray, batch_size: int) -> np.ndarray:
    """(steps, batch_size, ...) from (samples, ...), dropping an incomplete last batch."""
    steps = len(x) // batch_size
    if steps == 0:
        raise ValueError(f"expected at least {batch_size} samples, received {len(x)}")
    return x[: steps * batch_size].reshape((steps, batch_size, *x.shape[1:]))


# --- TensorFlow ----------------------------------------------------------------------------


def _tf_lstm(tf: Any, x: Any, w: list[Any], layer: Layer) -> Any:
    kernel, recurrent, bias = w
    batch = tf.shape(x)[0]
    h = tf.zeros((batch, layer.size))
    c = tf.zeros((batch, layer.size))
    outputs = []
    # The time axis is short and static: unrolled, as a hand-written graph would be.
    for t in range(x.shape[1]):
        z = tf.matmul(x[:, t], kernel) + tf.matmul(h, recurrent) + bias
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
    return tf.stack(outputs, axis=1) if layer.return_sequences else h


def tf_ops(tf: Any) -> dict[str, Callable[[Any, list[Any], Layer, bool], Any]]:
    """kind -> (x, weights, layer, training) -> y, in TensorFlow."""
    act = {"linear": tf.identity, "relu": tf.nn.relu, "softmax": tf.nn.softmax,
           "sigmoid": tf.sigmoid, "tanh": tf.tanh}  # fmt: skip
    return {
        "dense": lambda x, w, ly, _: act[ly.activation](tf.matmul(x, w[0]) + w[1]),
        "dropout": lambda x, w, ly, training: tf.nn.dropout(x, ly.rate) if training else x,
        "conv2d": lambda x, w, ly, _: act[ly.activation](
            tf.nn.conv2d(x, w[0], strides=1, padding="VALID") + w[1]
        ),
        "maxpool2d": lambda x, w, ly, _: tf.nn.max_pool2d(x, ly.window, ly.window, "VALID"),
        "flatten": lambda x, w, ly, _: tf.reshape(x, (tf.shape(x)[0], -1)),
        "embedding": lambda x, w, ly, _: tf.gather(w[0], x),
        "lstm": lambda x, w, ly, _: _tf_lstm(tf, x, w, ly),
        "conv1d": lambda x, w, ly, _: act[ly.activation](
            tf.nn.conv1d(x, w[0], stride=1, padding="VALID") + w[1]
        ),
        "maxpool1d": lambda x, w, ly, _: tf.nn.max_pool1d(x, ly.window, ly.window, "VALID"),
        "gap1d": lambda x, w, ly, _: tf.reduce_mean(x, axis=1),
    }


class TensorFlowBaseline:
    """`spec` trained in plain TensorFlow by the reference trainer (`tf_trainer.py`):
    one `tf.function` call per epoch runs every batch's forward pass, gradient and
    optimizer update inside one graph, the way a hand-written TensorFlow training loop
    would. As the suite compiles the models: the loss alone (no accuracy), an
    embedding's gradient made dense, no SGD decay.
    """

    def __init__(self, spec: Spec, weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray):
        import tensorflow as tf

        from conformance.suite import tf_trainer

        _check_stateless(spec)
        self.spec, self._tf = spec, tf
        self._ops = tf_ops(tf)
        self.variables = [tf.Variable(np.asarray(w, dtype="float32")) for w in weights]
        self._layers = _split(spec, self.variables)
        self._trainer = tf_trainer.Trainer(
            lambda inputs, training: [self.forward(inputs, training)], self.variables,
            [(tf_trainer.LOSSES[spec.loss][0], None)],
            tf_trainer.make_optimizer(spec.optimizer, self.variables), spec.batch_size, x, y,
        )  # fmt: skip
        self._predict = self._trainer.predict_function()

    def forward(self, x: Any, training: bool) -> Any:
        """The model's output for the batch `x`."""
        for layer, weights in zip(self.spec.layers, self._layers, strict=True):
            x = self._ops[layer.kind](x, weights, layer, training)
        return x

    def step(self, x: np.ndarray, y: np.ndarray, dropout: bool = True) -> float:
        """One minibatch step; its loss. `dropout=False` leaves dropout out (for checks)."""
        return self._trainer.step(x, y, training=dropout)

    def fit_epoch(self) -> float:
        """One epoch over the data given at construction; its mean loss."""
        return self._trainer.epoch()["loss"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The forward pass (no dropout) on `x`."""
        return self._predict(self._tf.constant(x))[0].numpy()

    def get_weights(self) -> list[np.ndarray]:
        return [v.numpy() for v in self.variables]


# --- NumPy -------------------------------------------------------------------------------
# Each op is (forward, backward): forward(x, weights, layer, training, rng) -> (y, cache);
# backward(dy, cache, weights, layer) -> (dx, weight gradients).


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


#: activation -> (function, derivative expressed with its output y, applied to dy).
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[..., np.ndarray]]] = {
    "linear": (lambda z: z, lambda y, dy: dy),
    "relu": (lambda z: np.maximum(z, 0), lambda y, dy: dy * (y > 0)),
    "sigmoid": (_sigmoid, lambda y, dy: dy * y * (1 - y)),
    "tanh": (np.tanh, lambda y, dy: dy * (1 - y * y)),
    "softmax": (_softmax, lambda y, dy: y * (dy - (dy * y).sum(axis=-1, keepdims=True))),
}


def _windows(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """(N, H-kh+1, W-kw+1, kh*kw*C): each output position's input patch, flattened."""
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    n, h, w, c = patches.shape[:4]
    return patches.transpose(0, 1, 2, 4, 5, 3).reshape(n, h, w, kh * kw * c)


def _conv_forward(x, w, layer, training, rng):
    kernel, bias = w
    kh, kw, _, f = kernel.shape
    cols = _windows(x, kh, kw)
    y = ACTIVATIONS[layer.activation][0](cols @ kernel.reshape(-1, f) + bias)
    return y, (x.shape, cols, y)


def _conv_backward(dy, cache, w, layer):
    (shape, cols, y), (kernel, _) = cache, w
    kh, kw, c, f = kernel.shape
    dz = ACTIVATIONS[layer.activation][1](y, dy)
    dkernel = (cols.reshape(-1, cols.shape[-1]).T @ dz.reshape(-1, f)).reshape(kernel.shape)
    # The input gradient is a full convolution of dz with the kernel turned by 180°.
    padded = np.pad(dz, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    turned = kernel[::-1, ::-1].transpose(0, 1, 3, 2).reshape(-1, c)
    dx = _windows(padded, kh, kw) @ turned
    return dx.reshape(shape), [dkernel, dz.sum(axis=(0, 1, 2))]


def _pool_forward(x, w, layer, training, rng, ph=None, pw=None):
    ph, pw = ph or layer.window, pw or layer.window
    n, h, wd, c = x.shape
    cropped = x[:, : h // ph * ph, : wd // pw * pw].reshape(n, h // ph, ph, wd // pw, pw, c)
    y = cropped.max(axis=(2, 4))
    return y, (x.shape, cropped, y, ph, pw)


def _pool_backward(dy, cache, w, layer):
    shape, cropped, y, ph, pw = cache
    mask = cropped == y[:, :, None, :, None]
    dx = np.zeros(shape, dtype=dy.dtype)
    grad = (mask * dy[:, :, None, :, None]).reshape(
        shape[0], y.shape[1] * ph, y.shape[2] * pw, shape[3]
    )
    dx[:, : grad.shape[1], : grad.shape[2]] = grad
    return dx, []


def _as_2d(forward, backward, kernel_2d: bool):
    """A 1D op (N, T, C) from its 2D counterpart, by a height-1 image."""

    def fwd(x, w, layer, training, rng):
        w2 = [w[0][None], w[1]] if kernel_2d else w
        extra = {} if kernel_2d else {"ph": 1, "pw": layer.window}
        y, cache = forward(x[:, None], w2, layer, training, rng, **extra)
        return y[:, 0], cache

    def bwd(dy, cache, w, layer):
        w2 = [w[0][None], w[1]] if kernel_2d else w
        dx, dw = backward(dy[:, None], cache, w2, layer)
        return dx[:, 0], ([dw[0][0], dw[1]] if kernel_2d else dw)

    return fwd, bwd


def _lstm_forward(x, w, layer, training, rng):
    steps = oracle.lstm_steps(x, *w)
    y = np.stack([step.h for step in steps], axis=1) if layer.return_sequences else steps[-1].h
    return y, (x, steps)


def _lstm_backward(dy, cache, w, layer):
    kernel, recurrent, _ = w
    x, steps = cache
    dx = np.zeros_like(x)
    dkernel, drecurrent = np.zeros_like(kernel), np.zeros_like(recurrent)
    dbias = np.zeros(4 * layer.size, dtype=x.dtype)
    dh_next = np.zeros_like(steps[0].h)
    dc_next = np.zeros_like(dh_next)
    for t in reversed(range(x.shape[1])):
        s = steps[t]
        dh = dh_next + (dy[:, t] if layer.return_sequences else (dy if t == len(steps) - 1 else 0))
        dc = dc_next + dh * s.o * (1 - s.tanh_c * s.tanh_c)
        dz = np.concatenate(
            [dc * s.g * s.i * (1 - s.i), dc * s.c_prev * s.f * (1 - s.f),
             dc * s.i * (1 - s.g * s.g), dh * s.tanh_c * s.o * (1 - s.o)], axis=-1,
        )  # fmt: skip
        dkernel += x[:, t].T @ dz
        drecurrent += s.h_prev.T @ dz
        dbias += dz.sum(axis=0)
        dx[:, t] = dz @ kernel.T
        dh_next, dc_next = dz @ recurrent.T, dc * s.f
    return dx, [dkernel, drecurrent, dbias]


def _dense_forward(x, w, layer, training, rng):
    y = ACTIVATIONS[layer.activation][0](x @ w[0] + w[1])
    return y, (x, y)


def _dense_backward(dy, cache, w, layer):
    x, y = cache
    dz = ACTIVATIONS[layer.activation][1](y, dy)
    return dz @ w[0].T, [x.T @ dz, dz.sum(axis=0)]


def _dropout_forward(x, w, layer, training, rng):
    if not training:
        return x, None
    keep = (rng.random(x.shape, dtype=np.float32) >= layer.rate) / np.float32(1 - layer.rate)
    return x * keep, keep


def _embedding_backward(dy, cache, w, layer):
    grad = np.zeros_like(w[0])
    np.add.at(grad, cache, dy)
    return None, [grad]


NUMPY_OPS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "dense": (_dense_forward, _dense_backward),
    "dropout": (_dropout_forward, lambda dy, keep, w, ly: (dy if keep is None else dy * keep, [])),
    "conv2d": (_conv_forward, _conv_backward),
    "maxpool2d": (_pool_forward, _pool_backward),
    "flatten": (
        lambda x, w, ly, training, rng: (x.reshape(len(x), -1), x.shape),
        lambda dy, shape, w, ly: (dy.reshape(shape), []),
    ),
    "embedding": (lambda x, w, ly, training, rng: (w[0][x], x), _embedding_backward),
    "lstm": (_lstm_forward, _lstm_backward),
    "conv1d": _as_2d(_conv_forward, _conv_backward, kernel_2d=True),
    "maxpool1d": _as_2d(_pool_forward, _pool_backward, kernel_2d=False),
    "gap1d": (
        lambda x, w, ly, training, rng: (x.mean(axis=1), x.shape),
        lambda dy, shape, w, ly: (np.broadcast_to(dy[:, None] / shape[1], shape).copy(), []),
    ),
}


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread while the NumPy baseline trains, when threadpoolctl
    (a scikit-learn dependency) is there. Its matrices are small; with a second runtime's
    threads in the process, multithreaded BLAS was measured 4-6x slower and erratic on
    2 cores, which would make the baseline a moving target."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class NumpyBaseline:
    """`spec` trained in NumPy, forward and backward written out (float32 throughout).

    The same interface and arithmetic as `TensorFlowBaseline`, for implementations
    whose backend is not TensorFlow.
    """

    def __init__(
        self, spec: Spec, weights: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray,
        seed: int = 0,
    ):  # fmt: skip
        _check_stateless(spec)
        self.spec = spec
        self.weights = [np.array(w, dtype="float32") for w in weights]
        self._layers = _split(spec, self.weights)
        self._slots = [np.zeros_like(w) for w in self.weights]
        self._x, self._y = _batches(x, spec.batch_size), _batches(y, spec.batch_size)
        self._rng = np.random.default_rng(seed)

    def _forward(self, x: np.ndarray, training: bool) -> tuple[np.ndarray, list[Any]]:
        caches = []
        for layer, weights in zip(self.spec.layers, self._layers, strict=True):
            x, cache = NUMPY_OPS[layer.kind][0](x, weights, layer, training, self._rng)
            caches.append(cache)
        return x, caches

    def _loss_and_gradient(self, y: np.ndarray, p: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean loss and its gradient with respect to the probabilities `p`."""
        clipped = np.clip(p, EPSILON, 1 - EPSILON)
        inside = ((p > EPSILON) & (p < 1 - EPSILON)).astype(p.dtype)  # clip's gradient
        n = len(p)
        if self.spec.loss == "binary_crossentropy":
            loss = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)).mean()
            grad = (clipped - y) / (clipped * (1 - clipped)) / (n * p.shape[-1])
        else:
            loss = -(y * np.log(clipped)).sum(axis=-1).mean()
            grad = -y / clipped / n
        return float(loss), (grad * inside).astype(p.dtype)

    def _update(self, gradients: list[np.ndarray]) -> None:
        hyper = OPTIMIZERS[self.spec.optimizer][1]
        lr = np.float32(hyper["learning_rate"])
        for weight, slot, g in zip(self.weights, self._slots, gradients, strict=True):
            if self.spec.optimizer == "sgd-nesterov":
                slot *= np.float32(hyper["momentum"])
                slot -= lr * g
                weight += np.float32(hyper["momentum"]) * slot - lr * g
            else:
                rho = np.float32(hyper["rho"])
                slot *= rho
                slot += (1 - rho) * g * g
                weight -= lr * g / (np.sqrt(slot) + np.float32(hyper["epsilon"]))

    def step(self, x: np.ndarray, y: np.ndarray, dropout: bool = True) -> float:
        """One minibatch step; its loss. `dropout=False` leaves dropout out (for checks)."""
        p, caches = self._forward(x, training=dropout)
        loss, grad = self._loss_and_gradient(y, p)
        per_layer = []
        for layer, weights, cache in reversed(
            list(zip(self.spec.layers, self._layers, caches, strict=True))
        ):
            grad, weight_grads = NUMPY_OPS[layer.kind][1](grad, cache, weights, layer)
            per_layer.append(weight_grads)
        self._update([g for grads in reversed(per_layer) for g in grads])
        return loss

    def fit_epoch(self) -> float:
        """One epoch over the batches given at construction; its mean loss."""
        with _one_blas_thread():
            losses = [self.step(xb, yb) for xb, yb in zip(self._x, self._y, strict=True)]
        return float(np.mean(losses))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The forward pass (no dropout) on `x`."""
        return self._forward(np.asarray(x), training=False)[0]

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]


#: Baseline kind -> its class.
BASELINES: dict[str, type] = {"tensorflow": TensorFlowBaseline, "numpy": NumpyBaseline}
