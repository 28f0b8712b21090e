"""Keras 2's `keras.metrics`: Keras 3's metrics plus Keras 2's short names."""

from __future__ import annotations

from typing import Any

from refimpl import losses as _losses
from refimpl._keras3 import keras3

_k3 = keras3.metrics

globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})
# Keras 2 exposed every loss function as a metric too (`metrics=['mae']`).
globals().update(
    {alias: getattr(keras3.losses, target) for alias, target in _losses.ALIASES.items()}
)

#: Keras 2 metric names whose Keras 3 spelling differs.
ALIASES = {**_losses.ALIASES, "acc": "accuracy"}


def get(identifier: Any) -> Any:
    """A metric from a Keras 2 name, config or callable."""
    if isinstance(identifier, str):
        identifier = ALIASES.get(identifier, identifier)
    return _k3.get(identifier)
