"""Keras 2's `keras.layers`: every Keras 3 layer that Keras 2 had, with Keras 2's API.

Each class is a thin subclass of the Keras 3 layer of the same name with the
`Keras2Layer` mixin in front (Keras 1/2 arguments, input specification on any layer,
`weights=`, the node API). The merge functions (`concatenate`, `add`, ...) take Keras
2's arguments and build these classes, so the tensors they return carry nodes too.

Example:

>>> from refimpl.layers import Dense, LSTM  # doctest: +SKIP
>>> Dense(32, input_dim=784)  # doctest: +SKIP
>>> LSTM(32, return_sequences=True, stateful=True, batch_input_shape=(32, 8, 16))  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from refimpl import _keras3_private, compilation, saved_lambda
from refimpl._keras3 import keras3, tf
from refimpl.layers.base_layer import Keras2Layer

_k3 = keras3.layers

#: Keras 3 layer classes exposed with Keras 2's API, by their Keras 2 name.
WRAPPED = (
    "Activation", "ActivityRegularization", "Add", "AdditiveAttention", "AlphaDropout",
    "Attention", "Average", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D", "Conv2D",
    "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM2D", "Cropping1D", "Cropping2D",
    "Cropping3D", "Dense", "DepthwiseConv2D", "Dot", "Dropout", "ELU", "Embedding",
    "Flatten", "GRU", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "LSTM", "Lambda", "Layer",
    "LayerNormalization", "LeakyReLU", "Masking", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "Maximum", "Minimum", "Multiply", "PReLU", "Permute", "RNN", "ReLU",
    "RepeatVector", "Reshape", "SeparableConv1D", "SeparableConv2D", "SimpleRNN", "Softmax",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Subtract",
    "TimeDistributed", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Wrapper",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    # Keras 2.1's recurrent cells, for `RNN(cell)`.
    "SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells",
)  # fmt: skip

#: Keras 2's other names for the same classes (Keras 1 names among them).
ALIASES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Deconvolution2D": "Conv2DTranspose",
    "Deconv2D": "Conv2DTranspose",
    "Deconvolution3D": "Conv3DTranspose",
    "Deconv3D": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    # Keras 2.2's cuDNN-only layers: Keras 3's LSTM/GRU use cuDNN kernels by themselves
    # on a GPU whenever the layer's configuration allows it.
    "CuDNNLSTM": "LSTM",
    "CuDNNGRU": "GRU",
}

#: Keras 1/2 layers that no longer exist, with what to use instead.
REMOVED = {
    "Merge": "Use the functional API's merge layers: `concatenate`, `add`, `multiply`, "
    "`average`, `maximum` or `dot` on a list of tensors.",
    "merge": "Use `concatenate([a, b])`, `add([a, b])`, `multiply(...)`, `average(...)`, "
    "`maximum(...)` or `dot(...)`.",
    "TimeDistributedDense": "Use `TimeDistributed(Dense(...))`, or `Dense` directly: it "
    "applies to the last axis of a 3D input.",
    "Highway": "Build it from `Dense` layers and `multiply`/`add` in the functional API.",
    "MaxoutDense": "Use `Dense(units * k)`, `Reshape((units, k))` and a max over the last axis.",
    "AtrousConvolution1D": "Use `Conv1D(..., dilation_rate=atrous_rate)`.",
    "AtrousConvolution2D": "Use `Conv2D(..., dilation_rate=atrous_rate)`.",
    "LocallyConnected1D": "Keras 3 removed it; tf_keras still has it.",
    "LocallyConnected2D": "Keras 3 removed it; tf_keras still has it.",
}


class UnrollsShortSequences:
    """Mixin for recurrent layers: `unroll=False` lets refimpl unroll short sequences.

    Unrolling computes exactly what the symbolic loop computes, step by step, without
    the loop's per-step overhead; `refimpl.compilation.UNROLL_STEPS` says up to how many
    time steps, per device. `unroll=True` always unrolls, as in Keras 2; the config
    keeps the value the layer was given.
    """

    def inner_loop(self, sequences: Any, initial_state: Any, mask: Any, training: bool = False):
        given = self.unroll
        # Keras 3's unrolled loop mishandles a mask when it runs backwards (a
        # Bidirectional layer's second half): it shifts the masked steps. The
        # symbolic loop computes what Keras 2 did, so that case keeps it.
        backwards_with_mask = mask is not None and self.go_backwards
        self.unroll = given or (
            not backwards_with_mask and compilation.unroll_recurrence(sequences.shape[1])
        )
        try:
            return super().inner_loop(sequences, initial_state, mask, training=training)
        finally:
            self.unroll = given


class GathersRowsSparsely:
    """Mixin for `Embedding`: reads only the looked-up rows of the table.

    Keras 3 reads the whole table and gathers rows from the copy. Once an optimizer
    has updated some rows in place (refimpl's sparse updates), TensorFlow copies the
    whole table on every such read, 20 MB a step for a 10,000 x 512 table; a sparse
    read (`tf.gather` on the variable itself) copies only the rows. Same values, same
    gradient (the rows, as `tf.IndexedSlices`); LoRA and sparse or ragged ids keep
    Keras 3's path.
    """

    def call(self, inputs: Any) -> Any:
        table = self.embeddings
        variable = _keras3_private.backing_variable(table)
        dense_ids = isinstance(inputs, tf.Tensor)
        if self.lora_enabled or not dense_ids or not isinstance(variable, tf.Variable):
            return super().call(inputs)
        ops = keras3.ops
        if inputs.dtype not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        # Negative ids count from the end, as in Keras 3's `ops.take`.
        rows = ops.where(inputs < 0, inputs + ops.cast(table.shape[0], inputs.dtype), inputs)
        return ops.cast(tf.gather(variable, rows), self.compute_dtype)


#: Behaviour some wrapped classes add to their Keras 3 class, by Keras 2 name.
MIXINS: dict[str, tuple[type, ...]] = {
    **{name: (UnrollsShortSequences,) for name in ("RNN", "SimpleRNN", "GRU", "LSTM")},
    "Embedding": (GathersRowsSparsely,),
}


def _keras2_class(name: str) -> type:
    base = getattr(_k3, name)
    return type(
        name,
        (Keras2Layer, *MIXINS.get(name, ()), base),
        {
            "__module__": __name__,
            "__qualname__": name,
            # User subclasses keep the Keras 2 translations of the class they extend.
            "_keras2_owner": name,
            "__doc__": f"Keras 2's `{name}`: Keras 3's `keras.layers.{name}` with Keras 2's "
            "arguments and node API.",
        },
    )


_classes = {name: _keras2_class(name) for name in WRAPPED}


class Lambda(_classes["Lambda"]):
    """Keras 2's `Lambda`, which also opens the Lambda layers of saved files.

    Keras 1, Keras 2 and Keras 3 saved the function as Python bytecode, which Keras 3
    refuses to load (and which no Python but the saving one can run). `from_config`
    rebuilds it from a fixed set of operations without running anything
    (refimpl.saved_lambda), so saved Lambdas open under the default safe mode; a
    function outside that set is an error that says how to pass it instead.
    """

    _keras2_owner = "Lambda"

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> Any:
        supplied = {**_keras3_private.custom_objects_in_scope(), **(custom_objects or {})}
        try:
            return cls(**saved_lambda.lambda_arguments(config, custom_objects=supplied))
        except saved_lambda.UnsafeLambdaError as unsafe:
            if not _keras3_private.safe_mode_disabled():
                raise
            # `safe_mode=False`: the user trusts the file, so Keras 3 may run its
            # bytecode, which works when this Python wrote it.
            try:
                return super().from_config(config)
            except Exception:  # noqa: BLE001 - the rebuild's error says more
                raise unsafe from None


class Bidirectional(_classes["Bidirectional"]):
    """Keras 2's `Bidirectional`: Keras 3's, able to clone refimpl's recurrent layers.

    Keras 3 builds the backward layer by serializing the forward one and deserializing
    the copy, which finds only Keras 3's own classes unless refimpl's are in scope.
    """

    _keras2_owner = "Bidirectional"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with keras3.saving.custom_object_scope(CUSTOM_OBJECTS):
            super().__init__(*args, **kwargs)


class ThresholdedReLU(Keras2Layer, _k3.Layer):
    """Keras 2's `ThresholdedReLU`: `x` where `x > theta`, else 0 (Keras 3 removed it)."""

    _keras2_owner = "ThresholdedReLU"

    def __init__(self, theta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if theta is None or theta < 0:
            raise ValueError(f"ThresholdedReLU's `theta` must be >= 0; received {theta!r}.")
        self.theta = float(theta)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        ops = keras3.ops
        return ops.multiply(inputs, ops.cast(ops.greater(inputs, self.theta), inputs.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "theta": self.theta}


_classes.update(Bidirectional=Bidirectional, Lambda=Lambda, ThresholdedReLU=ThresholdedReLU)
globals().update(_classes)
globals().update({alias: _classes[target] for alias, target in ALIASES.items()})


#: What a custom layer's `input_spec` is made of (`keras.layers.InputSpec` in Keras 2).
InputSpec = _k3.InputSpec


class InputLayer(_k3.InputLayer):
    """Keras 2's `InputLayer(input_shape=..., batch_size=..., batch_input_shape=...)`."""

    def __init__(
        self, input_shape=None, batch_size=None, dtype=None, input_tensor=None, sparse=None,
        name=None, batch_input_shape=None, **kwargs,
    ):  # fmt: skip
        if batch_input_shape is not None:
            kwargs["batch_shape"] = tuple(batch_input_shape)
        if input_shape is not None:
            kwargs["shape"] = tuple(input_shape)
        super().__init__(
            batch_size=batch_size, dtype=dtype, input_tensor=input_tensor, sparse=sparse,
            name=name, **kwargs,
        )  # fmt: skip


def Input(  # noqa: N802 - Keras 2's public name
    shape=None, batch_shape=None, name=None, dtype=None, sparse=None, tensor=None, **kwargs
):
    """Keras 2's `Input`: a symbolic tensor to start a functional model from.

    >>> x = Input(shape=(784,))  # doctest: +SKIP
    """
    if isinstance(shape, int):
        shape = (shape,)
    return keras3.Input(
        shape=shape, batch_shape=batch_shape, name=name, dtype=dtype, sparse=sparse,
        tensor=tensor, **kwargs,
    )  # fmt: skip


def _merge(layer_name: str, inputs: Any, **kwargs: Any) -> Any:
    return _classes[layer_name](**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Concatenate a list of tensors along `axis`: `Concatenate(axis)(inputs)`."""
    return _merge("Concatenate", inputs, axis=axis, **kwargs)


def add(inputs, **kwargs):
    """Element-wise sum of a list of tensors."""
    return _merge("Add", inputs, **kwargs)


def subtract(inputs, **kwargs):
    """Element-wise difference of two tensors."""
    return _merge("Subtract", inputs, **kwargs)


def multiply(inputs, **kwargs):
    """Element-wise product of a list of tensors."""
    return _merge("Multiply", inputs, **kwargs)


def average(inputs, **kwargs):
    """Element-wise mean of a list of tensors."""
    return _merge("Average", inputs, **kwargs)


def maximum(inputs, **kwargs):
    """Element-wise maximum of a list of tensors."""
    return _merge("Maximum", inputs, **kwargs)


def minimum(inputs, **kwargs):
    """Element-wise minimum of a list of tensors."""
    return _merge("Minimum", inputs, **kwargs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Dot product of two tensors along `axes` (cosine proximity with `normalize=True`)."""
    return _merge("Dot", inputs, axes=axes, normalize=normalize, **kwargs)


#: Every class a saved Keras 2 or Keras 3 model may name, for deserialization.
CUSTOM_OBJECTS: dict[str, type] = {**_classes, "InputLayer": InputLayer}


def serialize(layer: Any) -> dict[str, Any]:
    """A layer's config as `{"class_name": ..., "config": ...}`."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild a layer from `serialize`'s output as the refimpl class of that name."""
    objects = {**CUSTOM_OBJECTS, **(custom_objects or {})}
    cls = objects.get(config["class_name"])
    if cls is None:
        raise ValueError(
            f"Unknown layer class {config['class_name']!r}; pass it in `custom_objects`."
        )
    return cls.from_config(config["config"])


def __getattr__(name: str) -> Any:
    if name in REMOVED:
        raise AttributeError(f"`keras.layers.{name}` no longer exists. {REMOVED[name]}")
    raise AttributeError(f"module 'keras.layers' has no attribute {name!r}")
