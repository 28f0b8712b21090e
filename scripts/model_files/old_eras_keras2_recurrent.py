"""The corpus's standalone Keras 2.0-2.2 files of recurrent layers.

A sequence-to-sequence model whose decoder LSTM takes the encoder's states as
`initial_state` (Keras 2 appended them to the call's inbound node), a
Bidirectional LSTM, and the cuDNN layers `CuDNNLSTM` and `CuDNNGRU`, whose
weights keep cuDNN's layout (see `weight_layouts.py`).

Example:

```python
import numpy as np
case = CASES[0](lambda file_id: np.random.RandomState(0))
assert case.model_config["class_name"] == "Model"
```
"""

import weight_layouts
from corpus_case import draw, float_inputs, named, set_weights
from old_configs import (
    KERAS2_WEIGHT_KEYS,
    keras2_dense,
    keras2_input,
    keras2_layer,
    keras2_node,
    keras2_recurrent,
    keras2_weight_names,
)
from old_eras_keras2 import (
    ADAM_2_2,
    RMSPROP_2_2,
    functional_config,
    keras2_case,
    sequential_config,
    training_config,
    weights,
)


def seq2seq(seeded):
    rng = seeded("keras2.2-seq2seq-initial-state")
    entries = [
        keras2_input("input_1", [5, 3]),
        keras2_input("input_2", [4, 2]),
        keras2_node(
            keras2_recurrent("LSTM", "lstm_1", 4, return_state=True), [[("input_1", 0, 0)]]
        ),
        # The decoder's call with initial_state=[h, c]: Keras 2 appended the
        # states to the node's inputs.
        keras2_node(
            keras2_recurrent("LSTM", "lstm_2", 4, return_sequences=True),
            [[("input_2", 0, 0), ("lstm_1", 0, 1), ("lstm_1", 0, 2)]],
        ),
        keras2_node(keras2_dense("dense_1", 3, "softmax"), [[("lstm_2", 0, 0)]]),
    ]
    config = functional_config(entries, ["input_1", "input_2"], [("dense_1", 0, 0)])
    layers = [
        ("input_1", []),
        ("input_2", []),
        weights("lstm_1", "LSTM", [draw(rng, 3, 16), draw(rng, 4, 16), draw(rng, 16, scale=0.2)]),
        weights("lstm_2", "LSTM", [draw(rng, 2, 16), draw(rng, 4, 16), draw(rng, 16, scale=0.2)]),
        weights("dense_1", "Dense", [draw(rng, 4, 3), draw(rng, 3)]),
    ]

    def oracle(tk, file_layers):
        encoder_in, decoder_in = tk.Input((5, 3)), tk.Input((4, 2))
        _, h, c = tk.layers.LSTM(
            4, recurrent_activation="hard_sigmoid", return_state=True, name="lstm_1"
        )(encoder_in)
        decoded = tk.layers.LSTM(
            4, recurrent_activation="hard_sigmoid", return_sequences=True, name="lstm_2"
        )(decoder_in, initial_state=[h, c])
        model = tk.Model(
            [encoder_in, decoder_in],
            tk.layers.Dense(3, activation="softmax", name="dense_1")(decoded),
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.2-seq2seq-initial-state",
        "2.2.4",
        features=[
            "functional-config",
            "lstm-initial-state",
            "return-state",
            "node-extra-inputs",
            "recurrent-activation-hard-sigmoid",
            "two-inputs",
        ],
        model_config=config,
        training_config=training_config(RMSPROP_2_2, "categorical_crossentropy"),
        layers=layers,
        inputs=[float_inputs(rng, 2, 5, 3), float_inputs(rng, 2, 4, 2)],
        build_oracle=oracle,
        crosscheck="load_model",
        tolerance={"rtol": 1e-4, "atol": 1e-5},
    )


