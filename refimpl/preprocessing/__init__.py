"""Keras 2's `keras.preprocessing`: `text`, `sequence` and `image`.

`text` (the `Tokenizer`) and `sequence` (`pad_sequences`, `skipgrams`,
`TimeseriesGenerator`) reproduce Keras 2's results; `image` re-exports the file helpers
that Keras 3 kept and makes the removed `ImageDataGenerator` a clear error.
"""

from refimpl.preprocessing import image, sequence, text

__all__ = ["image", "sequence", "text"]
