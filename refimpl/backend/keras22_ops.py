"""The rest of Keras 2.2's backend: functions that are a TensorFlow op or two each.

Keras 3's `keras.ops` has no counterpart for these `K.*` functions of Keras 2.2 (and
tf_keras), which Keras 2 programs call in custom layers and losses: higher-order
functions over a tensor's first axis (`map_fn`, `foldl`, `foldr`), the batch
normalization helpers of a custom normalization layer (`moving_average_update`,
`normalize_batch_in_training`, `batch_normalization`), 3-D and separable
convolutions and pooling, `resize_images`, `in_top_k`, `print_tensor`, and small
utilities (`get_uid`, `is_sparse`, ...). Each has the signature and semantics they
had in Keras 2.2 and tf_keras, which agree for all of them.

>>> import refimpl.backend as K  # doctest: +SKIP
>>> K.map_fn(lambda row: row * 2, K.constant([[1.0, 2.0]]))  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import sys
from collections.abc import Callable, Sequence
from typing import Any

from refimpl._keras3 import keras3, tf
from refimpl.backend.common import normalize_data_format

ops = keras3.ops

__all__ = [
    "map_fn", "foldl", "foldr", "in_top_k", "print_tensor", "moving_average_update",
    "normalize_batch_in_training", "batch_normalization", "conv3d", "pool3d",
    "separable_conv2d", "depthwise_conv2d", "conv2d_transpose", "resize_images",
    "spatial_3d_padding", "get_uid", "reset_uids", "get_variable_shape", "is_sparse",
    "to_dense", "manual_variable_initialization", "control_dependencies",
]  # fmt: skip


# -- higher-order functions ----------------------------------------------------------------
def map_fn(fn: Callable, elems: Any, name: str | None = None, dtype: Any = None) -> Any:
    """`fn` applied to each entry of `elems` along its first axis, the results stacked."""
    return tf.map_fn(fn, elems, name=name, fn_output_signature=dtype)


def foldl(fn: Callable, elems: Any, initializer: Any = None, name: str | None = None) -> Any:
    """`fn(accumulator, entry)` over the entries of `elems`, first to last."""
    return tf.foldl(fn, elems, initializer=initializer, name=name)


def foldr(fn: Callable, elems: Any, initializer: Any = None, name: str | None = None) -> Any:
    """`fn(accumulator, entry)` over the entries of `elems`, last to first."""
    return tf.foldr(fn, elems, initializer=initializer, name=name)


# -- evaluation and debugging --------------------------------------------------------------
def in_top_k(predictions: Any, targets: Any, k: int) -> Any:
    """Whether each sample's target class is among its `k` highest predictions (bools)."""
    targets = tf.cast(tf.reshape(targets, [-1]), tf.int32)
    return tf.math.in_top_k(targets, tf.convert_to_tensor(predictions), k)


def print_tensor(x: Any, message: str = "", summarize: int = 3) -> Any:
    """Print `message` and `x` when it is computed (in a graph too); returns `x`."""
    tf.print(message, x, output_stream=sys.stdout, summarize=summarize)
    return x


# -- batch normalization -------------------------------------------------------------------
def moving_average_update(x: Any, value: Any, momentum: float) -> Any:
    """Move the variable `x` towards `value`: `x = momentum * x + (1 - momentum) * value`.

    Keras 2.2 and tf_keras both used the plain moving average (no zero-debiasing).
    Pass the result to `add_update`, or call it inside a training call.
    """
    value = ops.cast(value, x.dtype)
    return x.assign(x - (x - value) * (1.0 - momentum))


