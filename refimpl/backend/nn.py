"""Keras 2's backend: activations, losses, convolution and pooling (Keras 3's
`keras.ops.nn` under Keras 2's names and argument conventions).

Part of `refimpl.backend` (`K.*`), which re-exports every name here.

Example:

>>> import numpy as np
>>> from refimpl.backend.nn import hard_sigmoid
>>> hard_sigmoid(np.array([0.0, 1.0])).numpy().tolist()  # Keras 2's slope, 0.2
[0.5, 0.7]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refimpl import _keras3_private, compilation
from refimpl._keras3 import keras3
from refimpl.backend.common import epsilon, normalize_data_format
from refimpl.backend.tensors import int_shape, ndim

ops = keras3.ops

# ----------------------------------------------------------------------------------
# Activations and losses
# ----------------------------------------------------------------------------------


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: `x` from `threshold` up to `max_value`, else `alpha * (x -
    threshold)` below the threshold (and `max_value` above it)."""
    return keras3.activations.relu(
        x, negative_slope=alpha, max_value=max_value, threshold=threshold
    )


def elu(x, alpha=1.0):
    """Exponential linear unit: `x` if positive, else `alpha * (exp(x) - 1)`."""
    return ops.elu(x, alpha=alpha)


def softmax(x, axis=-1):
    """Softmax along `axis`."""
    return ops.softmax(x, axis=axis)


def hard_sigmoid(x):
    """Keras 2's piecewise-linear sigmoid, `clip(0.2 * x + 0.5, 0, 1)`.

    Keras 3's `hard_sigmoid` has slope 1/6; Keras 2's has slope 0.2.
    """
    return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)


def dropout(x, level, noise_shape=None, seed=None):
    """Zero each entry of `x` with probability `level`, scaling the rest by `1 / (1 - level)`.

    Unlike the `Dropout` layer this always applies, whatever the learning phase.
    """
    return keras3.random.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


