"""Write the model-file corpus of the Keras versions that still install here.

Run once per writer, each in an environment holding that Keras:

    .venv-k215/bin/python scripts/model_files/installed.py keras2     # genuine Keras 2.12-2.15
    .venv/bin/python scripts/model_files/installed.py tf_keras        # tf_keras 2.16-2.21
    .venv/bin/python scripts/model_files/installed.py keras3          # Keras 3

Each writer saves a handful of small models in every format its Keras writes (HDF5,
JSON architecture + HDF5 weights, `.keras`, SavedModel), with the inputs they are fed
and the predictions the saving Keras made, under
`conformance/model_files/<era>/`, and writes that era's `manifest.json`
(format: docs of `conformance/model_files`). The models are seeded, so a rerun in the
same environment gives the same weights; the file bytes differ (HDF5 and zip headers
carry times).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "conformance" / "model_files"

#: writer -> (era directory, the module of its Keras, the formats it writes).
WRITERS = {
    "keras2": ("keras-2.12-2.15", "keras", ("hdf5", "json+hdf5", "keras", "savedmodel")),
    "tf_keras": ("tf_keras-2.16-2.21", "tf_keras", ("hdf5", "json+hdf5", "keras", "savedmodel")),
    "keras3": ("keras-3", "keras", ("hdf5", "json+hdf5", "keras")),
}  # fmt: skip

#: The backend module, under the name Keras 2 code gave it: the Lambda layers below
#: call `K.abs`, so their saved bytecode reads a global `K` as real files do.
K = None

#: Formats written for every model; SavedModel directories are large, so only the
#: models named in SAVEDMODEL get one.
SAVEDMODEL = {"mlp", "cnn", "tfop"}


def import_keras(writer: str):
    global K
    keras = importlib.import_module(WRITERS[writer][1])
    # Keras 3 code reaches the same function through `keras.ops`.
    K = keras.ops if writer == "keras3" else keras.backend
    return keras


def build_models(keras, writer: str) -> dict:
    """name -> (model, inputs, features): small models covering each family of layer."""
    L = keras.layers
    rng = np.random.default_rng(7)
    keras.utils.set_random_seed(7)
    models = {}

    mlp = keras.Sequential(
        [
            L.Dense(16, activation="relu", input_shape=(8,)),
            L.BatchNormalization(),
            L.Dropout(0.2),
            L.Dense(3, activation="softmax"),
        ]
    )
    mlp.compile(keras.optimizers.Adam(1e-3), "categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 8)).astype("float32")
    mlp.fit(x, np.eye(3)[rng.integers(0, 3, 16)], epochs=1, verbose=0)
    models["mlp"] = (mlp, [x[:4]], ["sequential", "batchnorm", "optimizer-state"])

    cnn = keras.Sequential(
        [
            L.Conv2D(4, 3, padding="same", input_shape=(12, 12, 3)),
            L.LeakyReLU(0.1),
            L.DepthwiseConv2D(3, padding="same"),
            L.SeparableConv2D(6, 3),
            L.MaxPooling2D(),
            L.GlobalAveragePooling2D(),
            L.Dense(2, activation="sigmoid"),
        ]
    )
    cnn.compile("sgd", "binary_crossentropy")
    models["cnn"] = (
        cnn,
        [rng.uniform(0, 1, size=(3, 12, 12, 3)).astype("float32")],
        ["conv2d", "depthwise", "separable", "leaky-relu"],
    )

    tokens = keras.Input(shape=(7,), dtype="int32")
    embedded = L.Embedding(20, 6, mask_zero=True)(tokens)
    hidden = L.Bidirectional(L.LSTM(5, return_sequences=True))(embedded)
    hidden = L.GRU(4, return_sequences=True)(hidden)
    hidden = L.TimeDistributed(L.Dense(3))(hidden)
    rnn_out = L.SimpleRNN(3)(hidden)
    rnn = keras.Model(tokens, rnn_out)
    rnn.compile("rmsprop", "mse")
    ints = rng.integers(1, 20, size=(3, 7)).astype("int32")
    ints[0, 5:] = 0
    models["rnn"] = (rnn, [ints], ["embedding-mask", "bidirectional", "gru", "time-distributed"])

    encoder_in = keras.Input(shape=(5, 4))
    _, state_h, state_c = L.LSTM(6, return_state=True)(encoder_in)
    decoder_in = keras.Input(shape=(3, 4))
    decoded = L.LSTM(6, return_sequences=True)(decoder_in, initial_state=[state_h, state_c])
    seq2seq = keras.Model([encoder_in, decoder_in], L.Dense(4, activation="softmax")(decoded))
    seq2seq.compile("rmsprop", "categorical_crossentropy")
    models["seq2seq"] = (
        seq2seq,
        [
            rng.normal(size=(2, 5, 4)).astype("float32"),
            rng.normal(size=(2, 3, 4)).astype("float32"),
        ],
        ["initial-state", "multi-input"],
    )

    left, right = keras.Input(shape=(6,)), keras.Input(shape=(6,))
    shared = L.Dense(5, activation="tanh")
    diff = L.Lambda(lambda pair: K.abs(pair[0] - pair[1]))([shared(left), shared(right)])
    siamese = keras.Model([left, right], L.Dense(1, activation="sigmoid")(diff))
    siamese.compile("adam", "binary_crossentropy")
    models["siamese"] = (
        siamese,
        [rng.normal(size=(3, 6)).astype("float32"), rng.normal(size=(3, 6)).astype("float32")],
        ["shared-layer", "lambda-bytecode"],
    )

    image = keras.Input(shape=(10, 10, 3))
    scaled = L.Lambda(lambda v: v / 127.5 - 1.0)(image)
    pooled = L.Flatten()(L.Conv2D(2, 3, strides=2)(scaled))
    normalise = keras.Model(image, L.Dense(1)(pooled))
    normalise.compile("adam", "mse")
    models["lambda-normalise"] = (
        normalise,
        [rng.uniform(0, 255, size=(2, 10, 10, 3)).astype("float32")],
        ["lambda-bytecode", "behavioural-cloning"],
    )

    sequence = keras.Input(shape=(6, 8))
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(sequence, sequence)
    block = L.LayerNormalization()(L.Add()([sequence, attended]))
    transformer = keras.Model(sequence, L.GlobalAveragePooling1D()(block))
    transformer.compile("adam", "mse")
    models["attention"] = (
        transformer,
        [rng.normal(size=(2, 6, 8)).astype("float32")],
        ["multi-head-attention", "layer-norm"],
    )

    if writer != "keras3":
        # tf.keras's functional API turns TensorFlow calls and slices on symbolic
        # tensors into TFOpLambda and SlicingOpLambda layers.
        import tensorflow as tf

        features = keras.Input(shape=(6,))
        doubled = tf.math.abs(features) * 2.0
        head = doubled[:, 1:4]
        tfop = keras.Model(features, L.Dense(2)(tf.nn.relu(head)))
        tfop.compile(loss=custom_loss, optimizer="adam", metrics=["mae"])
        models["tfop"] = (
            tfop,
            [rng.normal(size=(3, 6)).astype("float32")],
            ["tf-op-lambda", "slicing-op-lambda", "custom-loss-name"],
        )
    return models


def custom_loss(y_true, y_pred):
    """A loss the loading side does not know by name: its compile config must not stop it."""
    return (y_true - y_pred) ** 2


def save(keras, writer: str, name: str, model, fmt: str, out: Path) -> dict:
    """Save `model` in `fmt` under `out`; the manifest's `paths` entry."""
    if fmt == "hdf5":
        path = out / f"{name}.h5"
        model.save(path) if writer == "keras3" else model.save(path, save_format="h5")
        return {"model": path.name}
    if fmt == "json+hdf5":
        (out / f"{name}.json").write_text(model.to_json())
        weights = out / (f"{name}.weights.h5" if writer == "keras3" else f"{name}-weights.h5")
        model.save_weights(weights)
        return {"architecture": f"{name}.json", "weights": weights.name}
    if fmt == "keras":
        path = out / f"{name}.keras"
        model.save(path)
        return {"model": path.name}
    path = out / f"{name}-savedmodel"
    shutil.rmtree(path, ignore_errors=True)
    model.save(path, save_format="tf")
    return {"model": path.name}


