"""Keras 2's `keras.engine`: where custom layers and models came from.

Keras 2 code imports `from keras.engine.topology import Layer` (or `keras.engine`).
This package only re-exports refimpl's classes under Keras 2's module paths; refimpl
itself never imports it. Keras 2.2's other engine modules (`keras.engine.network`,
...) are entries of `refimpl.module_paths`.
"""

from refimpl.engine.topology import Input, InputLayer, InputSpec, Layer

__all__ = ["Input", "InputLayer", "InputSpec", "Layer"]
