"""A model rebuilt from the config that Keras 1 or Keras 2 saved, as refimpl's classes.

Keras 3 reads its own model configs; the ones Keras 1.x and 2.x wrote differ in shape,
not only in names:

- a Sequential model's `config` was a plain list of layers up to Keras 2.1;
- a functional model's nodes are lists of `[layer, node, tensor, kwargs]` records, and
  a layer called with several tensors received them as one list: an RNN's extra
  tensors were its initial state (every sequence-to-sequence model), a tensor among
  the keyword arguments (`MultiHeadAttention`'s `value`) was a record too;
- tf.keras recorded TensorFlow calls on symbolic tensors as `TFOpLambda` layers;
- Keras 1 merged tensors with one `Merge` layer whose `mode` chose the operation.

`build_model` reads all of them and calls the layers itself, so the graph it returns
holds refimpl's layers and Keras 3's ops only: Keras 3 saves and reloads it as its own.

Example:

>>> build_model({"class_name": "Sequential", "config": [
...     {"class_name": "Dense", "config": {"output_dim": 2, "input_dim": 3}}]},
...     {})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refimpl._keras3 import keras3
from refimpl.saved import tf_ops
from refimpl.saved.configs import upgrade_layer

#: Classes whose extra input tensors were their initial states (Keras 2 and tf.keras
#: passed `initial_state` inside the inputs list).
RECURRENT = frozenset(
    ("RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional")
)
MODEL_CLASSES = frozenset(("Sequential", "Functional", "Model"))
#: tf.keras's layers that stood for a TensorFlow function call.
TF_OP_CLASSES = frozenset(("TFOpLambda", "SlicingOpLambda"))

#: Keras 1's `Merge(mode=...)` -> (the Keras 2 merge layer, its arguments from Merge's).
MERGE_MODES: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "concat": ("Concatenate", lambda c: {"axis": c.get("concat_axis", -1)}),
    "sum": ("Add", lambda c: {}),
    "mul": ("Multiply", lambda c: {}),
    "ave": ("Average", lambda c: {}),
    "max": ("Maximum", lambda c: {}),
    "dot": ("Dot", lambda c: {"axes": c.get("dot_axes", -1)}),
    "cos": ("Dot", lambda c: {"axes": c.get("dot_axes", -1), "normalize": True}),
}


#: Layers of Keras 2 that Keras 3 removed -> why a file naming one needs the user's class.
REMOVED_CLASSES = {
    "LocallyConnected1D": "that Keras 3 removed (write it as a custom layer)",
    "LocallyConnected2D": "that Keras 3 removed (write it as a custom layer)",
    "DenseFeatures": "of TensorFlow's feature columns, which Keras 3 removed",
}


class SavedModelConfigError(ValueError):
    """A saved model config that cannot be rebuilt; the message says which part."""


def build_model(serialized: dict[str, Any], objects: dict[str, Any],
                custom: frozenset[str] = frozenset()) -> Any:  # fmt: skip
    """A Keras 1/2 `{"class_name": ..., "config": ...}` model config -> a refimpl model.

    `objects` maps class names to classes (refimpl's, then the user's custom objects);
    `custom` names the user's, whose configs are passed to them as saved.
    """
    class_name = serialized.get("class_name")
    config = serialized.get("config")
    if class_name == "Sequential":
        return _sequential(config, objects, custom)
    if class_name in ("Functional", "Model"):
        return _functional(config, objects, custom)
    cls = objects.get(class_name)
    if cls is None:
        raise SavedModelConfigError(
            f"The saved model is a {class_name!r}, a class this Keras does not know; "
            "expected Sequential, Model or Functional, or the class in `custom_objects`."
        )
    return cls.from_config(config)


def build_layer(serialized: dict[str, Any], objects: dict[str, Any],
                custom: frozenset[str] = frozenset()) -> Any:  # fmt: skip
    """One saved layer (any era) -> a refimpl layer, a nested model, or a TF function."""
    class_name = serialized["class_name"]
    config = serialized.get("config") or {}
    if class_name in custom:
        return objects[class_name].from_config(config)
    if class_name in MODEL_CLASSES:
        return build_model(serialized, objects, custom)
    if class_name in TF_OP_CLASSES:
        return tf_ops.tf_function(config["function"], config.get("name", class_name))
    if class_name == "Merge":
        return _merge_layer(config, objects)
    new_name, config = upgrade_layer(class_name, config)
    if new_name == "InputLayer":
        return _input_layer(config)
    cls = objects.get(new_name) or getattr(keras3.layers, new_name, None)
    if cls is None:
        raise SavedModelConfigError(
            f"Layer {config.get('name', '?')!r} is a {class_name!r}, a class "
            f"{REMOVED_CLASSES.get(class_name, 'this Keras does not know')}; pass it in "
            f"`custom_objects={{{class_name!r}: ...}}`."
        )
    return cls.from_config(config)


def _input_layer(config: dict[str, Any]) -> Any:
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    if shape is None:
        raise SavedModelConfigError(
            f"Input layer {config.get('name')!r} was saved without a shape; expected "
            "`batch_input_shape` or `batch_shape` in its config."
        )
    return keras3.Input(
        batch_shape=tuple(shape), dtype=config.get("dtype"), sparse=config.get("sparse", False),
        name=config.get("name"),
    )  # fmt: skip


def _merge_layer(config: dict[str, Any], objects: dict[str, Any]) -> Any:
    mode = config.get("mode", "sum")
    if mode not in MERGE_MODES:
        raise SavedModelConfigError(
            f"Keras 1 merge layer {config.get('name')!r} has mode {mode!r}; expected one of "
            f"{sorted(MERGE_MODES)} (a function as mode cannot be read from a file)."
        )
    class_name, arguments = MERGE_MODES[mode]
    return objects[class_name](name=config.get("name"), **arguments(config))


def _sequential(config: Any, objects: dict[str, Any], custom: frozenset[str]) -> Any:
    if isinstance(config, list):  # Keras <= 2.1
        config = {"layers": config}
    layers = list(config["layers"])
    if layers and layers[0].get("class_name") == "Merge":
        return _merged_sequential(config, objects, custom)
    built = [build_layer(layer, objects, custom) for layer in layers]
    sequential = objects["Sequential"]
    if built and isinstance(built[0], keras3.KerasTensor):
        model = sequential(name=config.get("name"))
        model.add(keras3.layers.InputLayer(batch_shape=built[0].shape, dtype=built[0].dtype))
        for layer in built[1:]:
            model.add(layer)
        return model
    model = sequential(built, name=config.get("name"))
    shape = config.get("build_input_shape")
    if isinstance(shape, dict):  # a SavedModel's `TensorShape` object
        shape = shape.get("items")
    if not model.built and shape is not None:
        model.build(tuple(shape))
    return model


def _merged_sequential(
    config: dict[str, Any], objects: dict[str, Any], custom: frozenset[str]
) -> Any:
    """Keras 1's Sequential whose first layer merged several Sequential branches."""
    merge, *rest = config["layers"]
    branches = [build_model(branch, objects, custom) for branch in merge["config"]["layers"]]
    inputs = [keras3.Input(batch_shape=branch.inputs[0].shape) for branch in branches]
    merged = _merge_layer(merge["config"], objects)(
        [b(i) for b, i in zip(branches, inputs, strict=True)]
    )
    for layer in rest:
        merged = build_layer(layer, objects, custom)(merged)
    return objects["Functional"](inputs, merged, name=config.get("name"))