def version_of(keras, writer: str) -> str:
    import tensorflow as tf  # noqa: F401 - every writer here runs on TensorFlow

    if writer == "keras3":
        return f"Keras {keras.__version__} ({keras.backend.backend()})"
    name = "tf_keras" if writer == "tf_keras" else "Keras"
    return f"{name} {keras.__version__} (TensorFlow {tf.__version__})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("writer", choices=sorted(WRITERS))
    writer = parser.parse_args(argv).writer
    keras = import_keras(writer)
    era, _, formats = WRITERS[writer]
    out = CORPUS / era
    out.mkdir(parents=True, exist_ok=True)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    saved_by = f"{version_of(keras, writer)}, Python {python}"
    entries = []
    for name, (model, inputs, features) in build_models(keras, writer).items():
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        np.savez(out / f"{name}.inputs.npz", **{f"x{i}": v for i, v in enumerate(inputs)})
        np.savez(
            out / f"{name}.expected.npz", **{f"y{i}": np.asarray(v) for i, v in enumerate(outputs)}
        )
        for fmt in formats:
            if fmt == "savedmodel" and name not in SAVEDMODEL:
                continue
            entries.append(
                {
                    # Ids are [a-z0-9.-] (tests/test_model_files_corpus.py).
                    "id": f"{era.replace('_', '-')}-{name}-{fmt.replace('+', '-')}",
                    "format": fmt,
                    "writer": saved_by,
                    "paths": save(keras, writer, name, model, fmt, out),
                    "inputs": f"{name}.inputs.npz",
                    "expected": f"{name}.expected.npz",
                    "expected_from": "the saving Keras",
                    "tolerance": {"rtol": 1e-4, "atol": 1e-5},
                    "features": features,
                    **({"python": f"{sys.version_info.major}.{sys.version_info.minor}"}
                       if "lambda-bytecode" in features else {}),
                }
            )  # fmt: skip
    manifest = {
        "era": era,
        "generator": "scripts/model_files/installed.py " + writer,
        "files": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{len(entries)} files in {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
