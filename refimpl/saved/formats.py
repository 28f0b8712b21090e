"""Model files of every Keras, read into one shape: a config, weights and the origin.

| format | written by | config | weights |
|---|---|---|---|
| HDF5 (any name) | Keras 1.x, 2.x, tf.keras, 3 | attribute `model_config` | `model_weights` |
| JSON + weights | `to_json()`, `save_weights()` | the JSON | a weights file |
| `.keras` archive | Keras 2.13-2.15, Keras 3 | `config.json` | `model.weights.h5` |
| SavedModel | tf.keras 2.x `save_format='tf'` | `keras_metadata.pb` | `variables/` |

`read_file(path)` tells them apart by content, not by name, and returns a
`SavedFile`; `refimpl.saved.load` turns that into a model.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from refimpl.saved.configs import plain_config
from refimpl.saved.weights import Origin, SavedLayer

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class NotAModelFile(ValueError):
    """A path that holds no model a Keras wrote."""


@dataclass
class SavedFile:
    """What one model file holds, whatever its format."""

    path: str
    format: str  # "hdf5", "keras", "savedmodel"
    config: dict[str, Any] | None
    origin: Origin
    #: the weights of each layer, in the file's order; None when the format leaves
    #: reading them to Keras 3 (its own files)
    layers: list[SavedLayer] | None = None
    #: the weights' order: "legacy" (trainable first) or "created" (a layer's `weights`)
    order: str = "legacy"
    training_config: dict[str, Any] | None = None
    optimizer_state: dict[str, np.ndarray] = field(default_factory=dict)
    #: a `.keras` archive's weights file, read by Keras 3 itself
    archive_weights: str | None = None

    @property
    def keras3(self) -> bool:
        """Written by Keras 3, which reads its own files."""
        version = self.origin.keras_version or ""
        return version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 3


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def kind_of(path: str) -> str:
    """ "hdf5", "keras" (a zip archive), "savedmodel" (a directory) or "json"."""
    if os.path.isdir(path):
        return "savedmodel"
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == HDF5_SIGNATURE:
        return "hdf5"
    if zipfile.is_zipfile(path):
        return "keras"
    if head.lstrip()[:1] == b"{":
        return "json"
    raise NotAModelFile(
        f"{path!r} is neither an HDF5 file, a Keras archive, a SavedModel directory nor a "
        "JSON model config; expected a file written by `model.save()` or `to_json()`."
    )


# -- HDF5 -----------------------------------------------------------------------------


def hdf5_layers(group: h5py.Group, config: dict[str, Any] | None = None) -> list[SavedLayer]:
    """The saved layers of a Keras 1/2/3 HDF5 weights group, in the file's order."""
    if "layer_names" not in group.attrs:
        raise NotAModelFile(
            f"{group.file.filename!r} holds no Keras weights (no `layer_names` attribute); "
            "expected a file written by `save()` or `save_weights()`."
        )
    classes = saved_classes(config) if config else {}
    layers = []
    for raw_name in group.attrs["layer_names"]:
        name = _text(raw_name)
        layer_group = group[name]
        weight_names = [_text(n) for n in layer_group.attrs.get("weight_names", [])]
        values = [np.asarray(layer_group[weight][()]) for weight in weight_names]
        layers.append(SavedLayer(name, values, weight_names, classes.get(name)))
    return layers


def origin_of(attrs: Any) -> Origin:
    version = attrs.get("keras_version")
    backend = attrs.get("backend")
    return Origin(
        _text(version) if version is not None else None,
        _text(backend) if backend is not None else None,
    )


def _read_hdf5(path: str) -> SavedFile:
    with h5py.File(path, "r") as handle:
        if "model_config" not in handle.attrs:
            if "layer_names" in handle.get("model_weights", handle).attrs:
                raise NotAModelFile(
                    f"{path!r} holds only weights (written by `save_weights`), no model: "
                    "build the model in code, then call `model.load_weights(path)`."
                )
            raise NotAModelFile(
                f"{path!r} is an HDF5 file, but not one a Keras model was saved to."
            )
        config = json.loads(_text(handle.attrs["model_config"]))
        origin = origin_of(handle.attrs)
        weights_group = handle.get("model_weights", handle)
        if "keras_version" in weights_group.attrs:
            origin = origin_of(weights_group.attrs)
        training = handle.attrs.get("training_config")
        state = {}
        if "optimizer_weights" in handle:
            group = handle["optimizer_weights"]
            names = [_text(name) for name in group.attrs.get("weight_names", [])]
            state = {name: np.asarray(group[name][()]) for name in names}
        return SavedFile(
            path, "hdf5", config, origin, layers=hdf5_layers(weights_group, config),
            training_config=json.loads(_text(training)) if training is not None else None,
            optimizer_state=state,
        )  # fmt: skip


