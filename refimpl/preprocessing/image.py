"""Keras 2's `keras.preprocessing.image`: what Keras 3 kept, and clear errors for the rest.

Keras 3 still has the image file helpers (`load_img`, `save_img`, `img_to_array`,
`array_to_img`, `smart_resize`) with Keras 2's behaviour; they are re-exported, and
`load_img` again accepts Keras 2's deprecated `grayscale=True`. (Reading and writing
files needs Pillow, as it did in Keras 2.)

`ImageDataGenerator`, its iterators and the `random_*` / `apply_*` augmentation
functions are gone from Keras 3. refimpl does not re-implement them; using one raises
`NotImplementedError` that names the Keras 3 replacement:
`keras.utils.image_dataset_from_directory` to read images, and preprocessing layers
such as `RandomFlip` or `RandomRotation` to augment them.
"""

from __future__ import annotations

import warnings
from typing import Any, NoReturn

from refimpl._keras3 import keras3

__all__ = [
    "DirectoryIterator",
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "img_to_array",
    "load_img",
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
    "save_img",
    "smart_resize",
]

# Same signatures and results as in Keras 2.
array_to_img = keras3.utils.array_to_img
img_to_array = keras3.utils.img_to_array
save_img = keras3.utils.save_img
smart_resize = keras3.preprocessing.image.smart_resize


def load_img(
    path: Any,
    grayscale: bool = False,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """Load an image file as a PIL image (Keras 3's `load_img`, plus `grayscale`).

    Args:
        path: the file's path (or a file object).
        grayscale: deprecated in Keras 2; `True` means `color_mode="grayscale"`.
        color_mode: `"grayscale"`, `"rgb"` or `"rgba"`.
        target_size: `(height, width)` to resize to, or `None` for the original size.
        interpolation: the resampling method used when resizing.
        keep_aspect_ratio: crop to the target's aspect ratio before resizing.

    Returns:
        A `PIL.Image.Image`.
    """
    if grayscale:
        warnings.warn(
            "Update your `load_img` call: `grayscale=True` is deprecated since Keras 2; "
            'use `color_mode="grayscale"`.',
            UserWarning,
            stacklevel=2,
        )
        color_mode = "grayscale"
    return keras3.utils.load_img(
        path,
        color_mode=color_mode,
        target_size=target_size,
        interpolation=interpolation,
        keep_aspect_ratio=keep_aspect_ratio,
    )


_READ = "`keras.utils.image_dataset_from_directory` to read and batch images from folders"
_ARRAYS = "`tf.data.Dataset.from_tensor_slices((x, y)).batch(...)` for images in arrays"
_AUGMENT = (
    "preprocessing layers such as `keras.layers.RandomFlip`, `RandomRotation`, "
    "`RandomZoom` and `RandomTranslation` to augment them, in the model or mapped over "
    "the dataset"
)
_PIPELINE = f"{_READ} (or {_ARRAYS}), and {_AUGMENT}"

#: Keras 2 name -> what replaces it in Keras 3.
REMOVED: dict[str, str] = {
    "ImageDataGenerator": _PIPELINE,
    "Iterator": f"{_PIPELINE}; for custom batching, subclass `keras.utils.PyDataset`",
    "DirectoryIterator": _PIPELINE,
    "NumpyArrayIterator": _PIPELINE,
    "random_rotation": "the `keras.layers.RandomRotation` layer",
    "random_shift": "the `keras.layers.RandomTranslation` layer",
    "random_shear": "the `keras.layers.RandomShear` layer",
    "random_zoom": "the `keras.layers.RandomZoom` layer",
    "random_brightness": "the `keras.layers.RandomBrightness` layer",
    "random_channel_shift": "the `keras.layers.RandomColorJitter` layer",
    "apply_affine_transform": "`keras.ops.image.affine_transform`",
    "apply_brightness_shift": "the `keras.layers.RandomBrightness` layer",
    "apply_channel_shift": "the `keras.layers.RandomColorJitter` layer",
}


def _removed(name: str) -> NoReturn:
    raise NotImplementedError(
        f"`keras.preprocessing.image.{name}` (Keras 2) does not exist in Keras 3, and "
        f"refimpl does not provide it. Use {REMOVED[name]} instead."
    )


class _Removed:
    """A Keras 2 image class that Keras 3 removed: constructing it raises."""

    def __init__(self, *args: Any, **kwargs: Any):
        _removed(type(self).__name__)


class ImageDataGenerator(_Removed):
    """Removed in Keras 3: raises `NotImplementedError` naming the replacement."""


class Iterator(_Removed):
    """Removed in Keras 3: raises `NotImplementedError` naming the replacement."""


class DirectoryIterator(Iterator):
    """Removed in Keras 3: raises `NotImplementedError` naming the replacement."""


class NumpyArrayIterator(Iterator):
    """Removed in Keras 3: raises `NotImplementedError` naming the replacement."""


def _removed_function(name: str):
    """A stand-in for the Keras 2 function `name` that raises when called."""

    def function(*args: Any, **kwargs: Any) -> NoReturn:
        _removed(name)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Removed in Keras 3: raises `NotImplementedError` (use {REMOVED[name]})."
    return function


random_rotation = _removed_function("random_rotation")
random_shift = _removed_function("random_shift")
random_shear = _removed_function("random_shear")
random_zoom = _removed_function("random_zoom")
random_brightness = _removed_function("random_brightness")
random_channel_shift = _removed_function("random_channel_shift")
apply_affine_transform = _removed_function("apply_affine_transform")
apply_brightness_shift = _removed_function("apply_brightness_shift")
apply_channel_shift = _removed_function("apply_channel_shift")
