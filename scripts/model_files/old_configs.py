"""Layer configs and weight names as Keras 1.2 and Keras 2.0-2.2 serialized them.

Each builder returns `{"class_name": ..., "config": {...}}` with the keys that
era's `get_config()` wrote, so a file made from them reads like one its Keras
saved. Keras 1 names: `output_dim`, `init`, `W_regularizer`, `border_mode`,
`nb_filter`, `dim_ordering`, `consume_less`, ... and layer names from the
lowercased class name (`convolution2d_1`). Keras 2 names: `units`,
`kernel_initializer`, ... and snake-cased class names (`cu_dnnlstm_1`).

Example:

```python
layer = keras1_dense("dense_1", 3, activation="softmax")
assert layer["config"]["output_dim"] == 3
```
"""

# ---------------------------------------------------------------- Keras 1.2


def keras1_layer(class_name, name, input_shape=None, input_dtype="float32", **config):
    """A Keras 1 layer; `input_shape` makes it a model's first layer."""
    full = {"name": name, "trainable": True}
    if input_shape is not None:
        full["batch_input_shape"] = [None, *input_shape]
        full["input_dtype"] = input_dtype
    full.update(config)
    return {"class_name": class_name, "config": full}


def keras1_dense(name, output_dim, activation="linear", **extra):
    return keras1_layer(
        "Dense",
        name,
        output_dim=output_dim,
        init="glorot_uniform",
        activation=activation,
        W_regularizer=None,
        b_regularizer=None,
        activity_regularizer=None,
        W_constraint=None,
        b_constraint=None,
        bias=True,
        input_dim=extra.get("input_shape", [None])[0],
        **extra,
    )


def keras1_recurrent(class_name, name, output_dim, consume_less, **extra):
    """LSTM, GRU or SimpleRNN with Keras 1.2's arguments and defaults."""
    config = {
        "output_dim": output_dim,
        "init": "glorot_uniform",
        "inner_init": "orthogonal",
        "activation": "tanh",
        "W_regularizer": None,
        "U_regularizer": None,
        "b_regularizer": None,
        "dropout_W": 0.0,
        "dropout_U": 0.0,
        "return_sequences": False,
        "go_backwards": False,
        "stateful": False,
        "unroll": False,
        "consume_less": consume_less,
        "input_dim": None,
        "input_length": None,
    }
    if class_name in ("LSTM", "GRU"):
        config["inner_activation"] = "hard_sigmoid"
    if class_name == "LSTM":
        config["forget_bias_init"] = "one"
    config.update(extra)
    if "input_shape" in config:
        config["input_length"], config["input_dim"] = config["input_shape"]
    return keras1_layer(class_name, name, **config)


def keras1_weight_names(layer_name, keys, tensorflow_names):
    """Keras 1 named a variable `<layer>_<key>`; TensorFlow appended `:0`."""
    suffix = ":0" if tensorflow_names else ""
    return [f"{layer_name}_{key}{suffix}" for key in keys]


# Weight keys of each Keras 1 layer, in the order `layer.weights` listed them.
KERAS1_WEIGHT_KEYS = {
    "Dense": ["W", "b"],
    "Convolution1D": ["W", "b"],
    "Convolution2D": ["W", "b"],
    "Embedding": ["W"],
    "SimpleRNN": ["W", "U", "b"],
    # consume_less 'cpu' or 'mem': one matrix per gate, in the order i, c, f, o.
    "LSTM": ["W_i", "U_i", "b_i", "W_c", "U_c", "b_c", "W_f", "U_f", "b_f", "W_o", "U_o", "b_o"],
    # consume_less 'gpu': gates stacked along the last axis in the order i, f, c, o.
    "LSTM-gpu": ["W", "U", "b"],
    "GRU": ["W_z", "U_z", "b_z", "W_r", "U_r", "b_r", "W_h", "U_h", "b_h"],
    "BatchNormalization": ["gamma", "beta", "running_mean", "running_std"],
}