# -- .keras archives ------------------------------------------------------------------


def _read_archive(path: str) -> SavedFile:
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "config.json" not in names:
            raise NotAModelFile(
                f"{path!r} is a zip file without `config.json`: not a Keras archive."
            )
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in names else {}
    saved = SavedFile(
        path, "keras", config, Origin(metadata.get("keras_version")), order="created",
        archive_weights="model.weights.h5",
    )  # fmt: skip
    if not saved.keras3:  # Keras 3 compiles its own archives
        saved.training_config = _training_config(config.get("compile_config"))
    return saved


def _training_config(compile_config: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Keras 2.13-2.15 archive's `compile_config` in the HDF5 files' form."""
    if not compile_config or not compile_config.get("optimizer"):
        return None
    training = {
        key: compile_config.get(key)
        for key in ("loss", "metrics", "weighted_metrics", "loss_weights")
    }
    optimizer = compile_config["optimizer"]
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    return {**training, "optimizer_config": plain_config(optimizer)}


def layer_configs(config: dict[str, Any]) -> list[Any]:
    """The layers of a saved model config: Keras <= 2.1's Sequential `config` is the list
    itself, later ones hold it under `layers`."""
    inner = config.get("config")
    return inner if isinstance(inner, list) else (inner or {}).get("layers", [])


def snake_case(class_name: str) -> str:
    """`MultiHeadAttention` -> `multi_head_attention`, `LSTM` -> `lstm`, `Conv2D` ->
    `conv2d`: how Keras 2.13-2.15 named a layer's group in an archive."""
    words = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def archive_group_names(config: dict[str, Any]) -> dict[str, str]:
    """Group name in a Keras 2.13-2.15 archive -> the layer's name in its config.

    Those archives name a model's layers by class, in the model's order, counting
    repeats (`lstm`, `lstm_1`, ...), not by the layers' own names.
    """
    layers = layer_configs(config)
    seen: dict[str, int] = {}
    names = {}
    for layer in layers:
        base = snake_case(layer["class_name"])
        group = base if base not in seen else f"{base}_{seen[base] + 1}"
        seen[base] = seen.get(base, -1) + 1
        names[group] = layer.get("name") or layer["config"]["name"]
    return names


def archive_layers(path: str, config: dict[str, Any]) -> list[SavedLayer]:
    """The layers of a Keras 2.13-2.15 archive's `model.weights.h5`, named as in the
    config, each with its arrays in creation order (a wrapper's forward layer first)."""
    names = archive_group_names(config)
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(data), "r") as handle:
        group = handle.get("layers")
        if group is None:
            return []
        return [
            SavedLayer(names.get(name, name), _archive_values(group[name]))
            for name in group
            if isinstance(group[name], h5py.Group)
        ]


#: Children of a layer's group in an archive, in the order their variables were made.
_CHILD_ORDER = (
    "vars", "forward_layer", "backward_layer", "layer", "cell", "cells",
    "_query_dense", "_key_dense", "_value_dense", "_output_dense",
)  # fmt: skip


def _archive_values(group: h5py.Group) -> list[np.ndarray]:
    values = []
    if "vars" in group:
        variables = group["vars"]
        values += [np.asarray(variables[key][()]) for key in sorted(variables, key=int)]
    rank = {name: index for index, name in enumerate(_CHILD_ORDER)}
    for name in sorted(group, key=lambda n: (rank.get(n, len(rank)), n)):
        if name != "vars" and isinstance(group[name], h5py.Group):
            values += _archive_values(group[name])
    return values


