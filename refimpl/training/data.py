"""What kind of data a `fit`, `fit_generator` or `predict` call received, decided once.

Keras 3 picks one data adapter per call; refimpl likewise decides once what `x` is,
and both the choice of method (a generator goes to `fit_generator`) and the choice of
path (only arrays take the fused `fit` and `predict`) read that decision.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np

from refimpl._keras3 import keras3


class DataKind(enum.Enum):
    ARRAYS = "NumPy arrays of numbers (or a list, tuple or dict of them)"
    GENERATOR = "a Python generator or iterator"
    SEQUENCE = "a keras.utils.Sequence"
    OTHER = "anything else (tensors, datasets, lists of numbers, ...)"


def kind_of(data: Any) -> DataKind:
    """The kind of `data`, as the training methods and the fast paths treat it."""
    if isinstance(data, keras3.utils.PyDataset):
        return DataKind.SEQUENCE
    if is_generator(data):
        return DataKind.GENERATOR
    if is_array_structure(data):
        return DataKind.ARRAYS
    return DataKind.OTHER


def is_generator(data: Any) -> bool:
    """A Python generator, or an iterator that is not itself a container of data."""
    return inspect.isgenerator(data) or (
        isinstance(data, Iterator) and not isinstance(data, (np.ndarray, list, tuple, dict))
    )


def is_numeric_array(leaf: Any) -> bool:
    """A NumPy array of numbers or booleans, with at least one axis."""
    return isinstance(leaf, np.ndarray) and leaf.dtype.kind in "biuf" and leaf.ndim >= 1


def is_array_structure(data: Any) -> bool:
    """A NumPy array, or a list, tuple or dict of them (numbers or booleans, not empty)."""
    leaves = keras3.tree.flatten(data)
    return bool(leaves) and all(is_numeric_array(leaf) and leaf.shape[0] > 0 for leaf in leaves)
