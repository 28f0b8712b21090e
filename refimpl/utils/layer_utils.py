"""Keras 2's `keras.utils.layer_utils`."""

from typing import Any

from refimpl.utils.common import print_summary


def count_params(weights: Any) -> int:
    """The total number of scalars in a list of weights."""
    return int(sum(int(w.numpy().size if hasattr(w, "numpy") else w.size) for w in weights))


__all__ = ["count_params", "print_summary"]
