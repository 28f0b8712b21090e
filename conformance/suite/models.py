"""The models of the Keras guides, each defined once.

Every model of the guides (`sequential-model.md`, `functional-api.md`,
`word-embeddings.md`, `notes-sequential-walkthrough.md`) is written here and nowhere
else; the api, convergence and performance tests, the performance baselines and
`benchmarks/` all take their models from this module, so a change to one model is one
edit.

- A Sequential model is data: a `Spec` (its input, its `Layer`s, the guide's loss,
  optimizer, batch size and epochs), made by a function whose arguments are the sizes
  that its users change (`vgg_convnet(image_shape=(32, 32, 3))` for a quick test).
  `build_sequential` turns it into the model of any Keras implementation, with the
  input declared in one of `SPELLINGS`; the baselines (`baselines.py`) read the same
  description to train it without Keras.
- A functional model is a function of the `keras` module under test that returns the
  model and the tensors the guide names, in the order the guide creates them.

Example:

>>> spec = vgg_convnet(image_shape=(32, 32, 3))
>>> spec.name, spec.input_shape, spec.batch_size
('vgg-convnet', (32, 32, 3), 32)
>>> [layer.kind for layer in mlp_binary().layers]
['dense', 'dropout', 'dense', 'dropout', 'dense']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# --- model descriptions ------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One layer of a guide model; `kind` is a key of `KERAS_LAYERS`."""

    kind: str
    size: int = 0  # units, filters or embedding width
    window: int = 0  # convolution width (square for conv2d) or pool size
    activation: str = "linear"
    rate: float = 0.0  # dropout
    vocabulary: int = 0  # embedding input dimension
    return_sequences: bool = False
    padding: str = "valid"  # convolutions
    stateful: bool = False  # recurrent layers


@dataclass(frozen=True)
class Spec:
    """A Sequential model of the guides: its input, its layers, and how it is trained."""

    name: str
    input_shape: tuple[int, ...]  # one sample, without the batch axis
    layers: tuple[Layer, ...]
    loss: str  # a key of LOSSES
    optimizer: str  # a key of OPTIMIZERS
    batch_size: int
    vocabulary: int = 0  # > 0: inputs are token ids below this (for an Embedding)
    epochs: int = 10  # the guide's `fit(epochs=...)`
    #: How the guide declares the input on its first layer: a key of `_GUIDE_INPUTS`.
    guide_input: str = "input_shape"
    metrics: tuple[str, ...] = ("accuracy",)  # the guide's `compile(metrics=...)`

    @property
    def outputs(self) -> int:
        """Width of the model's output (the last dense layer)."""
        return self.layers[-1].size

    @property
    def stateful(self) -> bool:
        """Whether the model keeps state between batches (its batch size is then fixed)."""
        return any(layer.stateful for layer in self.layers)


def _head(classes: int) -> tuple[Layer, str]:
    """The output layer and loss of a classifier: one sigmoid unit for two classes."""
    if classes == 1:
        return Layer("dense", 1, activation="sigmoid"), "binary_crossentropy"
    return Layer("dense", classes, activation="softmax"), "categorical_crossentropy"


_DROPOUT_HALF = Layer("dropout", rate=0.5)
_DROPOUT_QUARTER = Layer("dropout", rate=0.25)

# --- sequential-model.md and notes-sequential-walkthrough.md -------------------------------

#: Sizes the guides' excerpts leave to the reader (the pages supply them).
MAX_FEATURES = 1000  # sequential-model.md: vocabulary of the LSTM classifier
MAXLEN = 40  # sequential-model.md: words per sequence
SEQ_LENGTH = 64  # sequential-model.md: steps of the Conv1D classifier's inputs


def tiny_classifier(features: int = 4) -> Spec:
    """No guide's: one softmax layer, the smallest model (warm-ups, examples)."""
    return Spec("tiny", (features,), (Layer("dense", 2, activation="softmax"),),
                "categorical_crossentropy", "rmsprop", batch_size=4)  # fmt: skip


#: The walkthrough trains its small MLPs far longer than the guide's 10 epochs.
_WALKTHROUGH_EPOCHS = {1: 1100, 10: 1000}


def walkthrough_mlp(classes: int) -> Spec:
    """The walkthrough's `Dense(32, activation='relu', input_dim=100)` classifiers."""
    head, loss = _head(classes)
    name = "mlp-binary-small" if classes == 1 else "mlp-softmax-small"
    layers = (Layer("dense", 32, activation="relu"), head)
    return Spec(name, (100,), layers, loss, "rmsprop", batch_size=32,
                epochs=_WALKTHROUGH_EPOCHS[classes], guide_input="input_dim")  # fmt: skip


