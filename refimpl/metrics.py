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
COMPILE_METRICS = ("accuracy", "acc", "crossentropy", "ce")  # ce: see CROSSENTROPY_FOR_LOSS


#: `'crossentropy'` (`'ce'`) is the crossentropy matching the output, as `'accuracy'` is
#: the accuracy matching it (Keras 2.0-2.2 and tf_keras; Keras 3 does not read it): the
#: binary one for an output of one unit, else by loss name -> the crossentropy; any
#: other loss gets the categorical one.
CROSSENTROPY_FOR_LOSS = {
    "binary_crossentropy": "binary_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
}
CROSSENTROPY_NAMES = ("crossentropy", "ce")


def _loss_name(loss: Any) -> str | None:
    if isinstance(loss, str):
        return loss
    return getattr(loss, "__name__", None) or getattr(loss, "name", None)


def _crossentropy(name: str, loss: Any, units: Any) -> Any:
    chosen = CROSSENTROPY_FOR_LOSS.get(_loss_name(loss), "categorical_crossentropy")
    chosen = "binary_crossentropy" if units == 1 else chosen
    return _k3.MeanMetricWrapper(getattr(keras3.losses, chosen), name=name)


def resolve(metrics: Any, loss: Any = None, units: Any = None) -> Any:
    """`compile`'s metrics, with each name Keras 3 cannot read made a metric object.

    Names stay names where Keras 3 reads them (`'accuracy'` depends on the loss); a
    Keras 2 name it does not know (`'logcosh'`, or `'crossentropy'`, which depends on
    `loss`) becomes its function, averaged under the name the user gave, which is the
    key tf_keras's History uses (`refimpl.metric_names` answers Keras 2.2's too).
    `units` is the output's last dimension (a list: each output's). A list of
    per-output lists takes each output's loss and units from lists of them.
    """
    if isinstance(metrics, str):
        if metrics in CROSSENTROPY_NAMES:
            return _crossentropy(metrics, loss, units)
        if metrics in COMPILE_METRICS:
            return metrics
        try:
            _k3.get(metrics)
        except ValueError:
            return _k3.MeanMetricWrapper(get(metrics), name=metrics)
        return metrics
    if isinstance(metrics, (list, tuple)):
        per_output = any(isinstance(m, (list, tuple, dict)) for m in metrics)
        losses = _per_output(loss, len(metrics), per_output)
        units = _per_output(units, len(metrics), per_output)
        triples = zip(metrics, losses, units, strict=True)
        return type(metrics)(resolve(*triple) for triple in triples)
    if isinstance(metrics, dict):
        losses = loss if isinstance(loss, dict) else {}
        return {key: resolve(value, losses.get(key, loss)) for key, value in metrics.items()}
    return metrics


def _per_output(value: Any, count: int, per_output: bool) -> list[Any]:
    """`value` for each of `count` items: its items when it lists one per output."""
    if per_output and isinstance(value, (list, tuple)) and len(value) == count:
        return list(value)
    return [value] * count
