"""Keras 2's `keras.backend` (the `K.*` functions) on Keras 3 and TensorFlow 2.

Keras 2 code reaches for the backend to write custom metrics, losses and layers
(`K.mean(y_pred)`), and to run part of a model (`K.function`). Each function here has
Keras 2's name, argument names and results, and is built on `keras.ops` (Keras 3) where
an op exists, so that it also works on the symbolic tensors of a functional model under
construction, as Keras 2's did; TensorFlow fills the gaps.

Functions that only rename a Keras 3 op are generated from the tables `_ELEMENTWISE`,
`_COMPARISONS` and `_REDUCTIONS`; the rest are written out, each where Keras 2's
argument handling differs from Keras 3's (argument order, axes conventions, clipping,
the 0.2 slope of `hard_sigmoid`, ...).

Example:

>>> import numpy as np
>>> import refimpl.backend as K
>>> K.eval(K.mean(K.variable(np.array([[1.0, 2.0], [3.0, 4.0]])), axis=0))
array([2., 3.], dtype=float32)
"""

from __future__ import annotations

import builtins
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refimpl import _keras3_private, compilation
from refimpl._keras3 import keras3, tf
from refimpl.backend import common, keras22_ops, tensorflow_backend
from refimpl.backend.common import (
    LearningPhase,
    cast_to_floatx,
    epsilon,
    floatx,
    image_data_format,
    image_dim_ordering,
    learning_phase,
    learning_phase_scope,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    set_image_dim_ordering,
    set_learning_phase,
)
from refimpl.backend.keras22_ops import *  # noqa: F403 - listed in its __all__
from refimpl.backend.sequences import ctc_batch_cost, ctc_decode, ctc_label_dense_to_sparse, rnn
from refimpl.backend.tensorflow_backend import (
    clear_session,
    get_session,
    set_session,
)

ops = keras3.ops
# Keras 2 scripts import this private helper to count GPUs.
_get_available_gpus = tensorflow_backend._get_available_gpus

# ----------------------------------------------------------------------------------
# Functions that are Keras 3 ops under Keras 2's names
# ----------------------------------------------------------------------------------

#: name -> (Keras 3 op, what it computes). Each becomes `name(x)`.
_ELEMENTWISE: dict[str, tuple[Callable[[Any], Any], str]] = {
    "square": (ops.square, "Element-wise square."),
    "abs": (ops.absolute, "Element-wise absolute value."),
    "exp": (ops.exp, "Element-wise exponential."),
    "log": (ops.log, "Element-wise natural logarithm."),
    "round": (ops.round, "Element-wise rounding to the nearest integer; halves go to even."),
    "sign": (ops.sign, "Element-wise sign: -1, 0 or 1."),
    "sin": (ops.sin, "Element-wise sine."),
    "cos": (ops.cos, "Element-wise cosine."),
    "tanh": (ops.tanh, "Element-wise hyperbolic tangent."),
    "sigmoid": (ops.sigmoid, "Element-wise logistic sigmoid, 1 / (1 + exp(-x))."),
    "softplus": (ops.softplus, "Element-wise softplus, log(exp(x) + 1)."),
    "softsign": (ops.softsign, "Element-wise softsign, x / (abs(x) + 1)."),
    "transpose": (ops.transpose, "Reverse the order of the axes (a matrix's transpose)."),
    "flatten": (lambda x: ops.reshape(x, (-1,)), "Flatten to one dimension."),
    "identity": (ops.copy, "A tensor with the same content as `x`."),
}

#: name -> (Keras 3 op, what it computes). Each becomes `name(x, y)`, broadcasting.
_COMPARISONS: dict[str, tuple[Callable[[Any, Any], Any], str]] = {
    "equal": (ops.equal, "Element-wise `x == y`, as booleans."),
    "not_equal": (ops.not_equal, "Element-wise `x != y`, as booleans."),
    "greater": (ops.greater, "Element-wise `x > y`, as booleans."),
    "greater_equal": (ops.greater_equal, "Element-wise `x >= y`, as booleans."),
    "less": (ops.less, "Element-wise `x < y`, as booleans."),
    "less_equal": (ops.less_equal, "Element-wise `x <= y`, as booleans."),
    "maximum": (ops.maximum, "Element-wise maximum of `x` and `y`."),
    "minimum": (ops.minimum, "Element-wise minimum of `x` and `y`."),
}