def _mlp_layers(classes: int) -> tuple[tuple[Layer, ...], str]:
    head, loss = _head(classes)
    hidden = (Layer("dense", 64, activation="relu"), _DROPOUT_HALF)
    return (*hidden, *hidden, head), loss


def mlp_multiclass(features: int = 20, classes: int = 10) -> Spec:
    """'MLP for multi-class softmax classification', trained with Nesterov SGD."""
    layers, loss = _mlp_layers(classes)
    return Spec("mlp-multiclass", (features,), layers, loss, "sgd-nesterov", batch_size=128,
                epochs=20, guide_input="input_dim")  # fmt: skip


def mlp_binary(features: int = 20) -> Spec:
    """'MLP for binary classification', trained with RMSprop."""
    layers, loss = _mlp_layers(1)
    return Spec("mlp-binary", (features,), layers, loss, "rmsprop", batch_size=128, epochs=20,
                guide_input="input_dim")  # fmt: skip


def vgg_convnet(image_shape: tuple[int, ...] = (100, 100, 3), padding: str = "valid") -> Spec:
    """'VGG-like convnet'. The guide compiles it without metrics."""
    conv = [Layer("conv2d", n, 3, activation="relu", padding=padding) for n in (32, 64)]
    pool = Layer("maxpool2d", window=2)
    layers = (
        conv[0], conv[0], pool, _DROPOUT_QUARTER,
        conv[1], conv[1], pool, _DROPOUT_QUARTER,
        Layer("flatten"), Layer("dense", 256, activation="relu"), _DROPOUT_HALF, _head(10)[0],
    )  # fmt: skip
    return Spec("vgg-convnet", image_shape, layers, "categorical_crossentropy", "sgd-nesterov",
                batch_size=32, metrics=())  # fmt: skip


def lstm_classifier(
    input_shape: tuple[int, ...] = (MAXLEN,), vocabulary: int = MAX_FEATURES, classes: int = 1
) -> Spec:
    """'Sequence classification with LSTM': an Embedding, then LSTM(128). With
    `vocabulary=0` there is no Embedding: the LSTM reads vectors of `input_shape`."""
    head, loss = _head(classes)
    embedding = (Layer("embedding", 256, vocabulary=vocabulary),) if vocabulary else ()
    layers = (*embedding, Layer("lstm", 128), _DROPOUT_HALF, head)
    # The guide declares no input: its Embedding takes sequences of any length.
    return Spec("lstm", input_shape, layers, loss, "rmsprop", batch_size=16,
                vocabulary=vocabulary, guide_input="none")  # fmt: skip


def conv1d_classifier(
    input_shape: tuple[int, ...] = (SEQ_LENGTH, 100), padding: str = "valid", classes: int = 1
) -> Spec:
    """'Sequence classification with 1D convolutions'."""
    head, loss = _head(classes)
    conv = [Layer("conv1d", n, 3, activation="relu", padding=padding) for n in (64, 128)]
    layers = (conv[0], conv[0], Layer("maxpool1d", window=3), conv[1], conv[1],
              Layer("gap1d"), _DROPOUT_HALF, head)  # fmt: skip
    return Spec("conv1d", input_shape, layers, loss, "rmsprop", batch_size=16)


def stacked_lstm(
    timesteps: int = 8, data_dim: int = 16, classes: int = 10, stateful: bool = False
) -> Spec:
    """'Stacked LSTM for sequence classification', or its stateful version (a fixed
    batch of 32, declared with `batch_input_shape`)."""
    head, loss = _head(classes)
    lstm = [Layer("lstm", 32, return_sequences=sequences, stateful=stateful)
            for sequences in (True, True, False)]  # fmt: skip
    return Spec("stateful-lstm" if stateful else "stacked-lstm", (timesteps, data_dim),
                (*lstm, head), loss, "rmsprop", batch_size=32 if stateful else 64, epochs=5,
                guide_input="batch_input_shape" if stateful else "input_shape")  # fmt: skip


# --- building Sequential models ------------------------------------------------------------

