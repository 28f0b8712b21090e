"""Layer configs of every Keras era, upgraded to what refimpl's classes take.

A saved model names each layer by class and keyword arguments, in the words of the
Keras that saved it. Keras 1 wrote `Convolution2D(nb_filter=8, border_mode='same')`,
Keras 2.0-2.2 `CuDNNLSTM` and GRUs without `reset_after`, tf.keras 2.x `time_major`,
`ragged`, dtype policies as objects and initializers with a `dtype`. This module turns
one saved layer config into the class name and arguments refimpl accepts, from three
tables:

- `CLASS_RENAMES`: old class names (refimpl.layers.ALIASES, plus the ones only files use);
- `refimpl.legacy.TRANSLATIONS`: the same argument table a Keras 1 call goes through,
  so a Keras 1 argument renamed there is renamed in a file too;
- `SAVED_ONLY`: arguments that only files carry (a layer's build shapes, the defaults of
  switches Keras 3 removed), each with the values that change nothing; any other value
  is refused with an error that names the layer, the argument and the value.

Example:

>>> upgrade_layer("Convolution2D", {"nb_filter": 4, "nb_row": 3, "nb_col": 3,
...                                 "border_mode": "same", "dim_ordering": "tf"})
('Conv2D', {'filters': 4, 'kernel_size': (3, 3), 'padding': 'same', 'data_format': 'channels_last'})
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl import legacy
from refimpl.layers import ALIASES

#: Old class name -> (refimpl class name, arguments the old class implied).
CLASS_RENAMES: dict[str, tuple[str, dict[str, Any]]] = {
    **{old: (new, {}) for old, new in ALIASES.items()},
    # Keras 1's dilated convolutions.
    "AtrousConvolution1D": ("Conv1D", {}),
    "AtrousConvolution2D": ("Conv2D", {}),
    # Keras 2.0-2.2's cuDNN layers computed a plain LSTM/GRU with sigmoid gates (and, for
    # the GRU, the reset gate after the matrix product); their weights are converted in
    # refimpl.saved.weights.
    "CuDNNLSTM": ("LSTM", {"recurrent_activation": "sigmoid", "activation": "tanh"}),
    "CuDNNGRU": ("GRU", {"recurrent_activation": "sigmoid", "activation": "tanh",
                         "reset_after": True}),
    # tf.keras's name for a functional model's class.
    "Model": ("Functional", {}),
    "Convolution1DTranspose": ("Conv1DTranspose", {}),
    "Convolution2DTranspose": ("Conv2DTranspose", {}),
    "Convolution3DTranspose": ("Conv3DTranspose", {}),
}  # fmt: skip

#: Keras 1 argument names that the legacy table does not cover because only files
#: carry them -> their Keras 2 names.
_FILE_RENAMES: dict[str, dict[str, str]] = {
    "AtrousConvolution1D": {"atrous_rate": "dilation_rate"},
    "AtrousConvolution2D": {"atrous_rate": "dilation_rate"},
}


def _any(value: Any) -> bool:
    return True


def _equals(*accepted: Any) -> Callable[[Any], bool]:
    return lambda value: any(value is ok or value == ok for ok in accepted)


_SEPARABLE = {
    "groups": _equals(1), "kernel_initializer": _any, "kernel_regularizer": _equals(None),
    "kernel_constraint": _equals(None),
}  # fmt: skip

#: Arguments only saved files carry, by class ("*" for every class): the argument ->
#: which values change nothing on Keras 3 (and are dropped). Another value is an error.
SAVED_ONLY: dict[str, dict[str, Callable[[Any], bool]]] = {
    "*": {
        "ragged": _equals(False),  # tf.keras's ragged inputs
        "dynamic": _equals(False),
        "autocast": _equals(True),
        "type_spec": _any,  # the InputLayer's spec repeats its shape and dtype
        # Keras 1 wrote the input dtype on every layer, Keras 2 on InputLayer only.
        "input_dtype": _any,
        # Keras 1's per-layer cache switches and regularizer placeholders.
        "cache_enabled": _any,
        "stateful_metrics": _any,
    },
    # tf.keras 2.x let RNNs read time-major input; Keras 3 does not.
    "RNN": {"time_major": _equals(False), "implementation": _any},
    "LSTM": {"time_major": _equals(False), "implementation": _any},
    "GRU": {"time_major": _equals(False), "implementation": _any},
    "SimpleRNN": {"time_major": _equals(False), "implementation": _any},
    "ConvLSTM1D": {"time_major": _equals(False), "implementation": _any},
    "ConvLSTM2D": {"time_major": _equals(False), "implementation": _any},
    "ConvLSTM3D": {"time_major": _equals(False), "implementation": _any},
    "LSTMCell": {"implementation": _any},
    "GRUCell": {"implementation": _any},
    # The input length only told the layers after it their shape; the input's shape does.
    "Embedding": {"input_length": _any, "sparse": _equals(False)},
    # Image-model exporters wrote the grouping every depthwise convolution has.
    "DepthwiseConv2D": {"groups": _equals(1)},
    "DepthwiseConv1D": {"groups": _equals(1)},
    # The shapes the layer was built with: Keras 3 builds from the call.
    "MultiHeadAttention": {
        "query_shape": _any, "key_shape": _any, "value_shape": _any,
        "softmax_robust_masking": _equals(False),
    },
    "Softmax": {"robust_masking": _equals(False)},
    "BatchNormalization": {
        "fused": _any, "renorm": _equals(False), "renorm_clipping": _equals(None),
        "renorm_momentum": _any, "virtual_batch_size": _equals(None),
        "adjustment": _equals(None),
        # Keras 1's BatchNormalization(mode=0) is Keras 2's only mode.
        "mode": _equals(0),
    },
    # tf.keras's separable convolutions inherited the plain kernel's arguments, unused.
    "SeparableConv1D": _SEPARABLE,
    "SeparableConv2D": _SEPARABLE,
    "Conv1DTranspose": {"groups": _equals(1)},
    "Conv2DTranspose": {"groups": _equals(1), "output_shape": _any},
    "Conv3DTranspose": {"groups": _equals(1)},
    # Keras 3's spatial dropouts take no `trainable`; they have nothing to train.
    "SpatialDropout1D": {"trainable": _any, "noise_shape": _equals(None)},
    "SpatialDropout2D": {"trainable": _any, "noise_shape": _equals(None)},
    "SpatialDropout3D": {"trainable": _any, "noise_shape": _equals(None)},
    "Discretization": {"trainable": _any},
    # tf.keras's random preprocessing layers named their generator; Keras 3 seeds its own.
    **{name: {"rng_type": _any} for name in (
        "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
        "RandomTranslation", "RandomZoom",
    )},
}  # fmt: skip

#: Keras 1's regularizer and constraint objects, saved as `{"name": ..., **arguments}`:
#: their name -> (the Keras 2 class, its arguments by their Keras 1 names).
_KERAS1_OBJECTS: dict[str, tuple[str, dict[str, str]]] = {
    "WeightRegularizer": ("L1L2", {"l1": "l1", "l2": "l2"}),
    "L1L2Regularizer": ("L1L2", {"l1": "l1", "l2": "l2"}),
    "ActivityRegularizer": ("L1L2", {"l1": "l1", "l2": "l2"}),
    "MaxNorm": ("MaxNorm", {"m": "max_value", "axis": "axis"}),
    "NonNeg": ("NonNeg", {}),
    "UnitNorm": ("UnitNorm", {"axis": "axis"}),
}


class UnsupportedSavedArgument(ValueError):
    """A saved layer argument that has no Keras 3 equivalent for the value saved."""


_SEQUENCE_OBJECTS = ("__tuple__", "TensorShape")


def plain_config(value: Any) -> Any:
    """A saved config with Keras 2.13-2.15's serialization wrappers removed.

    Those releases wrote `{"module": ..., "class_name": ..., "config": ...,
    "registered_name": ...}` for every object; the module paths (`keras.src.engine...`)
    name no Keras 3 module. Without them the objects are read by class name, as the
    HDF5 files of every Keras 2 release were.
    """
    if isinstance(value, dict) and value.get("class_name") in _SEQUENCE_OBJECTS:
        # tf.keras wrote tuples (`__tuple__`) and SavedModels shapes (`TensorShape`)
        # as objects holding their items.
        return plain_config(value.get("items"))
    if isinstance(value, dict):
        return {
            key: plain_config(item)
            for key, item in value.items()
            if key not in ("module", "registered_name", "build_config", "compile_config")
        }
    if isinstance(value, list):
        return [plain_config(item) for item in value]
    return value


def _dtype(value: Any) -> Any:
    """A dtype or a tf.keras dtype policy object -> its name (`"mixed_float16"`)."""
    if isinstance(value, dict):
        return value.get("config", {}).get("name", value.get("name"))
    return value


def _nested_object(value: Any) -> Any:
    """An initializer, regularizer or constraint config without the `dtype` tf.keras 2.x
    sometimes saved in it; other values unchanged."""
    if isinstance(value, dict) and "class_name" in value and isinstance(value.get("config"), dict):
        config = dict(value["config"])
        config.pop("dtype", None)
        return {**value, "config": config}
    return value


def _keras1_object(key: str, value: Any) -> Any:
    """A Keras 1 regularizer or constraint (`{"name": "WeightRegularizer", "l2": 0.01}`)
    as Keras 2 serialized it (`{"class_name": "L1L2", "config": {"l2": 0.01}}`)."""
    if not (isinstance(value, dict) and value.get("name") in _KERAS1_OBJECTS and "class_name" not in value):
        return value
    class_name, arguments = _KERAS1_OBJECTS[value["name"]]
    config = {new: value[old] for old, new in arguments.items() if old in value}
    return {"class_name": class_name, "config": config}


def _scalar(value: Any) -> Any:
    """A one-number array (a LeakyReLU's `alpha` saved as `array(0.3)`) -> the number."""
    if isinstance(value, (list, np.ndarray)) and np.size(value) == 1:
        return float(np.asarray(value).reshape(()))
    return value


def _single_axis(value: Any) -> Any:
    """tf.keras saved a normalisation axis as a list (`[3]`); Keras 3's
    BatchNormalization takes one integer."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


#: Argument -> how a saved value becomes the value Keras 3 takes (every other argument:
#: nested initializers, regularizers and constraints lose a saved `dtype`).
VALUE_FIXES: dict[str, Callable[[Any], Any]] = {
    "alpha": _scalar,
    "negative_slope": _scalar,
    "axis": _single_axis,
}


def upgrade_layer(class_name: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """`(class_name, config)` of a saved layer, as refimpl's class of that name takes it.

    Nested layers (a wrapper's `layer`, an RNN's `cell`) are upgraded too. Raises
    UnsupportedSavedArgument for a saved value with no Keras 3 equivalent.
    """
    new_name, implied = CLASS_RENAMES.get(class_name, (class_name, {}))
    config = dict(config)
    for old, new in _FILE_RENAMES.get(class_name, {}).items():
        if old in config:
            config[new] = config.pop(old)
    config.update(implied)
    if config.get("batch_input_shape") is not None:
        # Keras 1 saved the input's shape both ways; the batch shape says it all
        # (an Embedding's `input_dim` is its vocabulary, not a shape).
        for redundant in ("input_shape",) if new_name == "Embedding" else ("input_dim", "input_shape"):
            config.pop(redundant, None)
    for key, value in config.items():
        config[key] = _keras1_object(key, value)
    with warnings.catch_warnings():
        # A file is not the user's call: Keras 1 names in it are no reason to warn.
        warnings.simplefilter("ignore", UserWarning)
        config = legacy.translate(new_name, config)
    for table in (SAVED_ONLY["*"], SAVED_ONLY.get(class_name, {}), SAVED_ONLY.get(new_name, {})):
        for argument, harmless in table.items():
            if argument in config:
                value = config.pop(argument)
                if not harmless(value):
                    raise UnsupportedSavedArgument(
                        f"Layer {config.get('name', class_name)!r} ({class_name}) was saved "
                        f"with `{argument}={value!r}`, which Keras 3 cannot honour; expected "
                        f"the default or a file without it."
                    )
    if "dtype" in config:
        config["dtype"] = _dtype(config["dtype"])
    for key, value in config.items():
        config[key] = VALUE_FIXES.get(key, _nested_object)(value)
    if new_name in ("GRU", "GRUCell") and "reset_after" not in config:
        # Keras 2.0-2.2's GRU (and Keras 1's) applied the reset gate before the matrix
        # product; tf.keras 2.x made `reset_after=True` the default and saves it.
        config["reset_after"] = False
    for key in ("layer", "backward_layer", "cell"):
        if isinstance(config.get(key), dict) and "class_name" in config[key]:
            config[key] = upgrade_serialized(config[key])
    if isinstance(config.get("cells"), list):
        config["cells"] = [upgrade_serialized(cell) for cell in config["cells"]]
    return new_name, config


def upgrade_serialized(serialized: dict[str, Any]) -> dict[str, Any]:
    """`{"class_name": ..., "config": ...}` of a layer, upgraded (see `upgrade_layer`)."""
    class_name, config = upgrade_layer(serialized["class_name"], serialized.get("config", {}))
    return {**serialized, "class_name": class_name, "config": config}
