"""One training run of the `distributed` category, in a process of its own.

`python -m conformance.suite.distributed_worker IMPL MODE` trains the category's model
with the implementation IMPL activated and prints one JSON line: the loss of each
epoch and the seconds training took. MODE is `one` (one device), `mirrored`
(`tf.distribute.MirroredStrategy` over two logical CPU devices) or `worker` (one
worker of `tf.distribute.MultiWorkerMirroredStrategy`; the cluster and this worker's
index come in `TF_CONFIG`, as TensorFlow reads them).

A process of its own because TensorFlow fixes its logical devices and its collective
runtime when it starts. Exit status 3, with the reason on stderr, where the
implementation has no TensorFlow underneath to distribute with.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from conformance import implementations, thresholds

SETTINGS = thresholds.load()["distributed"]
MODES = ("one", "mirrored", "worker")


def data() -> tuple[np.ndarray, np.ndarray]:
    """Inputs and one-hot labels of a four-class problem, the same in every process."""
    rng = np.random.default_rng(SETTINGS["seed"])
    x = rng.normal(size=(SETTINGS["samples"], 20)).astype("float32")
    labels = np.argmax(x[:, :4] + 0.5 * x[:, 4:8], axis=1)
    return x, np.eye(4, dtype="float32")[labels]


def build(keras: Any) -> Any:
    """The guides' multi-class MLP, from the same initial weights in every process."""
    model = keras.models.Sequential([
        keras.layers.Dense(64, activation="relu", input_shape=(20,)),
        keras.layers.Dense(4, activation="softmax"),
    ])  # fmt: skip
    rng = np.random.default_rng(SETTINGS["seed"] + 1)
    model.set_weights([rng.normal(scale=0.2, size=w.shape).astype("float32")
                       for w in model.get_weights()])  # fmt: skip
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=SETTINGS["learning_rate"]),
        loss="categorical_crossentropy",
    )
    return model


def strategy(tf: Any, mode: str) -> Any:
    """The distribution strategy of `mode`, or None for one device."""
    if mode == "mirrored":
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    if mode == "worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return None


def train(implementation_name: str, mode: str) -> dict[str, Any]:
    try:
        import tensorflow as tf
    except ImportError:
        sys.exit(_cannot("tf.distribute needs TensorFlow, which is not installed here"))
    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
    keras = implementations.activate(implementations.resolve(implementation_name))
    backend = getattr(getattr(keras, "backend", None), "backend", None)
    backend_name = backend() if callable(backend) else "tensorflow"
    if backend_name != "tensorflow":
        sys.exit(_cannot(f"this Keras runs on {backend_name}, not on TensorFlow"))
    x, y = data()
    chosen = strategy(tf, mode)
    if chosen is None:
        model = build(keras)
    else:
        with chosen.scope():
            model = build(keras)
    # One batch of every sample per epoch: full-batch gradient descent, whose steps do
    # not depend on how the batch is split across devices or workers.
    start = time.perf_counter()
    history = model.fit(
        x, y, batch_size=len(x), epochs=SETTINGS["epochs"], shuffle=False, verbose=0
    )
    seconds = time.perf_counter() - start
    return {
        "losses": [float(v) for v in history.history["loss"]],
        "seconds": seconds,
        # refimpl says which training path it took, and why not its fused one.
        "fallback_reason": getattr(model, "fit_fallback_reason", None),
    }


def _cannot(reason: str) -> int:
    print(f"cannot run distributed: {reason}", file=sys.stderr)
    return 3


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[1] not in MODES:
        sys.exit(f"usage: python -m conformance.suite.distributed_worker IMPL {'|'.join(MODES)}")
    print(json.dumps(train(argv[0], argv[1])))


if __name__ == "__main__":
    main(sys.argv[1:])
