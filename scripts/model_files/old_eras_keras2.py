"""The corpus's standalone Keras 2.0-2.2 files: configs, weights and oracles.

Layout of Keras 2.0.8, 2.1.6 and 2.2.4's `model.save` on the TensorFlow
backend: root attributes `keras_version`, `backend`, `model_config`,
`training_config`; the weights group carries `keras_version` and `backend` too;
weights are named `<layer>/<variable>:0`. Sequential configs are a plain list
of layers up to 2.1 and `{"name", "layers"}` from 2.2. Functional inbound
nodes are `[name, node_index, tensor_index, kwargs]`.

Example:

```python
import numpy as np
case = CASES[0](lambda file_id: np.random.RandomState(0))
assert isinstance(case.model_config["config"], list)  # Keras 2.0's Sequential
```
"""

import codecs

import lambda_bytecode
import numpy as np
import weight_layouts
from corpus_case import Case, draw, float_inputs, named, positive, set_weights
from old_configs import (
    GLOROT_UNIFORM,
    KERAS2_WEIGHT_KEYS,
    ONES,
    ZEROS,
    keras2_dense,
    keras2_input,
    keras2_layer,
    keras2_node,
    keras2_weight_names,
)

# Keras 2.2 wrote optimizer hyperparameters back from float32 variables.
ADAM_2_2 = {
    "class_name": "Adam",
    "config": {
        "lr": 0.0010000000474974513,
        "beta_1": 0.8999999761581421,
        "beta_2": 0.9990000128746033,
        "decay": 0.0,
        "epsilon": 1e-07,
        "amsgrad": False,
    },
}
RMSPROP_2_2 = {
    "class_name": "RMSprop",
    "config": {
        "lr": 0.0010000000474974513,
        "rho": 0.8999999761581421,
        "decay": 0.0,
        "epsilon": 1e-07,
    },
}
SGD_2_0 = {
    "class_name": "SGD",
    "config": {"lr": 0.009999999776482582, "momentum": 0.0, "decay": 0.0, "nesterov": False},
}


def training_config(optimizer, loss, metrics=("accuracy",)):
    return {
        "optimizer_config": optimizer,
        "loss": loss,
        "metrics": list(metrics),
        "sample_weight_mode": None,
        "loss_weights": None,
    }


def weights(layer_name, kind, arrays, scope=None):
    return (
        layer_name,
        named(keras2_weight_names(layer_name, KERAS2_WEIGHT_KEYS[kind], scope), arrays),
    )


def keras2_case(file_id, version, **fields):
    attributes = {"keras_version": version, "backend": "tensorflow"}
    fields.setdefault(
        "writer",
        f"Keras {version} layout (TensorFlow backend), "
        "written with h5py from the documented format",
    )
    return Case(
        id=file_id,
        stem=file_id,
        root_attributes=dict(attributes),
        weights_group_attributes=dict(attributes),
        **fields,
    )


