"""Saved weights of every Keras era, converted and set into a rebuilt model.

A saved layer is its name and its arrays in the order the saving Keras kept them
(trainable, then non-trainable). Some layouts changed over the years, and
`convert_layer` turns each into the one refimpl's layer holds (`LAYOUTS`):

- Keras 1 kept one array per gate of an LSTM (12) or a GRU (9), and Theano-ordered
  convolution kernels (`(filters, channels, rows, cols)` for `dim_ordering='th'`);
- Keras 2's `CuDNNLSTM`/`CuDNNGRU` kept cuDNN's layout: each gate's input kernel in
  column-major order, and two bias vectors;
- wrappers and nested models hold their inner layers' arrays one after the other.

`assign` pairs saved layers with the model's layers by name when every saved name is
found (the model was rebuilt from the same file), else in order, as Keras 2 did, and
checks every count and shape before setting anything: a file that does not fit
leaves the model untouched and raises an error naming the layer.

Example:

>>> keras1_lstm = [np.zeros((3, 2))] * 12  # W_i, U_i, b_i, W_c, ... (shapes vary)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SavedLayer:
    """One layer's saved arrays, in the file's order."""

    name: str
    values: list[np.ndarray]
    weight_names: list[str] = field(default_factory=list)
    #: The class the saving Keras named (`CuDNNLSTM`, ...), when the file says.
    class_name: str | None = None


@dataclass(frozen=True)
class Origin:
    """What a file says about the Keras that wrote it."""

    keras_version: str | None
    backend: str | None = None

    @property
    def keras1(self) -> bool:
        """Keras 1 wrote no version before 1.2, and "1.x" after."""
        return self.keras_version is None or self.keras_version.startswith("1")


def legacy_weights(layer: Any) -> list[Any]:
    """A layer's variables in the order every Keras 2 file used: trainable first."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _class(layer: Any) -> str:
    """The Keras class a layer is (refimpl's classes keep Keras 3's names)."""
    return type(layer).__name__


# -- Keras 1 layouts ------------------------------------------------------------------


def _gates(values: list[np.ndarray], order: tuple[int, ...]) -> list[np.ndarray]:
    """Keras 1's per-gate arrays [W_a, U_a, b_a, W_b, U_b, b_b, ...] -> kernel,
    recurrent kernel and bias, gates concatenated in `order` (indices of the gates)."""
    return [np.concatenate([values[3 * gate + part] for gate in order], axis=-1) for part in range(3)]


def _keras1_lstm(layer: Any, values: list[np.ndarray]) -> list[np.ndarray]:
    # Keras 1 saved the gates as i, c, f, o; Keras 2 concatenates i, f, c, o.
    if len(values) != 12:
        return values
    converted = _gates(values, (0, 2, 1, 3))
    if _class(layer) == "ConvLSTM2D" and layer.data_format == "channels_first":
        converted[:2] = [np.transpose(kernel, (2, 3, 1, 0)) for kernel in converted[:2]]
    return converted


def _keras1_gru(layer: Any, values: list[np.ndarray]) -> list[np.ndarray]:
    # Keras 1 saved the gates as z, r, h: Keras 2's order too.
    return _gates(values, (0, 1, 2)) if len(values) == 9 else values


def _keras1_conv1d(layer: Any, values: list[np.ndarray]) -> list[np.ndarray]:
    # Keras 1 kept a 1D kernel as a 2D one: (length, 1, channels, filters), or
    # Theano's (filters, channels, length, 1).
    kernel = values[0]
    if kernel.ndim == 4:
        if kernel.shape[1] != 1 or kernel.shape[3] != layer.filters:
            kernel = np.transpose(kernel, (2, 3, 1, 0))
        kernel = kernel[:, 0, :, :]
    return [kernel, *values[1:]]


def _theano_kernel(axes: tuple[int, ...]) -> Callable[[Any, list[np.ndarray]], list[np.ndarray]]:
    """Keras 1 with `dim_ordering='th'` kept kernels with the filters first."""

    def convert(layer: Any, values: list[np.ndarray]) -> list[np.ndarray]:
        if getattr(layer, "data_format", None) != "channels_first":
            return values
        return [np.transpose(values[0], axes), *values[1:]]

    return convert


