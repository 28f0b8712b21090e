"""Keras 2's backend: tensors and variables, their properties, and random numbers.

Part of `refimpl.backend` (`K.*`), which re-exports every name here.

Example:

>>> import numpy as np
>>> from refimpl.backend.tensors import eval, variable
>>> eval(variable(np.ones((2,)))).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from refimpl._keras3 import keras3, tf
from refimpl.backend.common import floatx

ops = keras3.ops

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
    >>> from refimpl.backend import function, square
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
