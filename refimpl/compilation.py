"""When refimpl compiles a model with XLA.

XLA fuses a training step into one compiled program. Whether that pays depends on the
model and the device: measured on a 2-core CPU, it made the guides' VGG-like convnet
about 8x slower, their stacked LSTM about 2x faster and their small MLPs about even.
On GPUs and TPUs XLA is the usual win. The policy is therefore a table keyed by device
kind and model family, not a constant; `REFIMPL_XLA=0/1` overrides it for a process,
and `compile(jit_compile=...)` for one model.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from refimpl._keras3 import tf

#: (device kind, model family) -> compile with XLA?
POLICY: dict[tuple[str, str], bool] = {
    ("CPU", "convolutional"): False,  # VGG-like convnet: about 8x slower with XLA
    ("CPU", "recurrent"): True,  # stacked LSTM: about 2x faster with XLA
    ("CPU", "dense"): False,  # small MLPs: about even; skip the compile time
    ("GPU", "convolutional"): True,
    ("GPU", "recurrent"): True,
    ("GPU", "dense"): True,
    ("TPU", "convolutional"): True,
    ("TPU", "recurrent"): True,
    ("TPU", "dense"): True,
}

#: Layer class names that decide a model's family, checked in this order.
FAMILY_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("convolutional", ("Conv", "Pooling2D", "Pooling3D")),
    ("recurrent", ("LSTM", "GRU", "SimpleRNN", "RNN")),
)


@functools.cache
def device_kind() -> str:
    """The accelerator TensorFlow will place work on: "TPU", "GPU" or "CPU"."""
    for kind in ("TPU", "GPU"):
        if tf.config.list_logical_devices(kind):
            return kind
    return "CPU"


def _layer_names(model: Any) -> list[str]:
    names = []
    for layer in getattr(model, "layers", []):
        names.append(type(layer).__name__)
        inner = getattr(layer, "layer", None)  # wrappers: TimeDistributed, Bidirectional
        if inner is not None:
            names.append(type(inner).__name__)
        names += _layer_names(layer) if hasattr(layer, "layers") else []
    return names


def model_family(model: Any) -> str:
    """ "convolutional", "recurrent" or "dense", from the model's layers."""
    names = _layer_names(model)
    for family, markers in FAMILY_MARKERS:
        if any(marker in name for name in names for marker in markers):
            return family
    return "dense"


def use_xla(model: Any) -> bool:
    """Whether `compile` should pass `jit_compile=True` for this model here."""
    override = os.environ.get("REFIMPL_XLA")
    if override is not None:
        return override.strip().lower() in ("1", "true", "yes", "on")
    return POLICY[(device_kind(), model_family(model))]
