"""Keras 2's `keras.preprocessing.image`: the image helpers and `ImageDataGenerator`.

TensorFlow's Keras 3 API (`tf.keras.preprocessing.image`) still carries Keras 2's
`ImageDataGenerator`, its iterators (`flow`, `flow_from_directory`,
`flow_from_dataframe`) and the `random_*` / `apply_*` functions, ported from Keras 2
with the same arguments, the same random draws for a given seed and the same results
(`tests/test_preprocessing.py` checks them against tf_keras's); refimpl re-exports
them. The file helpers (`load_img`, `save_img`, `img_to_array`, `array_to_img`,
`smart_resize`) are Keras 3's, and `load_img` again accepts Keras 2's deprecated
`grayscale=True`. Reading and writing files, and `brightness_range`, need Pillow, as in
Keras 2; the affine transforms need SciPy.

Its iterators are `keras.utils.Sequence`s, so `model.fit_generator(datagen.flow(x, y))`
and `model.fit(datagen.flow(x, y))` train on them as in Keras 2.

Example:

>>> datagen = ImageDataGenerator(rotation_range=20, horizontal_flip=True)  # doctest: +SKIP
>>> datagen.fit(x_train)  # doctest: +SKIP
>>> model.fit_generator(datagen.flow(x_train, y_train, batch_size=32), epochs=5)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import Any

from refimpl._keras3 import keras3, tf_keras3

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


_image = tf_keras3.preprocessing.image
ImageDataGenerator = _image.ImageDataGenerator
Iterator = _image.Iterator
DirectoryIterator = _image.DirectoryIterator
NumpyArrayIterator = _image.NumpyArrayIterator
random_rotation = _image.random_rotation
random_shift = _image.random_shift
random_shear = _image.random_shear
random_zoom = _image.random_zoom
random_brightness = _image.random_brightness
random_channel_shift = _image.random_channel_shift
apply_affine_transform = _image.apply_affine_transform
apply_brightness_shift = _image.apply_brightness_shift
apply_channel_shift = _image.apply_channel_shift
