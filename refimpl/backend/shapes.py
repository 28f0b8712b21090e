"""Keras 2's backend: shapes (concatenating, reshaping, padding, one-hot, ...).

Part of `refimpl.backend` (`K.*`), which re-exports every name here.

Example:

>>> import numpy as np
>>> from refimpl.backend.shapes import batch_flatten
>>> tuple(batch_flatten(np.ones((2, 3, 4))).shape)
(2, 12)
"""

from __future__ import annotations

import builtins

import numpy as np

from refimpl._keras3 import keras3, tf
from refimpl.backend.common import normalize_data_format
from refimpl.backend.tensors import int_shape, ndim

ops = keras3.ops

# ----------------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------------


def concatenate(tensors, axis=-1):
    """Join a list of tensors along `axis`."""
    return ops.concatenate(list(tensors), axis=axis)


def reshape(x, shape):
    """`x` with a new shape; one dimension may be -1."""
    return ops.reshape(x, shape)


def permute_dimensions(x, pattern):
    """Reorder the axes of `x`: `pattern` lists the old axis for each new one."""
    return ops.transpose(x, axes=tuple(pattern))


def repeat_elements(x, rep, axis):
    """Repeat each entry of `x` `rep` times along `axis`, like `np.repeat`."""
    return ops.repeat(x, rep, axis=axis)


def repeat(x, n):
    """Repeat a batch of vectors `n` times: `(samples, dim)` -> `(samples, n, dim)`."""
    if ndim(x) != 2:
        raise ValueError(f"`repeat` expects a 2-D tensor; received shape {int_shape(x)}.")
    return ops.repeat(ops.expand_dims(x, 1), n, axis=1)


def arange(start, stop=None, step=1, dtype="int32"):
    """A 1-D tensor of `start, start + step, ...` below `stop` (or `0 ... start - 1`)."""
    if stop is None and start < 0:
        start = 0
    return ops.arange(start, stop, step, dtype=dtype)


def tile(x, n):
    """Repeat `x` as a whole `n[i]` times along axis `i`; an int repeats the first axis."""
    return ops.tile(x, [n] if isinstance(n, (int, np.integer)) else n)


def batch_flatten(x):
    """Flatten each sample: `(batch, d1, d2, ...)` -> `(batch, d1 * d2 * ...)`."""
    rest = int_shape(x)[1:]
    if None not in rest:
        return ops.reshape(x, (-1, int(np.prod(rest))))
    # Sizes known only at run time (inside a layer's call).
    return tf.reshape(x, tf.stack([-1, tf.reduce_prod(tf.shape(x)[1:])]))


def expand_dims(x, axis=-1):
    """`x` with a new axis of length 1 at `axis`."""
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    """`x` without its axis `axis`, which must have length 1."""
    return ops.squeeze(x, axis=axis)


def stack(x, axis=0):
    """Stack a list of same-shaped tensors along a new axis."""
    return ops.stack(list(x), axis=axis)


def temporal_padding(x, padding=(1, 1)):
    """Pad the middle (time) axis of a 3-D tensor with zeros: `padding = (left, right)`."""
    if len(padding) != 2:
        raise ValueError(f"`temporal_padding` expects `padding=(left, right)`; received {padding}.")
    return ops.pad(x, [[0, 0], list(padding), [0, 0]])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Pad the rows and columns of a 4-D tensor with zeros.

    `padding = ((top, bottom), (left, right))`.
    """
    if len(padding) != 2 or builtins.any(len(side) != 2 for side in padding):
        raise ValueError(
            "`spatial_2d_padding` expects `padding=((top, bottom), (left, right))`; "
            f"received {padding}."
        )
    rows, columns = list(padding[0]), list(padding[1])
    if normalize_data_format(data_format) == "channels_first":
        return ops.pad(x, [[0, 0], [0, 0], rows, columns])
    return ops.pad(x, [[0, 0], rows, columns, [0, 0]])


def one_hot(indices, num_classes):
    """One-hot encode integer `indices` into a new last axis of `num_classes` floats."""
    return ops.one_hot(indices, num_classes)


def reverse(x, axes):
    """`x` reversed along `axes` (an int or a list of ints)."""
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    return ops.flip(x, axis=tuple(axes))


def stop_gradient(variables):
    """A tensor (or a list, for a list) that gradients do not flow through."""
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)
