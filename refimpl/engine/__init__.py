"""Keras 2's `keras.engine`: where custom layers and models came from.

Keras 2 code imports `from keras.engine.topology import Layer` (or `keras.engine`);
these modules give refimpl's classes under those names. The names are resolved on
first use because `refimpl.layers` itself builds on `refimpl.engine.base_layer`.
"""

from typing import Any

__all__ = ["Input", "InputLayer", "InputSpec", "Layer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from refimpl.engine import topology

        return getattr(topology, name)
    raise AttributeError(f"module 'keras.engine' has no attribute {name!r}")