# -- SavedModel -----------------------------------------------------------------------


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def _proto_fields(data: bytes) -> list[tuple[int, Any]]:
    """The (field number, value) pairs of a protocol buffer message: varints and
    length-delimited values only, the two kinds `keras_metadata.pb` uses."""
    fields, at = [], 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            value, at = data[at : at + length], at + length
        else:
            raise NotAModelFile(f"keras_metadata.pb: unexpected wire type {wire}")
        fields.append((number, value))
    return fields


def savedmodel_metadata(directory: str) -> dict[str, Any]:
    """The root object's metadata in a tf.keras SavedModel's `keras_metadata.pb`
    (`SavedMetadata.nodes`, field 1; a node's path is field 3 and its JSON field 5)."""
    path = os.path.join(directory, "keras_metadata.pb")
    if not os.path.isfile(path):
        raise NotAModelFile(
            f"{directory!r} is a directory without `keras_metadata.pb`: a SavedModel not "
            "written by tf.keras `model.save()` (or not a model at all). Load it for "
            "inference with `keras.layers.TFSMLayer(path)`."
        )
    with open(path, "rb") as handle:
        data = handle.read()
    for number, node in _proto_fields(data):
        fields = dict(_proto_fields(node)) if number == 1 else {}
        if fields.get(3) == b"root":
            return json.loads(fields[5])
    raise NotAModelFile(f"{path!r} has no metadata for the model itself (no `root` node).")


def savedmodel_layers(directory: str) -> list[SavedLayer]:
    """Each layer's variables from a SavedModel's checkpoint, in `layer.variables`
    order, following the object graph (`layer_with_weights-N` -> `variables` -> i)."""
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    from refimpl._keras3 import tf

    reader = tf.train.load_checkpoint(os.path.join(directory, "variables", "variables"))
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    layers = []
    for child in graph.nodes[0].children:
        if not child.local_name.startswith("layer_with_weights-"):
            continue
        node = graph.nodes[child.node_id]
        listing = next((c for c in node.children if c.local_name == "variables"), None)
        values = []
        if listing is not None:
            items = sorted(graph.nodes[listing.node_id].children, key=lambda c: int(c.local_name))
            for item in items:
                variable = graph.nodes[item.node_id]
                key = next(
                    a.checkpoint_key for a in variable.attributes if a.name == "VARIABLE_VALUE"
                )
                values.append(np.asarray(reader.get_tensor(key)))
        layers.append(SavedLayer(child.local_name, values))
    return layers


def _read_savedmodel(path: str) -> SavedFile:
    metadata = savedmodel_metadata(path)
    config = {"class_name": metadata["class_name"], "config": metadata["config"]}
    return SavedFile(
        path, "savedmodel", config, Origin(metadata.get("keras_version")),
        layers=savedmodel_layers(path), training_config=metadata.get("training_config"),
    )  # fmt: skip


# -- JSON -----------------------------------------------------------------------------


def read_json_config(text: str) -> tuple[dict[str, Any], Origin]:
    config = json.loads(text)
    if not isinstance(config, dict) or "class_name" not in config:
        raise NotAModelFile(
            "Expected the JSON of a model config (a mapping with `class_name` and `config`); "
            f"received {type(config).__name__}."
        )
    return config, Origin(config.get("keras_version"), config.get("backend"))


def saved_classes(config: dict[str, Any]) -> dict[str, str]:
    """Layer name -> saved class name, for every layer of a model config (nested too)."""
    found: dict[str, str] = {}
    for layer in layer_configs(config):
        if not isinstance(layer, dict):
            continue
        inner_config = layer.get("config")
        name = layer.get("name") or (
            inner_config.get("name") if isinstance(inner_config, dict) else None
        )
        if isinstance(name, str):
            found[name] = layer.get("class_name")
        if layer.get("class_name") in ("Sequential", "Functional", "Model", "Merge"):
            found.update(saved_classes(layer))
    return found


READERS = {"hdf5": _read_hdf5, "keras": _read_archive, "savedmodel": _read_savedmodel}


def read_file(path: str) -> SavedFile:
    """Whatever model file `path` is (see the module docstring), read."""
    kind = kind_of(path)
    if kind == "json":
        raise NotAModelFile(
            f"{path!r} is a JSON model config, not a model file: rebuild it with "
            "`model_from_json(open(path).read())`, then `load_weights`."
        )
    return READERS[kind](path)