#: kind -> (keras, layer, first-layer input arguments) -> the implementation's layer.
KERAS_LAYERS: dict[str, Callable[..., Any]] = {
    "dense": lambda k, ly, **first: k.layers.Dense(ly.size, activation=ly.activation, **first),
    "dropout": lambda k, ly, **first: k.layers.Dropout(ly.rate, **first),
    "conv2d": lambda k, ly, **first: k.layers.Conv2D(
        ly.size, (ly.window, ly.window), activation=ly.activation, padding=ly.padding, **first
    ),
    "maxpool2d": lambda k, ly, **first: k.layers.MaxPooling2D(
        pool_size=(ly.window, ly.window), **first
    ),
    "flatten": lambda k, ly, **first: k.layers.Flatten(**first),
    "embedding": lambda k, ly, **first: k.layers.Embedding(ly.vocabulary, ly.size, **first),
    "lstm": lambda k, ly, **first: k.layers.LSTM(
        ly.size, return_sequences=ly.return_sequences, stateful=ly.stateful, **first
    ),
    "conv1d": lambda k, ly, **first: k.layers.Conv1D(
        ly.size, ly.window, activation=ly.activation, padding=ly.padding, **first
    ),
    "maxpool1d": lambda k, ly, **first: k.layers.MaxPooling1D(ly.window, **first),
    "gap1d": lambda k, ly, **first: k.layers.GlobalAveragePooling1D(**first),
}

#: How a Sequential model's input is declared:
#: - "input": a `keras.Input` first, the API common to Keras 2 and Keras 3;
#: - "input_shape": Keras 2's `input_shape=` (`batch_input_shape=` for a stateful
#:   model) on the first layer, layers added one by one;
#: - "guide": as the guide writes it (`input_dim=`, `input_shape=`,
#:   `batch_input_shape=` or nothing), layers added one by one.
SPELLINGS = ("input", "input_shape", "guide")

#: Spec.guide_input -> the first layer's arguments that declare the input.
_GUIDE_INPUTS: dict[str, Callable[[Spec], dict[str, Any]]] = {
    "input_dim": lambda spec: {"input_dim": spec.input_shape[0]},
    "input_shape": lambda spec: {"input_shape": spec.input_shape},
    "batch_input_shape": lambda spec: {"batch_input_shape": (spec.batch_size, *spec.input_shape)},
    "none": lambda spec: {},
}


def build_sequential(keras: Any, spec: Spec, spelling: str = "input") -> Any:
    """`spec` as an uncompiled Sequential model of the implementation `keras`."""
    if spelling not in SPELLINGS:
        raise ValueError(f"expected a spelling in {SPELLINGS}, received {spelling!r}")
    if spelling == "input":
        batch = {"batch_size": spec.batch_size} if spec.stateful else {}
        dtype = {"dtype": "int32"} if spec.vocabulary else {}
        layers = [KERAS_LAYERS[layer.kind](keras, layer) for layer in spec.layers]
        return keras.models.Sequential([keras.Input(shape=spec.input_shape, **batch, **dtype),
                                        *layers])  # fmt: skip
    declared = spec.guide_input
    if spelling == "input_shape":
        declared = "batch_input_shape" if spec.stateful else "input_shape"
    model = keras.models.Sequential()
    for index, layer in enumerate(spec.layers):
        first = _GUIDE_INPUTS[declared](spec) if index == 0 else {}
        model.add(KERAS_LAYERS[layer.kind](keras, layer, **first))
    return model


