"""refimpl.layers against Keras 2's own layers (tf_keras).

Every layer that has weights or computes something is built in refimpl and in tf_keras
from the same description, given tf_keras's (randomised) weights through `set_weights`
after checking that both hold the same weights in the same order, and run on the same
input; the outputs must agree to float32 precision. Then: Keras 2's input-shape
arguments, Keras 1 argument names with Keras 2's "Update your call" warning, the
layer-node API, stateful recurrent layers, and Dropout in training mode.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402
from oracle import (  # noqa: E402
    as_numpy,
    assert_close,
    compare_models,
    config_without_name,
    copy_weights,
    functional_model,
    sequential_pair,
)

import refimpl  # noqa: E402
from refimpl import layers as L  # noqa: E402

RNG = np.random.default_rng(20240607)


def _normal(*shape: int) -> np.ndarray:
    return RNG.normal(size=shape).astype("float32")


VEC = _normal(4, 6)
VEC_B = _normal(4, 6)
SEQ = _normal(3, 5, 4)
SEQ_B = _normal(3, 5, 4)
SEQ_Q = _normal(3, 2, 4)
IMG = _normal(2, 6, 6, 3)
IMG_B = _normal(2, 6, 6, 3)
VOL = _normal(2, 4, 4, 4, 2)
FRAMES = _normal(2, 3, 5, 5, 2)
IDS = RNG.integers(0, 10, size=(3, 5)).astype("int32")
# Trailing zeros: padded sequences, as `pad_sequences(..., padding='post')` gives.
PADDED_IDS = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 0], [0, 0, 0, 0, 0]], "int32")
MASKED_SEQ = SEQ.copy()
MASKED_SEQ[0, 3:] = 0.0
MASKED_SEQ[1, 1] = 0.0


def layer(name: str, *args, **kwargs):
    """A case that applies one layer, `keras.layers.<name>(*args, **kwargs)`, to the input."""
    return lambda k, x: getattr(k.layers, name)(*args, **kwargs)(x)


def function(name: str, **kwargs):
    """A case that applies a merge function, `keras.layers.<name>(inputs, **kwargs)`."""
    return lambda k, xs: getattr(k.layers, name)(xs, **kwargs)


def _time_distributed_model(k, x):
    inner = k.models.Sequential([k.layers.Dense(4, input_shape=(4,)), k.layers.Dense(2)])
    return k.layers.TimeDistributed(inner)(x)


def _stacked_cells(k, x):
    cells = k.layers.StackedRNNCells([k.layers.LSTMCell(3), k.layers.GRUCell(2)])
    return k.layers.RNN(cells, return_sequences=True)(x)


def _cell(name: str):
    return lambda k, x: k.layers.RNN(getattr(k.layers, name)(3))(x)


ACTIVATIONS = [
    "relu", "tanh", "sigmoid", "hard_sigmoid", "softmax", "softplus", "softsign",
    "elu", "selu", "linear", "exponential",
]  # fmt: skip

# (test id, model description, inputs): the description is `build(keras, inputs)`.
CASES = [
    # -- core ------------------------------------------------------------------------
    ("Dense", layer("Dense", 5, activation="tanh"), [VEC]),
    ("Dense-3d", layer("Dense", 5), [SEQ]),
    ("Dense-no-bias", layer("Dense", 3, use_bias=False, activation="relu"), [VEC]),
    *[(f"Activation-{a}", layer("Activation", a), [SEQ]) for a in ACTIVATIONS],
    ("Dropout-inference", layer("Dropout", 0.5), [VEC]),
    ("SpatialDropout1D-inference", layer("SpatialDropout1D", 0.5), [SEQ]),
    ("SpatialDropout2D-inference", layer("SpatialDropout2D", 0.5), [IMG]),
    ("SpatialDropout3D-inference", layer("SpatialDropout3D", 0.5), [VOL]),
    ("GaussianNoise-inference", layer("GaussianNoise", 0.3), [VEC]),
    ("GaussianDropout-inference", layer("GaussianDropout", 0.3), [VEC]),
    ("AlphaDropout-inference", layer("AlphaDropout", 0.3), [VEC]),
    ("ActivityRegularization", layer("ActivityRegularization", l1=0.1, l2=0.1), [VEC]),
    ("Flatten", layer("Flatten"), [IMG]),
    ("Flatten-channels_first", layer("Flatten", data_format="channels_first"), [IMG]),
    ("Reshape", layer("Reshape", (2, 3)), [VEC]),
    ("Reshape-minus-one", layer("Reshape", (-1, 2)), [SEQ]),
    ("Permute", layer("Permute", (2, 1)), [SEQ]),
    ("RepeatVector", layer("RepeatVector", 3), [VEC]),
    ("Lambda", layer("Lambda", lambda t: t * 2.0 + 1.0), [VEC]),
    ("Masking-LSTM", lambda k, x: k.layers.LSTM(3)(k.layers.Masking(0.0)(x)), [MASKED_SEQ]),
    (
        "Masking-GlobalAveragePooling1D",
        lambda k, x: k.layers.GlobalAveragePooling1D()(k.layers.Masking(0.0)(x)),
        [MASKED_SEQ],
    ),
    # -- convolutions ----------------------------------------------------------------
    ("Conv1D", layer("Conv1D", 4, 3), [SEQ]),
    ("Conv1D-causal-dilated", layer("Conv1D", 4, 2, padding="causal", dilation_rate=2), [SEQ]),
    ("Conv1D-strided-same", layer("Conv1D", 2, 3, strides=2, padding="same"), [SEQ]),
    ("Conv2D", layer("Conv2D", 4, (3, 3), activation="relu"), [IMG]),
    ("Conv2D-strided-same", layer("Conv2D", 4, 3, strides=2, padding="same"), [IMG]),
    ("Conv2D-dilated", layer("Conv2D", 2, 2, dilation_rate=2), [IMG]),
    ("Conv2DTranspose", layer("Conv2DTranspose", 3, 3), [IMG]),
    ("Conv2DTranspose-strided", layer("Conv2DTranspose", 3, 3, strides=2, padding="same"), [IMG]),
    ("SeparableConv1D", layer("SeparableConv1D", 4, 3, depth_multiplier=2), [SEQ]),
    ("SeparableConv2D", layer("SeparableConv2D", 4, 3, depth_multiplier=2), [IMG]),
    ("DepthwiseConv2D", layer("DepthwiseConv2D", 3, depth_multiplier=2), [IMG]),
    ("Conv3D", layer("Conv3D", 2, 2), [VOL]),
    ("Conv3DTranspose", layer("Conv3DTranspose", 2, 2, strides=2), [VOL]),
    # -- pooling ---------------------------------------------------------------------
    ("MaxPooling1D", layer("MaxPooling1D", 2), [SEQ]),
    ("MaxPooling1D-same", layer("MaxPooling1D", 2, strides=1, padding="same"), [SEQ]),
    ("AveragePooling1D", layer("AveragePooling1D", 2), [SEQ]),
    ("AveragePooling1D-same", layer("AveragePooling1D", 3, strides=2, padding="same"), [SEQ]),
    ("MaxPooling2D", layer("MaxPooling2D"), [IMG]),
    ("MaxPooling2D-same", layer("MaxPooling2D", 3, strides=2, padding="same"), [IMG]),
    ("AveragePooling2D", layer("AveragePooling2D", (2, 3)), [IMG]),
    ("AveragePooling2D-same", layer("AveragePooling2D", 3, strides=2, padding="same"), [IMG]),
    ("MaxPooling3D", layer("MaxPooling3D"), [VOL]),
    ("AveragePooling3D", layer("AveragePooling3D"), [VOL]),
    ("GlobalAveragePooling1D", layer("GlobalAveragePooling1D"), [SEQ]),
    ("GlobalMaxPooling1D", layer("GlobalMaxPooling1D"), [SEQ]),
    ("GlobalAveragePooling2D", layer("GlobalAveragePooling2D"), [IMG]),
    ("GlobalMaxPooling2D", layer("GlobalMaxPooling2D"), [IMG]),
    ("GlobalAveragePooling3D", layer("GlobalAveragePooling3D"), [VOL]),
    ("GlobalMaxPooling3D", layer("GlobalMaxPooling3D"), [VOL]),
    # -- cropping, padding, upsampling -----------------------------------------------
    ("Cropping1D", layer("Cropping1D", (1, 2)), [SEQ]),
    ("Cropping2D", layer("Cropping2D", ((1, 0), (2, 1))), [IMG]),
    ("Cropping3D", layer("Cropping3D", 1), [VOL]),
    ("ZeroPadding1D", layer("ZeroPadding1D", 2), [SEQ]),
    ("ZeroPadding2D", layer("ZeroPadding2D", ((1, 2), (0, 1))), [IMG]),
    ("ZeroPadding3D", layer("ZeroPadding3D", 1), [VOL]),
    ("UpSampling1D", layer("UpSampling1D", 3), [SEQ]),
    ("UpSampling2D", layer("UpSampling2D", (2, 3)), [IMG]),
    ("UpSampling2D-bilinear", layer("UpSampling2D", 2, interpolation="bilinear"), [IMG]),
    ("UpSampling3D", layer("UpSampling3D", 2), [VOL]),
    # -- embeddings ------------------------------------------------------------------
    ("Embedding", layer("Embedding", 10, 4), [IDS]),
    (
        "Embedding-mask_zero-LSTM",
        lambda k, x: k.layers.LSTM(3)(k.layers.Embedding(10, 4, mask_zero=True)(x)),
        [PADDED_IDS],
    ),
    # -- recurrent -------------------------------------------------------------------
    ("SimpleRNN", layer("SimpleRNN", 3), [SEQ]),
    ("SimpleRNN-sequences", layer("SimpleRNN", 3, return_sequences=True), [SEQ]),
    ("GRU", layer("GRU", 3), [SEQ]),
    ("GRU-reset_after-False", layer("GRU", 3, reset_after=False), [SEQ]),
    ("GRU-sequences-backwards", layer("GRU", 3, return_sequences=True, go_backwards=True), [SEQ]),
    ("GRU-hard_sigmoid", layer("GRU", 3, recurrent_activation="hard_sigmoid"), [SEQ]),
    ("LSTM", layer("LSTM", 3), [SEQ]),
    ("LSTM-sequences", layer("LSTM", 3, return_sequences=True), [SEQ]),
    ("LSTM-state", layer("LSTM", 3, return_state=True), [SEQ]),
    ("LSTM-sequences-state", layer("LSTM", 3, return_sequences=True, return_state=True), [SEQ]),
    ("LSTM-backwards", layer("LSTM", 3, go_backwards=True), [SEQ]),
    ("LSTM-unroll", layer("LSTM", 2, unroll=True, return_sequences=True), [SEQ]),
    ("LSTM-hard_sigmoid", layer("LSTM", 3, recurrent_activation="hard_sigmoid"), [SEQ]),
    ("LSTM-implementation-1", layer("LSTM", 3, implementation=1), [SEQ]),
    ("ConvLSTM2D", layer("ConvLSTM2D", 2, 3, padding="same"), [FRAMES]),
    (
        "RNN-cell-list",
        lambda k, x: k.layers.RNN([k.layers.LSTMCell(3), k.layers.GRUCell(2)])(x),
        [SEQ],
    ),
    *[(name, _cell(name), [SEQ]) for name in ("SimpleRNNCell", "GRUCell", "LSTMCell")],
    ("StackedRNNCells", _stacked_cells, [SEQ]),
    *[
        (
            f"Bidirectional-LSTM-{mode}",
            lambda k, x, mode=mode: k.layers.Bidirectional(
                k.layers.LSTM(3, return_sequences=True), merge_mode=mode
            )(x),
            [SEQ],
        )
        for mode in ("concat", "sum", "ave", "mul", None)
    ],
    ("Bidirectional-GRU", lambda k, x: k.layers.Bidirectional(k.layers.GRU(2))(x), [SEQ]),
    ("TimeDistributed-Dense", lambda k, x: k.layers.TimeDistributed(k.layers.Dense(2))(x), [SEQ]),
    (
        "TimeDistributed-Conv2D",
        lambda k, x: k.layers.TimeDistributed(k.layers.Conv2D(2, 3))(x),
        [FRAMES],
    ),
    ("TimeDistributed-model", _time_distributed_model, [SEQ]),
    # -- normalisation and advanced activations ---------------------------------------
    ("BatchNormalization", layer("BatchNormalization"), [VEC]),
    ("BatchNormalization-image", layer("BatchNormalization", axis=-1), [IMG]),
    ("BatchNormalization-axis1", layer("BatchNormalization", axis=1, epsilon=0.01), [SEQ]),
    ("BatchNormalization-no-scale", layer("BatchNormalization", scale=False), [VEC]),
    ("LayerNormalization", layer("LayerNormalization"), [SEQ]),
    ("LayerNormalization-axes", layer("LayerNormalization", axis=[1, 2]), [SEQ]),
    ("LeakyReLU", layer("LeakyReLU"), [VEC]),
    ("LeakyReLU-alpha", layer("LeakyReLU", alpha=0.1), [VEC]),
    ("PReLU", layer("PReLU"), [SEQ]),
    ("PReLU-shared", layer("PReLU", shared_axes=[1]), [SEQ]),
    ("ELU", layer("ELU", alpha=0.5), [VEC]),
    ("ReLU", layer("ReLU"), [VEC]),
    ("ReLU-options", layer("ReLU", max_value=1.0, negative_slope=0.1, threshold=0.2), [VEC]),
    ("Softmax", layer("Softmax"), [SEQ]),
    ("Softmax-axis1", layer("Softmax", axis=1), [SEQ]),
    ("ThresholdedReLU", layer("ThresholdedReLU", theta=0.3), [VEC]),
    # -- merging ---------------------------------------------------------------------
    ("Concatenate", layer("Concatenate"), [VEC, VEC_B]),
    ("concatenate-axis1", function("concatenate", axis=1), [SEQ, SEQ_B]),
    ("Add", layer("Add"), [VEC, VEC_B]),
    ("add", function("add"), [VEC, VEC_B, VEC]),
    ("subtract", function("subtract"), [VEC, VEC_B]),
    ("multiply", function("multiply"), [VEC, VEC_B]),
    ("average", function("average"), [VEC, VEC_B]),
    ("maximum", function("maximum"), [SEQ, SEQ_B]),
    ("minimum", function("minimum"), [IMG, IMG_B]),
    ("dot", function("dot", axes=1), [VEC, VEC_B]),
    ("dot-normalize", function("dot", axes=-1, normalize=True), [VEC, VEC_B]),
    ("dot-3d", function("dot", axes=(2, 2)), [SEQ, SEQ_B]),
    ("Dot-3d-axes1", layer("Dot", axes=1), [SEQ, SEQ_B]),
    ("Attention", layer("Attention"), [SEQ_Q, SEQ]),
    ("Attention-scale", layer("Attention", use_scale=True), [SEQ_Q, SEQ]),
    ("AdditiveAttention", layer("AdditiveAttention"), [SEQ_Q, SEQ]),
]


@pytest.mark.parametrize(("build", "inputs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_layer_matches_tf_keras(build, inputs):
    compare_models(build, inputs)


def test_cases_cover_every_computing_layer():
    """Each wrapped class that has weights or computes something has a case above.

    A case's id starts with the class name (or its merge function's name).
    """
    abstract = {"Layer", "Wrapper"}
    covered = {name.split("-")[0].lower() for name, _, _ in CASES}
    assert [n for n in L.WRAPPED if n not in abstract and n.lower() not in covered] == []


def _scale_layer(k):
    """A Keras 2 custom layer: `Layer`, `InputSpec`, `add_weight`, `compute_output_shape`."""

    class Scale(k.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = k.layers.InputSpec(min_ndim=2)

        def build(self, input_shape):
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[-1],), initializer="ones", trainable=True
            )
            super().build(input_shape)

        def call(self, x):
            return x * self.scale

        def compute_output_shape(self, input_shape):
            return input_shape

    return Scale


def test_custom_layer_with_input_spec():
    model, expected = sequential_pair(
        lambda k: [_scale_layer(k)(input_shape=(6,)), k.layers.Dense(2)]
    )
    copy_weights(expected, model, np.random.default_rng(8))
    assert_close(model.predict(VEC, verbose=0), expected.predict(VEC, verbose=0))
    for k in (refimpl, tf_keras):
        with pytest.raises(ValueError, match="min_ndim=2"):
            _scale_layer(k)()(np.ones(3, "float32"))


# -- Embedding's Keras 2 arguments ---------------------------------------------------------


def test_embedding_weights_trainable_input_length():
    matrix = RNG.normal(size=(10, 4)).astype("float32")
    model, expected = sequential_pair(
        lambda k: [k.layers.Embedding(10, 4, weights=[matrix], input_length=5, trainable=False)]
    )
    assert model.input_shape == expected.input_shape == (None, 5)
    assert model.output_shape == expected.output_shape == (None, 5, 4)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], matrix)
    assert len(model.trainable_weights) == len(expected.trainable_weights) == 0
    assert len(model.non_trainable_weights) == len(expected.non_trainable_weights) == 1
    assert_close(model.predict(IDS, verbose=0), matrix[IDS])
    assert_close(model.predict(IDS, verbose=0), expected.predict(IDS, verbose=0))


def test_dense_weights_argument():
    kernel, bias = _normal(6, 3), _normal(3)
    model, expected = sequential_pair(
        lambda k: [k.layers.Dense(3, input_dim=6, weights=[kernel, bias])]
    )
    assert_close(model.predict(VEC, verbose=0), VEC @ kernel + bias)
    assert_close(model.predict(VEC, verbose=0), expected.predict(VEC, verbose=0))


# -- Dropout in training mode --------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training_statistics(rate):
    x = np.ones((200, 100), "float32")
    received = np.asarray(L.Dropout(rate)(x, training=True))
    expected = np.asarray(tf_keras.layers.Dropout(rate)(x, training=True))
    for output in (received, expected):
        kept = output[output != 0]
        # Inverted dropout: survivors are scaled by 1 / (1 - rate), so the mean stays 1.
        np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
        assert abs((output == 0).mean() - rate) < 0.02
    assert abs(received.mean() - expected.mean()) < 0.05


def test_dropout_noise_shape_training():
    x = np.ones((50, 4, 30), "float32")
    output = np.asarray(L.Dropout(0.5, noise_shape=(None, 1, 30))(x, training=True))
    # One mask per sample, shared along axis 1, as in tf_keras.
    assert (output == output[:, :1, :]).all()


# -- Keras 2's input-shape arguments -------------------------------------------------------

# (test id, first layer, Keras 2's model input shape, whether tf_keras accepts the call).
# tf_keras (Keras 2.4+) dropped Keras 2.2's `input_dim`/`input_length` on Conv1D.
INPUT_SPECS = [
    ("input_shape", lambda k: k.layers.Dense(32, input_shape=(784,)), (None, 784), True),
    ("input_dim", lambda k: k.layers.Dense(32, input_dim=784), (None, 784), True),
    ("batch_input_shape", lambda k: k.layers.Dense(2, batch_input_shape=(None, 7)), (None, 7),
     True),
    ("batch_size", lambda k: k.layers.Dense(2, input_shape=(7,), batch_size=16), (16, 7), True),
    ("LSTM-input_shape", lambda k: k.layers.LSTM(4, input_shape=(10, 64)), (None, 10, 64), True),
    (
        "LSTM-input_dim-input_length",
        lambda k: k.layers.LSTM(4, input_dim=64, input_length=10),
        (None, 10, 64),
        True,
    ),
    ("LSTM-input_dim", lambda k: k.layers.LSTM(4, input_dim=64), (None, None, 64), True),
    (
        "LSTM-stateful",
        lambda k: k.layers.LSTM(4, stateful=True, batch_input_shape=(32, 10, 16)),
        (32, 10, 16),
        True,
    ),
    ("Embedding-input_length", lambda k: k.layers.Embedding(100, 8, input_length=10), (None, 10),
     True),
    ("Conv1D-input_shape", lambda k: k.layers.Conv1D(4, 3, input_shape=(100, 16)),
     (None, 100, 16), True),
    (
        "Conv1D-input_dim-input_length",
        lambda k: k.layers.Conv1D(4, 3, input_dim=16, input_length=100),
        (None, 100, 16),
        False,
    ),
    (
        "Conv2D-input_shape",
        lambda k: k.layers.Conv2D(4, (3, 3), input_shape=(100, 100, 3)),
        (None, 100, 100, 3),
        True,
    ),
    ("Dropout-input_shape", lambda k: k.layers.Dropout(0.2, input_shape=(20,)), (None, 20), True),
    ("Flatten-input_shape", lambda k: k.layers.Flatten(input_shape=(3, 4)), (None, 3, 4), True),
    ("InputLayer", lambda k: k.layers.InputLayer(input_shape=(4,)), (None, 4), True),
    (
        "InputLayer-batch",
        lambda k: k.layers.InputLayer(batch_input_shape=(8, 4)),
        (8, 4),
        True,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("first", "shape", "oracle"), [s[1:] for s in INPUT_SPECS], ids=[s[0] for s in INPUT_SPECS]
)
def test_input_shape_arguments(first, shape, oracle):
    model = refimpl.models.Sequential([first(refimpl), L.Activation("linear")])
    assert model.input_shape == shape
    assert model.layers[-1].output_shape == model.output_shape
    if oracle:
        expected = tf_keras.models.Sequential(
            [first(tf_keras), tf_keras.layers.Activation("linear")]
        )
        assert tuple(expected.input_shape) == shape
        assert model.output_shape == tuple(expected.output_shape)
        assert len(model.layers) == len(expected.layers)


def test_input_shape_with_add():
    model = refimpl.models.Sequential()
    model.add(L.Dense(32, input_dim=784))
    model.add(L.Activation("relu"))
    expected = tf_keras.models.Sequential()
    expected.add(tf_keras.layers.Dense(32, input_dim=784))
    expected.add(tf_keras.layers.Activation("relu"))
    assert model.input_shape == tuple(expected.input_shape) == (None, 784)
    assert model.output_shape == tuple(expected.output_shape) == (None, 32)


def test_batch_input_shape_conflict_names_both():
    with pytest.raises(ValueError, match="batch_input_shape.*input_shape"):
        L.Dense(2, batch_input_shape=(None, 3), input_shape=(3,))


# -- Keras 1 argument names ----------------------------------------------------------------

# (test id, Keras 1 spelling, Keras 2 spelling), built in refimpl.
KERAS1 = [
    ("Dense", lambda: L.Dense(output_dim=10, init="uniform"),
     lambda: L.Dense(units=10, kernel_initializer="uniform")),
    ("Dense-regularizers", lambda: L.Dense(4, W_regularizer="l2", b_regularizer="l1", bias=False),
     lambda: L.Dense(4, kernel_regularizer="l2", bias_regularizer="l1", use_bias=False)),
    ("Dense-constraints", lambda: L.Dense(4, W_constraint="non_neg", b_constraint="unit_norm"),
     lambda: L.Dense(4, kernel_constraint="non_neg", bias_constraint="unit_norm")),
    ("Dropout-p", lambda: L.Dropout(p=0.3), lambda: L.Dropout(rate=0.3)),
    ("Convolution2D-positional", lambda: L.Convolution2D(32, 3, 3), lambda: L.Conv2D(32, (3, 3))),
    ("Convolution2D-keywords",
     lambda: L.Convolution2D(8, 3, 3, border_mode="same", subsample=(2, 2), init="he_normal",
                             dim_ordering="tf"),
     lambda: L.Conv2D(8, (3, 3), padding="same", strides=(2, 2), kernel_initializer="he_normal",
                      data_format="channels_last")),
    ("Conv2D-nb_filter-nb_row-nb_col", lambda: L.Conv2D(nb_filter=8, nb_row=2, nb_col=3),
     lambda: L.Conv2D(filters=8, kernel_size=(2, 3))),
    ("Convolution1D",
     lambda: L.Convolution1D(nb_filter=8, filter_length=3, subsample_length=2, border_mode="valid"),
     lambda: L.Conv1D(filters=8, kernel_size=3, strides=2, padding="valid")),
    ("Conv3D-positional", lambda: L.Conv3D(4, 2, 2, 2), lambda: L.Conv3D(4, (2, 2, 2))),
    ("Conv3D-kernel_dims", lambda: L.Conv3D(4, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3),
     lambda: L.Conv3D(4, kernel_size=(1, 2, 3))),
    ("Deconvolution2D", lambda: L.Deconvolution2D(3, 3, 3, border_mode="same"),
     lambda: L.Conv2DTranspose(3, (3, 3), padding="same")),
    ("SeparableConv2D", lambda: L.SeparableConv2D(8, 3, 3), lambda: L.SeparableConv2D(8, (3, 3))),
    ("MaxPooling1D", lambda: L.MaxPooling1D(pool_length=2, stride=1, border_mode="same"),
     lambda: L.MaxPooling1D(pool_size=2, strides=1, padding="same")),
    ("MaxPooling2D", lambda: L.MaxPooling2D(border_mode="same", dim_ordering="tf"),
     lambda: L.MaxPooling2D(padding="same", data_format="channels_last")),
    ("AveragePooling2D-th", lambda: L.AveragePooling2D(dim_ordering="th"),
     lambda: L.AveragePooling2D(data_format="channels_first")),
    ("GlobalMaxPooling2D", lambda: L.GlobalMaxPooling2D(dim_ordering="th"),
     lambda: L.GlobalMaxPooling2D(data_format="channels_first")),
    ("UpSampling2D", lambda: L.UpSampling2D(dim_ordering="tf"),
     lambda: L.UpSampling2D(data_format="channels_last")),
    ("ZeroPadding2D", lambda: L.ZeroPadding2D(dim_ordering="th"),
     lambda: L.ZeroPadding2D(data_format="channels_first")),
    ("Cropping2D", lambda: L.Cropping2D(dim_ordering="tf"),
     lambda: L.Cropping2D(data_format="channels_last")),
    ("LSTM",
     lambda: L.LSTM(output_dim=8, init="glorot_normal", inner_init="orthogonal",
                    inner_activation="sigmoid", dropout_W=0.2, dropout_U=0.1,
                    forget_bias_init="one", consume_less="gpu"),
     lambda: L.LSTM(units=8, kernel_initializer="glorot_normal",
                    recurrent_initializer="orthogonal", recurrent_activation="sigmoid",
                    dropout=0.2, recurrent_dropout=0.1, unit_forget_bias=True,
                    implementation=2)),
    ("GRU-regularizers",
     lambda: L.GRU(output_dim=4, W_regularizer="l2", U_regularizer="l2", b_regularizer="l1"),
     lambda: L.GRU(units=4, kernel_regularizer="l2", recurrent_regularizer="l2",
                   bias_regularizer="l1")),
    ("SimpleRNN", lambda: L.SimpleRNN(output_dim=4, consume_less="cpu"),
     lambda: L.SimpleRNN(units=4, implementation=1)),
    ("Embedding", lambda: L.Embedding(10, 4, init="uniform", W_regularizer="l1",
                                      W_constraint="non_neg", dropout=0.0),
     lambda: L.Embedding(10, 4, embeddings_initializer="uniform", embeddings_regularizer="l1",
                         embeddings_constraint="non_neg")),
    ("BatchNormalization",
     lambda: L.BatchNormalization(beta_init="zeros", gamma_init="ones", mode=0),
     lambda: L.BatchNormalization(beta_initializer="zeros", gamma_initializer="ones")),
    ("GaussianNoise", lambda: L.GaussianNoise(sigma=0.1), lambda: L.GaussianNoise(stddev=0.1)),
    ("GaussianDropout", lambda: L.GaussianDropout(p=0.2), lambda: L.GaussianDropout(rate=0.2)),
    ("SpatialDropout1D", lambda: L.SpatialDropout1D(p=0.2), lambda: L.SpatialDropout1D(rate=0.2)),
    ("SpatialDropout2D", lambda: L.SpatialDropout2D(p=0.2, dim_ordering="th"),
     lambda: L.SpatialDropout2D(rate=0.2, data_format="channels_first")),
]  # fmt: skip


def _update_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "Update your" in str(w.message)]


@pytest.mark.parametrize(("keras1", "keras2"), [c[1:] for c in KERAS1], ids=[c[0] for c in KERAS1])
def test_keras1_names_build_keras2_config(keras1, keras2):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = keras1()
    with warnings.catch_warnings(record=True) as current:
        warnings.simplefilter("always")
        new = keras2()
    assert config_without_name(old) == config_without_name(new)
    owner = type(new).__name__
    messages = _update_warnings(caught)
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"Update your `{owner}` call to the Keras 2 API: `{owner}(")
    assert all(issubclass(w.category, UserWarning) for w in caught if "Update" in str(w.message))
    assert _update_warnings(current) == []


def test_keras1_warning_shows_the_keras2_call():
    with pytest.warns(UserWarning, match=r"Update your `Dense` call.*units=10.*kernel_initializer"):
        L.Dense(output_dim=10, init="uniform")
    with pytest.warns(UserWarning, match=r"Update your `Conv2D` call.*Conv2D\(32, \(3, 3\)\)"):
        L.Convolution2D(32, 3, 3)


def test_keras1_model_runs_like_keras2():
    """A Keras 1 Convolution2D computes what the Keras 2 layer computes in tf_keras."""
    with pytest.warns(UserWarning, match="Update your"):
        compare_models(
            lambda k, x: (
                L.Convolution2D(4, 3, 3, border_mode="same", subsample=(2, 2))(x)
                if k is refimpl
                else k.layers.Conv2D(4, (3, 3), padding="same", strides=(2, 2))(x)
            ),
            [IMG],
        )


# -- the node API ----------------------------------------------------------------------------


def _shared_lstm(k):
    a, b = k.Input(shape=(5, 4)), k.Input(shape=(5, 4))
    lstm = k.layers.LSTM(3)
    return lstm, a, b, lstm(a), lstm(b)


def test_shared_layer_nodes_match_tf_keras():
    for k in (refimpl, tf_keras):
        lstm, a, b, encoded_a, encoded_b = _shared_lstm(k)
        assert lstm.get_output_at(0) is encoded_a
        assert lstm.get_output_at(1) is encoded_b
        assert lstm.get_input_at(0) is a
        assert lstm.get_input_at(1) is b
        assert tuple(lstm.get_input_shape_at(1)) == (None, 5, 4)
        assert tuple(lstm.get_output_shape_at(0)) == (None, 3)
        # The shapes agree across nodes, so Keras 2 still answers these.
        assert tuple(lstm.input_shape) == (None, 5, 4)
        assert tuple(lstm.output_shape) == (None, 3)
        with pytest.raises(ValueError, match="only 2 inbound nodes"):
            lstm.get_output_at(2)


def test_shared_layer_output_is_ill_defined():
    """Keras 2 (and its functional API guide) raise here; tf_keras answers with node 0."""
    lstm, _, _, _, _ = _shared_lstm(refimpl)
    for attribute, getter in (("output", "get_output_at"), ("input", "get_input_at")):
        with pytest.raises(AttributeError, match=f"multiple inbound nodes.*{getter}"):
            getattr(lstm, attribute)


def test_shared_layer_with_different_shapes():
    for k in (refimpl, tf_keras):
        conv = k.layers.Conv2D(2, (3, 3), padding="same")
        conv(k.Input(shape=(8, 8, 3)))
        conv(k.Input(shape=(6, 6, 3)))
        assert tuple(conv.get_input_shape_at(0)) == (None, 8, 8, 3)
        assert tuple(conv.get_output_shape_at(1)) == (None, 6, 6, 2)
        for attribute in ("input_shape", "output_shape"):
            with pytest.raises(AttributeError, match="multiple inbound nodes"):
                getattr(conv, attribute)


def test_single_node_output_equals_tensor():
    """Keras 2's guide asserts `lstm.output == encoded_a`; tf_keras cannot evaluate it."""
    a = refimpl.Input(shape=(5, 4))
    lstm = L.LSTM(3)
    encoded_a = lstm(a)
    assert lstm.output == encoded_a
    assert lstm.output is encoded_a
    assert lstm.input is a
    assert lstm.input_shape == (None, 5, 4)
    assert lstm.output_shape == (None, 3)