#: name -> (Keras 3 op, dtype the input is first cast to, what it computes). Each becomes
#: `name(x, axis=None, keepdims=False)`. Keras 2 averaged booleans as floats and tested
#: any/all on anything as booleans; the casts keep that.
_REDUCTIONS: dict[str, tuple[Callable[..., Any], str | None, str]] = {
    "max": (ops.max, None, "Maximum"),
    "min": (ops.min, None, "Minimum"),
    "sum": (ops.sum, None, "Sum"),
    "prod": (ops.prod, None, "Product"),
    "mean": (ops.mean, "floatx", "Mean"),
    "var": (ops.var, "floatx", "Variance (population, dividing by N)"),
    "std": (ops.std, "floatx", "Standard deviation (population, dividing by N)"),
    "any": (ops.any, "bool", "Logical or"),
    "all": (ops.all, "bool", "Logical and"),
    "logsumexp": (ops.logsumexp, None, "log(sum(exp(x))), computed stably,"),
}


def _named(function: Callable[..., Any], name: str, doc: str) -> Callable[..., Any]:
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    function.__module__ = __name__
    return function


def _elementwise(name: str, op: Callable[[Any], Any], summary: str) -> Callable[..., Any]:
    def function(x):
        return op(x)

    return _named(function, name, f"{summary}\n\nArgs:\n    x: a tensor, variable or array.")


def _comparison(name: str, op: Callable[[Any, Any], Any], summary: str) -> Callable[..., Any]:
    def function(x, y):
        return op(x, y)

    return _named(function, name, f"{summary}\n\nArgs:\n    x, y: tensors, variables or arrays.")


def _reduction(
    name: str, op: Callable[..., Any], cast: str | None, summary: str
) -> Callable[..., Any]:
    def function(x, axis=None, keepdims=False):
        if cast == "bool" or (cast and _dtype_of(x) == "bool"):
            x = ops.cast(x, floatx() if cast == "floatx" else "bool")
        return op(x, axis=axis, keepdims=keepdims)

    return _named(
        function,
        name,
        f"{summary} of `x` over `axis` (an int, a list of ints, or None for all axes).\n\n"
        "`keepdims=True` keeps the reduced axes with length 1.",
    )


_GENERATED = {
    **{name: _elementwise(name, *entry) for name, entry in _ELEMENTWISE.items()},
    **{name: _comparison(name, *entry) for name, entry in _COMPARISONS.items()},
    **{name: _reduction(name, *entry) for name, entry in _REDUCTIONS.items()},
}
globals().update(_GENERATED)


# ----------------------------------------------------------------------------------
# Tensors, variables and their properties
# ----------------------------------------------------------------------------------


def backend() -> str:
    """The name of the engine underneath: always `'tensorflow'` for refimpl."""
    return "tensorflow"


def _is_symbolic(x: Any) -> bool:
    return isinstance(x, keras3.KerasTensor)


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a symbolic tensor of a model under construction (`Input(...)`).

    Raises:
        ValueError: if `x` is not a tensor at all (a NumPy array, a number), as in Keras 2.
    """
    if _is_symbolic(x):
        return True
    if is_tensor(x):
        return False
    raise ValueError(
        "`is_keras_tensor` expects a symbolic tensor, a TensorFlow tensor or a variable; "
        f"received {type(x).__name__}."
    )


def is_tensor(x: Any) -> bool:
    """Whether `x` is a tensor or variable (symbolic or not), not an array or number."""
    return _is_symbolic(x) or isinstance(x, keras3.Variable) or tf.is_tensor(x)


def int_shape(x: Any) -> tuple[int | None, ...] | None:
    """The shape of `x` as a tuple of ints, None for unknown dimensions.

    >>> int_shape(np.zeros((2, 3)))
    (2, 3)
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    if isinstance(shape, tf.TensorShape):
        return None if shape.rank is None else tuple(shape.as_list())
    return tuple(shape)


