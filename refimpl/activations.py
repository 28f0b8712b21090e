"""Keras 2's `keras.activations`: Keras 3's, which kept Keras 2's names and formulas,
with Keras 2's argument names where Keras 3 renamed one (`relu`'s `alpha`, Keras 3's
`negative_slope`; refimpl/migrate/keras2_api.toml lists every such argument).

>>> float(relu(-2.0, alpha=0.1))
-0.2
"""

from refimpl._keras3 import keras3

_k3 = keras3.activations
globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's `relu`: `max(x, 0)`, `alpha * (x - threshold)` below `threshold`, capped
    at `max_value`; `alpha` is Keras 3's `negative_slope`."""
    return _k3.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)