def test_never_called_layer():
    for k in (refimpl, tf_keras):
        dense = k.layers.Dense(3)
        for attribute in ("output", "input", "output_shape"):
            with pytest.raises(AttributeError):
                getattr(dense, attribute)
            assert not hasattr(dense, attribute)
        with pytest.raises(RuntimeError, match="never been called"):
            dense.get_output_at(0)


def test_sequential_add_gives_one_inbound_node():
    models = []
    for k in (refimpl, tf_keras):
        model = k.models.Sequential()
        model.add(k.layers.Dense(8, input_shape=(16,)))
        model.add(k.layers.Dense(4))
        model.add(k.layers.Dense(2))
        models.append(model)
    model, expected = models
    for layer_, expected_layer in zip(model.layers, expected.layers, strict=True):
        assert len(layer_._inbound_nodes) == len(expected_layer._inbound_nodes) == 1
        assert layer_.output_shape == tuple(expected_layer.output_shape)
        assert layer_.input_shape == tuple(expected_layer.input_shape)
    assert model.layers[0].output.shape == (None, 8)
    assert model.layers[1].input is model.layers[0].output
    assert model.layers[-1].output is model.outputs[0]


# -- stateful recurrent layers ---------------------------------------------------------------


def _stateful(k):
    return [
        k.layers.LSTM(4, stateful=True, return_sequences=True, batch_input_shape=(2, 3, 4)),
        k.layers.GRU(3, stateful=True),
        k.layers.Dense(2),
    ]


