"""Keras 2's `keras.regularizers` (`l1`, `l2`, `l1_l2`, `L1L2`): Keras 3's, unchanged."""

from refimpl._keras3 import keras3

_k3 = keras3.regularizers
globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})
