"""tf.keras's `TFOpLambda` and `SlicingOpLambda` layers, rebuilt from Keras 3 ops.

tf.keras 2.4-2.15 recorded a TensorFlow function called on a symbolic tensor in a
functional model (`tf.math.abs(x)`, `x * 2`, `x[:, 1:4]`) as a layer naming the
function (`"math.abs"`, `"math.multiply"`, `"__operators__.getitem"`); the call's
other arguments are in the node. Keras 3 records the same calls as its own ops, which
its files store and plain Keras 3 reads back. So each function here is the Keras 3
op with TensorFlow's signature: the saved keyword arguments (TensorFlow's names) go
straight in, and the model rebuilt from a tf.keras file holds Keras 3 ops only.

A function not in `TF_FUNCTIONS` is refused with an error naming it; nothing is looked
up by a name read from a file except in this table.

Example:

>>> TF_FUNCTIONS["math.reduce_mean"](np.ones((2, 3)), axis=1)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refimpl._keras3 import keras3

ops = keras3.ops

#: The `function` of a saved TFOpLambda -> the same computation in Keras 3 ops, taking
#: TensorFlow's arguments (`name` is accepted and ignored everywhere).
# fmt: off
TF_FUNCTIONS: dict[str, Callable[..., Any]] = {
    # Python operators on tensors
    "__operators__.add": lambda x, y, name=None: ops.add(x, y),
    "__operators__.ne": lambda self, other, name=None: ops.not_equal(self, other),
    "__operators__.eq": lambda self, other, name=None: ops.equal(self, other),
    # tf.math
    "math.add": lambda x, y, name=None: ops.add(x, y),
    "math.add_n": lambda inputs, name=None: _add_n(inputs),
    "math.subtract": lambda x, y, name=None: ops.subtract(x, y),
    "math.multiply": lambda x, y, name=None: ops.multiply(x, y),
    "math.truediv": lambda x, y, name=None: ops.true_divide(x, y),
    "math.divide": lambda x, y, name=None: ops.divide(x, y),
    "math.floordiv": lambda x, y, name=None: ops.floor_divide(x, y),
    "math.divide_no_nan": lambda x, y, name=None: ops.divide_no_nan(x, y),
    "math.negative": lambda x, name=None: ops.negative(x),
    "math.abs": lambda x, name=None: ops.abs(x),
    "math.square": lambda x, name=None: ops.square(x),
    "math.sqrt": lambda x, name=None: ops.sqrt(x),
    "math.rsqrt": lambda x, name=None: ops.rsqrt(x),
    "math.exp": lambda x, name=None: ops.exp(x),
    "math.log": lambda x, name=None: ops.log(x),
    "math.log1p": lambda x, name=None: ops.log1p(x),
    "math.pow": lambda x, y, name=None: ops.power(x, y),
    "math.sin": lambda x, name=None: ops.sin(x),
    "math.cos": lambda x, name=None: ops.cos(x),
    "math.tanh": lambda x, name=None: ops.tanh(x),
    "math.sigmoid": lambda x, name=None: ops.sigmoid(x),
    "math.softplus": lambda features, name=None: ops.softplus(features),
    "math.sign": lambda x, name=None: ops.sign(x),
    "math.floor": lambda x, name=None: ops.floor(x),
    "math.ceil": lambda x, name=None: ops.ceil(x),
    "math.round": lambda x, name=None: ops.round(x),
    "math.reciprocal": lambda x, name=None: ops.reciprocal(x),
    "math.maximum": lambda x, y, name=None: ops.maximum(x, y),
    "math.minimum": lambda x, y, name=None: ops.minimum(x, y),
    "math.greater": lambda x, y, name=None: ops.greater(x, y),
    "math.greater_equal": lambda x, y, name=None: ops.greater_equal(x, y),
    "math.less": lambda x, y, name=None: ops.less(x, y),
    "math.less_equal": lambda x, y, name=None: ops.less_equal(x, y),
    "math.equal": lambda x, y, name=None: ops.equal(x, y),
    "math.not_equal": lambda x, y, name=None: ops.not_equal(x, y),
    "math.logical_and": lambda x, y, name=None: ops.logical_and(x, y),
    "math.logical_or": lambda x, y, name=None: ops.logical_or(x, y),
    "math.logical_not": lambda x, name=None: ops.logical_not(x),
    "math.reduce_mean": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.mean(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.reduce_sum": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.sum(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.reduce_max": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.max(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.reduce_min": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.min(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.reduce_prod": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.prod(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.reduce_logsumexp": lambda input_tensor, axis=None, keepdims=False, name=None:
        ops.logsumexp(input_tensor, axis=_axis(axis), keepdims=keepdims),
    "math.argmax": lambda input, axis=None, output_type="int64", name=None:
        ops.cast(ops.argmax(input, axis=0 if axis is None else axis), output_type),
    "math.cumsum": lambda x, axis=0, exclusive=False, reverse=False, name=None:
        _cumsum(x, axis, exclusive, reverse),
    "math.l2_normalize": lambda x, axis=None, epsilon=1e-12, name=None, dim=None:
        _l2_normalize(x, axis if dim is None else dim, epsilon),
    "math.matmul": lambda a, b, transpose_a=False, transpose_b=False, name=None, **_:
        ops.matmul(_t(a, transpose_a), _t(b, transpose_b)),
    # tf.nn
    "nn.relu": lambda features, name=None: ops.relu(features),
    "nn.relu6": lambda features, name=None: ops.relu6(features),
    "nn.elu": lambda features, name=None: ops.elu(features),
    "nn.selu": lambda features, name=None: ops.selu(features),
    "nn.leaky_relu": lambda features, alpha=0.2, name=None:
        ops.leaky_relu(features, negative_slope=alpha),
    "nn.sigmoid": lambda x, name=None: ops.sigmoid(x),
    "nn.tanh": lambda x, name=None: ops.tanh(x),
    "nn.silu": lambda features, beta=1.0, name=None:
        ops.multiply(features, ops.sigmoid(ops.multiply(features, beta))),
    "nn.gelu": lambda features, approximate=False, name=None:
        ops.gelu(features, approximate=approximate),
    "nn.softmax": lambda logits, axis=None, name=None:
        ops.softmax(logits, axis=-1 if axis is None else axis),
    "nn.log_softmax": lambda logits, axis=None, name=None:
        ops.log_softmax(logits, axis=-1 if axis is None else axis),
    "nn.softplus": lambda features, name=None: ops.softplus(features),
    "nn.l2_normalize": lambda x, axis=None, epsilon=1e-12, name=None, dim=None:
        _l2_normalize(x, axis if dim is None else dim, epsilon),
    # array functions
    "concat": lambda values, axis, name="concat": ops.concatenate(list(values), axis=axis),
    "stack": lambda values, axis=0, name="stack": ops.stack(list(values), axis=axis),
    "reshape": lambda tensor, shape, name=None: ops.reshape(tensor, _static_shape(shape)),
    "transpose": lambda a, perm=None, conjugate=False, name="transpose":
        ops.transpose(a, axes=perm),
    "compat.v1.transpose": lambda a, perm=None, name="transpose", conjugate=False:
        ops.transpose(a, axes=perm),
    "expand_dims": lambda input, axis, name=None: ops.expand_dims(input, axis),
    "squeeze": lambda input, axis=None, name=None: ops.squeeze(input, axis=_axis(axis)),
    "cast": lambda x, dtype, name=None: ops.cast(x, dtype),
    "clip_by_value": lambda t, clip_value_min, clip_value_max, name=None:
        ops.clip(t, clip_value_min, clip_value_max),
    "tile": lambda input, multiples, name=None: ops.tile(input, multiples),
    "ones_like": lambda input, dtype=None, name=None: ops.ones_like(input, dtype=dtype),
    "zeros_like": lambda input, dtype=None, name=None: ops.zeros_like(input, dtype=dtype),
    "where": lambda condition, x=None, y=None, name=None: ops.where(condition, x, y),
    "one_hot": lambda indices, depth, on_value=None, off_value=None, axis=None, dtype=None,
        name=None: ops.one_hot(indices, depth, axis=-1 if axis is None else axis,
                               dtype=dtype or "float32"),
    "linalg.matmul": lambda a, b, transpose_a=False, transpose_b=False, name=None, **_:
        ops.matmul(_t(a, transpose_a), _t(b, transpose_b)),
    "image.resize": lambda images, size, method="bilinear", preserve_aspect_ratio=False,
        antialias=False, name=None: ops.image.resize(images, tuple(size), interpolation=method,
                                                      antialias=antialias),
}
# fmt: on
TF_FUNCTIONS["math.scalar_mul"] = lambda scalar, x, name=None: ops.multiply(scalar, x)
TF_FUNCTIONS["__operators__.getitem"] = lambda x, slice_spec, var=None: x[_slices(slice_spec)]


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def _static_shape(shape: Any) -> tuple:
    return tuple(-1 if size is None else size for size in shape)


def _t(x: Any, transpose: bool) -> Any:
    return ops.swapaxes(x, -1, -2) if transpose else x


def _add_n(inputs: Any) -> Any:
    total = inputs[0]
    for item in inputs[1:]:
        total = ops.add(total, item)
    return total


def _cumsum(x: Any, axis: int, exclusive: bool, reverse: bool) -> Any:
    if exclusive:
        raise ValueError(
            "tf.math.cumsum(exclusive=True) has no Keras 3 op; expected exclusive=False."
        )
    if reverse:
        return ops.flip(ops.cumsum(ops.flip(x, axis=axis), axis=axis), axis=axis)
    return ops.cumsum(x, axis=axis)


def _l2_normalize(x: Any, axis: Any, epsilon: float) -> Any:
    # tf.math.l2_normalize: x / sqrt(max(sum(x ** 2), epsilon)).
    squares = ops.sum(ops.square(x), axis=_axis(axis), keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(squares, epsilon)))


def _slices(spec: Any) -> Any:
    """A saved `slice_spec` -> the key of a subscript (slices, integers, None, ...)."""
    if isinstance(spec, list):
        return tuple(_slices(item) for item in spec)
    if isinstance(spec, dict):
        return slice(spec.get("start"), spec.get("stop"), spec.get("step"))
    if spec == "...":
        return Ellipsis
    return spec


class UnknownTFFunction(ValueError):
    """A saved TFOpLambda naming a TensorFlow function this table does not hold."""


def tf_function(name: str, layer_name: str) -> Callable[..., Any]:
    """The Keras 3 computation of a saved `TFOpLambda`/`SlicingOpLambda` `function`."""
    try:
        return TF_FUNCTIONS[name]
    except KeyError:
        raise UnknownTFFunction(
            f"Layer {layer_name!r} calls `tf.{name}`, a TensorFlow function refimpl cannot "
            f"rebuild from a file (it knows {len(TF_FUNCTIONS)}: see "
            "refimpl/saved/tf_ops.py). Rebuild that part of the model in code and load "
            "the weights with `load_weights(..., by_name=True)`."
        ) from None
