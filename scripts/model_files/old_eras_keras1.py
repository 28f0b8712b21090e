"""The corpus's Keras 1.x files: configs, weights and oracles.

Every file is laid out as Keras 1.2.2's `model.save` (or `to_json` plus
`save_weights`) wrote it: root attributes `keras_version`, `model_config`,
`training_config`; no `keras_version` or `backend` on the weights group.
Weight names are Theano's (`dense_1_W`) or TensorFlow's (`dense_1_W:0`),
whichever backend the file says wrote it.

Example:

```python
import numpy as np
case = CASES[0](lambda file_id: np.random.RandomState(0))
assert case.model_config["class_name"] == "Sequential"
```
"""

import lambda_bytecode
import weight_layouts
from corpus_case import (
    Case,
    draw,
    float_inputs,
    int_inputs,
    named,
    positive,
    set_weights,
)
from old_configs import (
    KERAS1_WEIGHT_KEYS,
    keras1_dense,
    keras1_layer,
    keras1_recurrent,
    keras1_weight_names,
)

KERAS_VERSION = "1.2.2"
ROOT_ATTRIBUTES = {"keras_version": KERAS_VERSION}
THEANO = (
    "Keras 1.2.2 layout (Theano backend weight names), written with h5py from the documented format"
)
TENSORFLOW = (
    "Keras 1.2.2 layout (TensorFlow backend weight names), "
    "written with h5py from the documented format"
)
SGD_TRAINING = {
    "optimizer_config": {
        "class_name": "SGD",
        "config": {"lr": 0.01, "momentum": 0.0, "decay": 0.0, "nesterov": False},
    },
    "loss": "categorical_crossentropy",
    "metrics": ["accuracy"],
    "sample_weight_mode": None,
    "loss_weights": None,
}


def sequential(layers):
    """Keras 1's Sequential config: a plain list of layer configs."""
    return {"class_name": "Sequential", "config": layers}


def weights(layer_name, kind, arrays, tensorflow_names):
    keys = KERAS1_WEIGHT_KEYS[kind]
    return (layer_name, named(keras1_weight_names(layer_name, keys, tensorflow_names), arrays))


def keras1_case(file_id, **fields):
    return Case(
        id=file_id,
        stem=file_id.removeprefix("keras1-"),
        root_attributes=dict(ROOT_ATTRIBUTES),
        weights_group_attributes={},
        **fields,
    )


def sequential_mlp(seeded):
    rng = seeded("keras1-sequential-mlp")
    config = sequential(
        [
            keras1_dense("dense_1", 16, input_shape=[8]),
            keras1_layer("Activation", "activation_1", activation="relu"),
            keras1_layer("Dropout", "dropout_1", p=0.5),
            keras1_dense("dense_2", 3),
            keras1_layer("Activation", "activation_2", activation="softmax"),
        ]
    )
    config["config"][0]["config"]["init"] = "uniform"  # a user's choice, saved as given
    layers = [
        weights("dense_1", "Dense", [draw(rng, 8, 16), draw(rng, 16)], False),
        ("activation_1", []),
        ("dropout_1", []),
        weights("dense_2", "Dense", [draw(rng, 16, 3), draw(rng, 3)], False),
        ("activation_2", []),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((8,)),
                tk.layers.Dense(16, name="dense_1"),
                tk.layers.Activation("relu"),
                tk.layers.Dropout(0.5),
                tk.layers.Dense(3, name="dense_2"),
                tk.layers.Activation("softmax"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-sequential-mlp",
        writer=THEANO,
        features=[
            "sequential-list-config",
            "keras1-dense-output_dim-init",
            "keras1-dropout-p",
            "activation-layer",
            "theano-weight-names",
            "training-config-sgd",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 3, 8)],
        build_oracle=oracle,
    )