#: Optimizer name -> (keras -> the implementation's optimizer, hyperparameters), as
#: the suite compiles the guides' models. The guides' SGD(lr=0.01, decay=1e-6,
#: momentum=0.9, nesterov=True) loses `decay`, which Keras 3 does not accept (it changes
#: the rate by less than 0.1 % over a few hundred steps), and 'rmsprop' is RMSprop's
#: defaults.
OPTIMIZERS: dict[str, tuple[Callable[[Any], Any], dict[str, float]]] = {
    "sgd-nesterov": (
        lambda k: k.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        {"learning_rate": 0.01, "momentum": 0.9},
    ),
    "rmsprop": (
        lambda k: k.optimizers.RMSprop(learning_rate=0.001),
        {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    ),
}
LOSSES = ("categorical_crossentropy", "binary_crossentropy")
#: Keras's clipping of probabilities before a logarithm.
EPSILON = 1e-7


def compile_model(keras: Any, model: Any, spec: Spec) -> Any:
    """Compile `model` with `spec`'s loss and optimizer (`OPTIMIZERS`), no metrics."""
    if spec.loss not in LOSSES:
        raise ValueError(f"expected a loss in {LOSSES}, received {spec.loss!r}")
    model.compile(optimizer=OPTIMIZERS[spec.optimizer][0](keras), loss=spec.loss)
    return model


def make_data(spec: Spec, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs and targets of the shapes `spec` trains on (speed only, not learning)."""
    rng = np.random.default_rng(seed)
    if spec.vocabulary:
        x = rng.integers(1, spec.vocabulary, size=(samples, *spec.input_shape)).astype("int32")
    else:
        x = rng.random((samples, *spec.input_shape), dtype=np.float32)
    if spec.loss == "binary_crossentropy":
        y = rng.integers(0, 2, size=(samples, 1)).astype("float32")
    else:
        y = np.eye(spec.outputs, dtype="float32")[rng.integers(0, spec.outputs, size=samples)]
    return x, y


# --- functional-api.md: keras -> (model, the tensors the guide names, in order) --------------


def dense_net(keras: Any) -> tuple[Any, list[Any]]:
    """'All models are callable': Dense(64), Dense(64), Dense(10) on 784 inputs."""
    layers = keras.layers
    inputs = keras.Input(shape=(784,))
    x1 = layers.Dense(64, activation="relu")(inputs)
    x2 = layers.Dense(64, activation="relu")(x1)
    predictions = layers.Dense(10, activation="softmax")(x2)
    return keras.Model(inputs=inputs, outputs=predictions), [x1, x2, predictions]


def time_distributed_model(keras: Any) -> tuple[Any, list[Any]]:
    """The guide's video classifier: the dense net applied to each of 20 steps."""
    inner, _ = dense_net(keras)
    input_sequences = keras.Input(shape=(20, 784))
    processed = keras.layers.TimeDistributed(inner)(input_sequences)
    return keras.Model(input_sequences, processed), [processed]


#: The headline model's `compile(loss_weights=...)`: the auxiliary output's loss weighs 0.2.
HEADLINE_LOSS_WEIGHTS = (1.0, 0.2)


def headline(keras: Any, guide: bool = False) -> tuple[Any, list[Any]]:
    """'Multi-input and multi-output models'; `guide`: with the guide's `input_length`."""
    layers = keras.layers
    main_input = keras.Input(shape=(100,), dtype="int32", name="main_input")
    length = {"input_length": 100} if guide else {}
    x = layers.Embedding(output_dim=512, input_dim=10000, **length)(main_input)
    lstm_out = layers.LSTM(32)(x)
    auxiliary_output = layers.Dense(1, activation="sigmoid", name="aux_output")(lstm_out)
    auxiliary_input = keras.Input(shape=(5,), name="aux_input")
    merged = keras.layers.concatenate([lstm_out, auxiliary_input])
    d1 = layers.Dense(64, activation="relu")(merged)
    d2 = layers.Dense(64, activation="relu")(d1)
    d3 = layers.Dense(64, activation="relu")(d2)
    main_output = layers.Dense(1, activation="sigmoid", name="main_output")(d3)
    model = keras.Model(
        inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output]
    )
    return model, [x, lstm_out, auxiliary_output, merged, d1, d2, d3, main_output]


def shared_lstm(keras: Any) -> tuple[Any, list[Any]]:
    """'Shared layers': one LSTM encodes two tweets (one-hot characters)."""
    layers = keras.layers
    tweet_a = keras.Input(shape=(140, 256))
    tweet_b = keras.Input(shape=(140, 256))
    lstm = layers.LSTM(64)
    encoded_a = lstm(tweet_a)
    encoded_b = lstm(tweet_b)
    merged_vector = keras.layers.concatenate([encoded_a, encoded_b], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged_vector)
    model = keras.Model(inputs=[tweet_a, tweet_b], outputs=predictions)
    return model, [encoded_a, encoded_b, merged_vector, predictions]


# --- word-embeddings.md ----------------------------------------------------------------------

VOCABULARY = 400  # len(word_index), a stand-in value
MAX_SEQUENCE_LENGTH = 1000
EMBEDDING_DIM = 100


def frozen_embedding_classifier(keras: Any, guide: bool = False) -> tuple[Any, list[Any]]:
    """A Conv1D classifier on a frozen Embedding; `guide`: with the guide's
    `weights=[embedding_matrix]` and `input_length`."""
    layers = keras.layers
    if guide:
        matrix = np.zeros((VOCABULARY + 1, EMBEDDING_DIM))
        embedding_layer = layers.Embedding(
            VOCABULARY + 1,
            EMBEDDING_DIM,
            weights=[matrix],
            input_length=MAX_SEQUENCE_LENGTH,
            trainable=False,
        )
    else:
        embedding_layer = layers.Embedding(VOCABULARY + 1, EMBEDDING_DIM, trainable=False)
    sequence_input = keras.Input(shape=(MAX_SEQUENCE_LENGTH,), dtype="int32")
    embedded = embedding_layer(sequence_input)
    c1 = layers.Conv1D(32, 5, activation="relu")(embedded)
    p1 = layers.MaxPooling1D(5)(c1)
    c2 = layers.Conv1D(32, 5, activation="relu")(p1)
    pooled = layers.GlobalMaxPooling1D()(c2)
    topic = layers.Dense(1, activation="sigmoid")(pooled)
    return keras.Model(inputs=sequence_input, outputs=topic), [embedded, c1, p1, c2, pooled, topic]