def test_stateful_lstm_across_batches_and_reset_states():
    model, expected = sequential_pair(_stateful)
    copy_weights(expected, model, np.random.default_rng(3))
    first, second = SEQ[:2, :3], SEQ_B[:2, :3]
    outputs = []
    for m in (model, expected):
        step1 = np.asarray(m.predict_on_batch(first))
        step2 = np.asarray(m.predict_on_batch(second))  # continues from step1's state
        m.reset_states()
        again = np.asarray(m.predict_on_batch(first))
        # Four samples in batches of two: samples 2, 3 continue samples 0, 1.
        m.reset_states()
        both = np.asarray(m.predict(np.concatenate([first, second]), batch_size=2, verbose=0))
        outputs.append((step1, step2, again, both))
    for got, want in zip(outputs[0], outputs[1], strict=True):
        assert_close(got, want)
    step1, step2, again, both = outputs[0]
    assert_close(again, step1)
    assert_close(both, np.concatenate([step1, step2]))


def test_stateful_layer_reset_states_alone():
    lstm = L.LSTM(3, stateful=True, batch_input_shape=(2, 3, 4))
    model = refimpl.models.Sequential([lstm])
    first = np.asarray(model.predict_on_batch(SEQ[:2, :3]))
    second = np.asarray(model.predict_on_batch(SEQ[:2, :3]))
    assert not np.allclose(first, second)
    lstm.reset_states()
    assert_close(model.predict_on_batch(SEQ[:2, :3]), first)


