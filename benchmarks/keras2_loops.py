"""Three Keras 2 example programs' own loops: refimpl against tf_keras and the fused limit.

Some Keras 2 example programs spend their time in loops of their own rather than in
one long `fit`: calling `fit(epochs=1)` and `predict` once per iteration, or
`train_on_batch` once per step. What matters for them is the steady-state cost of one
iteration, fixed costs of every call included. Three such workloads, at short sizes:

- `seq2seq`: an encoder-decoder LSTM (Keras 2's `addition_rnn.py`: LSTM, RepeatVector,
  LSTM, TimeDistributed(Dense)); one iteration is `fit(epochs=1, validation_data=...)`
  then `predict` on 10 single samples, one at a time, as the example prints them.
- `gan`: a GAN's step (generator `predict`, discriminator `train_on_batch` on real and
  generated samples, then the stacked model's `train_on_batch` with the discriminator
  frozen), MLPs on flattened 28x28 images.
- `conv_lstm`: Keras 2's `conv_lstm.py` demo (ConvLSTM2D and BatchNormalization twice,
  then a Conv3D), `fit(validation_split=0.05)`; one iteration is one epoch.

Each runs on refimpl, on tf_keras (Keras 2's own code) and on the practical limit (the
same arithmetic trained by the suite's plain-TensorFlow trainer,
`conformance/suite/tf_trainer.py`, with `benchmarks/limit.py`'s LSTM), in alternating
rounds in this one process. Every implementation uses RMSprop (the limit's optimizer)
and the same arrays (random: the time of a step does not depend on what it learns).
The script prints the median milliseconds per iteration and refimpl's ratio to each
peer (below 1: refimpl is faster), in wall-clock time and in CPU time (the process's,
all threads): on a machine that other work shares, the wall clock also counts the
time others took, the CPU time only what this process did.

    python benchmarks/keras2_loops.py [--rounds 3] [--iterations 20] [--workloads gan]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402

import refimpl  # noqa: E402
from benchmarks.limit import _dense, _lstm, _Params  # noqa: E402
from conformance.suite import tf_trainer  # noqa: E402

#: The sizes of each workload (short: the examples' own are minutes per iteration).
SEQ2SEQ = {"samples": 2048, "validation": 256, "steps": 7, "answer": 4, "chars": 12,
           "units": 64, "batch": 128, "predictions": 10}  # fmt: skip
GAN = {"latent": 32, "image": 784, "units": 128, "batch": 64}
CONV_LSTM = {"samples": 100, "frames": 8, "size": 16, "filters": 8, "batch": 10}

Runner = Callable[[int], None]


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _one_hot(rng: np.random.Generator, shape: tuple[int, ...], depth: int) -> np.ndarray:
    return np.eye(depth, dtype="float32")[rng.integers(0, depth, shape)]


# -- seq2seq -----------------------------------------------------------------------------
def _seq2seq_data() -> tuple[np.ndarray, ...]:
    s, rng = SEQ2SEQ, _rng()
    count = s["samples"] + s["validation"]
    x = _one_hot(rng, (count, s["steps"]), s["chars"])
    y = _one_hot(rng, (count, s["answer"]), s["chars"])
    cut = s["samples"]
    return x[:cut], y[:cut], x[cut:], y[cut:]


def seq2seq_keras(keras: Any) -> Runner:
    s, layers = SEQ2SEQ, keras.layers
    x, y, x_val, y_val = _seq2seq_data()
    model = keras.models.Sequential()
    model.add(layers.LSTM(s["units"], input_shape=(s["steps"], s["chars"])))
    model.add(layers.RepeatVector(s["answer"]))
    model.add(layers.LSTM(s["units"], return_sequences=True))
    model.add(layers.TimeDistributed(layers.Dense(s["chars"], activation="softmax")))
    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])

    def run(iterations: int) -> None:
        for _ in range(iterations):
            model.fit(x, y, batch_size=s["batch"], epochs=1, verbose=0,
                      validation_data=(x_val, y_val))  # fmt: skip
            for row in range(s["predictions"]):
                model.predict(x_val[row : row + 1], verbose=0).argmax(axis=-1)

    return run


def seq2seq_limit() -> Runner:
    s, params = SEQ2SEQ, _Params()
    x, y, x_val, y_val = _seq2seq_data()
    encoder = _lstm(params, s["chars"], s["units"])
    decoder = _lstm(params, s["units"], s["units"], sequences=True)
    kernel, bias = params.kernel(s["units"], s["chars"]), params.bias(s["chars"])

    def forward(inputs: Any, training: bool) -> list[Any]:
        encoded = encoder(inputs)[0]
        repeated = tf.repeat(encoded[:, None, :], s["answer"], axis=1)
        decoded = decoder(repeated)[0]
        return [tf.nn.softmax(tf.einsum("btu,uc->btc", decoded, kernel) + bias)]

    trainer = tf_trainer.Trainer(
        forward, params.variables, [tf_trainer.LOSSES["categorical_crossentropy"]],
        tf_trainer.make_optimizer("rmsprop", params.variables), s["batch"], x, y,
        shuffle=True, validation=(x_val, y_val),
    )  # fmt: skip
    predict = trainer.predict_function()

    def run(iterations: int) -> None:
        for _ in range(iterations):
            trainer.epoch()
            for row in range(s["predictions"]):
                predict(tf.constant(x_val[row : row + 1]))[0].numpy().argmax(axis=-1)

    return run


# -- gan ---------------------------------------------------------------------------------
def _gan_images() -> np.ndarray:
    return _rng().uniform(-1, 1, (GAN["batch"] * 8, GAN["image"])).astype("float32")


def gan_keras(keras: Any) -> Runner:
    g, layers = GAN, keras.layers
    generator = keras.models.Sequential([
        layers.Dense(g["units"], input_dim=g["latent"]), layers.LeakyReLU(0.2),
        layers.Dense(g["image"], activation="tanh"),
    ])  # fmt: skip
    discriminator = keras.models.Sequential([
        layers.Dense(g["units"], input_dim=g["image"]), layers.LeakyReLU(0.2),
        layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    discriminator.compile(optimizer="rmsprop", loss="binary_crossentropy")
    discriminator.trainable = False
    noise_input = layers.Input(shape=(g["latent"],))
    gan = keras.models.Model(noise_input, discriminator(generator(noise_input)))
    gan.compile(optimizer="rmsprop", loss="binary_crossentropy")
    # verbose=0, Keras 2.2's default: tf_keras's predict would print a progress bar.
    generate = lambda noise: generator.predict(noise, verbose=0)  # noqa: E731
    return _gan_loop(generate, discriminator.train_on_batch, gan.train_on_batch)


def _gan_loop(generate: Callable, train_discriminator: Callable, train_gan: Callable) -> Runner:
    g, rng, images = GAN, _rng(), _gan_images()
    labels = np.concatenate([np.ones((g["batch"], 1)), np.zeros((g["batch"], 1))]).astype("f4")
    misleading = np.ones((g["batch"], 1), "float32")
    state = {"start": 0}

    def run(iterations: int) -> None:
        for _ in range(iterations):
            noise = rng.normal(size=(g["batch"], g["latent"])).astype("float32")
            generated = np.asarray(generate(noise))
            start = state["start"] = (state["start"] + g["batch"]) % len(images)
            real = images[start : start + g["batch"]]
            train_discriminator(np.concatenate([real, generated]), labels)
            noise = rng.normal(size=(g["batch"], g["latent"])).astype("float32")
            train_gan(noise, misleading)

    return run


def gan_limit() -> Runner:
    g, params = GAN, _Params()
    leaky = lambda x: tf.nn.leaky_relu(x, 0.2)  # noqa: E731
    hidden_g = _dense(params, g["latent"], g["units"], leaky)
    out_g = _dense(params, g["units"], g["image"], tf.tanh)
    generator_variables = list(params.variables)
    hidden_d = _dense(params, g["image"], g["units"], leaky)
    out_d = _dense(params, g["units"], 1, tf.sigmoid)
    discriminator_variables = params.variables[len(generator_variables) :]

    def generator(z: Any, training: bool = False) -> list[Any]:
        return [out_g(hidden_g(z))]

    def discriminator(x: Any, training: bool) -> list[Any]:
        return [out_d(hidden_d(x))]

    def stacked(z: Any, training: bool) -> list[Any]:
        return discriminator(generator(z)[0], training)

    heads = [(tf_trainer.binary_crossentropy, None)]
    images = _gan_images()

    def trainer(forward: Callable, variables: list[Any]) -> tf_trainer.Trainer:
        optimizer = tf_trainer.make_optimizer("rmsprop", variables)
        return tf_trainer.Trainer(forward, variables, heads, optimizer, g["batch"],
                                  images, np.ones((len(images), 1), "f4"))  # fmt: skip

    train_discriminator = trainer(discriminator, discriminator_variables)
    train_gan = trainer(stacked, generator_variables)
    generate = tf.function(lambda z: generator(z)[0], autograph=False)
    return _gan_loop(
        lambda noise: generate(tf.constant(noise)).numpy(),
        train_discriminator.step,
        train_gan.step,
    )


# -- conv_lstm ---------------------------------------------------------------------------
def _movies() -> tuple[np.ndarray, np.ndarray]:
    c, rng = CONV_LSTM, _rng()
    shape = (c["samples"], c["frames"] + 1, c["size"], c["size"], 1)
    movies = (rng.random(shape) > 0.9).astype("float32")
    return movies[:, :-1], movies[:, 1:]


def conv_lstm_keras(keras: Any) -> Runner:
    c, layers = CONV_LSTM, keras.layers
    x, y = _movies()
    model = keras.models.Sequential()
    model.add(layers.ConvLSTM2D(filters=c["filters"], kernel_size=(3, 3), padding="same",
                                return_sequences=True,
                                input_shape=(None, c["size"], c["size"], 1)))  # fmt: skip
    model.add(layers.BatchNormalization())
    model.add(layers.ConvLSTM2D(filters=c["filters"], kernel_size=(3, 3), padding="same",
                                return_sequences=True))  # fmt: skip
    model.add(layers.BatchNormalization())
    model.add(layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid",
                            padding="same", data_format="channels_last"))  # fmt: skip
    model.compile(loss="binary_crossentropy", optimizer="rmsprop")

    def run(iterations: int) -> None:
        model.fit(x, y, batch_size=c["batch"], epochs=iterations, verbose=0,
                  validation_split=0.05)  # fmt: skip

    return run


def _hard_sigmoid(x: Any) -> Any:
    """Keras 2's hard_sigmoid, ConvLSTM2D's recurrent activation in Keras 2 and tf_keras."""
    return tf.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def _conv_lstm(params: _Params, channels: int, filters: int) -> Callable:
    kernel = params.kernel(3, 3, channels, 4 * filters)
    recurrent = params.kernel(3, 3, filters, 4 * filters)
    params.variables.append(
        tf.Variable(np.r_[np.zeros(filters), np.ones(filters), np.zeros(2 * filters)].astype("f4"))
    )
    bias = params.variables[-1]

    def call(x: Any) -> Any:
        batch, steps, rows, cols = tf.shape(x)[0], x.shape[1], x.shape[2], x.shape[3]
        frames = tf.reshape(x, [-1, rows, cols, channels])
        projected = tf.nn.conv2d(frames, kernel, 1, "SAME") + bias
        projected = tf.reshape(projected, [batch, steps, rows, cols, 4 * filters])
        h = c = tf.zeros([batch, rows, cols, filters])
        outputs = []
        for t in range(steps):
            z = projected[:, t] + tf.nn.conv2d(h, recurrent, 1, "SAME")
            i, f, g, o = tf.split(z, 4, axis=-1)
            c = _hard_sigmoid(f) * c + _hard_sigmoid(i) * tf.tanh(g)
            h = _hard_sigmoid(o) * tf.tanh(c)
            outputs.append(h)
        return tf.stack(outputs, axis=1)

    return call


def _batch_norm(params: _Params, channels: int) -> Callable:
    gamma, beta = params.bias(channels, 1.0), params.bias(channels)
    mean, variance = tf.Variable(tf.zeros([channels])), tf.Variable(tf.ones([channels]))

    def call(x: Any, training: bool) -> Any:
        if training:
            batch_mean, batch_variance = tf.nn.moments(x, axes=[0, 1, 2, 3])
            mean.assign(0.99 * mean + 0.01 * batch_mean)
            variance.assign(0.99 * variance + 0.01 * batch_variance)
        else:
            batch_mean, batch_variance = mean, variance
        return tf.nn.batch_normalization(x, batch_mean, batch_variance, beta, gamma, 1e-3)

    return call


def conv_lstm_limit() -> Runner:
    c, params = CONV_LSTM, _Params()
    x, y = _movies()
    first, norm1 = _conv_lstm(params, 1, c["filters"]), _batch_norm(params, c["filters"])
    second = _conv_lstm(params, c["filters"], c["filters"])
    norm2 = _batch_norm(params, c["filters"])
    kernel, bias = params.kernel(3, 3, 3, c["filters"], 1), params.bias(1)

    def forward(movies: Any, training: bool) -> list[Any]:
        h = norm2(second(norm1(first(movies), training)), training)
        return [tf.sigmoid(tf.nn.conv3d(h, kernel, [1] * 5, "SAME") + bias)]

    cut = len(x) - int(len(x) * 0.05)
    trainer = tf_trainer.Trainer(
        forward, params.variables, [(tf_trainer.binary_crossentropy, None)],
        tf_trainer.make_optimizer("rmsprop", params.variables), c["batch"], x[:cut], y[:cut],
        shuffle=True, validation=(x[cut:], y[cut:]),
    )  # fmt: skip

    def run(iterations: int) -> None:
        for _ in range(iterations):
            trainer.epoch()

    return run


#: workload -> (its loop on a Keras 2 API, its loop on the limit).
WORKLOADS: dict[str, tuple[Callable[[Any], Runner], Callable[[], Runner]]] = {
    "seq2seq": (seq2seq_keras, seq2seq_limit),
    "gan": (gan_keras, gan_limit),
    "conv_lstm": (conv_lstm_keras, conv_lstm_limit),
}
#: Iterations of one timed repeat, per workload (a GAN step is milliseconds).
ITERATIONS = {"seq2seq": 5, "gan": 100, "conv_lstm": 3}
IMPLEMENTATIONS: dict[str, Callable[[str], Runner]] = {
    "refimpl": lambda name: WORKLOADS[name][0](refimpl),
    "tf_keras": lambda name: WORKLOADS[name][0](tf_keras),
    "limit": lambda name: WORKLOADS[name][1](),
}


#: The clocks each iteration is timed with.
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}

Times = dict[str, dict[str, dict[str, list[float]]]]


def per_iteration_ms(run: Runner, iterations: int) -> dict[str, float]:
    """Milliseconds per iteration of `run(iterations)`, by each clock."""
    start = {name: clock() for name, clock in CLOCKS.items()}
    run(iterations)
    return {name: (clock() - start[name]) * 1e3 / iterations for name, clock in CLOCKS.items()}


def measure(names: list[str], rounds: int, scale: float) -> Times:
    """workload -> implementation -> clock -> one time per round (ms per iteration).

    Each implementation builds each workload once and runs one warm-up iteration
    (tracing and compiling); the rounds then alternate their order.
    """
    runners = {}
    for name in names:
        for impl, build in IMPLEMENTATIONS.items():
            runners[name, impl] = build(name)
            runners[name, impl](1)
    times: Times = {n: {i: {c: [] for c in CLOCKS} for i in IMPLEMENTATIONS} for n in names}
    for round_index in range(rounds):
        order = list(IMPLEMENTATIONS)[:: 1 if round_index % 2 == 0 else -1]
        for name in names:
            iterations = max(1, round(ITERATIONS[name] * scale))
            for impl in order:
                for clock, value in per_iteration_ms(runners[name, impl], iterations).items():
                    times[name][impl][clock].append(value)
    return times


def table(times: Times) -> str:
    """Median ms per iteration of each implementation by each clock, and refimpl / peer."""
    peers = [impl for impl in IMPLEMENTATIONS if impl != "refimpl"]
    header = ["workload", "clock", *IMPLEMENTATIONS, *[f"ref/{p}" for p in peers]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, by_impl in times.items():
        for clock in CLOCKS:
            median = {impl: statistics.median(by_impl[impl][clock]) for impl in IMPLEMENTATIONS}
            cells = [f"{median[impl]:.1f}" for impl in IMPLEMENTATIONS]
            cells += [f"{median['refimpl'] / median[p]:.2f}" for p in peers]
            lines.append(f"| {name} | {clock} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=float, default=1.0,
                        help="scale of each repeat's iteration count")  # fmt: skip
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    options = parser.parse_args(argv)
    names = [n for n in options.workloads.split(",") if n]
    unknown = sorted(set(names) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workloads {unknown}; expected some of {list(WORKLOADS)}")
    start = time.perf_counter()
    times = measure(names, options.rounds, options.iterations)
    print("Milliseconds per iteration (median of the rounds), and refimpl / peer\n")
    print(table(times))
    print(f"\n({options.rounds} rounds, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