def shape(x: Any) -> Any:
    """The shape of `x`, known at run time: a 1-D int32 tensor for a TensorFlow tensor.

    Keras 2 code writes `K.shape(x)[0]` for the batch size inside a `Lambda` layer. A
    symbolic tensor of a model under construction has no run-time shape yet; for it
    the result is a tuple, None where the size is unknown.
    """
    if _is_symbolic(x):
        return ops.shape(x)
    return tf.shape(x)


def ndim(x: Any) -> int | None:
    """The number of axes of `x`."""
    dims = int_shape(x)
    return None if dims is None else len(dims)


def dtype(x: Any) -> str:
    """The dtype of `x` as a string, such as `'float32'`."""
    return keras3.backend.standardize_dtype(x.dtype)


def _dtype_of(x: Any) -> str:
    """The dtype of anything a function accepts, a Python list or number included."""
    return dtype(x) if hasattr(x, "dtype") else np.asarray(x).dtype.name


def variable(value: Any, dtype: str | None = None, name: str | None = None, constraint=None):
    """A variable holding `value` (an array, a number or a tensor).

    The variable is a Keras 3 variable: tensor ops accept it, and a Keras 3 layer that
    stores it as an attribute tracks it as a weight. `constraint`, a function of the
    variable, is applied by Keras 3's optimizers after each update, as in Keras 2.
    """
    if _is_symbolic(value):
        raise TypeError(
            "`variable` needs a concrete initial value (an array, a number or a tensor); "
            "received a symbolic tensor of a model under construction."
        )
    dtype = keras3.backend.standardize_dtype(dtype or floatx())
    result = keras3.Variable(ops.cast(value, dtype), dtype=dtype, name=name)
    if constraint is not None:
        result.constraint = constraint
    return result


def constant(value: Any, dtype: str | None = None, shape=None, name: str | None = None):
    """A constant tensor holding `value`, of `shape` if given (a scalar is broadcast)."""
    return tf.constant(value, dtype=dtype or floatx(), shape=shape, name=name)


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None, ragged=False):
    """A symbolic input tensor, to feed through `K.function`.

    `shape` includes the batch axis (None where unknown); `ndim` alone means every size
    is unknown.

    >>> x = placeholder(shape=(None, 3))
    >>> function([x], [square(x)])([np.array([[1.0, 2.0, 3.0]])])[0]
    array([[1., 4., 9.]], dtype=float32)
    """
    if shape is None:
        if ndim is None:
            raise ValueError(
                "`placeholder` needs `shape` or `ndim`: Keras 3 has no tensors of unknown rank."
            )
        shape = (None,) * ndim
    return keras3.Input(
        batch_shape=tuple(shape),
        dtype=dtype or floatx(),
        sparse=sparse,
        ragged=ragged,
        name=name,
    )


def _check_concrete(x: Any, what: str) -> None:
    if _is_symbolic(x):
        raise TypeError(
            f"`{what}` needs a concrete tensor or variable; received a symbolic tensor of a "
            "model under construction, which has no value. Compute it with "
            "`K.function(inputs, [tensor])([data])` or a `Model(inputs, tensor)`."
        )


def get_value(x: Any) -> np.ndarray:
    """The value of a variable or tensor, as a NumPy array."""
    _check_concrete(x, "get_value")
    return ops.convert_to_numpy(x)


def eval(x: Any) -> np.ndarray:  # noqa: A001 - Keras 2's name
    """The value of a variable or tensor, as a NumPy array (same as `get_value`)."""
    _check_concrete(x, "eval")
    return ops.convert_to_numpy(x)


def batch_get_value(tensors: Sequence[Any]) -> list[np.ndarray]:
    """The values of several variables or tensors, as a list of NumPy arrays."""
    return [get_value(x) for x in tensors]


def _check_variable(x: Any, what: str) -> None:
    if not hasattr(x, "assign"):
        raise TypeError(f"`{what}` expects a variable (`K.variable`); received {type(x).__name__}.")


def set_value(x: Any, value: Any) -> None:
    """Assign the NumPy value `value` to the variable `x`."""
    _check_variable(x, "set_value")
    x.assign(np.asarray(value, dtype=dtype(x)))


def batch_set_value(tuples: Sequence[tuple[Any, Any]]) -> None:
    """Assign several values: `tuples` is a list of `(variable, numpy_value)`."""
    for x, value in tuples:
        set_value(x, value)


