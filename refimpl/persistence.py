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
import warnings
import zipfile
from typing import Any

import h5py
import numpy as np
import yaml

from keras_docs_base.files import replace_atomically
from refimpl import _keras3_private, layers, metrics, optimizers
from refimpl._keras3 import keras3

_legacy_h5 = _keras3_private.legacy_h5_format
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: The module whose classes are Keras 2's model classes (`Model`, `Sequential`, ...).
_MODELS_MODULE = "refimpl.models"


def known_classes(user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one registry of the classes a saved or serialized model may name, by name:
    refimpl's layers, optimizers and model classes, then the user's `custom_objects`."""
    return {
        **layers.CUSTOM_OBJECTS,
        **optimizers.CUSTOM_OBJECTS,
        **_model_classes(),
        **(user or {}),
    }


def _model_classes() -> dict[str, type]:
    """refimpl's model classes by name: the subclasses of `Keras2Saving` that
    `refimpl.models` defines.

    They are read from the class tree, not imported: `refimpl.models` imports this
    module, since its `Model` mixes in `Keras2Saving`.
    """
    found: dict[str, type] = {}
    pending = [Keras2Saving]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__ == _MODELS_MODULE:
            found[cls.__name__] = cls
    return found


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
    with replace_atomically(path) as temporary:
        _write_model(model, temporary, save_format, include_optimizer)


def _write_model(model: Any, path: str, save_format: str | None, include_optimizer: bool) -> None:
    if save_format == "keras" or (save_format is None and path.endswith(".keras")):
        keras3.saving.save_model(model, path, include_optimizer=include_optimizer)
    else:
        # Keras 3's HDF5 writer removes the optimizer from the model's live compile
        # configuration, so a later `.keras` save would lose it: keep a copy.
        compile_config = _keras3_private.compile_arguments(model)
        kept = dict(compile_config) if compile_config is not None else {}
        try:
            _legacy_h5.save_model_to_hdf5(
                model, path, overwrite=True, include_optimizer=include_optimizer
            )
        finally:
            if compile_config is not None:
                compile_config.update(kept)


def load_model(filepath: Any, custom_objects: dict[str, Any] | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:  # fmt: skip
    """Load a model saved by `save_model` (refimpl, Keras 3 or tf_keras) as refimpl classes.

    A damaged or foreign file raises OSError, ValueError or TypeError naming the file,
    whatever h5py, zipfile or json raised deep inside.
    """
    path = os.fspath(filepath)
    try:
        return _load_model(path, custom_objects, compile, safe_mode)
    except _READ_ERRORS as error:
        if path in str(error):
            raise
        raise _error_kind(error)(
            f"Cannot load a model from {path!r}: {type(error).__name__}: {error}"
        ) from error


#: What damaged files raise from inside h5py, zipfile, json and the config readers.
_READ_ERRORS = (
    OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError,
    zipfile.BadZipFile, UnicodeDecodeError, EOFError,
)  # fmt: skip


def _error_kind(error: BaseException) -> type[Exception]:
    """The error a user can catch for `error`: its own kind when it is one of the
    three a loader documents (FileNotFoundError stays one), else ValueError."""
    for kind in (FileNotFoundError, OSError, TypeError):
        if isinstance(error, kind):
            return kind
    return ValueError


def _load_model(path: str, custom_objects: Any, compile: bool, safe_mode: bool) -> Any:
    kind = _format_of(path)
    objects = known_classes(custom_objects)
    if kind == "savedmodel":
        raise ValueError(
            f"{path!r} is a TensorFlow SavedModel directory, which Keras 3 cannot load as a "
            "model. Load it for inference with `keras.layers.TFSMLayer(path)`, or re-save "
            "the model from Keras 2 as `.h5`."
        )
    if kind == "hdf5":
        return _load_hdf5(path, objects, compile=compile, safe_mode=safe_mode)
    return keras3.saving.load_model(
        path, custom_objects=objects, compile=compile, safe_mode=safe_mode
    )


def _load_hdf5(path: str, objects: dict[str, Any], compile: bool, safe_mode: bool) -> Any:
    """A model from a Keras 2 HDF5 file, compiled with refimpl's optimizers.

    Keras 3's HDF5 reader would rebuild the optimizer as Keras 3's class (which drops
    Keras 2's `decay`) and restore its state only for Keras 3's own variable layout, so
    the training configuration is read here instead.
    """
    model = _legacy_h5.load_model_from_hdf5(
        path, custom_objects=objects, compile=False, safe_mode=safe_mode
    )
    with h5py.File(path, "r") as handle:
        training_config = handle.attrs.get("training_config")
        if not compile or training_config is None:
            return model  # Keras 2 also returned an uncompiled model when none was saved
        state = {}
        if "optimizer_weights" in handle:
            group = handle["optimizer_weights"]
            names = [_text(name) for name in group.attrs["weight_names"]]
            state = {name: group[name][()] for name in names}
    if hasattr(training_config, "decode"):
        training_config = training_config.decode("utf-8")
    model.compile(**_compile_arguments(json.loads(training_config), objects))
    if state:
        _restore_optimizer_state(model, state, path)
    return model


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


#: Optimizer config keys that tf_keras wrote and Keras 3's optimizers do not take.
_TF_KERAS_ONLY_OPTIMIZER_KEYS = ("is_legacy_optimizer", "jit_compile")


def _compile_arguments(training_config: dict[str, Any], objects: dict[str, Any]) -> dict:
    """`compile` arguments from a saved training configuration (refimpl or tf_keras)."""
    optimizer_config = dict(training_config["optimizer_config"])
    # tf_keras registered its newer optimizers as "Custom>Adam", "Custom>SGD", ...
    optimizer_config["class_name"] = optimizer_config["class_name"].removeprefix("Custom>")
    optimizer_config["config"] = {
        key: value
        for key, value in optimizer_config.get("config", {}).items()
        if key not in _TF_KERAS_ONLY_OPTIMIZER_KEYS
    }
    with keras3.saving.custom_object_scope(objects):
        return {
            "optimizer": optimizers.deserialize(optimizer_config, custom_objects=objects),
            "loss": _deserialize_nested(training_config.get("loss"), keras3.losses, objects),
            "metrics": _deserialize_nested(training_config.get("metrics"), keras3.metrics, objects),
            "weighted_metrics": _deserialize_nested(
                training_config.get("weighted_metrics"), keras3.metrics, objects
            ),
            "loss_weights": training_config.get("loss_weights"),
        }


def _deserialize_nested(config: Any, module: Any, objects: dict[str, Any]) -> Any:
    """Losses or metrics as saved: names stay names (refimpl's `compile` resolves
    Keras 2's names such as 'acc' or 'mse'), custom names come from `objects`, and
    serialized objects are rebuilt."""
    if config is None:
        return None
    if isinstance(config, str):
        return objects.get(config, config)
    if isinstance(config, dict) and config.get("class_name") == "MeanMetricWrapper":
        return _metric_function(config["config"], objects)
    if isinstance(config, dict) and "class_name" in config:
        return module.deserialize(config)
    if isinstance(config, dict):
        return {key: _deserialize_nested(value, module, objects) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_deserialize_nested(value, module, objects) for value in config]
    raise ValueError(
        "Expected a saved loss or metric (a name, a serialized object, or a list or dict "
        f"of them); received {config!r}."
    )


#: Metric names whose function `compile` chooses from the output shape, as Keras 2 did.
_SHAPE_DEPENDENT_METRICS = ("acc", "accuracy", "ce", "crossentropy")


def _metric_function(config: dict[str, Any], objects: dict[str, Any]) -> Any:
    """A metric that tf_keras saved as `MeanMetricWrapper(fn='binary_accuracy', name='acc')`."""
    name, function = config["name"], config.get("fn", config["name"])
    if name in objects:
        return objects[name]
    if name in _SHAPE_DEPENDENT_METRICS:
        return name
    if isinstance(function, str):
        function = objects.get(function) or metrics.get(function)
    return keras3.metrics.MeanMetricWrapper(function, name=name)


#: tf_keras's optimizer slot names -> Keras 3's, per optimizer class; "*" for all.
_TF_KERAS_SLOTS: dict[str, dict[str, str]] = {
    "*": {
        "iter": "iteration", "iteration": "iteration", "momentum": "momentum",
        "m": "momentum", "v": "velocity", "vhat": "velocity_hat", "rms": "velocity",
        "velocity": "velocity", "accumulator": "accumulator", "accum_grad": "accumulated_grad",
        "accum_var": "accumulated_delta_var",
    },
    "Adamax": {"v": "norm", "u": "norm"},
}  # fmt: skip


def _tf_keras_slot(name: str, optimizer_class: str) -> tuple[str | None, str | None]:
    """`(variable path, Keras 3 slot)` for a tf_keras optimizer weight name.

    tf_keras wrote `Adam/dense/kernel/m:0` (legacy optimizers, `iter:0` for the step)
    or `Adam/m/dense/kernel:0` (its newer optimizers, `iteration:0`).
    """
    table = {**_TF_KERAS_SLOTS["*"], **_TF_KERAS_SLOTS.get(optimizer_class, {})}
    parts = name.split(":")[0].split("/")
    if parts[-1] in ("iter", "iteration"):
        return None, "iteration"
    if len(parts) > 2 and parts[1] in table and parts[1] != parts[-1]:
        return "/".join(parts[2:]), table[parts[1]]
    return "/".join(parts[1:-1]), table.get(parts[-1])


def _restore_optimizer_state(model: Any, state: dict[str, Any], path: str) -> None:
    """Set the optimizer's variables from a saved file, matched by name.

    Files written by refimpl hold Keras 3's variable names; files written by tf_keras
    hold its slot names, which are translated. As in Keras 2, an optimizer state that
    does not fit leaves the optimizer freshly initialised, with a warning.
    """
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    targets = {v.path.split("/", 1)[-1]: v for v in optimizer.variables}
    saved = {name.split("/", 1)[-1]: value for name, value in state.items()}
    if not set(saved) <= set(targets):
        saved = _translate_tf_keras_state(optimizer, state) or {}
    fits = (
        bool(saved)
        and set(saved) <= set(targets)
        # Keras 2 kept the learning rate in the config, not among the weights.
        and set(targets) - set(saved) <= {"learning_rate"}
        and all(tuple(targets[name].shape) == np.shape(value) for name, value in saved.items())
    )
    if not fits:
        warnings.warn(
            f"The optimizer state saved in {path!r} ({len(state)} weights) does not match "
            f"the {type(optimizer).__name__} optimizer of the loaded model; training will "
            "restart with a freshly initialised optimizer.",
            stacklevel=3,
        )
        return
    for name, value in saved.items():
        targets[name].assign(value)


def _translate_tf_keras_state(optimizer: Any, state: dict[str, Any]) -> dict[str, Any] | None:
    """tf_keras optimizer weights keyed by the Keras 3 variable names they become."""
    optimized = _keras3_private.optimized_variables(optimizer)
    variables = {v.path: v.path.replace("/", "_") for v in optimized}
    translated = {}
    for name, value in state.items():
        variable, slot = _tf_keras_slot(name, type(optimizer).__name__)
        if slot == "iteration":
            translated["iteration"] = value
            continue
        owners = [k for k in variables if k == variable or k.endswith(f"/{variable}")]
        if slot is None or not variable or len(owners) != 1:
            return None
        translated[f"{variables[owners[0]]}_{slot}"] = value
    return translated


def model_from_config(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `{"class_name": ..., "config": ...}`."""
    return _keras3_private.model_from_config(config, custom_objects=known_classes(custom_objects))


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a model from `model.to_json()`: the architecture, uncompiled (Keras 2).

    Keras 3's JSON also holds the compile configuration; as in Keras 2, the model
    comes back uncompiled (its losses and metrics may be functions the reader lacks).
    """
    config = json.loads(json_string)
    if isinstance(config, dict):
        config.pop("compile_config", None)
    return keras3.models.model_from_json(
        json.dumps(config), custom_objects=known_classes(custom_objects)
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
        """Save the whole model: see `refimpl.persistence.save_model`."""
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
        if _is_hdf5_weights_path(path) and kwargs:
            raise TypeError(f"`save_weights` got unexpected keyword arguments: {sorted(kwargs)}.")
        with replace_atomically(path) as temporary:
            if not _is_hdf5_weights_path(path):
                return super().save_weights(temporary, overwrite=True, **kwargs)
            with h5py.File(temporary, "w") as handle:
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