def _is_record(value: Any) -> bool:
    """A `[layer name, node index, tensor index(, kwargs)]` record of a saved node."""
    return (
        isinstance(value, (list, tuple))
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
        and (len(value) == 3 or isinstance(value[3], dict))
    )


class _Pending(Exception):
    """A node whose input tensors do not exist yet."""


class _Graph:
    """The tensors made so far while rebuilding one functional model."""

    def __init__(self, layer_names: set[str]) -> None:
        self.layer_names = layer_names
        self.outputs: dict[tuple[str, int], list[Any]] = {}

    def tensor(self, record: Any) -> Any:
        name, node, index = record[0], record[1], record[2]
        made = self.outputs.get((name, node))
        if made is None:
            raise _Pending(name)
        return made[index]

    def resolve(self, value: Any) -> Any:
        """`value` with every record (in lists, tuples and dicts) replaced by its tensor."""
        if _is_record(value) and value[0] in self.layer_names:
            return self.tensor(value)
        if isinstance(value, (list, tuple)):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value


def _call_arguments(class_name: str, node: Any, graph: _Graph) -> tuple[list, dict]:
    """The positional and keyword arguments of one saved node's call."""
    records = [node] if _is_record(node) else list(node)
    kwargs: dict[str, Any] = {}
    for record in records:
        if _is_record(record) and len(record) == 4:
            kwargs = dict(record[3])
    kwargs = graph.resolve(kwargs)
    if class_name in TF_OP_CLASSES:
        # tf.keras kept the structure of a TensorFlow function's first argument.
        first = graph.tensor(node) if _is_record(node) else graph.resolve([r[:3] for r in node])
        return [first], kwargs
    tensors = [graph.tensor(record) for record in records]
    if class_name in RECURRENT and len(tensors) > 1:
        kwargs["initial_state"] = tensors[1:]
        return [tensors[0]], kwargs
    return [tensors[0] if len(tensors) == 1 else tensors], kwargs


def _functional(config: dict[str, Any], objects: dict[str, Any], custom: frozenset[str]) -> Any:
    graph = _Graph({saved.get("name") or saved["config"]["name"] for saved in config["layers"]})
    pending: list[tuple[str, str, Any, int, Any]] = []
    for saved in config["layers"]:
        name = saved.get("name") or saved["config"]["name"]
        made = build_layer(saved, objects, custom)
        if isinstance(made, keras3.KerasTensor):
            graph.outputs[(name, 0)] = [made]
            continue
        for index, node in enumerate(saved.get("inbound_nodes", [])):
            pending.append((name, saved["class_name"], made, index, node))
    while pending:
        waiting = []
        for name, class_name, layer, index, node in pending:
            try:
                args, kwargs = _call_arguments(class_name, node, graph)
            except _Pending:
                waiting.append((name, class_name, layer, index, node))
                continue
            result = layer(*args, **kwargs)
            graph.outputs[(name, index)] = keras3.tree.flatten(result)
        if len(waiting) == len(pending):
            missing = sorted({entry[0] for entry in waiting})
            raise SavedModelConfigError(
                f"The saved functional model's graph cannot be rebuilt: the inputs of "
                f"layers {missing} are never produced (a loop, or a missing layer)."
            )
        pending = waiting
    inputs = _endpoints(config["input_layers"], graph)
    outputs = _endpoints(config["output_layers"], graph)
    return objects["Functional"](inputs, outputs, name=config.get("name"))


def _endpoints(saved: Any, graph: _Graph) -> Any:
    if _is_record(saved):
        return graph.tensor(saved)
    tensors = [graph.tensor(record) for record in saved]
    return tensors[0] if len(tensors) == 1 else tensors
