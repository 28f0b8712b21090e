"""Keras 2's `keras.initializers`, including the Keras 1/2 short names.

Keras 3 kept Keras 2's classes and defaults (`'uniform'` is `RandomUniform(-0.05,
0.05)`, `'normal'` is `RandomNormal(stddev=0.05)`); Keras 2's lower-case class aliases
(`zero`, `one`, `constant`, ...) are added here.
"""

from refimpl._keras3 import keras3

_k3 = keras3.initializers
globals().update({n: getattr(_k3, n) for n in dir(_k3) if not n.startswith("_")})

#: Keras 2 lower-case aliases of initializer classes.
ALIASES = {
    "zero": "Zeros",
    "zeros": "Zeros",
    "one": "Ones",
    "ones": "Ones",
    "constant": "Constant",
    "uniform": "RandomUniform",
    "random_uniform": "RandomUniform",
    "normal": "RandomNormal",
    "random_normal": "RandomNormal",
    "truncated_normal": "TruncatedNormal",
    "identity": "Identity",
    "orthogonal": "Orthogonal",
}
globals().update({alias: getattr(_k3, target) for alias, target in ALIASES.items()})
