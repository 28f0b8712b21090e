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
        loss = getattr(keras3.losses, identifier, None)
        if identifier.islower() and callable(loss):
            # Keras 2 took every loss function as a metric (`metrics=['logcosh']`);
            # Keras 3's `metrics.get` knows only some of them.
            try:
                return _k3.get(identifier)
            except ValueError:
                return loss
    return _k3.get(identifier)


#: Metric names that `compile` resolves by itself, from the loss (Keras 2 and 3 alike).
COMPILE_METRICS = ("accuracy", "acc", "crossentropy", "ce")


def resolve(metrics: Any) -> Any:
    """`compile`'s metrics, with each name Keras 3 cannot read made a metric object.

    Names stay names where Keras 3 reads them (`'accuracy'` depends on the loss); a
    Keras 2 name it does not know (`'logcosh'`) becomes its function, averaged under
    the name the user gave, which is the key Keras 2's History used.
    """
    if isinstance(metrics, str):
        if metrics in COMPILE_METRICS:
            return metrics
        try:
            _k3.get(metrics)
        except ValueError:
            return _k3.MeanMetricWrapper(get(metrics), name=metrics)
        return metrics
    if isinstance(metrics, (list, tuple)):
        return type(metrics)(resolve(item) for item in metrics)
    if isinstance(metrics, dict):
        return {key: resolve(value) for key, value in metrics.items()}
    return metrics
