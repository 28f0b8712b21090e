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
import os
import tempfile
import warnings
import zipfile
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import keras3
from refimpl.saved import formats, graph, weights
from refimpl.saved.configs import plain_config
from refimpl.saved.formats import NotAModelFile, SavedFile, read_file

__all__ = ["load", "model_from_config", "load_weights", "read_file", "NotAModelFile", "SavedFile"]


def model_from_config(config: dict[str, Any], classes: dict[str, Any],
                      custom: frozenset[str] = frozenset(),
                      keras_version: str | None = None) -> Any:  # fmt: skip
    """A model from a config of any Keras: Keras 3's read by Keras 3, older ones rebuilt."""
    version = keras_version or config.get("keras_version")
    if _is_keras3(version, config):
        # Keras 3 configs in HDF5 files name ops without their module.
        classes = {**_keras3_private.operation_classes(), **classes}
        with keras3.saving.custom_object_scope(classes):
            return keras3.models.model_from_json(
                json.dumps(as_refimpl_classes(config, classes)), custom_objects=classes
            )
    with keras3.saving.custom_object_scope(classes):
        return graph.build_model(plain_config(config), classes, custom)


def as_refimpl_classes(config: Any, classes: dict[str, Any]) -> Any:
    """A Keras 3 config whose built-in layers name refimpl's classes instead.

    Keras 3 finds a built-in class by its module (`keras.layers`) before any custom
    object; naming the class as registered makes it take refimpl's, which keep Keras
    2's API and open saved Lambdas safely.
    """
    if isinstance(config, list):
        return [as_refimpl_classes(item, classes) for item in config]
    if not isinstance(config, dict):
        return config
    converted = {key: as_refimpl_classes(value, classes) for key, value in config.items()}
    name = config.get("class_name")
    # Keras 3's InputLayer is what refimpl's `Input` makes too: kept, so a round trip
    # through JSON returns the same config.
    if (
        str(config.get("module", "")).startswith("keras")
        and name in classes
        and name != "InputLayer"
    ):
        converted["registered_name"] = config["class_name"]
    return converted


def _load_keras3_archive(path: str, classes: dict[str, Any], compile: bool) -> Any:
    """A Keras 3 `.keras` file, read by Keras 3 with refimpl's classes (a copy of the
    archive with its config naming them; the file itself is left as it is)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    members["config.json"] = json.dumps(as_refimpl_classes(config, classes)).encode()
    with tempfile.TemporaryDirectory() as scratch:
        copy = os.path.join(scratch, "model.keras")
        with zipfile.ZipFile(copy, "w") as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        with keras3.saving.custom_object_scope(classes):
            try:
                return keras3.saving.load_model(copy, custom_objects=classes, compile=compile)
            except (ValueError, TypeError) as error:
                if not compile:
                    raise
                problem = error
                model = keras3.saving.load_model(copy, custom_objects=classes, compile=False)
            # As Keras 2 did: a model whose losses or metrics cannot be found still opens.
            warnings.warn(
                f"{path!r}: the model is returned uncompiled, since its compile "
                f"configuration could not be rebuilt ({problem}).",
                stacklevel=4,
            )
            return model


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


def load(path: str, classes: dict[str, Any], custom: frozenset[str] = frozenset(),
         compile: bool = True) -> tuple[Any, SavedFile]:  # fmt: skip
    """`(model, the file read)` for any model file. Keras 3 archives are compiled by
    Keras 3 (when `compile`); the others are returned uncompiled, with their training
    configuration in `SavedFile.training_config`."""
    saved = read_file(path)
    if saved.format == "keras" and saved.keras3:
        return _load_keras3_archive(path, classes, compile), saved
    model = model_from_config(saved.config, classes, custom, saved.origin.keras_version)
    if saved.format == "keras":
        saved.layers = formats.archive_layers(path, saved.config)
    if saved.keras3 and saved.format == "hdf5":
        _keras3_hdf5_weights(path, model)
    else:
        weights.assign(
            model, saved.layers or [], saved.origin, repr(path), match="rebuilt", order=saved.order
        )
    return model, saved


def _keras3_hdf5_weights(path: str, model: Any) -> None:
    import h5py

    with h5py.File(path, "r") as handle:
        _keras3_private.legacy_h5_format.load_weights_from_hdf5_group(
            handle["model_weights"], model
        )


def load_weights(model: Any, path: str, by_name: bool = False, skip_mismatch: bool = False) -> None:
    """Keras 2's `load_weights` for an HDF5 weights file of any Keras 1/2 release."""
    import h5py

    with h5py.File(path, "r") as handle:
        group = handle.get("model_weights", handle)
        layers = formats.hdf5_layers(group)
        origin = formats.origin_of(group.attrs)
    weights.assign(
        model, layers, origin, repr(path), match="name" if by_name else "order",
        skip_mismatch=skip_mismatch,
    )  # fmt: skip
