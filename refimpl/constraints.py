"""Keras 2's `keras.constraints`, with Keras 2's lower-case and Keras 1 aliases."""

from refimpl._keras3 import keras3

_k3 = keras3.constraints
globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})

#: Keras 2 (and Keras 1) function-style names of constraint classes.
ALIASES = {
    "max_norm": "MaxNorm",
    "maxnorm": "MaxNorm",
    "non_neg": "NonNeg",
    "nonneg": "NonNeg",
    "unit_norm": "UnitNorm",
    "unitnorm": "UnitNorm",
    "min_max_norm": "MinMaxNorm",
}
globals().update({alias: getattr(_k3, target) for alias, target in ALIASES.items()})
