"""Runs before each of the course's documents (`--docs-setup examples/course/setup.py`).

The lessons load MNIST with `keras.datasets.mnist.load_data()`. When the data set is in
the Keras cache (`$KERAS_HOME/datasets/mnist.npz`, `~/.keras` by default) the loader
reads it from there; when it is not, as on a CI machine without network, a small
stand-in of the same shapes and types takes its place, so the lessons still run.
"""

import os

import numpy as np
from keras.datasets import mnist

_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
if not os.path.exists(os.path.join(_home, "datasets", "mnist.npz")):

    def _stand_in_mnist(path="mnist.npz"):
        random = np.random.RandomState(0)
        labels = random.randint(0, 10, size=320).astype("uint8")
        # Each digit lights its own band of rows, so the stand-in can be learned.
        images = random.randint(0, 60, size=(320, 28, 28)).astype("uint8")
        for index, label in enumerate(labels):
            images[index, 2 * label : 2 * label + 4] = 255
        return (images[:256], labels[:256]), (images[256:], labels[256:])

    mnist.load_data = _stand_in_mnist
