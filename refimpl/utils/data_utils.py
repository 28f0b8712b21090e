"""Keras 2's `keras.utils.data_utils`."""

from refimpl.utils.common import Sequence, get_file

__all__ = ["Sequence", "get_file"]
