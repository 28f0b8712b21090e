"""Keras 2's `keras.engine.topology`, the home of `Layer` for custom layers.

A Keras 2 custom layer subclasses `Layer`, creates weights in `build` with
`self.add_weight(name=..., shape=..., initializer=..., trainable=...)`, computes in
`call` and may define `compute_output_shape`; refimpl's `Layer` accepts Keras 2's
constructor arguments (`input_shape`, `batch_input_shape`, ...) for it.
"""

from refimpl import _keras3_private
from refimpl._keras3 import keras3
from refimpl.layers import Input, InputLayer, Layer

InputSpec = keras3.layers.InputSpec
Node = _keras3_private.Node

__all__ = ["Input", "InputLayer", "InputSpec", "Layer", "Node"]