def embedding_lstm(seeded):
    rng = seeded("keras1-embedding-lstm")
    config = sequential(
        [
            keras1_layer(
                "Embedding",
                "embedding_1",
                input_shape=[6],
                input_dtype="int32",
                input_dim=20,
                output_dim=4,
                init="uniform",
                input_length=6,
                mask_zero=False,
                activity_regularizer=None,
                W_regularizer=None,
                W_constraint=None,
                dropout=0.0,
            ),
            keras1_recurrent("LSTM", "lstm_1", 5, "cpu"),
            keras1_dense("dense_1", 2, activation="softmax"),
        ]
    )
    gate_arrays = []
    for _gate in "icfo":
        gate_arrays += [draw(rng, 4, 5), draw(rng, 5, 5), draw(rng, 5, scale=0.2)]
    layers = [
        weights("embedding_1", "Embedding", [draw(rng, 20, 4)], False),
        weights("lstm_1", "LSTM", gate_arrays, False),
        weights("dense_1", "Dense", [draw(rng, 5, 2), draw(rng, 2)], False),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((6,), dtype="int32"),
                tk.layers.Embedding(20, 4, name="embedding_1"),
                tk.layers.LSTM(5, recurrent_activation="hard_sigmoid", name="lstm_1"),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        converters = {"lstm_1": weight_layouts.keras1_lstm_to_fused}
        return set_weights(model, file_layers, converters) if file_layers else model

    return keras1_case(
        "keras1-embedding-lstm",
        writer=THEANO,
        features=[
            "sequential-list-config",
            "keras1-embedding",
            "keras1-lstm-12-weights",
            "consume-less-cpu",
            "inner-activation-hard-sigmoid",
            "integer-inputs",
            "theano-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[int_inputs(rng, 3, 6, high=20)],
        build_oracle=oracle,
    )


def gru_simplernn(seeded):
    rng = seeded("keras1-gru-simplernn")
    config = sequential(
        [
            keras1_recurrent("GRU", "gru_1", 4, "mem", return_sequences=True, input_shape=[5, 3]),
            keras1_recurrent("SimpleRNN", "simplernn_1", 3, "cpu"),
            keras1_dense("dense_1", 1),
        ]
    )
    gate_arrays = []
    for _gate in "zrh":
        gate_arrays += [draw(rng, 3, 4), draw(rng, 4, 4), draw(rng, 4, scale=0.2)]
    layers = [
        weights("gru_1", "GRU", gate_arrays, True),
        weights(
            "simplernn_1",
            "SimpleRNN",
            [draw(rng, 4, 3), draw(rng, 3, 3), draw(rng, 3, scale=0.2)],
            True,
        ),
        weights("dense_1", "Dense", [draw(rng, 3, 1), draw(rng, 1)], True),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5, 3)),
                tk.layers.GRU(
                    4,
                    recurrent_activation="hard_sigmoid",
                    reset_after=False,
                    return_sequences=True,
                    name="gru_1",
                ),
                tk.layers.SimpleRNN(3, name="simplernn_1"),
                tk.layers.Dense(1, name="dense_1"),
            ]
        )
        converters = {"gru_1": weight_layouts.keras1_gru_to_fused}
        return set_weights(model, file_layers, converters) if file_layers else model

    return keras1_case(
        "keras1-gru-simplernn",
        writer=TENSORFLOW,
        features=[
            "sequential-list-config",
            "keras1-gru-9-weights",
            "consume-less-mem",
            "keras1-simplernn",
            "return-sequences",
            "tensorflow-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 3, 5, 3)],
        build_oracle=oracle,
    )


def lstm_gpu(seeded):
    rng = seeded("keras1-lstm-gpu")
    config = sequential(
        [
            keras1_recurrent("LSTM", "lstm_1", 4, "gpu", input_shape=[4, 3]),
            keras1_dense("dense_1", 2, activation="softmax"),
        ]
    )
    layers = [
        # consume_less='gpu': fused W, U, b with gates in the order i, f, c, o.
        weights(
            "lstm_1",
            "LSTM-gpu",
            [draw(rng, 3, 16), draw(rng, 4, 16), draw(rng, 16, scale=0.2)],
            False,
        ),
        weights("dense_1", "Dense", [draw(rng, 4, 2), draw(rng, 2)], False),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((4, 3)),
                tk.layers.LSTM(4, recurrent_activation="hard_sigmoid", name="lstm_1"),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-lstm-gpu",
        writer=THEANO,
        features=[
            "sequential-list-config",
            "keras1-lstm-fused-weights",
            "consume-less-gpu",
            "theano-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 2, 4, 3)],
        build_oracle=oracle,
    )


def batchnorm(seeded):
    rng = seeded("keras1-batchnorm")
    config = sequential(
        [
            keras1_dense("dense_1", 6, input_shape=[4]),
            keras1_layer(
                "BatchNormalization",
                "batchnormalization_1",
                epsilon=0.001,
                mode=0,
                axis=-1,
                momentum=0.99,
                beta_init="zero",
                gamma_init="one",
                gamma_regularizer=None,
                beta_regularizer=None,
            ),
            keras1_layer("Activation", "activation_1", activation="tanh"),
            keras1_dense("dense_2", 2),
        ]
    )
    layers = [
        weights("dense_1", "Dense", [draw(rng, 4, 6), draw(rng, 6)], False),
        # gamma, beta, running_mean, running_std (which holds the variance).
        weights(
            "batchnormalization_1",
            "BatchNormalization",
            [positive(rng, 6), draw(rng, 6), draw(rng, 6), positive(rng, 6)],
            False,
        ),
        ("activation_1", []),
        weights("dense_2", "Dense", [draw(rng, 6, 2), draw(rng, 2)], False),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((4,)),
                tk.layers.Dense(6, name="dense_1"),
                tk.layers.BatchNormalization(epsilon=0.001, name="batchnormalization_1"),
                tk.layers.Activation("tanh"),
                tk.layers.Dense(2, name="dense_2"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-batchnorm",
        writer=THEANO,
        features=[
            "sequential-list-config",
            "keras1-batchnormalization-mode-0",
            "keras1-batchnormalization-running-std",
            "beta_init-gamma_init",
            "theano-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 3, 4)],
        build_oracle=oracle,
    )


def time_distributed(seeded):
    rng = seeded("keras1-timedistributed-dense")
    inner = keras1_dense("dense_1", 3, activation="tanh")
    config = sequential(
        [
            keras1_layer("TimeDistributed", "timedistributed_1", input_shape=[4, 5], layer=inner),
            keras1_layer("Flatten", "flatten_1"),
            keras1_dense("dense_2", 2),
        ]
    )
    layers = [
        # The wrapped Dense's variables, under the wrapper's group.
        (
            "timedistributed_1",
            named(
                keras1_weight_names("dense_1", ["W", "b"], True), [draw(rng, 5, 3), draw(rng, 3)]
            ),
        ),
        ("flatten_1", []),
        weights("dense_2", "Dense", [draw(rng, 12, 2), draw(rng, 2)], True),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((4, 5)),
                tk.layers.TimeDistributed(
                    tk.layers.Dense(3, activation="tanh"), name="timedistributed_1"
                ),
                tk.layers.Flatten(),
                tk.layers.Dense(2, name="dense_2"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-timedistributed-dense",
        writer=TENSORFLOW,
        features=[
            "sequential-list-config",
            "keras1-timedistributed",
            "wrapper-weight-names",
            "tensorflow-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 2, 4, 5)],
        build_oracle=oracle,
    )


def keras1_function(python, key):
    """Keras 1's func_dump: (marshal text as raw_unicode_escape, defaults, closure)."""
    return [lambda_bytecode.marshalled(python, key).decode("raw_unicode_escape"), None, None]


# What each lambda of the table computes, for the oracle; and its input range.
LAMBDA_ORACLES = {
    "scale-to-unit": (lambda tk: lambda x: x / 127.5 - 1.0, (0.0, 255.0)),
    "mean-over-time": (lambda tk: lambda x: tk.backend.mean(x, axis=1), (-1.0, 1.0)),
}


def keras1_lambda(file_id, python, key, input_shape, output_shape_key=None):
    """A Sequential starting with a Lambda marshalled by `python`.

    `output_shape_key` names a lambda of the table saved as the layer's
    `output_shape` function (output_shape_type 'lambda').
    """

    def make(seeded):
        rng = seeded(file_id)
        if output_shape_key is None:
            output_shape, output_shape_type = None, "raw"
        else:
            output_shape, output_shape_type = keras1_function(python, output_shape_key), "lambda"
        lambda_layer = keras1_layer(
            "Lambda",
            "lambda_1",
            input_shape=input_shape,
            function=keras1_function(python, key),
            function_type="lambda",
            output_shape=output_shape,
            output_shape_type=output_shape_type,
            arguments={},
        )
        config = sequential([lambda_layer, keras1_dense("dense_1", 3, activation="softmax")])
        features = input_shape[-1]
        layers = [
            ("lambda_1", []),
            weights("dense_1", "Dense", [draw(rng, features, 3, scale=0.3), draw(rng, 3)], True),
        ]
        make_function, (low, high) = LAMBDA_ORACLES[key]

        def oracle(tk, file_layers):
            model = tk.Sequential(
                [
                    tk.Input(tuple(input_shape)),
                    tk.layers.Lambda(make_function(tk)),
                    tk.layers.Dense(3, activation="softmax", name="dense_1"),
                ]
            )
            return set_weights(model, file_layers) if file_layers else model

        extra = ["lambda-output-shape-lambda"] if output_shape_key else []
        backend_call = "lambda-backend-call" if key == "mean-over-time" else "lambda-scale-input"
        return keras1_case(
            file_id,
            writer=TENSORFLOW,
            features=[
                "sequential-list-config",
                f"lambda-py{python}",
                "lambda-raw-unicode-escape",
                "lambda-function-triple",
                backend_call,
                *extra,
            ],
            model_config=config,
            training_config=SGD_TRAINING,
            layers=layers,
            inputs=[float_inputs(rng, 3, *input_shape, low=low, high=high)],
            build_oracle=oracle,
            python=python,
        )

    return make


def json_weights_pair(seeded):
    rng = seeded("keras1-json-hdf5")
    config = sequential(
        [
            keras1_dense("dense_1", 8, activation="relu", input_shape=[5]),
            keras1_dense("dense_2", 2, activation="sigmoid"),
        ]
    )
    layers = [
        weights("dense_1", "Dense", [draw(rng, 5, 8), draw(rng, 8)], False),
        weights("dense_2", "Dense", [draw(rng, 8, 2), draw(rng, 2)], False),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5,)),
                tk.layers.Dense(8, activation="relu", name="dense_1"),
                tk.layers.Dense(2, activation="sigmoid", name="dense_2"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-json-hdf5",
        writer=(
            "Keras 1.2.2 to_json() and save_weights() layouts (Theano weight names), "
            "written with h5py from the documented format"
        ),
        features=[
            "json-architecture",
            "weights-only-hdf5",
            "sequential-list-config",
            "theano-weight-names",
        ],
        model_config=config,
        layers=layers,
        inputs=[float_inputs(rng, 3, 5)],
        build_oracle=oracle,
        format="json+hdf5",
    )


CASES = [
    sequential_mlp,
    embedding_lstm,
    gru_simplernn,
    lstm_gpu,
    batchnorm,
    time_distributed,
    keras1_lambda("keras1-lambda-py36", "3.6", "scale-to-unit", [6]),
    keras1_lambda("keras1-lambda-py27", "2.7", "mean-over-time", [5, 3], "drop-time-axis-shape"),
    json_weights_pair,
]
