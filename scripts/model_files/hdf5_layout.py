"""The HDF5 layout of model files written by Keras 1.x and Keras 2.0-2.2.

Facts of the format, as those releases' `save_model` and `save_weights` wrote it:

- Root attributes: `model_config` (JSON of `{"class_name", "config"}`), and
  `training_config` (JSON of the compile arguments) when the model was compiled,
  all as UTF-8 bytes. Keras 1.1-1.2 wrote `keras_version` at the root; Keras 2
  also wrote `backend`.
- Group `model_weights` (or the root itself, for a `save_weights` file) holds an
  attribute `layer_names` (bytes) and one group per layer, in the order of the
  model's layers, each with an attribute `weight_names` (bytes; an empty float
  array for a layer without weights) and one dataset per weight under its
  variable name. Keras 1 never wrote `keras_version` or `backend` there, which is
  how Keras 2 told a Keras 1 file from its own; Keras 2 wrote both.
- Group `optimizer_weights` (Keras 2, when the optimizer had state) with an
  attribute `weight_names` and one dataset per optimizer variable.

Example:

```python
import numpy as np
write_model_file(
    "/tmp/tiny.h5",
    root_attributes={"keras_version": "2.2.4", "backend": "tensorflow"},
    model_config={"class_name": "Sequential", "config": []},
    training_config=None,
    layers=[("dense_1", [("dense_1/kernel:0", np.zeros((2, 1), "float32"))])],
    weights_group_attributes={"keras_version": "2.2.4", "backend": "tensorflow"},
)
```
"""

import json

import h5py
import numpy as np


def _text(value):
    """Keras wrote every string attribute as `str.encode('utf8')`."""
    return np.bytes_(value.encode("utf8"))


def _names(names):
    """A list of names as Keras stored it: bytes, or an empty float array."""
    if not names:
        return np.zeros((0,), dtype="float64")
    return np.array([name.encode("utf8") for name in names])


def _dump_json(value):
    # Keras called json.dumps with its default separators and ASCII escaping.
    return json.dumps(value)


def write_weights_group(group, layers, attributes):
    """Writes `layers` ([(layer name, [(weight name, array)])]) into `group`."""
    group.attrs["layer_names"] = _names([name for name, _ in layers])
    for key, value in attributes.items():
        group.attrs[key] = _text(value)
    for layer_name, weights in layers:
        layer_group = group.create_group(layer_name)
        layer_group.attrs["weight_names"] = _names([name for name, _ in weights])
        for weight_name, value in weights:
            # A name such as "dense_1/kernel:0" makes nested groups, as it did
            # when Keras 2 passed it to h5py.
            layer_group.create_dataset(weight_name, data=value, track_times=False)


def write_model_file(
    path,
    *,
    root_attributes,
    model_config,
    training_config,
    layers,
    weights_group_attributes,
    optimizer_weights=None,
):
    """Writes a whole-model file (`model.save` of Keras 1 / 2.0-2.2)."""
    with h5py.File(path, "w", track_order=False) as handle:
        for key, value in root_attributes.items():
            handle.attrs[key] = _text(value)
        handle.attrs["model_config"] = _text(_dump_json(model_config))
        weights_group = handle.create_group("model_weights")
        write_weights_group(weights_group, layers, weights_group_attributes)
        if training_config is not None:
            handle.attrs["training_config"] = _text(_dump_json(training_config))
        if optimizer_weights:
            optimizer_group = handle.create_group("optimizer_weights")
            optimizer_group.attrs["weight_names"] = _names([name for name, _ in optimizer_weights])
            for name, value in optimizer_weights:
                optimizer_group.create_dataset(name, data=value, track_times=False)


def write_weights_file(path, *, layers, attributes):
    """Writes a `save_weights` file: the weights group is the file's root."""
    with h5py.File(path, "w", track_order=False) as handle:
        write_weights_group(handle, layers, attributes)