def batch_normalization(
    x: Any, mean: Any, var: Any, beta: Any, gamma: Any, axis: int = -1, epsilon: float = 1e-3
) -> Any:
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta` (beta, gamma may be None)."""
    return tf.nn.batch_normalization(x, mean, var, beta, gamma, epsilon)


def normalize_batch_in_training(
    x: Any, gamma: Any, beta: Any, reduction_axes: Sequence[int], epsilon: float = 1e-3
) -> tuple[Any, Any, Any]:
    """Normalize `x` by the mean and variance over `reduction_axes`.

    Returns `(normalized, mean, variance)`; `gamma` and `beta` (shaped like the kept
    axes) scale and shift the result.
    """
    x = tf.convert_to_tensor(x)
    axes = sorted(a % x.shape.rank for a in reduction_axes)
    mean, variance = tf.nn.moments(x, axes)
    kept = [1 if a in axes else -1 for a in range(x.shape.rank)]

    def shaped(t: Any) -> Any:
        return None if t is None else tf.reshape(t, kept)

    normed = tf.nn.batch_normalization(
        x, shaped(mean), shaped(variance), shaped(beta), shaped(gamma), epsilon
    )
    return normed, mean, variance


# -- convolution and pooling ---------------------------------------------------------------
def _channels_last(x: Any, data_format: str | None) -> tuple[Any, bool]:
    """`x` channels-last, and whether it was channels-first (to transpose back)."""
    first = normalize_data_format(data_format) == "channels_first"
    x = tf.convert_to_tensor(x)
    if first:
        x = tf.transpose(x, [0, *range(2, x.shape.rank), 1])
    return x, first


def _back(y: Any, first: bool) -> Any:
    return tf.transpose(y, [0, y.shape.rank - 1, *range(1, y.shape.rank - 1)]) if first else y


def _tuple(value: Any, rank: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _padding(padding: str, what: str) -> str:
    if padding not in ("valid", "same"):
        raise ValueError(f"`{what}` expects `padding` 'valid' or 'same'; received {padding!r}.")
    return padding


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):  # fmt: skip
    """3-D convolution of volumes `x` with `kernel` (depth, rows, columns, in, out)."""
    x, first = _channels_last(x, data_format)
    y = ops.conv(x, kernel, strides, _padding(padding, "conv3d"), "channels_last", dilation_rate)
    return _back(y, first)


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None, pool_mode="max"):
    """3-D max (`pool_mode='max'`) or average (`'avg'`) pooling of volumes `x`."""
    pools = {"max": ops.max_pool, "avg": ops.average_pool}
    if pool_mode not in pools:
        raise ValueError(f"`pool3d` expects `pool_mode` 'max' or 'avg'; received {pool_mode!r}.")
    x, first = _channels_last(x, data_format)
    y = pools[pool_mode](x, pool_size, strides, _padding(padding, "pool3d"), "channels_last")
    return _back(y, first)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):  # fmt: skip
    """A depthwise convolution, then a 1x1 convolution mixing the channels."""
    x, first = _channels_last(x, data_format)
    y = ops.separable_conv(x, depthwise_kernel, pointwise_kernel, strides,
                           _padding(padding, "separable_conv2d"), "channels_last",
                           dilation_rate)  # fmt: skip
    return _back(y, first)


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):  # fmt: skip
    """Each input channel convolved with its own filters (rows, columns, in, multiplier)."""
    x, first = _channels_last(x, data_format)
    y = ops.depthwise_conv(x, depthwise_kernel, strides, _padding(padding, "depthwise_conv2d"),
                           "channels_last", dilation_rate)  # fmt: skip
    return _back(y, first)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):  # fmt: skip
    """The transpose of a 2-D convolution, with `kernel` (rows, columns, out, in) and the
    full `output_shape` (batch included, in `data_format`'s order)."""
    x, first = _channels_last(x, data_format)
    shape = list(output_shape)
    if first:
        shape = [shape[0], shape[2], shape[3], shape[1]]
    if shape[0] is None:
        shape[0] = tf.shape(x)[0]
    y = tf.nn.conv2d_transpose(
        x, kernel, tf.stack(shape), strides=(1, *_tuple(strides, 2), 1),
        padding=_padding(padding, "conv2d_transpose").upper(),
        dilations=(1, *_tuple(dilation_rate, 2), 1),
    )  # fmt: skip
    return _back(y, first)


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """Images `x` made `height_factor` x `width_factor` times larger."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(
            f"`resize_images` expects `interpolation` 'nearest' or 'bilinear'; received "
            f"{interpolation!r}."
        )
    x, first = _channels_last(x, data_format)
    size = tf.shape(x)[1:3] * tf.constant([height_factor, width_factor])
    y = tf.cast(tf.image.resize(x, size, method=interpolation), x.dtype)
    return _back(y, first)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros added before and after each of the three spatial axes of volumes `x`."""
    if len(padding) != 3 or any(len(pair) != 2 for pair in padding):
        raise ValueError(
            f"`spatial_3d_padding` expects three (before, after) pairs; received {padding!r}."
        )
    pads = [[0, 0], *[list(pair) for pair in padding], [0, 0]]
    if normalize_data_format(data_format) == "channels_first":
        pads = [[0, 0], [0, 0], *[list(pair) for pair in padding]]
    return tf.pad(x, pads)


# -- utilities -----------------------------------------------------------------------------
_UIDS: collections.Counter[str] = collections.Counter()


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... for successive calls with the same `prefix` (Keras 2's layer names)."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids() -> None:
    """Start every prefix of `get_uid` from 1 again."""
    _UIDS.clear()


def get_variable_shape(x: Any) -> tuple[int | None, ...]:
    """The shape of a variable as a tuple (Keras 2.2's name for `int_shape`)."""
    return tuple(x.shape)


def is_sparse(tensor: Any) -> bool:
    """Whether `tensor` is a `tf.SparseTensor`."""
    return isinstance(tensor, tf.SparseTensor)


def to_dense(tensor: Any) -> Any:
    """A sparse tensor made dense; any other tensor as it is."""
    return tf.sparse.to_dense(tensor) if is_sparse(tensor) else tensor


_manual_initialization = False


def manual_variable_initialization(value: bool) -> None:
    """Keras 2's switch for initializing variables by hand; TensorFlow 2 creates every
    variable initialized, so it is recorded and changes nothing."""
    global _manual_initialization
    _manual_initialization = bool(value)


def control_dependencies(control_inputs: Sequence[Any]) -> Any:
    """A context in which ops run after `control_inputs` (eagerly: already in order)."""
    return tf.control_dependencies(control_inputs)