# -- refimpl's own computations, against Keras 3's layers ----------------------------------
def _with_same_weights(ours, theirs, inputs):
    """Both layers built for `inputs`, with `ours`'s weights in `theirs`."""
    ours.build(inputs.shape)
    theirs.build(inputs.shape)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _output_and_gradients(layer, inputs) -> list:
    """The layer's output, then the gradients of its squared sum for each weight."""
    tf = refimpl._keras3.tf
    with tf.GradientTape() as tape:
        outputs = layer(inputs)
        loss = tf.reduce_sum(outputs * outputs)
    return [outputs, *tape.gradient(loss, layer.trainable_variables)]


# -- short sequences unroll by themselves -------------------------------------------------
RECURRENT = ("SimpleRNN", "GRU", "LSTM")


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_short_sequences_unroll_to_the_same_numbers(name, return_sequences, monkeypatch):
    """8 steps unroll on a CPU; outputs and gradients equal Keras 3's symbolic loop."""
    import tensorflow as tf

    from refimpl import _keras3_private, compilation
    from refimpl._keras3 import keras3

    backend = _keras3_private.backend
    unrolled = []
    rnn = backend.rnn

    def recording_rnn(*args, **kwargs):
        unrolled.append(kwargs["unroll"])
        return rnn(*args, **kwargs)

    monkeypatch.setattr(backend, "rnn", recording_rnn)
    x = tf.constant(_normal(3, 8, 5))
    ours, theirs = _with_same_weights(
        getattr(L, name)(4, return_sequences=return_sequences),
        getattr(keras3.layers, name)(4, return_sequences=return_sequences),
        x,
    )
    for got, want in zip(
        _output_and_gradients(ours, x), _output_and_gradients(theirs, x), strict=True
    ):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    assert unrolled == [compilation.unroll_recurrence(8), False]
    assert compilation.unroll_recurrence(8) == (compilation.device_kind() == "CPU")
    assert ours.get_config()["unroll"] is False  # the layer keeps what it was given