def _keras1_conv2d_transpose(layer: Any, values: list[np.ndarray]) -> list[np.ndarray]:
    axes = (2, 3, 0, 1) if layer.data_format == "channels_first" else (0, 1, 3, 2)
    return [np.transpose(values[0], axes), *values[1:]]


#: Keras 1 layouts -> Keras 2's, by the refimpl class of the layer.
KERAS1_LAYOUTS: dict[str, Callable[[Any, list[np.ndarray]], list[np.ndarray]]] = {
    "LSTM": _keras1_lstm,
    "ConvLSTM2D": _keras1_lstm,
    "GRU": _keras1_gru,
    "Conv1D": _keras1_conv1d,
    "Conv2D": _theano_kernel((2, 3, 1, 0)),
    "Conv3D": _theano_kernel((2, 3, 4, 1, 0)),
    "Conv2DTranspose": _keras1_conv2d_transpose,
}


# -- cuDNN layouts --------------------------------------------------------------------


def _per_gate(kernel: np.ndarray, gates: int, convert: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return np.hstack([convert(block) for block in np.hsplit(kernel, gates)])


def _from_cudnn_input(block: np.ndarray) -> np.ndarray:
    # cuDNN stored each gate's input kernel transposed, in column-major order.
    return block.T.reshape(block.shape, order="F")


def _from_cudnn(layer: Any, values: list[np.ndarray], gates: int) -> list[np.ndarray]:
    kernel, recurrent, *bias = values
    kernel = _per_gate(kernel, gates, _from_cudnn_input)
    recurrent = _per_gate(recurrent, gates, lambda block: block.T)
    if not bias:
        return [kernel, recurrent]
    units = recurrent.shape[0]
    halves = bias[0].reshape(2, gates * units)
    # The LSTM adds its input and recurrent biases; the GRU (reset_after) keeps both.
    return [kernel, recurrent, halves.sum(axis=0) if gates == 4 else halves]


def _is_cudnn(layer: Any, values: list[np.ndarray], saved_class: str | None) -> bool:
    if saved_class in ("CuDNNLSTM", "CuDNNGRU"):
        return True
    if _class(layer) != "LSTM" or len(values) != 3:
        return False
    units = values[1].shape[0]
    return values[2].shape == (8 * units,)  # two 4-gate biases: only cuDNN saved that


#: Convolutions whose kernels Theano applied flipped (a true convolution, where
#: TensorFlow computes a correlation): a file saved on Theano holds them so.
THEANO_FLIPPED = ("Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose")


def _flip_spatial(kernel: np.ndarray) -> np.ndarray:
    """A kernel with its spatial axes (all but the last two) reversed."""
    spatial = kernel.ndim - 2
    return np.ascontiguousarray(kernel[(slice(None, None, -1),) * spatial])


# -- one layer ------------------------------------------------------------------------


def _split(values: list[np.ndarray], counts: list[int]) -> list[list[np.ndarray]]:
    parts, start = [], 0
    for count in counts:
        parts.append(values[start : start + count])
        start += count
    return parts


def _nested_model(model: Any, values: list[np.ndarray], origin: Origin) -> list[np.ndarray]:
    """A nested model's arrays: all its layers' trainable arrays, then the
    non-trainable ones; each layer's are converted on their own."""
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    trainable_counts = [len(layer.trainable_weights) for layer in layers]
    frozen_counts = [len(layer.non_trainable_weights) for layer in layers]
    trainable = _split(values, trainable_counts)
    frozen = _split(values[sum(trainable_counts) :], frozen_counts)
    new_trainable, new_frozen = [], []
    for layer, own, fixed in zip(layers, trainable, frozen):
        converted = convert_layer(layer, own + fixed, origin)
        new_trainable += converted[: len(own)]
        new_frozen += converted[len(own) :]
    return new_trainable + new_frozen


def convert_layer(layer: Any, values: list[np.ndarray], origin: Origin,
                  saved_class: str | None = None) -> list[np.ndarray]:  # fmt: skip
    """A layer's saved arrays in the layout its refimpl class holds."""
    values = list(values)
    kind = _class(layer)
    if kind == "Bidirectional":
        half = len(values) // 2
        return convert_layer(layer.forward_layer, values[:half], origin, saved_class) + convert_layer(
            layer.backward_layer, values[half:], origin, saved_class
        )
    if kind == "TimeDistributed":
        return convert_layer(layer.layer, values, origin, saved_class)
    if hasattr(layer, "layers") and kind in ("Sequential", "Functional", "Model"):
        return _nested_model(layer, values, origin)
    if origin.keras1 and kind in KERAS1_LAYOUTS:
        values = KERAS1_LAYOUTS[kind](layer, values)
    if kind in ("LSTM", "GRU") and _is_cudnn(layer, values, saved_class):
        values = _from_cudnn(layer, values, gates=4 if kind == "LSTM" else 3)
    if origin.backend == "theano" and kind in THEANO_FLIPPED and values:
        values[0] = _flip_spatial(values[0])
    targets = legacy_weights(layer)
    if (
        kind.startswith("Conv") and values and targets
        and tuple(targets[0].shape) != values[0].shape and values[0].ndim == 4
    ):  # fmt: skip
        # A kernel of Keras 2 on Theano: (filters, channels, rows, cols).
        values[0] = np.transpose(values[0], (2, 3, 1, 0))
        if kind == "ConvLSTM2D":
            values[1] = np.transpose(values[1], (2, 3, 1, 0))
    return values


# -- a whole model --------------------------------------------------------------------


class WeightsMismatch(ValueError):
    """Saved weights that do not fit the model."""


def _all_layers(model: Any) -> dict[str, Any]:
    """Every layer of `model` by name, those of nested models too."""
    found: dict[str, Any] = {}
    for layer in model.layers:
        found.setdefault(layer.name, layer)
        if hasattr(layer, "layers") and _class(layer) in ("Sequential", "Functional", "Model"):
            for name, inner in _all_layers(layer).items():
                found.setdefault(name, inner)
    return found


def pair_layers(model: Any, saved: list[SavedLayer], by_name: bool = False) -> list[tuple[Any, SavedLayer]]:
    """(model layer, saved layer) pairs: by name when every saved name is a layer of
    the model (or `by_name`), else in order among the layers that have weights."""
    saved = [entry for entry in saved if entry.values]
    named = _all_layers(model)
    if by_name or all(entry.name in named for entry in saved):
        return [(named[entry.name], entry) for entry in saved if entry.name in named]
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    if len(layers) != len(saved):
        raise WeightsMismatch(
            f"The file holds weights for {len(saved)} layers "
            f"({', '.join(e.name for e in saved)}); the model has {len(layers)} layers with "
            f"weights ({', '.join(layer.name for layer in layers)})."
        )
    return list(zip(layers, saved))


#: How a file orders each layer's arrays -> the model's variables in that order.
ORDERS: dict[str, Callable[[Any], list[Any]]] = {
    "legacy": legacy_weights,  # HDF5 and SavedModel files of every Keras 1/2 release
    "created": lambda layer: list(layer.weights),  # `.keras` archives
}


def assign(model: Any, saved: list[SavedLayer], origin: Origin, source: str,
           by_name: bool = False, skip_mismatch: bool = False, order: str = "legacy") -> None:  # fmt: skip
    """Set the model's weights from a file's saved layers (see the module docstring).

    Every layer is converted and checked first; nothing is set unless all fit (or, with
    `skip_mismatch`, the layers that do not fit are left as they are, with a warning).
    """
    plan = []
    for layer, entry in pair_layers(model, saved, by_name):
        values = convert_layer(layer, entry.values, origin, entry.class_name)
        targets = ORDERS[order](layer)
        problem = _mismatch(targets, values)
        if problem:
            if skip_mismatch:
                warnings.warn(f"Skipping layer {layer.name!r} of {source}: {problem}", stacklevel=3)
                continue
            raise WeightsMismatch(
                f"{source}: the saved weights of layer {entry.name!r} do not fit layer "
                f"{layer.name!r} ({_class(layer)}): {problem}."
            )
        plan.append((targets, values))
    for targets, values in plan:
        for variable, value in zip(targets, values):
            variable.assign(value)


def _mismatch(targets: list[Any], values: list[np.ndarray]) -> str | None:
    if len(targets) != len(values):
        return f"expected {len(targets)} arrays, received {len(values)}"
    for variable, value in zip(targets, values):
        if tuple(variable.shape) != tuple(np.shape(value)):
            return (
                f"expected {variable.path} of shape {tuple(variable.shape)}, received an "
                f"array of shape {tuple(np.shape(value))}"
            )
    return None
