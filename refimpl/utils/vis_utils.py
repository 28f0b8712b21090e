"""Keras 2's `keras.utils.vis_utils`."""

from refimpl.utils.common import model_to_dot, plot_model

__all__ = ["model_to_dot", "plot_model"]
