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
    keras1_merge,
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


def keras1_conv(
    name,
    nb_filter,
    rows,
    cols,
    dim_ordering,
    border_mode,
    subsample,
    activation="linear",
    input_shape=None,
):
    return keras1_layer(
        "Convolution2D",
        name,
        input_shape=input_shape,
        nb_filter=nb_filter,
        nb_row=rows,
        nb_col=cols,
        init="glorot_uniform",
        activation=activation,
        border_mode=border_mode,
        subsample=list(subsample),
        dim_ordering=dim_ordering,
        W_regularizer=None,
        b_regularizer=None,
        activity_regularizer=None,
        W_constraint=None,
        b_constraint=None,
        bias=True,
    )


def keras1_pool(name, dim_ordering):
    return keras1_layer(
        "MaxPooling2D",
        name,
        pool_size=[2, 2],
        strides=[2, 2],
        border_mode="valid",
        dim_ordering=dim_ordering,
    )


def conv2d_th(seeded):
    rng = seeded("keras1-conv2d-th")
    config = sequential(
        [
            keras1_conv(
                "convolution2d_1", 4, 3, 3, "th", "same", (1, 1), "relu", input_shape=[1, 8, 8]
            ),
            keras1_pool("maxpooling2d_1", "th"),
            keras1_layer("Flatten", "flatten_1"),
            keras1_dense("dense_1", 3, activation="softmax"),
        ]
    )
    layers = [
        # Kernel in Keras 1's 'th' layout: (nb_filter, stack, nb_row, nb_col).
        weights("convolution2d_1", "Convolution2D", [draw(rng, 4, 1, 3, 3), draw(rng, 4)], True),
        ("maxpooling2d_1", []),
        ("flatten_1", []),
        weights("dense_1", "Dense", [draw(rng, 64, 3), draw(rng, 3)], True),
    ]

    def oracle(tk, file_layers):
        # Channels-first convolution and pooling do not run on TensorFlow's CPU
        # kernels: the oracle moves channels last around them and back before
        # Flatten, which Keras 1 applied to the channels-first tensor as it was.
        model = tk.Sequential(
            [
                tk.Input((1, 8, 8)),
                tk.layers.Permute((2, 3, 1)),
                tk.layers.Conv2D(4, 3, padding="same", activation="relu", name="convolution2d_1"),
                tk.layers.MaxPooling2D(2),
                tk.layers.Permute((3, 1, 2)),
                tk.layers.Flatten(),
                tk.layers.Dense(3, activation="softmax", name="dense_1"),
            ]
        )
        converters = {
            "convolution2d_1": lambda a: [weight_layouts.keras1_th_kernel_to_hwio(a[0]), a[1]]
        }
        return set_weights(model, file_layers, converters) if file_layers else model

    def twin(tk):
        # Holds the weights tf_keras loads, with its own Keras 1 conversion of a
        # channels-first kernel; never run.
        image = tk.Input((1, 8, 8))
        flat = tk.Input((64,))
        conv = tk.layers.Conv2D(4, 3, data_format="channels_first", name="convolution2d_1")(image)
        dense = tk.layers.Dense(3, name="dense_1")(flat)
        return tk.Model([image, flat], [conv, dense])

    return keras1_case(
        "keras1-conv2d-th",
        writer=TENSORFLOW,
        features=[
            "sequential-list-config",
            "keras1-convolution2d",
            "dim-ordering-th",
            "keras1-th-kernel-layout",
            "border-mode-same",
            "keras1-maxpooling2d",
            "flatten-channels-first",
            "tensorflow-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 2, 1, 8, 8)],
        build_oracle=oracle,
        build_twin=twin,
    )


def conv2d_tf(seeded):
    rng = seeded("keras1-conv2d-tf")
    config = sequential(
        [
            keras1_conv("convolution2d_1", 3, 3, 3, "tf", "valid", (2, 2), input_shape=[9, 9, 2]),
            keras1_layer("Activation", "activation_1", activation="tanh"),
            keras1_pool("maxpooling2d_1", "tf"),
            keras1_layer("Flatten", "flatten_1"),
            keras1_dense("dense_1", 2, activation="softmax"),
        ]
    )
    layers = [
        # Kernel in Keras 1's 'tf' layout: (nb_row, nb_col, stack, nb_filter).
        weights("convolution2d_1", "Convolution2D", [draw(rng, 3, 3, 2, 3), draw(rng, 3)], True),
        ("activation_1", []),
        ("maxpooling2d_1", []),
        ("flatten_1", []),
        weights("dense_1", "Dense", [draw(rng, 12, 2), draw(rng, 2)], True),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((9, 9, 2)),
                tk.layers.Conv2D(3, 3, strides=2, name="convolution2d_1"),
                tk.layers.Activation("tanh"),
                tk.layers.MaxPooling2D(2),
                tk.layers.Flatten(),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-conv2d-tf",
        writer=TENSORFLOW,
        features=[
            "sequential-list-config",
            "keras1-convolution2d",
            "dim-ordering-tf",
            "subsample",
            "border-mode-valid",
            "keras1-maxpooling2d",
            "tensorflow-weight-names",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 2, 9, 9, 2)],
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


def merge_sequential(mode):
    """A Sequential whose first layer is a Merge of two Sequential branches."""
    file_id = f"keras1-merge-{mode}-sequential"

    def make(seeded):
        rng = seeded(file_id)
        if mode == "concat":
            left = [keras1_dense("dense_1", 4, activation="relu", input_shape=[3])]
            right = [keras1_dense("dense_2", 4, activation="relu", input_shape=[5])]
            left_weights = [weights("dense_1", "Dense", [draw(rng, 3, 4), draw(rng, 4)], True)]
            right_weights = [weights("dense_2", "Dense", [draw(rng, 5, 4), draw(rng, 4)], True)]
            shapes, head_in = ([3], [5]), 8
        else:
            left = [
                keras1_dense("dense_1", 5, input_shape=[4]),
                keras1_layer("Activation", "activation_1", activation="tanh"),
            ]
            right = [keras1_dense("dense_2", 5, input_shape=[4])]
            left_weights = [
                weights("dense_1", "Dense", [draw(rng, 4, 5), draw(rng, 5)], False),
                ("activation_1", []),
            ]
            right_weights = [weights("dense_2", "Dense", [draw(rng, 4, 5), draw(rng, 5)], False)]
            shapes, head_in = ([4], [4]), 5
        branches = [sequential(left), sequential(right)]
        config = sequential(
            [
                keras1_merge("merge_1", mode, layers=branches),
                keras1_dense("dense_3", 2, activation="softmax"),
            ]
        )
        tensorflow_names = mode == "concat"
        # Keras 1's flattened_layers: each branch's layers, then the layers after
        # the Merge; the Merge itself holds no weights and is not listed.
        layers = (
            left_weights
            + right_weights
            + [weights("dense_3", "Dense", [draw(rng, head_in, 2), draw(rng, 2)], tensorflow_names)]
        )

        def oracle(tk, file_layers):
            a, b = tk.Input(tuple(shapes[0])), tk.Input(tuple(shapes[1]))
            if mode == "concat":
                left_out = tk.layers.Dense(4, activation="relu", name="dense_1")(a)
                right_out = tk.layers.Dense(4, activation="relu", name="dense_2")(b)
                merged = tk.layers.Concatenate()([left_out, right_out])
            else:
                left_out = tk.layers.Activation("tanh")(tk.layers.Dense(5, name="dense_1")(a))
                right_out = tk.layers.Dense(5, name="dense_2")(b)
                merged = tk.layers.Add()([left_out, right_out])
            output = tk.layers.Dense(2, activation="softmax", name="dense_3")(merged)
            model = tk.Model([a, b], output)
            return set_weights(model, file_layers) if file_layers else model

        return keras1_case(
            file_id,
            writer=TENSORFLOW if tensorflow_names else THEANO,
            features=[
                "sequential-list-config",
                f"keras1-merge-{mode}",
                "merge-in-sequential",
                "sequential-branches",
                "two-inputs",
            ],
            model_config=config,
            training_config=SGD_TRAINING,
            layers=layers,
            inputs=[float_inputs(rng, 3, *shapes[0]), float_inputs(rng, 3, *shapes[1])],
            build_oracle=oracle,
        )

    return make


def keras1_node(layer, inbound):
    """A Keras 1 functional entry: inbound nodes as [[name, node, tensor]]."""
    return {
        "name": layer["config"]["name"],
        "class_name": layer["class_name"],
        "config": layer["config"],
        "inbound_nodes": [[list(source) for source in call] for call in inbound],
    }


def keras1_input(name, shape):
    config = {
        "batch_input_shape": [None, *shape],
        "input_dtype": "float32",
        "sparse": False,
        "name": name,
    }
    return {"name": name, "class_name": "InputLayer", "config": config, "inbound_nodes": []}


def functional_merge(seeded):
    rng = seeded("keras1-functional-merge")
    entries = [
        keras1_input("input_1", [4]),
        keras1_input("input_2", [3]),
        keras1_node(keras1_dense("dense_1", 5, activation="relu"), [[("input_1", 0, 0)]]),
        keras1_node(keras1_dense("dense_2", 5, activation="relu"), [[("input_2", 0, 0)]]),
        keras1_node(keras1_merge("merge_1", "concat"), [[("dense_1", 0, 0), ("dense_2", 0, 0)]]),
        keras1_node(keras1_merge("merge_2", "mul"), [[("dense_1", 0, 0), ("dense_2", 0, 0)]]),
        keras1_node(keras1_dense("dense_3", 2, activation="softmax"), [[("merge_1", 0, 0)]]),
        keras1_node(keras1_dense("dense_4", 1, activation="sigmoid"), [[("merge_2", 0, 0)]]),
    ]
    config = {
        "class_name": "Model",
        "config": {
            "name": "model_1",
            "layers": entries,
            "input_layers": [["input_1", 0, 0], ["input_2", 0, 0]],
            "output_layers": [["dense_3", 0, 0], ["dense_4", 0, 0]],
        },
    }
    layers = [
        ("input_1", []),
        ("input_2", []),
        weights("dense_1", "Dense", [draw(rng, 4, 5), draw(rng, 5)], True),
        weights("dense_2", "Dense", [draw(rng, 3, 5), draw(rng, 5)], True),
        ("merge_1", []),
        ("merge_2", []),
        weights("dense_3", "Dense", [draw(rng, 10, 2), draw(rng, 2)], True),
        weights("dense_4", "Dense", [draw(rng, 5, 1), draw(rng, 1)], True),
    ]

    def oracle(tk, file_layers):
        a, b = tk.Input((4,)), tk.Input((3,))
        d1 = tk.layers.Dense(5, activation="relu", name="dense_1")(a)
        d2 = tk.layers.Dense(5, activation="relu", name="dense_2")(b)
        out_1 = tk.layers.Dense(2, activation="softmax", name="dense_3")(
            tk.layers.Concatenate()([d1, d2])
        )
        out_2 = tk.layers.Dense(1, activation="sigmoid", name="dense_4")(
            tk.layers.Multiply()([d1, d2])
        )
        model = tk.Model([a, b], [out_1, out_2])
        return set_weights(model, file_layers) if file_layers else model

    training = dict(SGD_TRAINING, loss=["categorical_crossentropy", "binary_crossentropy"])
    return keras1_case(
        "keras1-functional-merge",
        writer=TENSORFLOW,
        features=[
            "keras1-functional-model",
            "input-layers-output-layers",
            "keras1-inbound-nodes-triples",
            "keras1-merge-concat",
            "keras1-merge-mul",
            "two-inputs",
            "two-outputs",
            "empty-weight-groups",
        ],
        model_config=config,
        training_config=training,
        layers=layers,
        inputs=[float_inputs(rng, 3, 4), float_inputs(rng, 3, 3)],
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


def lambda_py36(seeded):
    rng = seeded("keras1-lambda-py36")
    raw = lambda_bytecode.marshalled("3.6", "scale-to-unit")
    # Keras 1's func_dump: (marshal text as raw_unicode_escape, defaults, closure).
    function = [raw.decode("raw_unicode_escape"), None, None]
    config = sequential(
        [
            keras1_layer(
                "Lambda",
                "lambda_1",
                input_shape=[6],
                function=function,
                function_type="lambda",
                output_shape=None,
                output_shape_type="raw",
                arguments={},
            ),
            keras1_dense("dense_1", 3, activation="softmax"),
        ]
    )
    layers = [
        ("lambda_1", []),
        weights("dense_1", "Dense", [draw(rng, 6, 3, scale=0.3), draw(rng, 3)], True),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((6,)),
                tk.layers.Lambda(lambda x: x / 127.5 - 1.0),
                tk.layers.Dense(3, activation="softmax", name="dense_1"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras1_case(
        "keras1-lambda-py36",
        writer=TENSORFLOW,
        features=[
            "sequential-list-config",
            "lambda-py3.6",
            "lambda-raw-unicode-escape",
            "lambda-function-triple",
            "lambda-scale-input",
        ],
        model_config=config,
        training_config=SGD_TRAINING,
        layers=layers,
        inputs=[float_inputs(rng, 3, 6, low=0.0, high=255.0)],
        build_oracle=oracle,
        python="3.6",
    )


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
    conv2d_th,
    conv2d_tf,
    embedding_lstm,
    gru_simplernn,
    lstm_gpu,
    batchnorm,
    merge_sequential("concat"),
    merge_sequential("sum"),
    functional_merge,
    time_distributed,
    lambda_py36,
    json_weights_pair,
]
