"""A saved Lambda layer's config, of any Keras era, turned into `keras.layers.Lambda`'s
arguments, with its functions rebuilt and never run.

Keras saved a Lambda layer's `function` (and its `output_shape` and `mask` when those
were functions) in one of these forms:

- Keras 1, Keras 2 and tf.keras 2.x: `function_type` beside the value, with `module`;
  - `'lambda'`: the function's marshalled bytecode, as `[code, defaults, closure]`
    (Keras >= 1.1) or the bare code text (Keras 1.0); the text is base64 (Keras >= 2.1)
    or the bytes as `raw_unicode_escape` (earlier);
  - `'function'`: the function's `__name__`, found in `module` when the file was loaded;
  - `'raw'` (output_shape only): a plain shape;
  and the same three keys prefixed `output_shape_` and `mask_`.
- Keras 3: `{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}` for
  a lambda, a serialized function (`"class_name": "function"`) for a named one.

Bytecode is read as data (refimpl.lambda_bytecode) and rebuilt from a small safe set of
instructions (refimpl.lambda_rebuild) that calls only the functions of
refimpl.lambda_calls; the file's code never runs, so this needs no `safe_mode=False`.
A function outside that set raises UnsafeLambdaError, which says how to pass the
function instead: `custom_objects={layer name or function name: function}`
(`'<layer>.output_shape'` and `'<layer>.mask'` for those; `custom_object_key`).
Bytecode of Python 2.7 and 3.5 to 3.13 is read; the release that wrote it is found
from the bytes and reported (`RebuiltFunction.python`, the error message).

Example:

>>> import base64, marshal
>>> code = base64.b64encode(marshal.dumps((lambda x: x / 127.5 - 1.0).__code__)).decode()
>>> config = {"name": "lambda_1", "trainable": True, "function": [code, None, None],
...           "function_type": "lambda", "module": "__main__", "output_shape": None,
...           "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}
>>> arguments = lambda_arguments(config)
>>> arguments["function"].source
'lambda x: x / 127.5 - 1.0'
>>> float(arguments["function"](255.0))
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl import lambda_calls
from refimpl.lambda_bytecode import UnsafeLambdaError, code_bytes, custom_object_key, decode
from refimpl.lambda_rebuild import NotRebuildable, RebuiltFunction, rebuild

__all__ = [
    "RebuiltFunction",
    "UnsafeLambdaError",
    "custom_object_key",
    "lambda_arguments",
    "rebuild_function",
]

#: The callables of a Lambda config: (value key, Keras 1/2 type key, module key).
_FUNCTION_KEYS = (
    ("function", "function_type", "module"),
    ("output_shape", "output_shape_type", "output_shape_module"),
    ("mask", "mask_type", "mask_module"),
)


def lambda_arguments(config: dict, *, custom_objects: dict | None = None) -> dict:
    """A saved Lambda layer's config (Keras 1, 2.0-2.2, tf.keras 2.x, Keras 3) -> the
    keyword arguments of `keras.layers.Lambda(...)`.

    `function`, and `output_shape` and `mask` when saved as functions, become Python
    callables; `arguments` is kept (NumPy arrays that Keras saved as lists restored);
    the other keys (`name`, `trainable`, `dtype`, ...) pass through. A function found in
    `custom_objects` under the function's own name or `custom_object_key(layer name,
    what)` (the layer's name for `function`, `'<layer>.output_shape'`, `'<layer>.mask'`)
    is used instead of the saved one. UnsafeLambdaError for a function that cannot be
    rebuilt safely and was not supplied.
    """
    if not isinstance(config, dict) or "function" not in config:
        raise ValueError(
            "expected a Lambda layer's config: a dict with a 'function' key, received "
            f"{type(config).__name__}"
            + (f" with keys {sorted(config)}" if isinstance(config, dict) else "")
        )
    custom_objects = dict(custom_objects or {})
    layer_name = str(config.get("name", "lambda"))
    type_keys = {
        key for _, type_key, module_key in _FUNCTION_KEYS for key in (type_key, module_key)
    }
    arguments = {key: value for key, value in config.items() if key not in type_keys}
    for what, type_key, module_key in _FUNCTION_KEYS:
        if what not in config:
            continue
        arguments[what] = _callable_or_value(
            config[what],
            saved_type=config.get(type_key),
            module=config.get(module_key),
            layer_name=layer_name,
            what=what,
            custom_objects=custom_objects,
        )
    if arguments.get("output_shape") is None:
        arguments.pop("output_shape", None)
    if arguments.get("mask") is None:
        arguments.pop("mask", None)
    arguments["arguments"] = _restored_arguments(config.get("arguments"))
    return arguments


def rebuild_function(
    saved: Any, *, layer_name: str, what: str = "function", layer_class: str = "Lambda"
) -> Callable:
    """A function saved as bytecode, in any of the forms Keras wrote, rebuilt from its
    instructions: the code text, `[code, defaults, closure]`, or Keras 3's `__lambda__`
    dict (or its `config`). UnsafeLambdaError when it cannot be rebuilt safely; its
    message names `what` (`'function'`, `'output_shape'`, `'mask'`, Keras 1 Merge's
    `'mode'`) of the `layer_class` layer `layer_name`."""
    code, defaults, closure = _bytecode_parts(saved, layer_name, what)
    try:
        decoded = decode(code)
    except (ValueError, TypeError) as error:
        raise UnsafeLambdaError(
            layer_name,
            f"its bytecode cannot be read ({error})",
            what=what,
            layer_class=layer_class,
        ) from None
    context = {
        "what": what,
        "layer_class": layer_class,
        "python": decoded.python,
        "disassembly": decoded.disassembly(),
        "function_name": decoded.code.co_name,
    }
    if not decoded.certain:
        raise UnsafeLambdaError(
            layer_name,
            "the Python release that saved it could not be told: no release reads all "
            f"of it consistently (the closest: Python {decoded.python})",
            **context,
        )
    try:
        function = rebuild(decoded, defaults=defaults, closure=closure)
        # Releases that read the bytes alike must rebuild the same function.
        for other in decoded.others:
            alternative = rebuild(other, defaults=defaults, closure=closure)
            if alternative.source != function.source:
                raise NotRebuildable(
                    f"Python {decoded.versions[0]} reads it as `{function.source}` but "
                    f"Python {other.versions[0]} as `{alternative.source}`"
                )
    except NotRebuildable as error:
        raise UnsafeLambdaError(layer_name, str(error), **context) from None
    except RecursionError:
        raise UnsafeLambdaError(layer_name, "its expression nests too deeply", **context) from None
    return function


def _callable_or_value(
    saved: Any,
    *,
    saved_type: str | None,
    module: str | None,
    layer_name: str,
    what: str,
    custom_objects: dict,
) -> Any:
    """One of the config's callables, from whichever form it was saved in."""
    supplied = _supplied(custom_objects, layer_name, what, saved)
    if supplied is not None:
        return supplied
    if saved is None:
        return None
    if isinstance(saved, dict) and saved.get("class_name") == "__lambda__":
        return rebuild_function(saved, layer_name=layer_name, what=what)
    if isinstance(saved, dict) and saved.get("class_name") == "function":
        # Keras 3's named function: its name in `config`, its module in `module`.
        return _named_function(saved.get("config"), saved.get("module"), layer_name, what)
    if saved_type is None and _holds_bytecode(saved):
        saved_type = "lambda"  # a config without types (Keras 1.0, a hand-made one)
    if saved_type is None and what == "function" and isinstance(saved, str):
        saved_type = "function"
    if saved_type == "lambda":
        return rebuild_function(saved, layer_name=layer_name, what=what)
    if saved_type == "function":
        return _named_function(saved, module, layer_name, what)
    if saved_type in (None, "raw"):
        return _plain_value(saved, what)
    raise ValueError(
        f"the Lambda layer {layer_name!r} saved its {what} with the type {saved_type!r}; "
        "expected 'lambda', 'function' or 'raw'"
    )


def _supplied(custom_objects: dict, layer_name: str, what: str, saved: Any) -> Any:
    """A function the caller passed for this callable: under the layer's name (the
    function; `<layer>.output_shape`/`<layer>.mask` for the others) or the function's
    own saved name."""
    key = custom_object_key(layer_name, what)
    if key in custom_objects:
        return custom_objects[key]
    name = _saved_name(saved)
    if name is not None and name in custom_objects:
        return custom_objects[name]
    return None


def _saved_name(saved: Any) -> str | None:
    """The function name a saved callable carries: the name of a function saved by
    name, or the `co_name` of a named function saved as bytecode (not `<lambda>`)."""
    if isinstance(saved, str) and saved.isidentifier():
        return saved
    if isinstance(saved, dict) and saved.get("class_name") == "function":
        return saved.get("config") if isinstance(saved.get("config"), str) else None
    try:
        code, _, _ = _bytecode_parts(saved, "", "function")
        name = decode(code).code.co_name
    except (UnsafeLambdaError, ValueError, TypeError):
        return None
    return None if name == "<lambda>" else name


def _holds_bytecode(saved: Any) -> bool:
    """Whether `saved` is one of Keras 1/2's forms of bytecode: code text, alone or first
    of `[code, defaults, closure]`, that holds a marshalled code object."""
    if isinstance(saved, (list, tuple)) and len(saved) == 3:
        saved = saved[0]
    if not isinstance(saved, str) or saved.isidentifier():
        return False
    try:
        return code_bytes(saved)[:1] in (b"c", b"\xe3")
    except (TypeError, ValueError):
        return False


def _bytecode_parts(saved: Any, layer_name: str, what: str) -> tuple[Any, Any, Any]:
    """(code text, defaults, closure) from each form Keras saved bytecode in."""
    if isinstance(saved, dict):
        inner = saved.get("config", saved) if saved.get("class_name") == "__lambda__" else saved
        if isinstance(inner, dict) and "code" in inner:
            return inner["code"], inner.get("defaults"), inner.get("closure")
    if isinstance(saved, (list, tuple)) and len(saved) == 3:
        return tuple(saved)
    if isinstance(saved, (str, bytes)):
        return saved, None, None
    raise UnsafeLambdaError(
        layer_name,
        f"its saved bytecode has an unknown form ({type(saved).__name__}); expected the "
        "code text, [code, defaults, closure] or Keras 3's {'class_name': '__lambda__', "
        "'config': {'code': ..., 'defaults': ..., 'closure': ...}}",
        what=what,
    )


def _named_function(name: Any, module: str | None, layer_name: str, what: str) -> Callable:
    """A function saved by name: one of refimpl.lambda_calls' names, found by its module."""
    found = lambda_calls.function_by_module(module, name) if isinstance(name, str) else None
    if callable(found):
        return found
    raise UnsafeLambdaError(
        layer_name,
        f"it was saved by name, as {name!r} of the module {module!r}, which is not a "
        "function refimpl knows; only the function itself can say what it computed",
        what=what,
        function_name=name if isinstance(name, str) else None,
    )


def _plain_value(saved: Any, what: str) -> Any:
    """An output shape saved as a value: a tuple (a list of tuples for several outputs)."""
    if what != "output_shape" or not isinstance(saved, (list, tuple)):
        return saved
    if all(item is None or isinstance(item, int) for item in saved):
        return tuple(saved)
    return [_plain_value(item, what) for item in saved]


def _restored_arguments(saved: Any) -> dict:
    """`arguments`, with NumPy arrays back from the forms Keras saved them in: tf.keras's
    `{'type': 'ndarray', 'value': [...]}` and Keras 3's `{'class_name': '__numpy__'}`."""
    restored = {}
    for key, value in (saved or {}).items():
        if isinstance(value, dict) and value.get("type") == "ndarray":
            value = np.array(value["value"])
        elif isinstance(value, dict) and value.get("class_name") == "__numpy__":
            config = value.get("config", {})
            value = np.array(config.get("value"), dtype=config.get("dtype"))
        restored[key] = value
    return restored
