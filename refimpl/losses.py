"""Keras 2's `keras.losses`: Keras 3's losses plus the names Keras 2 also accepted.

Keras 2 spelled several losses differently (`mse`, `logcosh`, `cosine_proximity`,
`kullback_leibler_divergence`, ...). `ALIASES` maps each to today's function, and
`resolve` applies it to whatever `compile(loss=...)` received.
"""

from __future__ import annotations

from typing import Any

from refimpl._keras3 import keras3

_k3 = keras3.losses

#: Keras 2 loss names -> the Keras 3 loss of the same meaning.
ALIASES: dict[str, str] = {
    "mse": "mean_squared_error",
    "MSE": "mean_squared_error",
    "mae": "mean_absolute_error",
    "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "KLD": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
    # Keras 2's cosine_proximity was -sum(l2_normalize(y) * l2_normalize(p)), which is
    # Keras 3's cosine_similarity loss.
    "cosine_proximity": "cosine_similarity",
    "cosine": "cosine_similarity",
}

Loss = _k3.Loss
Reduction = None  # Keras 3 takes reduction names as strings ("sum_over_batch_size", ...)

_public = {n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")}
globals().update(_public)
globals().update({alias: getattr(_k3, target) for alias, target in ALIASES.items()})


def resolve(loss: Any) -> Any:
    """Translate Keras 2 loss names inside `loss` (a name, list, dict or callable)."""
    if isinstance(loss, str):
        return ALIASES.get(loss, loss)
    if isinstance(loss, (list, tuple)):
        return type(loss)(resolve(item) for item in loss)
    if isinstance(loss, dict):
        return {key: resolve(value) for key, value in loss.items()}
    return loss


def get(identifier: Any) -> Any:
    """A loss function from a Keras 2 name, config or callable."""
    return _k3.get(resolve(identifier))


serialize = _k3.serialize
deserialize = _k3.deserialize