def bidirectional(seeded):
    rng = seeded("keras2.2-bidirectional-lstm")
    wrapped = keras2_recurrent("LSTM", "lstm_1", 3)
    config = sequential_config(
        [
            keras2_layer(
                "Bidirectional", "bidirectional_1", [5, 2], layer=wrapped, merge_mode="concat"
            ),
            keras2_dense("dense_1", 1),
        ],
        "2.2.4",
    )
    direction_arrays = {
        d: [draw(rng, 2, 12), draw(rng, 3, 12), draw(rng, 12, scale=0.2)]
        for d in ("forward", "backward")
    }
    bidirectional_weights = []
    for direction, arrays in direction_arrays.items():
        scope = f"bidirectional_1/{direction}_lstm_1"
        bidirectional_weights += named(
            keras2_weight_names("lstm_1", KERAS2_WEIGHT_KEYS["LSTM"], scope), arrays
        )
    layers = [
        ("bidirectional_1", bidirectional_weights),
        weights("dense_1", "Dense", [draw(rng, 6, 1), draw(rng, 1)]),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5, 2)),
                tk.layers.Bidirectional(
                    tk.layers.LSTM(3, recurrent_activation="hard_sigmoid"), name="bidirectional_1"
                ),
                tk.layers.Dense(1, name="dense_1"),
            ]
        )
        return set_weights(model, file_layers) if file_layers else model

    return keras2_case(
        "keras2.2-bidirectional-lstm",
        "2.2.4",
        features=[
            "sequential-dict-config",
            "bidirectional",
            "lstm",
            "wrapper-weight-names",
            "batch_input_shape-on-wrapper",
        ],
        model_config=config,
        training_config=training_config(ADAM_2_2, "mse", metrics=[]),
        layers=layers,
        inputs=[float_inputs(rng, 3, 5, 2)],
        build_oracle=oracle,
        crosscheck="load_model",
    )


def cudnn_lstm(seeded):
    rng = seeded("keras2.1-cudnnlstm")
    config = sequential_config(
        [
            keras2_recurrent("CuDNNLSTM", "cu_dnnlstm_1", 4, input_shape=[5, 3]),
            keras2_dense("dense_1", 2, "softmax"),
        ],
        "2.1.6",
    )
    # Input and recurrent biases kept apart: 8 * units.
    arrays = [draw(rng, 3, 16), draw(rng, 4, 16), draw(rng, 32, scale=0.2)]
    layers = [
        (
            "cu_dnnlstm_1",
            named(keras2_weight_names("cu_dnnlstm_1", KERAS2_WEIGHT_KEYS["LSTM"]), arrays),
        ),
        weights("dense_1", "Dense", [draw(rng, 4, 2), draw(rng, 2)]),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5, 3)),
                tk.layers.LSTM(4, recurrent_activation="sigmoid", name="cu_dnnlstm_1"),
                tk.layers.Dense(2, activation="softmax", name="dense_1"),
            ]
        )
        converters = {"cu_dnnlstm_1": lambda a: weight_layouts.cudnn_lstm_to_lstm(*a)}
        return set_weights(model, file_layers, converters) if file_layers else model

    return keras2_case(
        "keras2.1-cudnnlstm",
        "2.1.6",
        features=["sequential-list-config", "cudnnlstm", "cudnn-weight-layout", "cudnn-split-bias"],
        model_config=config,
        training_config=training_config(ADAM_2_2, "categorical_crossentropy"),
        layers=layers,
        inputs=[float_inputs(rng, 3, 5, 3)],
        build_oracle=oracle,
    )


def cudnn_gru(seeded):
    rng = seeded("keras2.2-cudnngru")
    config = sequential_config(
        [
            keras2_recurrent(
                "CuDNNGRU", "cu_dnngru_1", 4, input_shape=[5, 3], return_sequences=True
            ),
            keras2_layer("Flatten", "flatten_1", data_format="channels_last"),
            keras2_dense("dense_1", 2),
        ],
        "2.2.4",
    )
    arrays = [draw(rng, 3, 12), draw(rng, 4, 12), draw(rng, 24, scale=0.2)]
    layers = [
        (
            "cu_dnngru_1",
            named(keras2_weight_names("cu_dnngru_1", KERAS2_WEIGHT_KEYS["LSTM"]), arrays),
        ),
        ("flatten_1", []),
        weights("dense_1", "Dense", [draw(rng, 20, 2), draw(rng, 2)]),
    ]

    def oracle(tk, file_layers):
        model = tk.Sequential(
            [
                tk.Input((5, 3)),
                tk.layers.GRU(
                    4,
                    recurrent_activation="sigmoid",
                    reset_after=True,
                    return_sequences=True,
                    name="cu_dnngru_1",
                ),
                tk.layers.Flatten(),
                tk.layers.Dense(2, name="dense_1"),
            ]
        )
        converters = {"cu_dnngru_1": lambda a: weight_layouts.cudnn_gru_to_gru(*a)}
        return set_weights(model, file_layers, converters) if file_layers else model

    return keras2_case(
        "keras2.2-cudnngru",
        "2.2.4",
        features=["sequential-dict-config", "cudnngru", "cudnn-weight-layout", "return-sequences"],
        model_config=config,
        training_config=training_config(ADAM_2_2, "mse", metrics=[]),
        layers=layers,
        inputs=[float_inputs(rng, 3, 5, 3)],
        build_oracle=oracle,
    )


CASES = [
    seq2seq,
    bidirectional,
    cudnn_lstm,
    cudnn_gru,
]
