"""Keras 2's `keras.utils`.

Everything Keras 2 users reached for here (`to_categorical`, `normalize`, `Sequence`,
`get_file`, `plot_model`, `print_summary`, custom-object scopes) exists in Keras 3 with
the same meaning; this package keeps Keras 2's names and submodules (`np_utils`,
`generic_utils`, `data_utils`, `vis_utils`, `layer_utils`) and makes the removed ones
(`multi_gpu_model`, `HDF5Matrix`) fail with what to use instead.
"""

from refimpl.utils import (
    data_utils,
    generic_utils,
    layer_utils,
    np_utils,
    vis_utils,
)
from refimpl.utils.common import (
    CustomObjectScope,
    HDF5Matrix,
    Progbar,
    Sequence,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_file,
    model_to_dot,
    multi_gpu_model,
    normalize,
    pad_sequences,
    plot_model,
    print_summary,
    register_keras_serializable,
    serialize_keras_object,
    set_random_seed,
    to_categorical,
)

__all__ = [
    "Sequence", "normalize", "get_file", "plot_model", "model_to_dot", "Progbar",
    "CustomObjectScope", "custom_object_scope", "get_custom_objects",
    "register_keras_serializable", "serialize_keras_object", "deserialize_keras_object",
    "set_random_seed", "pad_sequences", "to_categorical", "print_summary",
    "multi_gpu_model", "HDF5Matrix", "data_utils", "generic_utils", "layer_utils",
    "np_utils", "vis_utils",
]  # fmt: skip
