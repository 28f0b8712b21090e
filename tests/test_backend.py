"""refimpl.backend against Keras 2's own backend, `tf_keras.backend`.

Each deterministic function is called on refimpl and on tf_keras with the same inputs
and the results compared (values, shapes and dtypes); random functions are compared by
shape, dtype and statistics. Then `K.function` with the learning phase, backend
functions on the symbolic tensors of a functional model, and `set_session`, whose GPU
paths are checked against a stand-in for `tf.config` where the machine has no GPU.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras.backend as K2  # noqa: E402

import refimpl.backend as K  # noqa: E402
from refimpl._keras3 import keras3, tf  # noqa: E402
from refimpl.backend import tensorflow_backend  # noqa: E402

RNG = np.random.default_rng(1234)


def _normal(*shape):
    return RNG.normal(size=shape).astype("float32")


X = _normal(3, 4) * 2
Y = _normal(3, 4)
X3 = _normal(2, 3, 4)
Y3 = _normal(2, 4, 5)
Z3 = _normal(7, 4, 6)
V2 = _normal(2, 5)
W2 = _normal(2, 5)
IMAGES = _normal(2, 5, 6, 3)
IMAGES_CF = np.transpose(IMAGES, (0, 3, 1, 2)).copy()
KERNEL2D = _normal(3, 3, 3, 4)
SEQUENCE = _normal(2, 7, 3)
KERNEL1D = _normal(3, 3, 5)
BIAS = _normal(3)
PROBS = RNG.random((4, 5)).astype("float32") + 0.05
ONE_HOT = np.eye(5, dtype="float32")[[0, 2, 4, 1]]
LABELS = np.array([0, 2, 4, 1])
BINARY = (RNG.random((4, 3)) > 0.5).astype("float32")
BINARY_PROBS = np.array([[0.0, 0.3, 1.0], [0.9, 1.0, 0.2], [0.5, 0.1, 0.7], [0.2, 0.6, 0.0]], "f")
LOGITS = _normal(4, 3)
CONDITION = RNG.random((2, 3)) > 0.5

# Each row: (function name, positional arguments, keyword arguments). Arrays are fed to
# refimpl as NumPy arrays and to tf_keras as tensors (some of its functions need one).
CASES = [
    *[
        (name, (X,), {})
        for name in [
            "square",
            "abs",
            "exp",
            "sqrt",
            "round",
            "sign",
            "sin",
            "cos",
            "tanh",
            "sigmoid",
            "softplus",
            "softsign",
            "hard_sigmoid",
            "relu",
            "elu",
            "softmax",
            "transpose",
            "flatten",
            "batch_flatten",
            "zeros_like",
            "ones_like",
            "stop_gradient",
            "argmax",
            "argmin",
            "cumsum",
            "cumprod",
        ]
    ],
    ("log", (np.abs(X) + 0.1,), {}),
    ("batch_flatten", (IMAGES,), {}),
    ("transpose", (X3,), {}),
    ("relu", (X,), {"alpha": 0.1}),
    ("relu", (X,), {"max_value": 1.5}),
    ("relu", (X,), {"threshold": 0.5}),
    ("relu", (X,), {"alpha": 0.2, "max_value": 3.0, "threshold": -1.0}),
    ("elu", (X,), {"alpha": 0.5}),
    ("softmax", (X3,), {"axis": 1}),
    ("argmax", (X3,), {"axis": 1}),
    ("cumsum", (X3,), {"axis": 2}),
    *[
        (name, (X3,), kwargs)
        for name in ["max", "min", "sum", "prod", "mean", "var", "std", "any", "all"]
        for kwargs in ({}, {"axis": 1}, {"axis": [0, 2], "keepdims": True}, {"axis": -1})
    ],
    ("mean", (X3 > 0,), {"axis": 1}),
    *[
        (name, (X, Y), {})
        for name in [
            "equal",
            "not_equal",
            "greater",
            "greater_equal",
            "less",
            "less_equal",
            "maximum",
            "minimum",
        ]
    ],
    ("equal", (np.round(X), np.round(Y)), {}),
    ("pow", (np.abs(X), 1.5), {}),
    ("pow", (X, 2), {}),
    ("clip", (X, -0.5, 0.7), {}),
    ("clip", (X, 0.7, -0.5), {}),
    ("clip", (X, None, 0.3), {}),
    ("dot", (X, Y.T), {}),
    ("dot", (X3, Y3[0]), {}),
    ("dot", (X3, Z3), {}),
    ("batch_dot", (X3, Y3), {}),
    ("batch_dot", (X3, np.swapaxes(X3, 1, 2).copy()), {"axes": (2, 1)}),
    ("batch_dot", (X3, X3), {"axes": 2}),
    ("batch_dot", (X3, X3), {"axes": [1, 1]}),
    ("batch_dot", (V2, W2), {}),
    ("batch_dot", (V2, W2), {"axes": (1, -1)}),
    ("batch_dot", (X3, V2[:, :4]), {"axes": (2, 1)}),
    ("gather", (X, np.array([2, 0])), {}),
    ("concatenate", ([X, Y],), {}),
    ("concatenate", ([X, Y],), {"axis": 0}),
    ("reshape", (X3, (4, -1)), {}),
    ("permute_dimensions", (X3, (2, 0, 1)), {}),
    ("repeat_elements", (X3, 2, 1), {}),
    ("repeat", (X, 3), {}),
    ("arange", (5,), {}),
    ("arange", (-3,), {}),
    ("arange", (1, 8, 3), {}),
    ("arange", (0, 2), {"dtype": "float32"}),
    ("tile", (X, (2, 3)), {}),
    ("tile", (X[0], 2), {}),
    ("expand_dims", (X,), {}),
    ("expand_dims", (X, 0), {}),
    ("squeeze", (X3[:, :1], 1), {}),
    ("temporal_padding", (X3,), {}),
    ("temporal_padding", (X3, (2, 0)), {}),
    ("spatial_2d_padding", (IMAGES,), {}),
    ("spatial_2d_padding", (IMAGES, ((1, 0), (2, 1))), {}),
    ("spatial_2d_padding", (IMAGES_CF, ((1, 0), (2, 1)), "channels_first"), {}),
    ("stack", ([X, Y],), {}),
    ("stack", ([X, Y],), {"axis": -1}),
    ("one_hot", (LABELS, 5), {}),
    ("reverse", (X3, 1), {}),
    ("reverse", (X3, [0, 2]), {}),
    ("cast", (X, "int32"), {}),
    ("cast", (X, "float16"), {}),
    ("l2_normalize", (X3,), {}),
    ("l2_normalize", (X3,), {"axis": 1}),
    ("l2_normalize", (np.zeros((2, 3), "float32"),), {"axis": -1}),
    ("switch", (CONDITION, X3, -X3), {}),
    ("switch", (np.array(True), X, Y), {}),
    ("switch", (np.array(False), X, Y), {}),
    ("in_train_phase", (X, Y), {"training": 1}),
    ("in_train_phase", (X, Y), {"training": False}),
    ("in_test_phase", (X, Y), {"training": 1}),
    ("categorical_crossentropy", (ONE_HOT, PROBS), {}),
    ("categorical_crossentropy", (ONE_HOT, PROBS), {"from_logits": True}),
    ("categorical_crossentropy", (ONE_HOT.T.copy(), PROBS.T.copy()), {"axis": 0}),
    ("sparse_categorical_crossentropy", (LABELS, PROBS), {}),
    ("sparse_categorical_crossentropy", (LABELS[:, None], PROBS), {}),
    ("sparse_categorical_crossentropy", (LABELS, PROBS), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (LABELS, PROBS), {"ignore_class": 2}),
    ("binary_crossentropy", (BINARY, BINARY_PROBS), {}),
    ("binary_crossentropy", (BINARY, LOGITS), {"from_logits": True}),
    ("conv1d", (SEQUENCE, KERNEL1D), {}),
    ("conv1d", (SEQUENCE, KERNEL1D), {"padding": "same", "strides": 2}),
    ("conv1d", (SEQUENCE, KERNEL1D), {"padding": "causal"}),
    ("conv1d", (SEQUENCE, KERNEL1D), {"padding": "causal", "dilation_rate": 2}),
    ("conv2d", (IMAGES, KERNEL2D), {}),
    ("conv2d", (IMAGES, KERNEL2D), {"strides": (1, 2), "padding": "same"}),
    ("conv2d", (IMAGES, KERNEL2D), {"dilation_rate": (2, 1)}),
    ("conv2d", (IMAGES_CF, KERNEL2D), {"data_format": "channels_first", "padding": "same"}),
    ("pool2d", (IMAGES, (2, 2)), {}),
    ("pool2d", (IMAGES, (2, 2), (2, 2), "same"), {"pool_mode": "avg"}),
    ("pool2d", (IMAGES_CF, (2, 2)), {"data_format": "channels_first"}),
    ("pool2d", (IMAGES, (3, 2), (1, 2)), {"pool_mode": "avg"}),
    ("pool2d", (IMAGES_CF, (2, 2), (2, 2)), {"data_format": "channels_first"}),
    ("bias_add", (IMAGES, BIAS), {}),
    ("bias_add", (IMAGES_CF, BIAS, "channels_first"), {}),
    ("bias_add", (SEQUENCE, SEQUENCE[0]), {}),
    ("bias_add", (SEQUENCE, SEQUENCE[0].T.copy(), "channels_first"), {}),
    ("bias_add", (X, X[0]), {}),
]


def _case_id(case):
    name, args, kwargs = case
    shapes = ",".join("x".join(map(str, np.shape(a))) or "s" for a in args)
    return f"{name}({shapes}){'-' + '-'.join(map(str, kwargs)) if kwargs else ''}"


def _as_tensor(value):
    if isinstance(value, np.ndarray):
        return tf.constant(value)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [tf.constant(v) for v in value]
    return value


def _evaluate(result):
    return np.asarray(K.eval(result))


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_keras2(case):
    name, args, kwargs = case
    ours = _evaluate(getattr(K, name)(*args, **kwargs))
    theirs = np.asarray(K2.eval(getattr(K2, name)(*map(_as_tensor, args), **kwargs)))
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    if ours.dtype == bool or np.issubdtype(ours.dtype, np.integer):
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# Functions that tf_keras 2.21 dropped or never had but Keras 2.2 offered, with the
# results Keras 2.2 documented.
@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (lambda: K.logsumexp(X3, axis=1), np.log(np.exp(X3).sum(axis=1))),
        (lambda: K.logsumexp(X), np.log(np.exp(X).sum())),
        (lambda: K.identity(X), X),
        (lambda: K.eye((2, 3)), np.eye(2, 3)),
        # A 1-D condition picks whole samples (leading axes), as for higher ranks.
        (lambda: K.switch(np.array([True, False]), X3, -X3), X3 * np.array([1, -1])[:, None, None]),
        (lambda: K.switch(True, lambda: X, lambda: Y), X),
    ],
    ids=["logsumexp-axis", "logsumexp-all", "identity", "eye-rectangular", "switch-1d", "py-bool"],
)
def test_keras22_functions(result, expected):
    np.testing.assert_allclose(_evaluate(result()), expected, rtol=1e-5, atol=1e-6)


def test_variables_and_values():
    ours, theirs = K.variable(X, name="w"), K2.variable(X, name="w")
    for name in ("int_shape", "ndim", "dtype", "count_params", "get_value", "eval"):
        np.testing.assert_array_equal(getattr(K, name)(ours), getattr(K2, name)(theirs))
    K.set_value(ours, Y.astype("float64"))
    K2.set_value(theirs, Y.astype("float64"))
    np.testing.assert_array_equal(K.get_value(ours), K2.get_value(theirs))
    for name, change in (("update", X), ("update_add", Y), ("update_sub", 2 * X)):
        getattr(K, name)(ours, change)
        getattr(K2, name)(theirs, change)
        np.testing.assert_allclose(K.get_value(ours), K2.get_value(theirs), rtol=1e-6)
    other = K.variable(0, dtype="int32")
    K.batch_set_value([(ours, X), (other, 7)])
    values = K.batch_get_value([ours, other])
    np.testing.assert_array_equal(values[0], X)
    assert values[1] == 7 and values[1].dtype == np.int32


def test_variable_in_a_layer_is_a_weight():
    class Scale(keras3.layers.Layer):
        def build(self, input_shape):
            self.scale = K.variable(np.full(input_shape[-1:], 2.0), name="scale")

        def call(self, inputs):
            return inputs * self.scale

    layer = Scale()
    np.testing.assert_array_equal(layer(X), 2 * X)
    assert [w.name for w in layer.trainable_weights] == ["scale"]


def test_constructors_match():
    for name, args in (("zeros", ((2, 3),)), ("ones", ((2, 3),)), ("eye", (3,))):
        ours, theirs = getattr(K, name)(*args), getattr(K2, name)(*args)
        np.testing.assert_array_equal(K.eval(ours), K2.eval(theirs))
        assert K.dtype(ours) == K2.dtype(theirs) == "float32"
        # Keras 2 returned variables here; so does refimpl (a Keras 3 variable).
        assert isinstance(ours, keras3.Variable)
    assert K.dtype(K.zeros((2,), dtype="int32")) == "int32"
    np.testing.assert_array_equal(
        K.eval(K.constant(3, shape=(2,))), K2.eval(K2.constant(3, shape=(2,)))
    )
    assert K.cast_to_floatx([1, 2]).dtype == K2.cast_to_floatx([1, 2]).dtype == np.float32


def test_tensor_predicates():
    symbolic = K.placeholder(shape=(None, 3))
    assert K.int_shape(symbolic) == K2.int_shape(K2.placeholder(shape=(None, 3))) == (None, 3)
    assert K.int_shape(K.placeholder(ndim=2)) == (None, None)
    assert K.is_keras_tensor(symbolic)
    assert not K.is_keras_tensor(tf.constant(X))
    assert not K.is_keras_tensor(K.variable(X))
    with pytest.raises(ValueError, match="ndarray"):
        K.is_keras_tensor(X)
    with pytest.raises(ValueError):
        K2.is_keras_tensor(X)
    assert K.is_tensor(symbolic) and K.is_tensor(K.variable(1.0)) and not K.is_tensor(X)
    np.testing.assert_array_equal(K.shape(tf.constant(X)), K2.shape(tf.constant(X)))
    assert K.int_shape(X) == (3, 4) and K.ndim(X3) == 3


def test_configuration():
    assert K.epsilon() == K2.epsilon() == 1e-7
    assert K.floatx() == K2.floatx() == "float32"
    assert K.image_data_format() == K2.image_data_format() == "channels_last"
    assert K.backend() == "tensorflow"
    try:
        K.set_epsilon(1e-4)
        assert K.epsilon() == keras3.config.epsilon() == 1e-4
        K.set_floatx("float64")
        assert K.dtype(K.variable(1.0)) == "float64"
        K.set_image_dim_ordering("th")
        assert K.image_data_format() == "channels_first" and K.image_dim_ordering() == "th"
        K.set_image_dim_ordering("tf")
        assert K.image_data_format() == "channels_last" and K.image_dim_ordering() == "tf"
        with pytest.raises(ValueError, match="'tf' or 'th'"):
            K.set_image_dim_ordering("channels_last")
        with pytest.raises(ValueError, match="float16"):
            K.set_floatx("int32")
    finally:
        K.set_epsilon(1e-7)
        K.set_floatx("float32")
        K.set_image_data_format("channels_last")


# name -> (keyword arguments, whether the values are bounded); refimpl's draws and
# tf_keras's are compared by their statistics over 20,000 samples (and their range,
# where it is bounded).
RANDOM = {
    "random_normal": ({"mean": 2.0, "stddev": 3.0}, False),
    "random_uniform": ({"minval": -1.0, "maxval": 3.0}, True),
    "truncated_normal": ({"mean": 1.0, "stddev": 2.0}, True),
    "random_binomial": ({"p": 0.3}, True),
}


@pytest.mark.filterwarnings("ignore:.*random_binomial.*deprecated")
@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_statistics(name):
    kwargs, bounded = RANDOM[name]
    args = ((20000,),)
    ours = K.eval(getattr(K, name)(*args, seed=7, **kwargs))
    theirs = K2.eval(getattr(K2, name)(*args, seed=7, **kwargs))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    for statistic in (np.mean, np.std, np.min, np.max) if bounded else (np.mean, np.std):
        assert statistic(ours) == pytest.approx(statistic(theirs), abs=0.1)
    # An int seed makes refimpl's draws repeatable.
    np.testing.assert_array_equal(ours, K.eval(getattr(K, name)(*args, seed=7, **kwargs)))


def test_random_variables_and_dropout():
    uniform = K.random_uniform_variable((100, 100), -2.0, 2.0, seed=1)
    normal = K.random_normal_variable((100, 100), 1.0, 0.5, dtype="float64", seed=1)
    assert isinstance(uniform, keras3.Variable) and K.dtype(normal) == "float64"
    values = K.get_value(uniform)
    assert -2.0 <= values.min() < -1.9 and 1.9 < values.max() < 2.0
    assert K.get_value(normal).mean() == pytest.approx(1.0, abs=0.02)
    assert K.get_value(normal).std() == pytest.approx(0.5, abs=0.02)
    ones = np.ones((200, 100), "float32")
    ours, theirs = K.eval(K.dropout(ones, 0.4, seed=3)), K2.eval(K2.dropout(ones, 0.4, seed=3))
    for dropped in (ours, theirs):
        # Kept entries are scaled by 1 / (1 - rate).
        assert set(np.unique(dropped)) == {0.0, np.float32(1 / 0.6)}
        assert (dropped == 0).mean() == pytest.approx(0.4, abs=0.02)
    rows = K.eval(K.dropout(ones, 0.5, noise_shape=(200, 1), seed=3))
    assert np.all((rows == 0).all(axis=1) | (rows != 0).all(axis=1))


def test_gradients_inside_tf_function():
    ours, theirs = K.variable(X), K2.variable(X)

    @tf.function
    def grads():
        return (
            K.gradients(K.sum(K.square(ours) * 3.0), [ours])[0],
            K2.gradients(K2.sum(K2.square(theirs) * 3.0), [theirs])[0],
        )

    mine, keras2 = grads()
    np.testing.assert_allclose(mine.numpy(), keras2.numpy(), rtol=1e-6)
    np.testing.assert_allclose(mine.numpy(), 6.0 * X, rtol=1e-6)
    with pytest.raises(RuntimeError, match="GradientTape"):
        K.gradients(K.sum(ours), [ours])
    with pytest.raises(TypeError, match="symbolic"):
        K.gradients(K.placeholder(shape=(None, 2)), [ours])


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="axis 0"):
        K.batch_dot(X3, X3, axes=0)
    with pytest.raises(ValueError, match="at least 2 axes"):
        K.batch_dot(X[0], X)
    with pytest.raises(ValueError, match="'max' or 'avg'"):
        K.pool2d(IMAGES, (2, 2), pool_mode="sum")
    with pytest.raises(ValueError, match="padding"):
        K.conv2d(IMAGES, KERNEL2D, padding="causal")
    with pytest.raises(TypeError, match="symbolic"):
        K.get_value(K.placeholder(shape=(None, 2)))
    with pytest.raises(TypeError, match="variable"):
        K.set_value(tf.constant(X), Y)
    with pytest.raises(AttributeError, match="keras.ops"):
        K.local_conv1d  # noqa: B018


# ----------------------------------------------------------------------------------
# Symbolic tensors, the learning phase and K.function
# ----------------------------------------------------------------------------------


def _dropout_model():
    layers = keras3.layers
    keras3.utils.set_random_seed(0)
    return keras3.Sequential(
        [keras3.Input((4,)), layers.Dense(16), layers.Dropout(0.5), layers.Dense(3)]
    )


def test_function_with_learning_phase():
    model = _dropout_model()
    f = K.function([model.layers[0].input, K.learning_phase()], [model.layers[-1].output])
    x = RNG.random((8, 4))
    test_a, test_b = f([x, 0])[0], f([x, 0])[0]
    train = f([x, 1])[0]
    assert isinstance(test_a, np.ndarray) and test_a.shape == (8, 3)
    np.testing.assert_array_equal(test_a, test_b)
    np.testing.assert_allclose(test_a, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert not np.allclose(train, test_a)  # Dropout was active

    # The same weights in Keras 2's own model give the same test-phase output.
    keras2 = pytest.importorskip("tf_keras")
    twin = keras2.Sequential(
        [
            keras2.layers.Dense(16, input_shape=(4,)),
            keras2.layers.Dropout(0.5),
            keras2.layers.Dense(3),
        ]
    )
    twin.set_weights(model.get_weights())
    reference = K2.function([twin.input], [twin.output])([x])[0]
    np.testing.assert_allclose(test_a, reference, rtol=1e-5, atol=1e-6)


def test_function_dropout_exact():
    inputs = keras3.Input((1000,))
    f = K.function([inputs, K.learning_phase()], [keras3.layers.Dropout(0.25)(inputs)])
    x = np.ones((2, 1000), "float32")
    np.testing.assert_array_equal(f([x, 0])[0], x)
    np.testing.assert_array_equal(f([x, False])[0], x)
    train = f([x, np.array(1)])[0]
    assert set(np.unique(train)) == {0.0, np.float32(1 / 0.75)}
    assert (train == 0).mean() == pytest.approx(0.25, abs=0.03)


def test_function_outputs_and_errors():
    x = K.placeholder(shape=(None, 2))
    doubled = K.function([x], K.square(x))([np.array([[1.0, 2.0]])])
    np.testing.assert_array_equal(doubled, [[1.0, 4.0]])  # one output, not in a list
    results = K.function([x], [x * 2.0, K.sum(x)])([np.array([[1.0, 2.0]])])
    assert isinstance(results, list)
    np.testing.assert_array_equal(results[0], [[2.0, 4.0]])
    assert results[1] == 3.0 and np.ndim(results[1]) == 0
    with pytest.raises(ValueError, match="updates"):
        K.function([x], [x], updates=[(K.variable(1.0), 2.0)])
    with pytest.raises(ValueError, match="session arguments"):
        K.function([x], [x], options=None)
    with pytest.raises(TypeError, match="symbolic tensors"):
        K.function([X], [x])
    f = K.function([x, K.learning_phase()], [x])
    with pytest.raises(ValueError, match="takes 2 inputs"):
        f([np.ones((1, 2))])
    with pytest.raises(ValueError, match="0 \\(test\\) or 1"):
        f([np.ones((1, 2)), 2])


def test_backend_on_symbolic_tensors():
    # Keras 2 allowed backend functions on layer outputs while building a model.
    inputs = keras3.Input((4,))
    hidden = keras3.layers.Dense(3)(inputs)
    pooled = K.mean(hidden, axis=-1, keepdims=True)
    scaled = K.concatenate([K.square(hidden), K.batch_flatten(K.expand_dims(pooled))])
    model = keras3.Model(inputs, scaled)
    x = RNG.random((5, 4)).astype("float32")
    dense = keras3.Model(inputs, hidden).predict(x, verbose=0)
    expected = np.concatenate([dense**2, dense.mean(axis=-1, keepdims=True)], axis=-1)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_custom_metric_with_k_mean():
    # The guides' custom metric: `def mean_pred(y_true, y_pred): return K.mean(y_pred)`.
    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)

    keras3.utils.set_random_seed(1)
    model = keras3.Sequential([keras3.Input((6,)), keras3.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=[mean_pred])
    x, y = RNG.random((16, 6)), (RNG.random((16, 1)) > 0.5).astype("float32")
    result = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert result["mean_pred"] == pytest.approx(model.predict(x, verbose=0).mean(), rel=1e-5)


def test_in_train_phase_follows_the_model():
    inputs = keras3.Input((3,))
    model = keras3.Model(inputs, K.in_train_phase(inputs * 2.0, lambda: inputs))
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(model(x, training=True), 2 * x)
    np.testing.assert_array_equal(model(x, training=False), x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    f = K.function([inputs, K.learning_phase()], [model.output])
    np.testing.assert_array_equal(f([x, 1])[0], 2 * x)
    np.testing.assert_array_equal(f([x, 0])[0], x)
    # Only the training branch is symbolic: still decided when the model runs.
    constant = keras3.Model(inputs, K.in_train_phase(inputs * 3.0, np.zeros((1, 3), "f")))
    np.testing.assert_array_equal(constant(x, training=True), 3 * x)
    np.testing.assert_array_equal(constant(x, training=False), 0 * x)


def test_learning_phase_state():
    K.clear_session()
    assert int(K.learning_phase()) == 0 and K.in_train_phase(1, 2) == 2
    K.set_learning_phase(1)
    try:
        assert int(K.learning_phase()) == 1 and K.in_train_phase(1, 2) == 1
        assert K.in_test_phase(lambda: "test", lambda: "train") == "train"
        with K.learning_phase_scope(0):
            assert K.in_train_phase(1, 2) == 2
        assert K.in_train_phase(1, 2) == 1
        x = K.placeholder(shape=(None, 5))
        f = K.function([x], [keras3.layers.Dropout(0.9)(x)])
        assert (f([np.ones((4, 5))])[0] == 0).any()  # runs in training mode
    finally:
        K.clear_session()
    assert int(K.learning_phase()) == 0
    with pytest.raises(ValueError, match="0 \\(test\\) or 1"):
        K.set_learning_phase(2)


# ----------------------------------------------------------------------------------
# tensorflow_backend: sessions
# ----------------------------------------------------------------------------------


def _session(**fields):
    config = tf.compat.v1.ConfigProto(**fields)
    return tf.compat.v1.Session(config=config), config


def test_tensorflow_backend_module():
    from refimpl.backend.tensorflow_backend import mean, set_session

    assert set_session is K.set_session and mean is K.mean
    assert tensorflow_backend._get_available_gpus() == [
        device.name for device in tf.config.list_logical_devices("GPU")
    ]
    with pytest.raises(RuntimeError, match="no global session"):
        K.get_session()


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="needs a CPU-only host")
def test_set_session_memory_fraction_on_cpu():
    # The guide's snippet; on a machine without GPUs there is nothing to limit.
    config = tf.compat.v1.ConfigProto()
    config.gpu_options.per_process_gpu_memory_fraction = 0.3
    K.set_session(tf.compat.v1.Session(config=config))
    session, _ = _session(device_count={"GPU": 0}, allow_soft_placement=True)
    K.set_session(session)
    assert tf.config.get_soft_device_placement()
    np.testing.assert_array_equal(K.eval(K.square(X)), X**2)  # TensorFlow still works


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"operation_timeout_in_ms": 5}, "operation_timeout_in_ms"),
        ({"graph_options": tf.compat.v1.GraphOptions(build_cost_model=1)}, "tf.config.optimizer"),
        ({"device_count": {"CPU": 4}}, "device_count"),
        (
            {"gpu_options": tf.compat.v1.GPUOptions(force_gpu_compatible=True)},
            "gpu_options.force_gpu_compatible",
        ),
        # Validated before anything is applied: the thread count is not set either.
        ({"intra_op_parallelism_threads": 3, "isolate_session_state": True}, "isolate_session"),
    ],
)
def test_set_session_rejects_unsupported_fields(fields, named):
    threads = tf.config.threading.get_intra_op_parallelism_threads()
    session, _ = _session(**fields)
    with pytest.raises(ValueError, match=named):
        K.set_session(session)
    assert tf.config.threading.get_intra_op_parallelism_threads() == threads


def test_set_session_rejects_non_sessions():
    with pytest.raises(TypeError, match="tf.compat.v1.Session"):
        K.set_session(tf.compat.v1.ConfigProto())


def test_set_session_after_runtime_started():
    tf.constant(1.0) + 1.0  # TensorFlow's runtime is running now
    current = tf.config.threading.get_intra_op_parallelism_threads()
    same, _ = _session(intra_op_parallelism_threads=current)
    K.set_session(same)  # an unchanged setting is fine
    changed, _ = _session(intra_op_parallelism_threads=current + 3)
    with pytest.raises(RuntimeError, match="before building"):
        K.set_session(changed)


def test_gpu_total_memory_reader():
    gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    if tf.config.list_physical_devices("GPU"):
        assert tensorflow_backend._gpu_total_memory(gpu) > 2**30
    else:
        with pytest.raises(RuntimeError, match="memory_limit"):
            tensorflow_backend._gpu_total_memory(gpu)


class _FakeGPUs:
    """Stands in for the GPU part of `tf.config`, recording what is set."""

    def __init__(self, count=2):
        device = tf.config.PhysicalDevice
        self.gpus = [device(f"/physical_device:GPU:{i}", "GPU") for i in range(count)]
        self.logical, self.growth, self.visible = {}, {}, list(self.gpus)
        self.started = False

    def install(self, monkeypatch):
        config = tf.config
        monkeypatch.setattr(
            config,
            "list_physical_devices",
            lambda kind=None: list(self.gpus) if kind == "GPU" else [],
        )
        monkeypatch.setattr(config, "get_logical_device_configuration", self.logical.get)
        monkeypatch.setattr(config, "set_logical_device_configuration", self._set_logical)
        monkeypatch.setattr(config, "get_visible_devices", lambda kind=None: list(self.visible))
        monkeypatch.setattr(config, "set_visible_devices", self._set_visible)
        monkeypatch.setattr(
            config.experimental, "get_memory_growth", lambda gpu: self.growth.get(gpu, False)
        )
        monkeypatch.setattr(config.experimental, "set_memory_growth", self._set_growth)
        monkeypatch.setattr(tensorflow_backend, "_gpu_total_memory", lambda gpu: 8 * 2**30)
        return self

    def _check(self):
        if self.started:
            raise RuntimeError("Virtual devices cannot be modified after being initialized")

    def _set_logical(self, gpu, configs):
        self._check()
        self.logical[gpu] = configs

    def _set_visible(self, devices, kind=None):
        self._check()
        self.visible = list(devices)

    def _set_growth(self, gpu, flag):
        self._check()
        self.growth[gpu] = flag


def test_set_session_gpu_options(monkeypatch):
    fake = _FakeGPUs().install(monkeypatch)
    config = tf.compat.v1.ConfigProto()
    config.gpu_options.per_process_gpu_memory_fraction = 0.3
    K.set_session(tf.compat.v1.Session(config=config))
    limit = int(0.3 * 8 * 1024)  # megabytes of an 8 GiB GPU
    expected = [tf.config.LogicalDeviceConfiguration(memory_limit=limit)]
    assert fake.logical == {gpu: expected for gpu in fake.gpus}

    # Once the runtime has started, the same setting passes and a new one is refused.
    fake.started = True
    K.set_session(tf.compat.v1.Session(config=config))
    config.gpu_options.per_process_gpu_memory_fraction = 0.5
    with pytest.raises(RuntimeError, match="per_process_gpu_memory_fraction"):
        K.set_session(tf.compat.v1.Session(config=config))


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        (
            {"gpu_options": tf.compat.v1.GPUOptions(allow_growth=True)},
            lambda fake: fake.growth == dict.fromkeys(fake.gpus, True),
        ),
        ({"device_count": {"GPU": 0}}, lambda fake: fake.visible == []),
        ({"device_count": {"GPU": 1, "CPU": 1}}, lambda fake: fake.visible == fake.gpus[:1]),
        (
            {"gpu_options": tf.compat.v1.GPUOptions(visible_device_list="1")},
            lambda fake: fake.visible == fake.gpus[1:],
        ),
    ],
    ids=["allow_growth", "no-gpu", "one-gpu", "visible_device_list"],
)
def test_set_session_gpu_visibility_and_growth(monkeypatch, fields, check):
    fake = _FakeGPUs().install(monkeypatch)
    session, _ = _session(**fields)
    K.set_session(session)
    assert check(fake)


def test_set_session_conflicting_gpu_options(monkeypatch):
    _FakeGPUs().install(monkeypatch)
    options = tf.compat.v1.GPUOptions(per_process_gpu_memory_fraction=0.5, allow_growth=True)
    session, _ = _session(gpu_options=options)
    with pytest.raises(ValueError, match="cannot combine"):
        K.set_session(session)
    session, _ = _session(gpu_options=tf.compat.v1.GPUOptions(visible_device_list="0,5"))
    with pytest.raises(ValueError, match="below 2"):
        K.set_session(session)


# ----------------------------------------------------------------------------------
# Through `import keras`, as Keras 2 scripts use it
# ----------------------------------------------------------------------------------


def test_keras2_script_usage():
    refimpl = pytest.importorskip("refimpl")
    with refimpl.installed():
        import keras.backend as backend
        from keras.backend.tensorflow_backend import set_session
        from keras.layers import Dense, Dropout, Input, Lambda
        from keras.models import Model, Sequential

        assert backend is K and set_session is K.set_session
        model = Sequential([Dense(8, input_dim=4), Dropout(0.5), Dense(2)])
        f = backend.function(
            [model.layers[0].input, backend.learning_phase()], [model.layers[-1].output]
        )
        x = RNG.random((6, 4)).astype("float32")
        np.testing.assert_allclose(f([x, 0])[0], model.predict(x), rtol=1e-5, atol=1e-6)
        assert not np.allclose(f([x, 1])[0], f([x, 0])[0])

        # Inside a Lambda, `K.shape` gives the run-time batch size and the learning
        # phase is the model's `training` flag.
        inputs = Input(shape=(4,))
        noisy = Lambda(lambda t: t + K.zeros_like(K.random_normal((K.shape(t)[0], 4))))(inputs)
        doubled = Lambda(lambda t: K.in_train_phase(t * 2.0, t))(noisy)
        lambdas = Model(inputs, doubled)
        np.testing.assert_allclose(lambdas(x, training=True), 2 * x, rtol=1e-6)
        np.testing.assert_allclose(lambdas(x, training=False), x, rtol=1e-6)
