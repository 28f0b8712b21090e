"""Model files of every Keras, opened as refimpl models.

`load(path, classes)` opens any file that Keras 1.x, 2.x (standalone and tf.keras) or
3.x wrote with `model.save()`: HDF5, `.keras` archives and tf.keras SavedModel
directories (`formats`). Files of Keras 1 and 2 are rebuilt from their config by
refimpl itself (`graph`, `configs`), with each era's weight layouts converted
(`weights`); Keras 3's own files are read by Keras 3, with refimpl's classes. Lambda
layers are rebuilt from their saved bytecode without running it
(`refimpl.saved_lambda`); tf.keras's TensorFlow-call layers become Keras 3 ops
(`tf_ops`).

Example:

>>> model = load("old_model.h5", refimpl.persistence.known_classes())  # doctest: +SKIP
"""

from __future__ import annotations

import json
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import keras3
from refimpl.saved import formats, graph, weights
from refimpl.saved.configs import plain_config
from refimpl.saved.formats import NotAModelFile, SavedFile, read_file

__all__ = ["load", "model_from_config", "load_weights", "read_file", "NotAModelFile", "SavedFile"]


def model_from_config(config: dict[str, Any], classes: dict[str, Any],
                      custom: frozenset[str] = frozenset(), keras_version: str | None = None) -> Any:  # fmt: skip
    """A model from a config of any Keras: Keras 3's read by Keras 3, older ones rebuilt."""
    version = keras_version or config.get("keras_version")
    if _is_keras3(version, config):
        # Keras 3 configs in HDF5 files name ops without their module.
        classes = {**_keras3_private.operation_classes(), **classes}
        with keras3.saving.custom_object_scope(classes):
            return keras3.models.model_from_json(json.dumps(config), custom_objects=classes)
    with keras3.saving.custom_object_scope(classes):
        return graph.build_model(plain_config(config), classes, custom)


def _is_keras3(version: str | None, config: dict[str, Any]) -> bool:
    """Whether Keras 3 wrote `config`: its version says so, or (a JSON string carries no
    version) its shape does: nodes as `{"args": ...}`, inputs as `batch_shape`."""
    if version:
        major = version.split(".")[0]
        return major.isdigit() and int(major) >= 3
    inner = config.get("config")
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    return any(
        any(isinstance(node, dict) for node in layer.get("inbound_nodes", []))
        or "batch_shape" in (layer.get("config") or {})
        for layer in layers
        if isinstance(layer, dict)
    )


def load(path: str, classes: dict[str, Any], custom: frozenset[str] = frozenset()) -> tuple[Any, SavedFile]:
    """`(model, the file read)` for any model file; the model is not compiled."""
    saved = read_file(path)
    if saved.format == "keras" and saved.keras3:
        with keras3.saving.custom_object_scope(classes):
            model = keras3.saving.load_model(path, custom_objects=classes, compile=False)
        return model, saved
    model = model_from_config(saved.config, classes, custom, saved.origin.keras_version)
    if saved.format == "keras":
        saved.layers = formats.archive_layers(path, saved.config)
    if saved.keras3 and saved.format == "hdf5":
        _keras3_hdf5_weights(path, model)
    else:
        weights.assign(model, saved.layers or [], saved.origin, repr(path), order=saved.order)
    return model, saved


def _keras3_hdf5_weights(path: str, model: Any) -> None:
    import h5py

    with h5py.File(path, "r") as handle:
        _keras3_private.legacy_h5_format.load_weights_from_hdf5_group(handle["model_weights"], model)


def load_weights(model: Any, path: str, by_name: bool = False, skip_mismatch: bool = False) -> None:
    """Keras 2's `load_weights` for an HDF5 weights file of any Keras 1/2 release."""
    import h5py

    with h5py.File(path, "r") as handle:
        group = handle.get("model_weights", handle)
        layers = formats.hdf5_layers(group)
        origin = formats.origin_of(group.attrs)
    weights.assign(model, layers, origin, repr(path), by_name=by_name, skip_mismatch=skip_mismatch)
