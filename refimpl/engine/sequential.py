"""Keras 2's `keras.engine.sequential`."""

from refimpl.models import Sequential

__all__ = ["Sequential"]
