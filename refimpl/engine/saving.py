"""Keras 2's `keras.engine.saving`: saving and loading whole models.

refimpl's saving and loading is `refimpl.persistence`.
"""

from refimpl.persistence import (
    Keras2Saving,
    load_model,
    model_from_config,
    model_from_json,
    model_from_yaml,
    save_model,
)

__all__ = [
    "Keras2Saving", "load_model", "model_from_config", "model_from_json", "model_from_yaml",
    "save_model",
]  # fmt: skip
