"""The corpus's Keras 1.x files with several inputs: Merge in a Sequential, functional Model.

Keras 1 merged branches with the `Merge` layer: as the first layer of a
Sequential whose config lists the branch Sequentials under `layers`, or called
in a functional `Model` whose config lists `input_layers`, `output_layers` and
inbound nodes as `[layer_name, node_index, tensor_index]` triples.

Example:

```python
import numpy as np
case = CASES[-1](lambda file_id: np.random.RandomState(0))
assert case.model_config["class_name"] == "Model"
```
"""

from corpus_case import draw, float_inputs, set_weights
from old_configs import keras1_dense, keras1_layer, keras1_merge
from old_eras_keras1 import SGD_TRAINING, TENSORFLOW, THEANO, keras1_case, sequential, weights


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


CASES = [
    merge_sequential("concat"),
    merge_sequential("sum"),
    functional_merge,
]