def keras1_merge(name, mode, layers=None, concat_axis=-1):
    """Keras 1's Merge layer; `layers` (sub-model configs) inside a Sequential."""
    config = {
        "name": name,
        "mode": mode,
        "mode_type": "raw",
        "concat_axis": concat_axis,
        "dot_axes": -1,
        "output_shape": None,
        "output_shape_type": "raw",
        "output_mask": None,
        "output_mask_type": "raw",
        "arguments": {},
    }
    if layers is not None:
        config["layers"] = layers
    return {"class_name": "Merge", "config": config}


# ---------------------------------------------------------------- Keras 2.0-2.2

GLOROT_UNIFORM = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None},
}
ZEROS = {"class_name": "Zeros", "config": {}}
ONES = {"class_name": "Ones", "config": {}}
ORTHOGONAL = {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}}

_NO_REGULARIZERS = {
    "kernel_regularizer": None,
    "bias_regularizer": None,
    "activity_regularizer": None,
    "kernel_constraint": None,
    "bias_constraint": None,
}


def keras2_layer(class_name, name, input_shape=None, **config):
    """A Keras 2 layer; `input_shape` gives it `batch_input_shape` and `dtype`."""
    full = {"name": name, "trainable": True}
    if input_shape is not None:
        full["batch_input_shape"] = [None, *input_shape]
        full["dtype"] = "float32"
    full.update(config)
    return {"class_name": class_name, "config": full}


def keras2_dense(name, units, activation="linear", input_shape=None):
    return keras2_layer(
        "Dense",
        name,
        input_shape,
        units=units,
        activation=activation,
        use_bias=True,
        kernel_initializer=GLOROT_UNIFORM,
        bias_initializer=ZEROS,
        **_NO_REGULARIZERS,
    )


def keras2_recurrent(class_name, name, units, input_shape=None, **extra):
    """LSTM, GRU, CuDNNLSTM or CuDNNGRU with Keras 2.2's arguments."""
    config = {
        "return_sequences": False,
        "return_state": False,
        "go_backwards": False,
        "stateful": False,
    }
    cudnn = class_name.startswith("CuDNN")
    if not cudnn:
        config.update(
            unroll=False,
            units=units,
            activation="tanh",
            recurrent_activation="hard_sigmoid",
            use_bias=True,
        )
    else:
        config["units"] = units
    config.update(
        kernel_initializer=GLOROT_UNIFORM,
        recurrent_initializer=ORTHOGONAL,
        bias_initializer=ZEROS,
    )
    if class_name.endswith("LSTM"):
        config["unit_forget_bias"] = True
    config.update(
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
    )
    if not cudnn:
        config.update(dropout=0.0, recurrent_dropout=0.0, implementation=1)
        if class_name == "GRU":
            config["reset_after"] = False
    config.update(extra)
    return keras2_layer(class_name, name, input_shape, **config)


def keras2_input(name, shape):
    return {
        "name": name,
        "class_name": "InputLayer",
        "config": {
            "batch_input_shape": [None, *shape],
            "dtype": "float32",
            "sparse": False,
            "name": name,
        },
        "inbound_nodes": [],
    }


def keras2_node(layer, inbound_nodes):
    """A functional-model entry; `inbound_nodes` as [[(name, node, tensor)]]."""
    return {
        "name": layer["config"]["name"],
        "class_name": layer["class_name"],
        "config": layer["config"],
        "inbound_nodes": [
            [[name, node, tensor, {}] for name, node, tensor in call] for call in inbound_nodes
        ],
    }


def keras2_weight_names(layer_name, keys, scope=None):
    """Keras 2 on TensorFlow named a variable `<scope>/<key>:0`."""
    return [f"{scope or layer_name}/{key}:0" for key in keys]


KERAS2_WEIGHT_KEYS = {
    "Dense": ["kernel", "bias"],
    "Conv1D": ["kernel", "bias"],
    "LSTM": ["kernel", "recurrent_kernel", "bias"],
    "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"],
}