def update(x: Any, new_x: Any) -> Any:
    """Assign `new_x` to the variable `x`, now, and return `x`."""
    _check_variable(x, "update")
    x.assign(new_x)
    return x


def update_add(x: Any, increment: Any) -> Any:
    """Add `increment` to the variable `x`, now, and return `x`."""
    _check_variable(x, "update_add")
    x.assign_add(increment)
    return x


def update_sub(x: Any, decrement: Any) -> Any:
    """Subtract `decrement` from the variable `x`, now, and return `x`."""
    _check_variable(x, "update_sub")
    x.assign_sub(decrement)
    return x


def count_params(x: Any) -> int:
    """The number of scalars in `x`."""
    return int(np.prod(int_shape(x)))


def cast(x: Any, dtype: str) -> Any:
    """`x` converted to `dtype` (a string such as `'float16'`)."""
    return ops.cast(x, dtype)


def _is_static(shape: Any) -> bool:
    """Whether `shape` holds only Python or NumPy ints (no run-time sizes)."""
    dims = shape if isinstance(shape, (tuple, list)) else (shape,)
    return builtins.all(isinstance(d, (int, np.integer)) for d in dims)


def _filled(fill: Callable[..., Any], shape, dtype, name):
    # Keras 2 returned a variable where the shape was known, a tensor otherwise.
    dtype = dtype or floatx()
    value = fill(shape, dtype=dtype)
    return variable(value, dtype=dtype, name=name) if _is_static(shape) else value


def zeros(shape, dtype=None, name=None):
    """A variable of zeros (a tensor if `shape` holds run-time sizes)."""
    return _filled(ops.zeros, shape, dtype, name)


def ones(shape, dtype=None, name=None):
    """A variable of ones (a tensor if `shape` holds run-time sizes)."""
    return _filled(ops.ones, shape, dtype, name)


def eye(size, dtype=None, name=None):
    """An identity-matrix variable; `size` is `n` or `(rows, columns)`."""
    rows, columns = size if isinstance(size, (list, tuple)) else (size, size)
    dtype = dtype or floatx()
    return variable(ops.eye(rows, columns, dtype=dtype), dtype=dtype, name=name)


def zeros_like(x, dtype=None, name=None):
    """Zeros with the shape of `x` and its dtype (or `dtype`)."""
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """Ones with the shape of `x` and its dtype (or `dtype`)."""
    return ops.ones_like(x, dtype=dtype)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable of values drawn uniformly from `[low, high)`."""
    dtype = dtype or floatx()
    return variable(random_uniform(shape, low, high, dtype, seed), dtype=dtype, name=name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable of values drawn from a normal distribution (`scale` is its stddev)."""
    dtype = dtype or floatx()
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype=dtype, name=name)


# ----------------------------------------------------------------------------------
# Arithmetic whose Keras 2 form differs from the Keras 3 op
# ----------------------------------------------------------------------------------


def sqrt(x):
    """Element-wise square root; Keras 2 clipped negative values to 0 first."""
    return ops.sqrt(ops.maximum(x, 0))


def pow(x, a):  # noqa: A001 - Keras 2's name
    """Element-wise `x ** a`."""
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """Clip `x` to `[min_value, max_value]`; None leaves a side open.

    As in Keras 2, a `max_value` below `min_value` is raised to `min_value`.
    """
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return ops.clip(x, low, high)


def argmax(x, axis=-1):
    """Index of the largest value along `axis`, as int64 like Keras 2."""
    return ops.cast(ops.argmax(x, axis=axis), "int64")


def argmin(x, axis=-1):
    """Index of the smallest value along `axis`, as int64 like Keras 2."""
    return ops.cast(ops.argmin(x, axis=axis), "int64")


def cumsum(x, axis=0):
    """Cumulative sum along `axis` (the first axis by default, unlike NumPy)."""
    return ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    """Cumulative product along `axis` (the first axis by default, unlike NumPy)."""
    return ops.cumprod(x, axis=axis)


