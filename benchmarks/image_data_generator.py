"""`fit_generator(datagen.flow(x, y))` on 32x32x3 images: refimpl against tf_keras.

Keras 2 programs train image classifiers on augmented batches; refimpl's
`ImageDataGenerator` must not make them slower than Keras 2's. Both implementations
train the same small convnet on the same random images for `--epochs` epochs, in
alternating rounds in this one process, and the script prints the median seconds per
epoch of each and their ratio (refimpl / tf_keras; below 1 is faster).

    python benchmarks/image_data_generator.py [--rounds 3] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tf_keras  # noqa: E402

import refimpl  # noqa: E402

IMPLEMENTATIONS = {"refimpl": refimpl, "tf_keras": tf_keras}
AUGMENTATION = dict(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1,
                    horizontal_flip=True, zoom_range=0.1)  # fmt: skip


def seconds_per_epoch(keras, x, y, epochs: int) -> float:
    layers = keras.layers
    model = keras.models.Sequential([
        layers.Conv2D(16, (3, 3), activation="relu", input_shape=x.shape[1:]),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile("sgd", "categorical_crossentropy")
    datagen = keras.preprocessing.image.ImageDataGenerator(**AUGMENTATION)
    flow = datagen.flow(x, y, batch_size=32, seed=0)
    steps = len(x) // 32
    model.fit_generator(flow, steps_per_epoch=steps, epochs=1, verbose=0)  # warm-up
    started = time.perf_counter()
    model.fit_generator(flow, steps_per_epoch=steps, epochs=epochs, verbose=0)
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=1024)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((options.samples, 32, 32, 3)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, options.samples)]
    times: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
    for round_index in range(options.rounds):
        order = list(IMPLEMENTATIONS) if round_index % 2 == 0 else list(IMPLEMENTATIONS)[::-1]
        for name in order:
            times[name].append(seconds_per_epoch(IMPLEMENTATIONS[name], x, y, options.epochs))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(
            f"{name}: {value:.3f} s an epoch (rounds: {', '.join(f'{t:.3f}' for t in times[name])})"
        )
    print(f"ratio refimpl / tf_keras: {medians['refimpl'] / medians['tf_keras']:.2f}")


if __name__ == "__main__":
    main()
