"""The definitions of Keras 2's `keras.utils` (the package and its submodules re-export
them): Keras 3's, under Keras 2's names, and the removed ones as clear errors."""

from __future__ import annotations

from typing import Any

from refimpl._keras3 import keras3

# Not `from refimpl import legacy`: importing `keras.utils.legacy` (a Keras 2 module path)
# binds `legacy` in this package's namespace to that module.
from refimpl.legacy import translate

_k3 = keras3.utils

Sequence = _k3.PyDataset
normalize = _k3.normalize
get_file = _k3.get_file
plot_model = _k3.plot_model
model_to_dot = _k3.model_to_dot
Progbar = _k3.Progbar
CustomObjectScope = _k3.CustomObjectScope
custom_object_scope = _k3.custom_object_scope
get_custom_objects = _k3.get_custom_objects
register_keras_serializable = _k3.register_keras_serializable
serialize_keras_object = _k3.serialize_keras_object
deserialize_keras_object = _k3.deserialize_keras_object
set_random_seed = _k3.set_random_seed
pad_sequences = _k3.pad_sequences


def to_categorical(y: Any, num_classes: int | None = None, dtype: str = "float32", **kwargs: Any):
    """One-hot encode integer class labels (Keras 1's `nb_classes` also accepted).

    A trailing axis of size 1 is dropped first, so labels of shape `(n, 1)` give `(n,
    num_classes)`, as in Keras 2.

    >>> to_categorical([0, 2], num_classes=3)  # doctest: +SKIP
    array([[1., 0., 0.], [0., 0., 1.]], dtype=float32)
    """
    kwargs = translate("to_categorical", kwargs)
    num_classes = kwargs.pop("num_classes", num_classes)
    if kwargs:
        raise TypeError(f"`to_categorical` got unexpected keyword arguments: {sorted(kwargs)}.")
    return _k3.to_categorical(y, num_classes=num_classes).astype(dtype)


def print_summary(model: Any, line_length: int | None = None, positions: Any = None,
                  print_fn: Any = None) -> None:  # fmt: skip
    """Keras 2's `print_summary(model)`: the same as `model.summary()`."""
    model.summary(line_length=line_length, positions=positions, print_fn=print_fn)


def multi_gpu_model(model: Any, gpus: Any = None, **kwargs: Any) -> Any:
    """Removed in TensorFlow 2; raises with the replacement."""
    raise NotImplementedError(
        "`multi_gpu_model` was removed from Keras. Build and compile the model inside "
        "`tf.distribute.MirroredStrategy().scope()` to train on several GPUs."
    )


class HDF5Matrix:
    """Removed in TensorFlow 2; raises with the replacement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "`HDF5Matrix` was removed from Keras. Read the dataset with `h5py` into a "
            "NumPy array, or wrap it in a `keras.utils.Sequence` that reads one batch at "
            "a time."
        )