def dot(x, y):
    """Keras 2's dot product, which is NumPy's `np.dot`.

    Two matrices are multiplied; for more axes, the last axis of `x` is summed against
    the second-to-last of `y`: `(2, 3, 4) . (4, 5) -> (2, 3, 5)` and
    `(2, 3) . (4, 3, 5) -> (2, 4, 5)`.
    """
    x_ndim, y_ndim = ndim(x), ndim(y)
    if x_ndim <= 2 and y_ndim <= 2:
        return ops.matmul(x, y)
    return ops.tensordot(x, y, axes=[[x_ndim - 1], [builtins.max(y_ndim - 2, 0)]])


def batch_dot(x, y, axes=None):
    """Dot product of each sample of `x` with the same sample of `y`.

    Axis 0 of both is the batch. `axes` names the axis of `x` and the axis of `y` to sum
    over (one int means the same axis for both); by default the last axis of `x` and
    the second-to-last of `y` (its last if `y` has two axes). The result has the batch
    axis, then the other axes of `x`, then the other axes of `y`; a result of one axis
    gets a second of length 1.

    Tensors of the same rank of 4 or more, summed over one of their last two axes each
    (or with `axes=None`), get Keras 2.0-2.2's definition instead, which attention code
    of that era relies on: a matrix product of their last two axes for each entry of
    all the leading ones, `(b, h, m, d) . (b, h, n, d)` with `axes=(3, 3)` giving
    `(b, h, m, n)` (see `refimpl.legacy.ERA_DECISIONS`).

    >>> int_shape(batch_dot(np.ones((32, 20, 1)), np.ones((32, 30, 20)), axes=(1, 2)))
    (32, 1, 30)
    >>> int_shape(batch_dot(np.ones((2, 4, 5, 8)), np.ones((2, 4, 6, 8)), axes=(3, 3)))
    (2, 4, 5, 6)
    """
    x_shape, y_shape = int_shape(x), int_shape(y)
    x_ndim, y_ndim = len(x_shape), len(y_shape)
    if _keras22_batch_matmul(x_ndim, y_ndim, axes):
        return _batch_matmul(x, y, x_shape, y_shape, axes)
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(
            f"`batch_dot` needs inputs with at least 2 axes; received shapes {x_shape} and "
            f"{y_shape}."
        )
    if None not in (x_shape[0], y_shape[0]) and x_shape[0] != y_shape[0]:
        raise ValueError(
            f"`batch_dot` needs the same batch size; received shapes {x_shape} and {y_shape}."
        )
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 1 if y_ndim == 2 else y_ndim - 2)
    elif isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    if len(axes) != 2 or not builtins.all(isinstance(a, (int, np.integer)) for a in axes):
        raise ValueError(f"`batch_dot` expects `axes` None, an int or (int, int); received {axes}.")
    x_axis, y_axis = axes[0] % x_ndim, axes[1] % y_ndim
    if 0 in (x_axis, y_axis):
        raise ValueError(
            "`batch_dot` cannot sum over axis 0, the batch axis; add a batch axis to "
            "unbatched inputs with `K.expand_dims(x, 0)`."
        )
    if None not in (x_shape[x_axis], y_shape[y_axis]) and x_shape[x_axis] != y_shape[y_axis]:
        raise ValueError(
            f"`batch_dot` sums x's axis {x_axis} against y's axis {y_axis}, whose sizes differ: "
            f"shapes {x_shape} and {y_shape}."
        )
    # One einsum letter for the batch, one for the summed axis, one for each other axis.
    free = iter(string.ascii_letters[2:])
    x_letters = ["a" if i == 0 else "b" if i == x_axis else next(free) for i in range(x_ndim)]
    y_letters = ["a" if i == 0 else "b" if i == y_axis else next(free) for i in range(y_ndim)]
    kept = [c for c in x_letters + y_letters[1:] if c != "b"]
    result = ops.einsum(f"{''.join(x_letters)},{''.join(y_letters)}->{''.join(kept)}", x, y)
    return ops.expand_dims(result, 1) if len(kept) == 1 else result


def _keras22_batch_matmul(x_ndim: int, y_ndim: int, axes: Any) -> bool:
    """Whether `batch_dot` takes Keras 2.0-2.2's definition (same rank >= 4, each axis
    one of the last two of its tensor, or no axes)."""
    if x_ndim != y_ndim or x_ndim < 4:
        return False
    if axes is None:
        return True
    if isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    if len(axes) != 2 or not builtins.all(isinstance(a, (int, np.integer)) for a in axes):
        return False
    return builtins.all(a % x_ndim >= x_ndim - 2 for a in axes)


