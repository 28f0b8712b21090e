"""Saving and loading models the way Keras 2 users wrote it.

- `model.save(path)`: a path ending in `.keras` writes Keras 3's native archive; any
  other path writes Keras 2's HDF5 model file (standalone Keras 2 wrote HDF5 whatever
  the extension). `save_format='tf'` (a TensorFlow SavedModel) cannot be loaded back
  as a model on Keras 3 and raises.
- `load_model(path)` reads either format, whatever the extension (it looks at the
  file's signature), and rebuilds refimpl's classes, so a loaded model keeps Keras 2's
  API. Files written by tf_keras load too.
- `save_weights(path)` to `*.weights.h5` uses Keras 3's layout; to any other path,
  Keras 2's HDF5 layout (readable by tf_keras); `load_weights` reads both, with
  `by_name=True` for Keras 2 files.
- `to_json` / `model_from_json`, `to_yaml` / `model_from_yaml` (YAML through a safe
  loader only).
"""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import h5py
import yaml

from refimpl._keras3 import keras3

_legacy_h5 = keras3.src.legacy.saving.legacy_h5_format
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: Every class name a saved model may contain -> the refimpl class that rebuilds it.
#: Filled by the modules that define those classes (layers, models, optimizers).
_CLASSES: dict[str, Any] = {}


def register_model_classes(classes: dict[str, Any]) -> None:
    """Make `load_model` and `model_from_*` rebuild these classes (by class name)."""
    _CLASSES.update(classes)


def _custom_objects(user: dict[str, Any] | None) -> dict[str, Any]:
    from refimpl import layers, optimizers

    return {**layers.CUSTOM_OBJECTS, **optimizers.CUSTOM_OBJECTS, **_CLASSES, **(user or {})}


def _format_of(path: str) -> str:
    """ "hdf5", "keras" (a zip archive) or "savedmodel", from the file itself."""
    if os.path.isdir(path):
        return "savedmodel"
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == _HDF5_SIGNATURE:
        return "hdf5"
    if zipfile.is_zipfile(path):
        return "keras"
    raise ValueError(
        f"{path!r} is neither an HDF5 file nor a Keras archive; expected a file written "
        "by `model.save()`."
    )


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
               save_format: str | None = None, **kwargs: Any) -> None:  # fmt: skip
    """Save architecture, weights and (optionally) optimizer state in one file."""
    path = os.fspath(filepath)
    if save_format == "tf":
        raise ValueError(
            "`save_format='tf'` (a TensorFlow SavedModel) cannot be loaded back as a Keras "
            "model on Keras 3. Save to a `.keras` or `.h5` path, or call "
            "`model.export(path)` for a serving-only SavedModel."
        )
    if save_format not in (None, "h5", "keras"):
        raise ValueError(f"`save_format` must be 'h5' or 'keras'; received {save_format!r}.")
    if kwargs:
        raise TypeError(f"`save` got unexpected keyword arguments: {sorted(kwargs)}.")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and `overwrite=False`; nothing was written.")
    if save_format == "keras" or (save_format is None and path.endswith(".keras")):
        keras3.saving.save_model(model, path, include_optimizer=include_optimizer)
    else:
        _legacy_h5.save_model_to_hdf5(
            model, path, overwrite=True, include_optimizer=include_optimizer
        )


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:  # fmt: skip
    """Load a model saved by `save_model` (refimpl, Keras 3 or tf_keras) as refimpl classes."""
    path = os.fspath(filepath)
    kind = _format_of(path)
    objects = _custom_objects(custom_objects)
    if kind == "savedmodel":
        raise ValueError(
            f"{path!r} is a TensorFlow SavedModel directory, which Keras 3 cannot load as a "
            "model. Load it for inference with `keras.layers.TFSMLayer(path)`, or re-save "
            "the model from Keras 2 as `.h5`."
        )
    if kind == "hdf5":
        return _legacy_h5.load_model_from_hdf5(
            path, custom_objects=objects, compile=compile, safe_mode=safe_mode
        )
    return keras3.saving.load_model(
        path, custom_objects=objects, compile=compile, safe_mode=safe_mode
    )


def model_from_config(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `{"class_name": ..., "config": ...}`."""
    return keras3.src.legacy.saving.saving_utils.model_from_config(
        config, custom_objects=_custom_objects(custom_objects)
    )


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `model.to_json()`."""
    return keras3.models.model_from_json(
        json_string, custom_objects=_custom_objects(custom_objects)
    )


def model_from_yaml(yaml_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `model.to_yaml()`. Only plain YAML data is accepted."""
    config = yaml.safe_load(yaml_string)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected the YAML of a model config (a mapping with `class_name` and "
            f"`config`); received {type(config).__name__}."
        )
    return model_from_json(json.dumps(config), custom_objects=custom_objects)


def _is_hdf5_weights_path(path: str) -> bool:
    return not path.endswith(".weights.h5") and not path.endswith(".keras")


class Keras2Saving:
    """Mixin: Keras 2's `save`, `save_weights`, `load_weights` and `to_yaml`."""

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
             save_format: str | None = None, **kwargs: Any) -> None:  # fmt: skip
        """Save the whole model: see `refimpl.engine.saving.save_model`."""
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format, **kwargs)  # fmt: skip

    def save_weights(self, filepath: Any, overwrite: bool = True, save_format: str | None = None,
                     **kwargs: Any) -> None:  # fmt: skip
        """Save the weights: Keras 2's HDF5 layout unless the path ends in `.weights.h5`."""
        path = os.fspath(filepath)
        if save_format == "tf":
            raise ValueError(
                "`save_format='tf'` (TensorFlow checkpoints) is not available on Keras 3; "
                "save to an `.h5` path."
            )
        if not overwrite and os.path.exists(path):
            raise FileExistsError(f"{path!r} exists and `overwrite=False`; nothing was written.")
        if not _is_hdf5_weights_path(path):
            return super().save_weights(path, overwrite=True, **kwargs)
        if kwargs:
            raise TypeError(f"`save_weights` got unexpected keyword arguments: {sorted(kwargs)}.")
        with h5py.File(path, "w") as handle:
            _legacy_h5.save_weights_to_hdf5_group(handle, self)

    def load_weights(self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                     **kwargs: Any) -> None:  # fmt: skip
        """Load weights saved by `save_weights` (refimpl, Keras 3 or tf_keras).

        `by_name=True` matches layers by name (Keras 2 HDF5 files only), so weights can
        move between different architectures that share layer names.
        """
        path = os.fspath(filepath)
        if _format_of(path) != "hdf5" or path.endswith(".weights.h5") and not by_name:
            return super().load_weights(path, skip_mismatch=skip_mismatch, **kwargs)
        if kwargs:
            raise TypeError(f"`load_weights` got unexpected keyword arguments: {sorted(kwargs)}.")
        with h5py.File(path, "r") as handle:
            group = handle.get("model_weights", handle)
            if "layer_names" not in group.attrs:
                raise ValueError(
                    f"{path!r} is not a Keras 2 weights file (no `layer_names`); "
                    "`by_name=True` needs one written by `save_weights('....h5')`."
                )
            if by_name:
                _legacy_h5.load_weights_from_hdf5_group_by_name(
                    group, self, skip_mismatch=skip_mismatch
                )
            else:
                _legacy_h5.load_weights_from_hdf5_group(group, self, skip_mismatch=skip_mismatch)

    def to_yaml(self, **kwargs: Any) -> str:
        """The model's architecture as YAML (Keras 2), loadable by `model_from_yaml`."""
        return yaml.safe_dump(json.loads(self.to_json()), **kwargs)
