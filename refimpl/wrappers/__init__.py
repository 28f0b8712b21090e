"""Keras 2's `keras.wrappers`: the scikit-learn interface (`keras.wrappers.scikit_learn`)."""

from refimpl.wrappers import scikit_learn

__all__ = ["scikit_learn"]