def _batch_matmul(x: Any, y: Any, x_shape: tuple, y_shape: tuple, axes: Any) -> Any:
    """Keras 2.0-2.2's `batch_dot` of same-rank tensors: a matrix product of the last
    two axes, after moving each summed axis where a matrix product sums."""
    rank = len(x_shape)
    x_axis, y_axis = (rank - 1, rank - 2) if axes is None else (
        (axes, axes) if isinstance(axes, (int, np.integer)) else tuple(axes)
    )  # fmt: skip
    x_axis, y_axis = x_axis % rank, y_axis % rank
    if None not in (x_shape[x_axis], y_shape[y_axis]) and x_shape[x_axis] != y_shape[y_axis]:
        raise ValueError(
            f"`batch_dot` sums x's axis {x_axis} against y's axis {y_axis}, whose sizes differ: "
            f"shapes {x_shape} and {y_shape}."
        )
    leading = [(a, b) for a, b in zip(x_shape[:-2], y_shape[:-2], strict=True)]
    if builtins.any(None not in pair and pair[0] != pair[1] for pair in leading):
        raise ValueError(
            "`batch_dot` of tensors of rank 4 or more multiplies their last two axes for "
            "each entry of the leading ones (Keras 2.2), which must then agree; received "
            f"shapes {x_shape} and {y_shape}."
        )
    if x_axis == rank - 2:
        x = ops.swapaxes(x, -1, -2)
    if y_axis == rank - 1:
        y = ops.swapaxes(y, -1, -2)
    return ops.matmul(x, y)


def gather(reference, indices):
    """The rows (entries along axis 0) of `reference` at `indices`."""
    return ops.take(reference, indices, axis=0)


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


# ----------------------------------------------------------------------------------
# Control flow and the learning phase
# ----------------------------------------------------------------------------------