def sequential_config(layers, version):
    """Keras <= 2.1: a plain list; Keras 2.2: {"name", "layers"}."""
    if version.startswith("2.2"):
        return {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": layers}}
    return {"class_name": "Sequential", "config": layers}


def sequential_mlp(seeded):
    rng = seeded("keras2.0-sequential-mlp")
    config = sequential_config(
        [
            keras2_dense("dense_1", 16, "relu", input_shape=[6]),
            keras2_layer("Dropout", "dropout_1", rate=0.3, noise_shape=None, seed=None),
            keras2_dense("dense_2", 3, "softmax"),
        ],
        "2.0.8",
    )
    layers = [
        weights("dense_1", "Dense", [draw(rng, 6, 16), draw(rng, 16)]),
        ("dropout_1", []),
        weights("dense_2", "Dense", [draw(rng, 16, 3), draw(rng, 3)]),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((6,)),
                tk.layers.Dense(16, activation="relu", name="dense_1"),
                tk.layers.Dropout(0.3),
                tk.layers.Dense(3, activation="softmax", name="dense_2"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.0-sequential-mlp",
        "2.0.8",
        features=[
            "sequential-list-config",
            "batch_input_shape",
            "dropout-rate",
            "training-config-sgd",
        ],
        model_config=config,
        training_config=training_config(SGD_2_0, "categorical_crossentropy"),
        layers=layers,
        inputs=[float_inputs(rng, 3, 6)],
        build_oracle=oracle,
        crosscheck="load_model",
    )


def conv2d_theano(seeded):
    rng = seeded("keras2.0-conv2d-theano")
    conv = keras2_layer(
        "Conv2D",
        "conv2d_1",
        [1, 7, 7],
        filters=3,
        kernel_size=[3, 3],
        strides=[1, 1],
        padding="valid",
        data_format="channels_first",
        dilation_rate=[1, 1],
        activation="relu",
        use_bias=True,
        kernel_initializer=GLOROT_UNIFORM,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
    )
    pool = keras2_layer(
        "MaxPooling2D",
        "max_pooling2d_1",
        pool_size=[2, 2],
        padding="valid",
        strides=[2, 2],
        data_format="channels_first",
    )
    config = sequential_config(
        [conv, pool, keras2_layer("Flatten", "flatten_1"), keras2_dense("dense_1", 2, "softmax")],
        "2.0.8",
    )
    # Theano variables carry no ":0"; Keras 2's name scopes still prefix them.
    layers = [
        (
            "conv2d_1",
            named(["conv2d_1/kernel", "conv2d_1/bias"], [draw(rng, 3, 3, 1, 3), draw(rng, 3)]),
        ),
        ("max_pooling2d_1", []),
        ("flatten_1", []),
        ("dense_1", named(["dense_1/kernel", "dense_1/bias"], [draw(rng, 12, 2), draw(rng, 2)])),
    ]

    def oracle(tk, file_layers):
        # Channels-first pooling does not run on TensorFlow's CPU kernels:
        # channels go last around the convolution and back before Flatten,
        # which Keras 2.0 applied to the channels-first tensor as it was.
        model = tk.Sequential(
            [
                tk.Input((1, 7, 7)),
                tk.layers.Permute((2, 3, 1)),
                tk.layers.Conv2D(3, 3, activation="relu", name="conv2d_1"),
                tk.layers.MaxPooling2D(2),
                tk.layers.Permute((3, 1, 2)),
                tk.layers.Flatten(),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        converters = {
            "conv2d_1": lambda a: [weight_layouts.theano_kernel_to_correlation(a[0]), a[1]]
        }
        return set_weights(model, file_layers, converters) if file_layers else model

    attributes = {"keras_version": "2.0.8", "backend": "theano"}
    return Case(
        id="keras2.0-conv2d-theano",
        stem="keras2.0-conv2d-theano",
        writer="Keras 2.0.8 layout (Theano backend), written with h5py from the documented format",
        root_attributes=dict(attributes),
        weights_group_attributes=dict(attributes),
        features=[
            "sequential-list-config",
            "backend-theano",
            "theano-kernel-flip",
            "theano-weight-names",
            "conv2d-channels-first",
            "maxpooling2d-channels-first",
            "flatten-channels-first",
        ],
        model_config=config,
        training_config=training_config(SGD_2_0, "categorical_crossentropy"),
        layers=layers,
        inputs=[float_inputs(rng, 2, 1, 7, 7)],
        build_oracle=oracle,
        # tf_keras opens it but no longer flips Theano kernels, so it predicts
        # what Keras 2 on Theano did not.
        crosscheck=None,
        expected_note=(
            "kernels flipped as Theano convolved "
            "(Keras 2 flipped them when loading across backends)"
        ),
    )


def conv1d(seeded):
    rng = seeded("keras2.1-conv1d")
    conv = keras2_layer(
        "Conv1D",
        "conv1d_1",
        [10, 2],
        filters=4,
        kernel_size=[3],
        strides=[1],
        padding="valid",
        data_format="channels_last",
        dilation_rate=[1],
        activation="relu",
        use_bias=True,
        kernel_initializer=GLOROT_UNIFORM,
        bias_initializer=ZEROS,
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
    )
    config = sequential_config(
        [
            conv,
            keras2_layer(
                "MaxPooling1D", "max_pooling1d_1", strides=[2], pool_size=[2], padding="valid"
            ),
            keras2_layer("Flatten", "flatten_1"),
            keras2_dense("dense_1", 2, "softmax"),
        ],
        "2.1.6",
    )
    layers = [
        weights("conv1d_1", "Conv1D", [draw(rng, 3, 2, 4), draw(rng, 4)]),
        ("max_pooling1d_1", []),
        ("flatten_1", []),
        weights("dense_1", "Dense", [draw(rng, 16, 2), draw(rng, 2)]),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((10, 2)),
                tk.layers.Conv1D(4, 3, activation="relu", name="conv1d_1"),
                tk.layers.MaxPooling1D(2),
                tk.layers.Flatten(),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.1-conv1d",
        "2.1.6",
        features=[
            "sequential-list-config",
            "conv1d",
            "maxpooling1d",
            "flatten",
            "batch_input_shape",
        ],
        model_config=config,
        training_config=training_config(SGD_2_0, "categorical_crossentropy"),
        layers=layers,
        inputs=[float_inputs(rng, 2, 10, 2)],
        build_oracle=oracle,
        crosscheck="load_model",
    )


def sequential_dict_adam(seeded):
    rng = seeded("keras2.2-sequential-adam-state")
    batch_norm = keras2_layer(
        "BatchNormalization",
        "batch_normalization_1",
        axis=-1,
        momentum=0.99,
        epsilon=0.001,
        center=True,
        scale=True,
        beta_initializer=ZEROS,
        gamma_initializer=ONES,
        moving_mean_initializer=ZEROS,
        moving_variance_initializer=ONES,
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
    )
    config = sequential_config(
        [
            keras2_dense("dense_1", 8, "relu", input_shape=[5]),
            batch_norm,
            keras2_dense("dense_2", 1, "sigmoid"),
        ],
        "2.2.4",
    )
    layers = [
        weights("dense_1", "Dense", [draw(rng, 5, 8), draw(rng, 8)]),
        weights(
            "batch_normalization_1",
            "BatchNormalization",
            [positive(rng, 8), draw(rng, 8), draw(rng, 8), positive(rng, 8)],
        ),
        weights("dense_2", "Dense", [draw(rng, 8, 1), draw(rng, 1)]),
    ]
    # Adam of Keras 2.2: iterations, then m, v and vhat per trainable weight,
    # the last two made by K.zeros and so named Variable, Variable_1, ...
    trainable = [array for _, pairs in layers for name, array in pairs if "moving" not in name]
    slots = [np.abs(draw(rng, *a.shape, scale=0.01)) for a in trainable] * 2
    slots += [np.zeros((1,), "float32") for _ in trainable]
    optimizer_weights = [("Adam/iterations:0", np.array(120, dtype="int64"))]
    optimizer_weights += [
        (f"training/Adam/Variable{'' if i == 0 else f'_{i}'}:0", slot)
        for i, slot in enumerate(slots)
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5,)),
                tk.layers.Dense(8, activation="relu", name="dense_1"),
                tk.layers.BatchNormalization(epsilon=0.001, name="batch_normalization_1"),
                tk.layers.Dense(1, activation="sigmoid", name="dense_2"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    training = training_config(ADAM_2_2, "binary_crossentropy")
    training["weighted_metrics"] = None
    return keras2_case(
        "keras2.2-sequential-adam-state",
        "2.2.4",
        features=[
            "sequential-dict-config",
            "batchnormalization",
            "optimizer-weights",
            "training-config-adam",
        ],
        model_config=config,
        training_config=training,
        optimizer_weights=optimizer_weights,
        layers=layers,
        inputs=[float_inputs(rng, 3, 5)],
        build_oracle=oracle,
        crosscheck="load_model",
    )


def functional_config(entries, inputs, outputs, name="model_1"):
    return {
        "class_name": "Model",
        "config": {
            "name": name,
            "layers": entries,
            "input_layers": [[n, 0, 0] for n in inputs],
            "output_layers": [[n, node, tensor] for n, node, tensor in outputs],
        },
    }


def functional_shared(seeded):
    rng = seeded("keras2.2-functional-shared-custom-loss")
    entries = [
        keras2_input("input_1", [4]),
        keras2_input("input_2", [4]),
        # One Dense called on both inputs: two inbound nodes.
        keras2_node(keras2_dense("dense_1", 3, "tanh"), [[("input_1", 0, 0)], [("input_2", 0, 0)]]),
        keras2_node(
            keras2_layer("Concatenate", "concatenate_1", axis=-1),
            [[("dense_1", 0, 0), ("dense_1", 1, 0)]],
        ),
        keras2_node(keras2_dense("dense_2", 1, "sigmoid"), [[("concatenate_1", 0, 0)]]),
    ]
    config = functional_config(entries, ["input_1", "input_2"], [("dense_2", 0, 0)])
    layers = [
        ("input_1", []),
        ("input_2", []),
        weights("dense_1", "Dense", [draw(rng, 4, 3), draw(rng, 3)]),
        ("concatenate_1", []),
        weights("dense_2", "Dense", [draw(rng, 6, 1), draw(rng, 1)]),
    ]

    def oracle(tk, file_layers):
        a, b = tk.Input((4,)), tk.Input((4,))
        shared = tk.layers.Dense(3, activation="tanh", name="dense_1")
        merged = tk.layers.Concatenate()([shared(a), shared(b)])
        model = tk.Model([a, b], tk.layers.Dense(1, activation="sigmoid", name="dense_2")(merged))
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.2-functional-shared-custom-loss",
        "2.2.4",
        features=[
            "functional-config",
            "shared-layer",
            "inbound-node-index-1",
            "two-inputs",
            "compile-custom-loss-name",
        ],
        model_config=config,
        # A loss the user defined: Keras saved its function name only.
        training_config=training_config(RMSPROP_2_2, "contrastive_loss", metrics=["acc"]),
        layers=layers,
        inputs=[float_inputs(rng, 3, 4), float_inputs(rng, 3, 4)],
        build_oracle=oracle,
        crosscheck="load_model",
    )


def keras2_lambda(file_id, version, python, key, encoding):
    """A Lambda whose function is marshalled bytecode of `python`."""

    def make(seeded):
        rng = seeded(file_id)
        raw = lambda_bytecode.marshalled(python, key)
        if encoding == "raw_unicode_escape":
            code = raw.decode("raw_unicode_escape")
        else:
            # Keras 2.1+'s func_dump: codecs' base64, in lines of 76 characters.
            code = codecs.encode(raw, "base64").decode("ascii")
        shape = [6] if key == "scale-to-unit" else [5, 3]
        lambda_layer = keras2_layer(
            "Lambda",
            "lambda_1",
            shape,
            function=[code, None, None],
            function_type="lambda",
            output_shape=None,
            output_shape_type="raw",
            arguments={},
        )
        config = sequential_config([lambda_layer, keras2_dense("dense_1", 2, "softmax")], version)
        units_in = shape[-1]
        layers = [
            ("lambda_1", []),
            weights("dense_1", "Dense", [draw(rng, units_in, 2, scale=0.3), draw(rng, 2)]),
        ]

        def oracle(tk, file_layers):
            if key == "scale-to-unit":
                function = lambda x: x / 127.5 - 1.0  # noqa: E731
            else:
                function = lambda x: tk.backend.mean(x, axis=1)  # noqa: E731
            model = tk.Sequential(
                [
                    tk.Input(tuple(shape)),
                    tk.layers.Lambda(function),
                    tk.layers.Dense(2, activation="softmax", name="dense_1"),
                ]
            )
            return set_weights(model, file_layers) if file_layers else model

        low, high = (0.0, 255.0) if key == "scale-to-unit" else (-1.0, 1.0)
        return keras2_case(
            file_id,
            version,
            features=[
                "sequential-dict-config" if version.startswith("2.2") else "sequential-list-config",
                f"lambda-py{python}",
                f"lambda-{encoding.replace('_', '-')}",
                "lambda-function-triple",
                "lambda-backend-call" if key == "mean-over-time" else "lambda-scale-input",
            ],
            model_config=config,
            training_config=training_config(SGD_2_0, "categorical_crossentropy"),
            layers=layers,
            inputs=[float_inputs(rng, 3, *shape, low=low, high=high)],
            build_oracle=oracle,
            python=python,
        )

    return make


def json_weights_pair(seeded):
    rng = seeded("keras2.2-json-hdf5")
    entries = [
        keras2_input("input_1", [6]),
        keras2_node(keras2_dense("dense_1", 4, "relu"), [[("input_1", 0, 0)]]),
        keras2_node(keras2_dense("dense_2", 2), [[("dense_1", 0, 0)]]),
    ]
    config = functional_config(entries, ["input_1"], [("dense_2", 0, 0)])
    layers = [
        ("input_1", []),
        weights("dense_1", "Dense", [draw(rng, 6, 4), draw(rng, 4)]),
        weights("dense_2", "Dense", [draw(rng, 4, 2), draw(rng, 2)]),
    ]

    def oracle(tk, file_layers):
        x = tk.Input((6,))
        hidden = tk.layers.Dense(4, activation="relu", name="dense_1")(x)
        model = tk.Model(x, tk.layers.Dense(2, name="dense_2")(hidden))
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.2-json-hdf5",
        "2.2.4",
        writer=(
            "Keras 2.2.4 to_json() and save_weights() layouts (TensorFlow backend), "
            "written with h5py from the documented format"
        ),
        features=[
            "json-architecture",
            "weights-only-hdf5",
            "functional-config",
            "empty-weight-groups",
        ],
        model_config=config,
        layers=layers,
        inputs=[float_inputs(rng, 3, 6)],
        build_oracle=oracle,
        format="json+hdf5",
        json_extra={"keras_version": "2.2.4", "backend": "tensorflow"},
    )


CASES = [
    sequential_mlp,
    conv2d_theano,
    conv1d,
    sequential_dict_adam,
    functional_shared,
    keras2_lambda("keras2.0-lambda-py36", "2.0.8", "3.6", "scale-to-unit", "raw_unicode_escape"),
    keras2_lambda("keras2.2-lambda-py37", "2.2.4", "3.7", "mean-over-time", "base64"),
    json_weights_pair,
]
