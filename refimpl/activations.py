"""Keras 2's `keras.activations`: Keras 3's, which kept Keras 2's names and formulas."""

from refimpl._keras3 import keras3

_k3 = keras3.activations
globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})