def test_long_and_unknown_sequences_keep_the_loop():
    from refimpl import compilation

    longest = compilation.UNROLL_STEPS[compilation.device_kind()]
    assert not compilation.unroll_recurrence(longest + 1)
    assert not compilation.unroll_recurrence(None)
    assert not compilation.unroll_recurrence(0)


# -- an Embedding reads only its looked-up rows ---------------------------------------------
def _graph_op_types(function, *args) -> set[str]:
    graph = refimpl._keras3.tf.function(function).get_concrete_function(*args).graph
    return {op.type for op in graph.get_operations()}


def test_embedding_reads_rows_sparsely_with_keras3_values_and_gradient():
    """Same rows and gradient as Keras 3's dense `take`, negative ids included, but
    through a sparse read: after sparse optimizer updates TensorFlow would copy the
    whole table on every dense read."""
    tf = refimpl._keras3.tf
    keras3 = refimpl._keras3.keras3
    ids = np.array([[3, 3, -1, 0], [49, 7, -50, 2]], dtype="int32")
    ours, theirs = _with_same_weights(L.Embedding(50, 8), keras3.layers.Embedding(50, 8), ids)
    our_rows, our_gradient = _output_and_gradients(ours, ids)
    their_rows, their_gradient = _output_and_gradients(theirs, ids)
    np.testing.assert_array_equal(our_rows.numpy(), their_rows.numpy())
    assert isinstance(our_gradient, tf.IndexedSlices)
    np.testing.assert_array_equal(
        tf.convert_to_tensor(our_gradient).numpy(), tf.convert_to_tensor(their_gradient).numpy()
    )
    assert "ResourceGather" in _graph_op_types(ours, ids)
    assert "ResourceGather" not in _graph_op_types(theirs, ids)


