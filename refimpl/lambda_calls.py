"""The names a rebuilt Lambda function may use: keras.backend, tf, NumPy, math, builtins.

A Lambda layer's saved bytecode names the functions it calls through the globals of the
module that defined it: `K.mean`, `keras.backend.mean`, `tf.image.resize`, `np.pi`. A
rebuilt function may reach only the names in these tables, each mapped to something that
runs on Keras 3 tensors: `K.*` to refimpl's Keras 2 backend, `tf.*` to TensorFlow 2
(TensorFlow 1 names to `tf.compat.v1`, which keeps their meaning), NumPy and math
functions to NumPy on plain numbers and to `keras.ops` on tensors. Nothing here has an
effect outside the tensors it is given: no file, variable, session or import.

Example:

>>> from refimpl import lambda_calls
>>> lambda_calls.canonical("keras.backend.mean")
'K.mean'
>>> lambda_calls.lookup("tf.io.write_file") is None
True
>>> round(lambda_calls.lookup("np.pi"), 4)
3.1416
"""

from __future__ import annotations

import builtins
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl import backend as keras2_backend
from refimpl._keras3 import keras3, tf

#: How a saved function reaches each library, longest first: the name it was imported
#: under (`from keras import backend as K`, `import keras`, `import tensorflow as tf`)
#: and the tables' own prefix.
_ALIASES = (
    ("tensorflow.keras.backend.", "K."), ("tf.keras.backend.", "K."),
    ("keras.backend.", "K."), ("backend.", "K."), ("KB.", "K."),
    ("tensorflow.compat.v1.", "tf."), ("tf.compat.v1.", "tf."), ("tensorflow.", "tf."),
    ("numpy.", "np."),
    # Keras 2's backend module held TensorFlow as `K.tf`.
    ("K.tf.", "tf."),
)  # fmt: skip

#: keras.backend functions without effects beyond their result, run by refimpl.backend
#: with Keras 2's names and arguments.
BACKEND_FUNCTIONS = (
    "abs", "all", "any", "argmax", "argmin", "batch_dot", "batch_flatten", "bias_add",
    "binary_crossentropy", "cast", "cast_to_floatx", "categorical_crossentropy", "clip",
    "concatenate", "cos", "cumprod", "cumsum", "dot", "dropout", "dtype", "elu", "epsilon",
    "equal", "exp", "expand_dims", "flatten", "floatx", "gather", "greater",
    "greater_equal", "hard_sigmoid", "identity", "image_data_format", "int_shape",
    "l2_normalize", "less", "less_equal", "log", "logsumexp", "max", "maximum", "mean",
    "min", "minimum", "ndim", "not_equal", "one_hot", "ones_like", "permute_dimensions",
    "pool2d", "pow", "prod", "relu", "repeat", "repeat_elements", "reshape", "reverse",
    "round", "shape", "sigmoid", "sign", "sin", "softmax", "softplus", "softsign",
    "sparse_categorical_crossentropy", "spatial_2d_padding", "sqrt", "square", "squeeze",
    "stack", "std", "stop_gradient", "sum", "switch", "tanh", "temporal_padding", "tile",
    "transpose", "var", "zeros_like",
)  # fmt: skip

