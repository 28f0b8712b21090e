"""Keras 2's `keras.utils.generic_utils`."""

from refimpl.utils.common import (
    CustomObjectScope,
    Progbar,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "serialize_keras_object",
]