def test_embedding_with_lora_keeps_keras3_path():
    layer = L.Embedding(20, 4)
    layer.build((2, 3))
    layer.enable_lora(2)
    ids = np.array([[1, 2, 3], [4, 5, 19]], dtype="int32")
    table = refimpl._keras3.keras3.ops.convert_to_numpy(layer.embeddings)
    np.testing.assert_allclose(np.asarray(layer(ids)), table[ids], rtol=1e-6)


def test_embedding_with_ragged_ids_keeps_keras3_path():
    tf = refimpl._keras3.tf
    layer = L.Embedding(20, 4)
    layer.build((None, None))
    ids = tf.ragged.constant([[1, 2, 3], [19]])
    table = refimpl._keras3.keras3.ops.convert_to_numpy(layer.embeddings)
    rows = layer(ids)
    np.testing.assert_array_equal(rows.flat_values.numpy(), table[[1, 2, 3, 19]])


#: Cases whose config cannot round-trip in memory: a Python lambda's bytecode is
#: deserialized only with `safe_mode=False` (Keras 3's safe mode, kept by refimpl).
NO_CONFIG_ROUND_TRIP = {"Lambda"}


@pytest.mark.parametrize(
    ("build", "inputs"),
    [c[1:] for c in CASES if c[0] not in NO_CONFIG_ROUND_TRIP],
    ids=[c[0] for c in CASES if c[0] not in NO_CONFIG_ROUND_TRIP],
)
def test_model_from_config_round_trips_every_layer(build, inputs):
    """`Model.from_config(model.get_config())` rebuilds every refimpl layer (Keras 2)."""
    model = functional_model(refimpl, build, inputs)
    rebuilt = refimpl.models.Model.from_config(model.get_config())
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    feed = list(inputs) if len(inputs) > 1 else inputs[0]
    assert_close(as_numpy(rebuilt(feed, training=False)), as_numpy(model(feed, training=False)))


