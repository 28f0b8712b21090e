"""Keras 2's `keras.engine.training`, the home of `Model` in Keras 2.2.

refimpl's training API itself is `refimpl.training`.
"""

from refimpl.models import Model
from refimpl.training.trainer import Keras2Training

__all__ = ["Keras2Training", "Model"]