def _value(expression: Any) -> Any:
    return expression() if callable(expression) else expression


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition` holds, else `else_expression`.

    A scalar condition picks one expression (either may be a function of no arguments,
    called only if picked); a tensor condition picks element by element, its axes
    matching the leading axes of the expressions.
    """
    if isinstance(condition, (bool, np.bool_)):
        return _value(then_expression if condition else else_expression)
    if ndim(condition) == 0:
        return ops.cond(
            ops.cast(condition, "bool"),
            lambda: _value(then_expression),
            lambda: _value(else_expression),
        )
    then_value, else_value = _value(then_expression), _value(else_expression)
    condition = ops.cast(condition, "bool")
    missing = ndim(then_value) - ndim(condition)
    if missing < 0:
        raise ValueError(
            f"`switch` needs a condition with no more axes than the expressions; received a "
            f"condition of shape {int_shape(condition)} and expressions of shape "
            f"{int_shape(then_value)}."
        )
    for _ in range(missing):
        condition = ops.expand_dims(condition, -1)
    return ops.where(condition, then_value, else_value)


class _TrainingSwitch(keras3.layers.Layer):
    """`x` when the model runs in training mode, `alt` otherwise.

    `in_train_phase` on symbolic tensors adds this layer to the model under
    construction, so the choice is made each time the model runs, from its `training`
    flag, as Keras 2's learning phase was.
    """

    def call(self, x, alt, training=None):
        return x if training else alt


def in_train_phase(x, alt, training=None):
    """`x` in the training phase, `alt` in the test phase.

    `x` and `alt` may be functions of no arguments, called only when needed. `training`
    is a Python bool or 0/1, a boolean tensor, or None for the learning phase: the
    `training` flag of the model being run (see `K.learning_phase()`).
    """
    if training is None or training is learning_phase():
        phase = common.current_learning_phase()
        chosen = _value(x if phase else alt)
        if not (_is_symbolic(chosen) or _is_symbolic(alt if phase else x)):
            return chosen
        # A model under construction: decide at run time, from its training flag.
        other = _value(alt if phase else x)
        train, test = (chosen, other) if phase else (other, chosen)
        train, test = (v if is_tensor(v) else ops.convert_to_tensor(v) for v in (train, test))
        return _TrainingSwitch()(train, test)
    if isinstance(training, (bool, int, np.bool_, np.integer)):
        return _value(x if training else alt)
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    """`x` in the test phase, `alt` in the training phase (see `in_train_phase`)."""
    return in_train_phase(alt, x, training=training)


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


# ----------------------------------------------------------------------------------
# Random numbers
# ----------------------------------------------------------------------------------


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    return keras3.random.normal(shape, mean, stddev, dtype=dtype or floatx(), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from a uniform distribution on `[minval, maxval)`."""
    return keras3.random.uniform(shape, minval, maxval, dtype=dtype or floatx(), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution, redrawn beyond two standard deviations."""
    return keras3.random.truncated_normal(shape, mean, stddev, dtype=dtype or floatx(), seed=seed)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """Samples of 1 with probability `p`, else 0 (Bernoulli trials)."""
    dtype = dtype or floatx()
    draws = keras3.random.uniform(shape, dtype=dtype, seed=seed)
    return ops.cast(ops.less_equal(draws, p), dtype)


# ----------------------------------------------------------------------------------
# Graphs: gradients, name scopes, backend functions
# ----------------------------------------------------------------------------------


def gradients(loss, variables):
    """Symbolic gradients of `loss` with respect to `variables`, inside a `tf.function`.

    Keras 2 differentiated its static graph; TensorFlow 2 does so only while tracing a
    `tf.function`. In eager code, use `tf.GradientTape`.
    """
    if _is_symbolic(loss):
        raise TypeError(
            "`gradients` cannot differentiate a symbolic tensor of a model under "
            "construction: Keras 3 builds no TensorFlow graph for it. Run the model on data "
            "inside `with tf.GradientTape() as tape:` and call `tape.gradient(loss, vars)`."
        )
    if tf.executing_eagerly():
        raise RuntimeError(
            "`gradients` needs a graph, and TensorFlow 2 runs eagerly: call it inside a "
            "`tf.function`, or compute gradients with `tf.GradientTape`."
        )
    targets = [v.value if isinstance(v, keras3.Variable) else v for v in variables]
    return tf.compat.v1.gradients(loss, targets, colocate_gradients_with_ops=True)


def name_scope(name):
    """A context manager that prefixes the names of ops and weights created in it."""
    return keras3.name_scope(name)


class Function:
    """A compiled computation from input tensors to output tensors (see `function`)."""

    def __init__(self, inputs, outputs, name=None):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phases = [i for i, x in enumerate(inputs) if x is learning_phase()]
        self._phase_index = phases[0] if phases else None
        self._n_inputs = len(inputs)
        model_inputs = [x for x in inputs if x is not learning_phase()]
        self._single_output = not isinstance(outputs, (list, tuple))
        model_outputs = [outputs] if self._single_output else list(outputs)
        for kind, tensors in (("input", model_inputs), ("output", model_outputs)):
            for index, tensor in enumerate(tensors):
                if not _is_symbolic(tensor):
                    raise TypeError(
                        f"`function` expects symbolic tensors of a model ({kind} {index} should "
                        f"be like `model.input` or `layer.output`); received "
                        f"{type(tensor).__name__}."
                    )
        self.model = keras3.Model(model_inputs, model_outputs, name=name)

    def __call__(self, inputs):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != self._n_inputs:
            raise ValueError(
                f"This backend function takes {self._n_inputs} inputs (a list, in the order "
                f"given to `K.function`); received {len(inputs)}."
            )
        if self._phase_index is None:
            phase = common.current_learning_phase()
        else:
            phase = common.learning_phase_value(inputs.pop(self._phase_index))
        outputs = self.model(inputs, training=bool(phase))
        # Keras 3 returns a lone tensor for a model with a list of one output.
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        values = [ops.convert_to_numpy(tensor) for tensor in outputs]
        # A 0-d result is a NumPy scalar, as TensorFlow 1's `Session.run` returned.
        values = [v[()] if np.ndim(v) == 0 else v for v in values]
        return values[0] if self._single_output else values


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A function from a list of input values to the values of `outputs`.

    `inputs` are symbolic tensors (`model.input`, `layer.output`, `K.placeholder`); add
    `K.learning_phase()` to them to choose at each call between the test phase (feed 0)
    and the training phase (feed 1, so `Dropout` is active). Calling the function with
    a list of NumPy arrays returns a list of NumPy arrays (one array for a single
    output not in a list).

    >>> x = placeholder(shape=(None, 2))
    >>> f = function([x, learning_phase()], [x * 2.0])
    >>> f([np.array([[1.0, 2.0]]), 0])[0]
    array([[2., 4.]], dtype=float32)

    Raises:
        ValueError: for `updates`: Keras 3 applies variable updates inside layers, so a
            function cannot carry them; or for TensorFlow 1 session arguments.
    """
    if updates:
        raise ValueError(
            "`function(..., updates=...)` cannot be honoured: Keras 3 runs no graph of "
            "update ops. Layers update their own state (BatchNormalization's moving "
            "statistics, a metric's counts) when called, and optimizers apply gradients with "
            "`optimizer.apply_gradients(zip(grads, vars))` or `model.train_on_batch(x, y)`."
        )
    if kwargs:
        raise ValueError(
            f"`function` received TensorFlow 1 session arguments {sorted(kwargs)}, which have "
            "no meaning without a session; drop them."
        )
    return Function(inputs, outputs, name=name)


__all__ = [
    "Function",
    "LearningPhase",
    "ctc_batch_cost",
    "ctc_decode",
    "ctc_label_dense_to_sparse",
    "rnn",
    "arange",
    "argmax",
    "argmin",
    "backend",
    "batch_dot",
    "batch_flatten",
    "batch_get_value",
    "batch_set_value",
    "bias_add",
    "binary_crossentropy",
    "cast",
    "cast_to_floatx",
    "categorical_crossentropy",
    "clear_session",
    "clip",
    "concatenate",
    "constant",
    "conv1d",
    "conv2d",
    "count_params",
    "cumprod",
    "cumsum",
    "dot",
    "dropout",
    "dtype",
    "elu",
    "epsilon",
    "eval",
    "expand_dims",
    "eye",
    "floatx",
    "function",
    "gather",
    "get_session",
    "get_value",
    "gradients",
    "hard_sigmoid",
    "image_data_format",
    "image_dim_ordering",
    "in_test_phase",
    "in_train_phase",
    "int_shape",
    "is_keras_tensor",
    "is_tensor",
    "l2_normalize",
    "learning_phase",
    "learning_phase_scope",
    "name_scope",
    "ndim",
    "normalize_data_format",
    "one_hot",
    "ones",
    "ones_like",
    "permute_dimensions",
    "placeholder",
    "pool2d",
    "pow",
    "random_binomial",
    "random_normal",
    "random_normal_variable",
    "random_uniform",
    "random_uniform_variable",
    "relu",
    "repeat",
    "repeat_elements",
    "reshape",
    "reverse",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_image_dim_ordering",
    "set_learning_phase",
    "set_session",
    "set_value",
    "shape",
    "softmax",
    "sparse_categorical_crossentropy",
    "spatial_2d_padding",
    "sqrt",
    "squeeze",
    "stack",
    "stop_gradient",
    "switch",
    "temporal_padding",
    "tensorflow_backend",
    "tile",
    "truncated_normal",
    "update",
    "update_add",
    "update_sub",
    "variable",
    "zeros",
    "zeros_like",
]
# The functions generated from the tables above, and Keras 2.2's remaining TensorFlow ops.
__all__ += sorted(_GENERATED)
__all__ += keras22_ops.__all__

# Keras 2.2 defined every `K.*` name in `keras.backend.tensorflow_backend`: that module
# forwards the ones it does not define itself.
tensorflow_backend.FORWARDED.update(
    {name: globals()[name] for name in __all__ if not hasattr(tensorflow_backend, name)}
)


def __getattr__(name: str) -> Any:
    """Explain a Keras 2 backend name that refimpl does not provide."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}: refimpl provides the common Keras 2 "
        "backend functions (listed in `refimpl.backend.__all__`). For others, use Keras 3's "
        "`keras.ops` or TensorFlow directly."
    )