def test_sequential_from_config_round_trips_like_tf_keras():
    def build(k):
        return [k.layers.Dense(4, input_dim=3, activation="relu"), k.layers.Dropout(0.2),
                k.layers.Dense(2, activation="softmax")]  # fmt: skip

    model, expected = sequential_pair(build)
    rebuilt = refimpl.models.Sequential.from_config(model.get_config())
    theirs = tf_keras.models.Sequential.from_config(expected.get_config())
    assert [type(x).__name__ for x in rebuilt.layers] == [type(x).__name__ for x in theirs.layers]
    assert rebuilt.input_shape == theirs.input_shape == (None, 3)


def test_a_model_used_as_a_layer_has_the_node_api_of_tf_keras():
    def nested(k):
        inner_input = k.layers.Input(shape=(3,))
        inner = k.models.Model(inner_input, k.layers.Dense(2)(inner_input))
        first, second = k.layers.Input(shape=(3,)), k.layers.Input(shape=(3,))
        k.models.Model([first, second], k.layers.add([inner(first), inner(second)]))
        return inner, first, second

    (inner, first, second), (theirs, *_) = nested(refimpl), nested(tf_keras)
    assert len(inner.inbound_nodes) == len(theirs.inbound_nodes) == 2
    assert inner.get_input_at(0) is first and inner.get_input_at(1) is second
    assert inner.get_output_shape_at(1) == theirs.get_output_shape_at(1) == (None, 2)
    assert inner.get_input_shape_at(0) == tuple(theirs.get_input_shape_at(0)) == (None, 3)
    with pytest.raises(ValueError, match="only 2 inbound nodes"):
        inner.get_output_at(2)


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_a_bidirectional_layer_over_a_masked_sequence_computes_what_tf_keras_does(cell):
    # The backward half runs over the masked steps first; refimpl unrolls short
    # sequences, which must not change what the masked steps do.
    ids = np.array([[3, 7, 1, 9, 4, 0, 0], [5, 2, 8, 6, 1, 3, 2]])
    old = tf_keras.Sequential([
        tf_keras.layers.Embedding(10, 3, mask_zero=True, input_shape=(7,)),
        tf_keras.layers.Bidirectional(getattr(tf_keras.layers, cell)(2, return_sequences=True)),
    ])  # fmt: skip
    new = refimpl.models.Sequential([
        L.Embedding(10, 3, mask_zero=True, input_shape=(7,)),
        L.Bidirectional(getattr(L, cell)(2, return_sequences=True)),
    ])  # fmt: skip
    new.set_weights(old.get_weights())
    np.testing.assert_allclose(new.predict(ids, verbose=0), old.predict(ids, verbose=0), atol=1e-6)
