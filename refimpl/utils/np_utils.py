"""Keras 2's `keras.utils.np_utils`."""

from refimpl.utils.common import normalize, to_categorical

__all__ = ["normalize", "to_categorical"]
