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
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl._keras3 import keras3
from refimpl.backend import tensorflow_backend
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
from refimpl.backend.tensorflow_backend import (
    clear_session,
    get_session,
    set_session,
)

ops = keras3.ops
# Keras 2 scripts import this private helper to count GPUs.
_get_available_gpus = tensorflow_backend._get_available_gpus

# The sections of the backend, one module each (their names are all `K.*` names).
from refimpl.backend.control_flow import (  # noqa: E402
    in_test_phase,
    in_train_phase,
    switch,
)
from refimpl.backend.graphs import (  # noqa: E402
    Function,
    function,
    gradients,
    name_scope,
)
from refimpl.backend.nn import (  # noqa: E402
    bias_add,
    binary_crossentropy,
    categorical_crossentropy,
    conv1d,
    conv2d,
    dropout,
    elu,
    hard_sigmoid,
    l2_normalize,
    pool2d,
    relu,
    softmax,
    sparse_categorical_crossentropy,
)
from refimpl.backend.shapes import (  # noqa: E402
    arange,
    batch_flatten,
    concatenate,
    expand_dims,
    one_hot,
    permute_dimensions,
    repeat,
    repeat_elements,
    reshape,
    reverse,
    spatial_2d_padding,
    squeeze,
    stack,
    stop_gradient,
    temporal_padding,
    tile,
)
from refimpl.backend.tensors import (  # noqa: E402
    _dtype_of,
    backend,
    batch_get_value,
    batch_set_value,
    cast,
    constant,
    count_params,
    dtype,
    eval,
    eye,
    get_value,
    int_shape,
    is_keras_tensor,
    is_tensor,
    ndim,
    ones,
    ones_like,
    placeholder,
    random_binomial,
    random_normal,
    random_normal_variable,
    random_uniform,
    random_uniform_variable,
    set_value,
    shape,
    truncated_normal,
    update,
    update_add,
    update_sub,
    variable,
    zeros,
    zeros_like,
)

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

    >>> int_shape(batch_dot(np.ones((32, 20, 1)), np.ones((32, 30, 20)), axes=(1, 2)))
    (32, 1, 30)
    """
    x_shape, y_shape = int_shape(x), int_shape(y)
    x_ndim, y_ndim = len(x_shape), len(y_shape)
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


def gather(reference, indices):
    """The rows (entries along axis 0) of `reference` at `indices`."""
    return ops.take(reference, indices, axis=0)


__all__ = [
    "Function",
    "LearningPhase",
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
# The functions generated from the tables above.
__all__ += sorted(_GENERATED)

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
