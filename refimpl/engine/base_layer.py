"""Keras 2's `keras.engine.base_layer`, the home of `Layer` and `InputSpec` in Keras 2.2.

refimpl's own base layer (`Keras2Layer`, `Keras2Nodes`) is `refimpl.layers.base_layer`.
"""

from refimpl.engine.topology import InputSpec, Layer
from refimpl.layers.base_layer import Keras2Layer, Keras2Nodes

__all__ = ["InputSpec", "Keras2Layer", "Keras2Nodes", "Layer"]