#: TensorFlow 2 names a saved function may use, as they are in TensorFlow 2.21.
TENSORFLOW_2_NAMES = (
    "abs", "add", "add_n", "argmax", "argmin", "boolean_mask", "cast", "clip_by_value",
    "concat", "cos", "cumsum", "divide", "einsum", "equal", "exp", "expand_dims",
    "gather", "greater", "greater_equal", "identity", "less", "less_equal", "matmul",
    "maximum", "minimum", "multiply", "negative", "not_equal", "one_hot", "ones_like",
    "pad", "pow", "reduce_all", "reduce_any", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_sum", "reshape", "reverse", "round", "shape", "sigmoid", "sign",
    "sin", "split", "sqrt", "square", "squeeze", "stack", "subtract", "tanh", "tile",
    "transpose", "unstack", "where", "zeros_like",
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool",
    "image.rgb_to_grayscale", "image.grayscale_to_rgb",
    # TensorFlow 2's names of the methods; TensorFlow 1's resize functions take them too.
    "image.ResizeMethod.BILINEAR", "image.ResizeMethod.NEAREST_NEIGHBOR",
    "image.ResizeMethod.BICUBIC", "image.ResizeMethod.AREA",
    "image.per_image_standardization", "image.flip_left_right", "image.flip_up_down",
    "nn.relu", "nn.relu6", "nn.elu", "nn.selu", "nn.softmax", "nn.log_softmax",
    "nn.sigmoid", "nn.tanh", "nn.softplus", "nn.l2_normalize", "nn.leaky_relu",
    "nn.depth_to_space", "nn.space_to_depth", "nn.moments", "nn.bias_add",
    "nn.local_response_normalization", "nn.lrn",
    "math.abs", "math.add", "math.divide", "math.exp", "math.log", "math.log1p",
    "math.maximum", "math.minimum", "math.multiply", "math.pow", "math.reciprocal",
    "math.reduce_max", "math.reduce_mean", "math.reduce_min", "math.reduce_sum",
    "math.rsqrt", "math.sigmoid", "math.sign", "math.softplus", "math.sqrt",
    "math.square", "math.subtract", "math.tanh", "math.l2_normalize",
    "linalg.l2_normalize", "linalg.matmul",
)  # fmt: skip
#: TensorFlow 1 names, kept by TensorFlow 2 in `tf.compat.v1` with their arguments and
#: results (`tf.image.resize_images` without half-pixel centres, integer ResizeMethods).
TENSORFLOW_1_NAMES = (
    "log", "to_float", "to_int32", "div", "depth_to_space", "space_to_depth",
    "image.resize_images", "image.resize_bilinear", "image.resize_nearest_neighbor",
    "image.resize_bicubic",
)  # fmt: skip
#: Every TensorFlow name a saved function may use -> its path in TensorFlow 2.21.
TENSORFLOW_NAMES = {
    **{f"tf.{name}": name for name in TENSORFLOW_2_NAMES},
    **{f"tf.{name}": f"compat.v1.{name}" for name in TENSORFLOW_1_NAMES},
    # TensorFlow 1 also had these at the top level; TensorFlow 2 only under tf.math.
    "tf.rsqrt": "math.rsqrt",
    "tf.squared_difference": "math.squared_difference",
}

#: NumPy and math names: constants, and functions that NumPy runs on plain numbers and
#: keras.ops, under the same name, on tensors.
NUMERIC_CONSTANTS = {
    "np.pi": np.pi, "np.e": np.e, "np.inf": np.inf, "np.newaxis": None,
    "np.float16": np.float16, "np.float32": np.float32, "np.float64": np.float64,
    "np.int32": np.int32, "np.int64": np.int64, "np.uint8": np.uint8,
    "math.pi": math.pi, "math.e": math.e, "math.inf": math.inf,
}  # fmt: skip
NUMPY_FUNCTIONS = (
    "abs", "array", "ceil", "clip", "concatenate", "exp", "expand_dims", "floor", "log",
    "max", "maximum", "mean", "min", "minimum", "power", "reshape", "round", "sign", "sqrt",
    "square", "squeeze", "stack", "sum", "tanh", "transpose",
)  # fmt: skip
MATH_FUNCTIONS = ("ceil", "exp", "floor", "log", "sqrt", "tanh")

#: Builtins a saved function may call: conversions and arithmetic on plain values,
#: mostly in functions computing an output shape.
BUILTINS = ("abs", "bool", "float", "int", "len", "list", "max", "min", "round", "slice",
            "sum", "tuple")  # fmt: skip


def canonical(dotted: str) -> str:
    """`dotted` with the library prefix the tables use (`K.`, `tf.`, `np.`)."""
    # Until nothing changes: `keras.backend.tf.x` -> `K.tf.x` -> `tf.x`.
    for alias, prefix in _ALIASES:
        if dotted.startswith(alias):
            return canonical(prefix + dotted[len(alias) :])
    return dotted