def l2_normalize(x, axis=None):
    """`x` divided by its L2 norm along `axis` (all axes for None)."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    # The floor of 1e-12 on the squared norm keeps a zero vector at zero, as in Keras 2.
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, 1e-12)))


def _logits(output: Any) -> Any:
    # A softmax or sigmoid output remembers its input; Keras 2 and 3 both use it for a
    # more accurate loss.
    return _keras3_private.logits_of(output)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) `target` and predicted `output`.

    Note Keras 2's order: target first. Unless `from_logits`, `output` holds
    probabilities; they are rescaled to sum to 1 and clipped to `[epsilon, 1 - epsilon]`.
    """
    logits = output if from_logits else _logits(output)
    if logits is not None:
        return ops.categorical_crossentropy(target, logits, from_logits=True, axis=axis)
    output = ops.convert_to_tensor(output)
    output = ops.divide(output, ops.sum(output, axis=axis, keepdims=True))
    output = ops.clip(output, epsilon(), 1.0 - epsilon())
    return ops.negative(ops.sum(ops.multiply(target, ops.log(output)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1, ignore_class=None):
    """Cross-entropy between integer `target` classes and predicted `output`.

    Target first, as in Keras 2. Samples whose target is `ignore_class` get a loss of 0.
    """
    if ndim(target) == ndim(output):
        target = ops.squeeze(target, axis=-1)
    target = ops.cast(target, "int32")
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(target, ignore_class)
        target = ops.where(valid, target, 0)
    logits = output if from_logits else _logits(output)
    if logits is not None:
        loss = ops.sparse_categorical_crossentropy(target, logits, from_logits=True, axis=axis)
    else:
        loss = ops.sparse_categorical_crossentropy(target, output, axis=axis)
    return loss if valid is None else ops.where(valid, loss, ops.zeros_like(loss))


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise cross-entropy between 0/1 `target` and predicted `output`.

    Target first, as in Keras 2. Unless `from_logits`, `output` holds probabilities,
    clipped to `[epsilon, 1 - epsilon]`, and epsilon is added inside both logarithms as
    Keras 2 did.
    """
    logits = output if from_logits else _logits(output)
    if logits is not None:
        return ops.binary_crossentropy(target, logits, from_logits=True)
    eps = epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    positive = ops.multiply(target, ops.log(ops.add(output, eps)))
    complement = ops.subtract(1.0, output)
    negative = ops.multiply(ops.subtract(1.0, target), ops.log(ops.add(complement, eps)))
    return ops.negative(ops.add(positive, negative))


# ----------------------------------------------------------------------------------
# Convolution and pooling
# ----------------------------------------------------------------------------------


def _check_padding(padding: str, allowed: tuple[str, ...], what: str) -> None:
    if padding not in allowed:
        raise ValueError(f"`{what}` expects `padding` in {allowed}; received {padding!r}.")


def _channels_last_on_cpu(op: Callable, x: Any, data_format: str, *args: Any) -> Any:
    """`op(x, *args, data_format)`, run channels-last where only that layout has kernels.

    TensorFlow's plain CPU kernels for convolution and pooling accept only channels-last
    input (its oneDNN kernels and GPUs accept both), so on a CPU Keras 2 transposed
    channels-first input around the op; refimpl does the same.
    """
    if data_format != "channels_first" or compilation.device_kind() != "CPU":
        return op(x, *args, data_format)
    to_last = [0, *range(2, ndim(x)), 1]
    to_first = [0, ndim(x) - 1, *range(1, ndim(x) - 1)]
    return ops.transpose(op(ops.transpose(x, to_last), *args, "channels_last"), to_first)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-D convolution of `x` (batch, steps, channels) with `kernel` (width, in, out).

    `padding='causal'` pads the start of the sequence so no output sees the future.
    """
    _check_padding(padding, ("valid", "same", "causal"), "conv1d")
    data_format = normalize_data_format(data_format)
    if padding == "causal":
        rate = dilation_rate[0] if isinstance(dilation_rate, (tuple, list)) else dilation_rate
        left = [rate * (int_shape(kernel)[0] - 1), 0]
        time_axis = 2 if data_format == "channels_first" else 1
        x = ops.pad(x, [left if axis == time_axis else [0, 0] for axis in range(3)])
        padding = "valid"
    return _channels_last_on_cpu(_conv, x, data_format, kernel, strides, padding, dilation_rate)


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-D convolution of images `x` with `kernel` (rows, columns, in, out)."""
    _check_padding(padding, ("valid", "same"), "conv2d")
    data_format = normalize_data_format(data_format)
    return _channels_last_on_cpu(_conv, x, data_format, kernel, strides, padding, dilation_rate)


def _conv(x, kernel, strides, padding, dilation_rate, data_format):
    return ops.conv(x, kernel, strides, padding, data_format, dilation_rate)


#: Keras 2's `pool_mode` -> Keras 3 op.
_POOLS = {"max": ops.max_pool, "avg": ops.average_pool}


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2-D max (`pool_mode='max'`) or average (`'avg'`) pooling of images `x`."""
    _check_padding(padding, ("valid", "same"), "pool2d")
    if pool_mode not in _POOLS:
        raise ValueError(f"`pool2d` expects `pool_mode` 'max' or 'avg'; received {pool_mode!r}.")
    data_format = normalize_data_format(data_format)
    return _channels_last_on_cpu(_POOLS[pool_mode], x, data_format, pool_size, strides, padding)


def bias_add(x, bias, data_format=None):
    """Add `bias` to `x` along the channels axis.

    `bias` has one value per channel, or the shape of one sample in channels-last
    order (with `data_format='channels_first'` such a bias is reshaped, not transposed,
    to channels first, as Keras 2 did).
    """
    data_format = normalize_data_format(data_format)
    bias_shape, x_ndim = int_shape(bias), ndim(x)
    if len(bias_shape) not in (1, x_ndim - 1):
        raise ValueError(
            f"`bias_add` expects a bias of 1 axis or of {x_ndim - 1} axes (one sample); "
            f"received shape {bias_shape} for an input of shape {int_shape(x)}."
        )
    if data_format == "channels_first":
        if len(bias_shape) == 1:
            return ops.add(x, ops.reshape(bias, bias_shape + (1,) * (x_ndim - 2)))
        # Keras 2 reshaped (did not transpose) a per-sample bias to channels first.
        return ops.add(x, ops.reshape(bias, (1, bias_shape[-1]) + tuple(bias_shape[:-1])))
    return ops.add(x, bias)
