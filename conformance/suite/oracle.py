"""An independent NumPy oracle: Keras 2's forward passes and optimizer steps in float64.

Every function here is written from the published definition of the operation, with
no Keras or TensorFlow underneath, so that `test_numerics.py` can compare any
implementation against arithmetic that shares none of its code. Shapes follow Keras's
conventions: batch first, channels last, weights in the order `get_weights()` returns
them (`kernel`, then `recurrent_kernel` for recurrent layers, then `bias`).

Where Keras versions differ, this oracle follows Keras 2 as tf_keras (Keras 2.3+ on
TensorFlow 2) implements it:

- LSTM `recurrent_activation` defaults to `sigmoid` (tf_keras's `LSTM` default, also
  Keras 3's); standalone Keras 2.2 used `hard_sigmoid`. Gates are ordered input,
  forget, cell candidate, output in the kernels, in every version.
- SGD `decay` is Keras 2's time-based decay, `lr / (1 + decay * t)` with `t` the
  number of updates already applied (Keras 3 removed the argument). Nesterov momentum,
  `v = m*v - lr*g; w += m*v - lr*g`, is the same in Keras 2 and Keras 3.
- RMSprop without momentum adds epsilon outside the square root,
  `lr*g / (sqrt(a) + eps)`, as standalone Keras 2 and tf_keras's legacy optimizers
  do; Keras 3 (and tf_keras's default, newer optimizers) add it inside.
- `same` padding pads `max((out - 1)*stride + k - n, 0)` cells in all, the smaller
  half before: TensorFlow's rule, which every Keras backend follows.

Example:

>>> import numpy as np
>>> dense(np.ones((1, 2)), np.ones((2, 3)), np.zeros(3), "relu").tolist()
[[2.0, 2.0, 2.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Array = np.ndarray


# --- activations --------------------------------------------------------------------


def _logistic(x: Array) -> Array:
    """The logistic function in the dtype of `x`, as 0.5 * (1 + tanh(x / 2)): the same
    function, never overflowing, and as cheap as 1 / (1 + exp(-x)) (the NumPy baseline's
    LSTM trains with it; `exp(-logaddexp(0, -x))` would make that twice as slow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid(x: Array) -> Array:
    """The logistic function, computed without overflow for large negative inputs."""
    return _logistic(np.asarray(x, dtype=np.float64))


def softmax(x: Array, axis: int = -1) -> Array:
    """Softmax over `axis` (Keras applies it over the last axis)."""
    x = np.asarray(x, dtype=np.float64)
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def relu(x: Array) -> Array:
    """max(x, 0)."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def linear(x: Array) -> Array:
    """The identity (Keras's `None` / `'linear'` activation)."""
    return np.asarray(x, dtype=np.float64)


#: Activation name (as Keras spells it) -> function.
ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "linear": linear,
    "relu": relu,
    "sigmoid": sigmoid,
    "softmax": softmax,
    "tanh": np.tanh,
}


def activation(name: str, x: Array) -> Array:
    """Apply the activation called `name` (one of `ACTIVATIONS`)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name](np.asarray(x, dtype=np.float64))


# --- core layers ----------------------------------------------------------------------


def dense(x: Array, kernel: Array, bias: Array, act: str = "linear") -> Array:
    """`Dense`: act(x @ kernel + bias) over the last axis (any number of leading axes)."""
    return activation(act, np.asarray(x, np.float64) @ kernel + bias)


def dropout_at_inference(x: Array) -> Array:
    """`Dropout` outside training is the identity (Keras scales during training instead)."""
    return np.asarray(x, dtype=np.float64)


def flatten(x: Array) -> Array:
    """`Flatten`: keep the batch axis, lay out the rest in row-major (C) order."""
    x = np.asarray(x, dtype=np.float64)
    return x.reshape(x.shape[0], -1)


def embedding(indices: Array, matrix: Array) -> Array:
    """`Embedding`: row `i` of `matrix` for every index `i`."""
    return np.asarray(matrix, dtype=np.float64)[np.asarray(indices, dtype=np.int64)]


def concatenate(tensors: Sequence[Array], axis: int = -1) -> Array:
    """`concatenate`: join tensors along `axis`."""
    return np.concatenate([np.asarray(t, dtype=np.float64) for t in tensors], axis=axis)


def time_distributed_dense(x: Array, kernel: Array, bias: Array, act: str = "linear") -> Array:
    """`TimeDistributed(Dense)`: the same dense layer applied to every time step."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([dense(x[:, t], kernel, bias, act) for t in range(x.shape[1])], axis=1)


# --- convolution and pooling -------------------------------------------------------------


def padding_amounts(length: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(before, after, output length) of one spatial axis for `valid` or `same` padding."""
    if padding == "valid":
        return 0, 0, (length - window) // stride + 1
    if padding == "same":
        out = -(-length // stride)  # ceil(length / stride)
        total = max((out - 1) * stride + window - length, 0)
        return total // 2, total - total // 2, out
    raise ValueError(f"padding must be 'valid' or 'same'; received {padding!r}")


def _pad(
    x: Array, window: Sequence[int], strides: Sequence[int], padding: str, value: float
) -> tuple[Array, list[int]]:
    """Pad every spatial axis of a channels-last batch; return it and the output sizes."""
    widths, sizes = [(0, 0)], []
    for axis, (k, s) in enumerate(zip(window, strides, strict=True), start=1):
        before, after, out = padding_amounts(x.shape[axis], k, s, padding)
        widths.append((before, after))
        sizes.append(out)
    widths.append((0, 0))
    return np.pad(x, widths, constant_values=value), sizes


def conv1d(
    x: Array,
    kernel: Array,
    bias: Array,
    strides: int = 1,
    padding: str = "valid",
    act: str = "linear",
) -> Array:
    """`Conv1D` (channels last): x (batch, steps, in), kernel (width, in, out)."""
    x = np.asarray(x, dtype=np.float64)
    width = kernel.shape[0]
    padded, (steps,) = _pad(x, [width], [strides], padding, 0.0)
    out = np.empty((x.shape[0], steps, kernel.shape[2]))
    for t in range(steps):
        window = padded[:, t * strides : t * strides + width, :]
        out[:, t] = np.tensordot(window, kernel, axes=([1, 2], [0, 1]))
    return activation(act, out + bias)


def conv2d(
    x: Array,
    kernel: Array,
    bias: Array,
    strides: tuple[int, int] = (1, 1),
    padding: str = "valid",
    act: str = "linear",
) -> Array:
    """`Conv2D` (channels last): x (batch, rows, cols, in), kernel (kh, kw, in, out)."""
    x = np.asarray(x, dtype=np.float64)
    kh, kw = kernel.shape[:2]
    sh, sw = strides
    padded, (rows, cols) = _pad(x, [kh, kw], [sh, sw], padding, 0.0)
    out = np.empty((x.shape[0], rows, cols, kernel.shape[3]))
    for i in range(rows):
        for j in range(cols):
            patch = padded[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
            out[:, i, j] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return activation(act, out + bias)


def max_pooling1d(
    x: Array, pool_size: int = 2, strides: int | None = None, padding: str = "valid"
) -> Array:
    """`MaxPooling1D`: strides default to the pool size; padded cells never win."""
    x = np.asarray(x, dtype=np.float64)
    strides = strides or pool_size
    padded, (steps,) = _pad(x, [pool_size], [strides], padding, -np.inf)
    return np.stack(
        [padded[:, t * strides : t * strides + pool_size].max(axis=1) for t in range(steps)],
        axis=1,
    )


def max_pooling2d(
    x: Array,
    pool_size: tuple[int, int] = (2, 2),
    strides: tuple[int, int] | None = None,
    padding: str = "valid",
) -> Array:
    """`MaxPooling2D` (channels last): strides default to the pool size."""
    x = np.asarray(x, dtype=np.float64)
    ph, pw = pool_size
    sh, sw = strides or pool_size
    padded, (rows, cols) = _pad(x, [ph, pw], [sh, sw], padding, -np.inf)
    out = np.empty((x.shape[0], rows, cols, x.shape[3]))
    for i in range(rows):
        for j in range(cols):
            out[:, i, j] = padded[:, i * sh : i * sh + ph, j * sw : j * sw + pw].max(axis=(1, 2))
    return out


def global_average_pooling1d(x: Array) -> Array:
    """`GlobalAveragePooling1D`: the mean over the time axis."""
    return np.asarray(x, dtype=np.float64).mean(axis=1)


# --- recurrent layers ------------------------------------------------------------------


@dataclass(frozen=True)
class LstmStep:
    """One time step of an LSTM: the state it starts from, its gates (activated), its new
    cell state and that state's tanh, and its output (the new h)."""

    h_prev: Array
    c_prev: Array
    i: Array
    f: Array
    g: Array
    o: Array
    c: Array
    tanh_c: Array
    h: Array


def lstm_steps(
    x: Array,
    kernel: Array,
    recurrent_kernel: Array,
    bias: Array,
    initial_state: tuple[Array, Array] | None = None,
) -> list[LstmStep]:
    """`LSTM`'s time steps with Keras's defaults (tanh, sigmoid gates), in the dtype of
    the arrays given: `lstm` computes in float64; the NumPy performance baseline
    (`baselines.py`) trains in float32 and reads the gates for its backward pass.

    The kernels hold the four gates side by side in the order input, forget, cell
    candidate, output: kernel (features, 4*units), recurrent_kernel (units, 4*units),
    bias (4*units,). The state (h, c) starts at zeros unless `initial_state` is given.
    """
    units = recurrent_kernel.shape[0]
    if initial_state is None:
        h = np.zeros((x.shape[0], units), dtype=np.result_type(x, kernel))
        c = np.zeros_like(h)
    else:
        h, c = initial_state
    steps = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        i, f, g, o = _logistic(z_i), _logistic(z_f), np.tanh(z_c), _logistic(z_o)
        c_new = f * c + i * g
        tanh_c = np.tanh(c_new)
        steps.append(LstmStep(h, c, i, f, g, o, c_new, tanh_c, o * tanh_c))
        h, c = steps[-1].h, c_new
    return steps


def lstm(
    x: Array,
    kernel: Array,
    recurrent_kernel: Array,
    bias: Array,
    return_sequences: bool = False,
    initial_state: tuple[Array, Array] | None = None,
) -> tuple[Array, tuple[Array, Array]]:
    """`LSTM` (see `lstm_steps`) in float64; returns (output, (h, c)), the state being
    the one a stateful layer carries into the next batch."""
    state = None
    if initial_state is not None:
        state = tuple(np.asarray(s, dtype=np.float64) for s in initial_state)
    steps = lstm_steps(np.asarray(x, dtype=np.float64), kernel, recurrent_kernel, bias, state)
    last = steps[-1]
    output = np.stack([step.h for step in steps], axis=1) if return_sequences else last.h
    return output, (last.h, last.c)


# --- one optimizer step ----------------------------------------------------------------


def dense_mse_gradients(
    x: Array, target: Array, kernel: Array, bias: Array
) -> tuple[float, list[Array]]:
    """Loss and [d kernel, d bias] of a linear `Dense` under Keras's `mse` loss.

    `mse` averages the squared error over the output units, then over the batch,
    which is the mean over all elements: d loss / d y = 2 (y - target) / y.size.
    """
    x = np.asarray(x, dtype=np.float64)
    error = dense(x, kernel, bias) - target
    d_y = 2.0 * error / error.size
    return float(np.mean(error**2)), [x.T @ d_y, d_y.sum(axis=0)]


def decayed_learning_rate(lr: float, decay: float, iterations: int) -> float:
    """Keras 2's time-based decay: `lr / (1 + decay * iterations)`."""
    return lr / (1.0 + decay * iterations)


def sgd_step(
    weights: list[Array],
    grads: list[Array],
    velocities: list[Array],
    *,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    decay: float = 0.0,
    iterations: int = 0,
) -> tuple[list[Array], list[Array]]:
    """One Keras 2 SGD update; returns (new weights, new velocities).

    `iterations` counts the updates already applied (0 for the first step).
    """
    rate = decayed_learning_rate(lr, decay, iterations)
    new_weights, new_velocities = [], []
    for w, g, v in zip(weights, grads, velocities, strict=True):
        v = momentum * v - rate * g
        step = momentum * v - rate * g if nesterov else v
        new_weights.append(w + step)
        new_velocities.append(v)
    return new_weights, new_velocities


def rmsprop_step(
    weights: list[Array],
    grads: list[Array],
    accumulators: list[Array],
    *,
    lr: float,
    rho: float = 0.9,
    epsilon: float = 1e-7,
    decay: float = 0.0,
    iterations: int = 0,
) -> tuple[list[Array], list[Array]]:
    """One Keras 2 RMSprop update without momentum: epsilon outside the square root."""
    rate = decayed_learning_rate(lr, decay, iterations)
    new_weights, new_accumulators = [], []
    for w, g, a in zip(weights, grads, accumulators, strict=True):
        a = rho * a + (1.0 - rho) * g**2
        new_weights.append(w - rate * g / (np.sqrt(a) + epsilon))
        new_accumulators.append(a)
    return new_weights, new_accumulators


#: Optimizer name -> its update function (both take weights, grads, slots, **hyper).
OPTIMIZER_STEPS: dict[str, Callable[..., tuple[list[Array], list[Array]]]] = {
    "sgd": sgd_step,
    "rmsprop": rmsprop_step,
}


def train_dense_mse(
    name: str, x: Array, target: Array, kernel: Array, bias: Array, steps: int, **hyper: float
) -> list[Array]:
    """[kernel, bias] of a linear Dense after `steps` updates of optimizer `name` on mse.

    Every step sees the same batch, as repeated `train_on_batch(x, target)` calls do.
    """
    update = OPTIMIZER_STEPS[name]
    weights = [np.asarray(kernel, np.float64), np.asarray(bias, np.float64)]
    slots = [np.zeros_like(w) for w in weights]
    for iteration in range(steps):
        _, grads = dense_mse_gradients(x, target, *weights)
        weights, slots = update(weights, grads, slots, iterations=iteration, **hyper)
    return weights
