"""The real Keras 3 and TensorFlow, captured once, before any import alias exists.

Every refimpl module reaches Keras 3 through this module instead of `import keras`:
once `refimpl.install()` has run, the name `keras` means refimpl itself, and a later
`import keras` inside refimpl would find the alias rather than Keras 3.
"""

import os
import sys

# Keras 3 must run on TensorFlow for refimpl: it wraps tf.keras.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if "tensorflow" not in sys.modules:
    # oneDNN's CPU kernels, which TensorFlow reads once, when it loads. It turns them
    # on by itself only on CPUs with AVX-512 or AMX; on an AVX2 CPU they measured
    # faster for the guides' LSTM and VGG-like models too (the site's performance page
    # has the numbers). TF_ENABLE_ONEDNN_OPTS=0 keeps TensorFlow's kernels.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import keras as keras3  # noqa: E402
import tensorflow as tf  # noqa: E402

if keras3.backend.backend() != "tensorflow":
    raise ImportError(
        "refimpl wraps Keras 3 on the TensorFlow backend, but Keras 3 was loaded with the "
        f"{keras3.backend.backend()!r} backend. Set KERAS_BACKEND=tensorflow before the "
        "first `import keras`, or use the conformance suite's `--impl keras3` to test "
        "Keras 3 on other backends."
    )

# TensorFlow decides lazily whether `tf.keras` is Keras 2 or Keras 3 by reading
# `keras.__version__`; resolve it now, while `keras` is still Keras 3.
tf_keras3 = tf.keras.layers and tf.keras

__all__ = ["keras3", "tf", "tf_keras3"]
