"""The corpus's Keras 1.x convolution files: Convolution2D in both dim_orderings, Convolution1D.

Keras 1's `Convolution2D(nb_filter, nb_row, nb_col, border_mode=..., subsample=...,
dim_ordering='th'|'tf')` kept its kernel as (nb_filter, stack, nb_row, nb_col)
with 'th' and (nb_row, nb_col, stack, nb_filter) with 'tf'; `Flatten` flattened
whatever order the tensor had.

Example:

```python
import numpy as np
case = CASES[0](lambda file_id: np.random.RandomState(0))
assert case.layers[0][1][0][1].shape == (4, 1, 3, 3)  # 'th' kernel layout
```
"""

import numpy as np
import weight_layouts
from corpus_case import draw, float_inputs, int_inputs, set_weights
from old_configs import keras1_dense, keras1_layer
from old_eras_keras1 import SGD_TRAINING, TENSORFLOW, keras1_case, sequential, weights


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


# The release each Convolution1D kernel layout is saved as.
KERAS_RELEASES = {"1.1": "1.1.2", "1.2": "1.2.2"}


def conv1d_text(layout_version):
    """Embedding -> Convolution1D -> MaxPooling1D, the Keras 1 text classifier.

    Keras 1.2 kept a Convolution1D kernel as (filter_length, 1, input_dim,
    nb_filter); Keras 1.1 as (nb_filter, input_dim, filter_length, 1).
    """
    file_id = f"keras1-conv1d-text-{layout_version}"

    def make(seeded):
        rng = seeded(file_id)
        embedding = keras1_layer(
            "Embedding",
            "embedding_1",
            input_shape=[8],
            input_dtype="int32",
            input_dim=30,
            output_dim=5,
            init="uniform",
            input_length=8,
            mask_zero=False,
            activity_regularizer=None,
            W_regularizer=None,
            W_constraint=None,
            dropout=0.0,
        )
        convolution = keras1_layer(
            "Convolution1D",
            "convolution1d_1",
            nb_filter=4,
            filter_length=3,
            init="glorot_uniform",
            activation="relu",
            border_mode="valid",
            subsample_length=1,
            W_regularizer=None,
            b_regularizer=None,
            activity_regularizer=None,
            W_constraint=None,
            b_constraint=None,
            bias=True,
            input_dim=None,
            input_length=None,
        )
        pool = keras1_layer(
            "MaxPooling1D", "maxpooling1d_1", stride=2, pool_length=2, border_mode="valid"
        )
        config = sequential(
            [
                embedding,
                convolution,
                pool,
                keras1_layer("Flatten", "flatten_1"),
                keras1_dense("dense_1", 1, activation="sigmoid"),
            ]
        )
        kernel = draw(rng, 3, 5, 4)  # (filter_length, input_dim, nb_filter)
        if layout_version == "1.2":
            stored = kernel[:, np.newaxis, :, :]
        else:
            stored = np.transpose(kernel, (2, 1, 0))[:, :, :, np.newaxis]
        layers = [
            weights("embedding_1", "Embedding", [draw(rng, 30, 5)], True),
            weights(
                "convolution1d_1",
                "Convolution1D",
                [np.ascontiguousarray(stored), draw(rng, 4)],
                True,
            ),
            ("maxpooling1d_1", []),
            ("flatten_1", []),
            weights("dense_1", "Dense", [draw(rng, 12, 1), draw(rng, 1)], True),
        ]

        def oracle(tk, file_layers):
            model = tk.Sequential(
                [
                    tk.Input((8,), dtype="int32"),
                    tk.layers.Embedding(30, 5, name="embedding_1"),
                    tk.layers.Conv1D(4, 3, activation="relu", name="convolution1d_1"),
                    tk.layers.MaxPooling1D(2),
                    tk.layers.Flatten(),
                    tk.layers.Dense(1, activation="sigmoid", name="dense_1"),
                ]
            )
            converters = {
                "convolution1d_1": lambda a: [
                    weight_layouts.keras1_conv1d_kernel(a[0], layout_version),
                    a[1],
                ]
            }
            return set_weights(model, file_layers, converters) if file_layers else model

        case = keras1_case(
            file_id,
            writer=(
                f"Keras {KERAS_RELEASES[layout_version]} layout (TensorFlow backend weight "
                "names), written with h5py from the documented format"
            ),
            features=[
                "sequential-list-config",
                "keras1-embedding",
                "keras1-convolution1d",
                f"keras{layout_version}-conv1d-kernel-layout",
                "keras1-maxpooling1d",
                "integer-inputs",
                "tensorflow-weight-names",
            ],
            model_config=config,
            training_config=dict(SGD_TRAINING, loss="binary_crossentropy"),
            layers=layers,
            inputs=[int_inputs(rng, 3, 8, high=30)],
            build_oracle=oracle,
        )
        case.root_attributes = {"keras_version": KERAS_RELEASES[layout_version]}
        return case

    return make


CASES = [
    conv2d_th,
    conv2d_tf,
    conv1d_text("1.2"),
    conv1d_text("1.1"),
]