def lookup(dotted: str) -> Any:
    """What a saved function means by `dotted` (canonical or as written); None when the
    name is not in the tables."""
    return _table().get(canonical(dotted))


def is_allowed(dotted: str) -> bool:
    """Whether `dotted` (canonical or as written) is in the tables; its value may be
    None (`np.newaxis`)."""
    return canonical(dotted) in _table()


def is_namespace(dotted: str) -> bool:
    """Whether `dotted` begins some allowed name (`tf.image`, `keras`, `K`), so that an
    attribute of it may still lead to one."""
    start = canonical(dotted) + "."
    if any(name.startswith(start) for name in _table()):
        return True
    return any(alias.startswith(dotted + ".") for alias, _ in _ALIASES)


def function_by_module(module: str | None, name: str) -> Any:
    """A function saved by name (`function_type: 'function'`) as Keras 2 wrote it: its
    `__name__` and `__module__`. Found when the module is one of the libraries above and
    the name is in its table; None otherwise."""
    module = module or ""
    if "backend" in module and module.split(".")[0] in {"keras", "tensorflow", "tf_keras"}:
        return lookup(f"K.{name}")
    if module.split(".")[0] == "tensorflow":
        # TensorFlow's functions live in private modules (tensorflow.python.ops.math_ops).
        for namespace in ("tf", "tf.nn", "tf.math", "tf.image"):
            found = lookup(f"{namespace}.{name}")
            if found is not None:
                return found
        return None
    if module.split(".")[0] == "numpy":
        return lookup(f"np.{name}")
    if module in {"math", "builtins"}:
        return lookup(f"{module}.{name}" if module == "math" else name)
    return None


@functools.cache
def _table() -> dict[str, Any]:
    """Every allowed name -> its value, built once, on first use."""
    table: dict[str, Any] = {}
    for name in BACKEND_FUNCTIONS:
        table[f"K.{name}"] = getattr(keras2_backend, name)
    for name, path in TENSORFLOW_NAMES.items():
        table[name] = functools.reduce(getattr, path.split("."), tf)
    table.update(NUMERIC_CONSTANTS)
    for name in NUMPY_FUNCTIONS:
        table[f"np.{name}"] = _numeric(getattr(np, name), getattr(keras3.ops, name))
    for name in MATH_FUNCTIONS:
        table[f"math.{name}"] = _numeric(getattr(math, name), getattr(keras3.ops, name))
    for name in BUILTINS:
        table[name] = getattr(builtins, name)
    table["tf.image.resize"] = _resize
    return table


def _resize(images: Any, size: Any, method: Any = "bilinear", **options: Any) -> Any:
    """`tf.image.resize` of either TensorFlow: a method given as a number (TensorFlow 1's
    ResizeMethod, 0 = bilinear) means TensorFlow 1's resize, without half-pixel centres;
    otherwise TensorFlow 2's."""
    if isinstance(method, int):
        return tf.compat.v1.image.resize(images, size, method=method, **options)
    return tf.image.resize(images, size, method=method, **options)


def _numeric(on_numbers: Callable[..., Any], on_tensors: Callable[..., Any]) -> Callable:
    """A NumPy or math function that computes with NumPy when every argument is a plain
    number or array (as the saving code did) and with keras.ops when one is a tensor, so
    that it also runs inside a model."""

    @functools.wraps(on_numbers)
    def run(*args: Any, **kwargs: Any) -> Any:
        values = list(args) + list(kwargs.values())
        if any(keras3.ops.is_tensor(value) or _is_symbolic(value) for value in values):
            return on_tensors(*args, **kwargs)
        return on_numbers(*args, **kwargs)

    return run


def _is_symbolic(value: Any) -> bool:
    return isinstance(value, (keras3.KerasTensor, tf.Tensor, tf.Variable))
