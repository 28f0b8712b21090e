"""refimpl.saved: model files of every Keras, checked against tf_keras (Keras 2's own code).

- every layer class tf_keras has writes a config that refimpl rebuilds (`configs`);
- every weight-layout conversion agrees with tf_keras's own conversion of the same
  arrays (`weights`): Keras 1's gates and kernels, cuDNN's layouts;
- every TensorFlow function of `tf_ops` computes what TensorFlow computes;
- `refimpl convert` writes files plain Keras 3 reads, and refuses what it cannot carry;
- a damaged file raises a clear error naming it, never anything else.

The corpus itself (`conformance/model_files/`) is the `model-files` category of the
conformance suite, run on refimpl by `pytest conformance/suite`.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402
from tf_keras.src.saving.legacy import hdf5_format  # noqa: E402

import refimpl  # noqa: E402
import refimpl.__main__  # noqa: E402
from refimpl import layers as L  # noqa: E402
from refimpl import persistence  # noqa: E402
from refimpl._keras3 import tf  # noqa: E402
from refimpl.saved import configs, formats, graph, tf_ops, weights  # noqa: E402

CORPUS = os.path.join(os.path.dirname(__file__), "..", "conformance", "model_files")
RNG = np.random.default_rng(21)

# -- every tf_keras layer's config ----------------------------------------------------

#: Arguments a tf_keras layer cannot be built without, by parameter name.
REQUIRED = {
    "units": 3, "filters": 2, "kernel_size": 3, "rate": 0.5, "stddev": 0.1, "input_dim": 5,
    "output_dim": 4, "target_shape": (2,), "dims": (1,), "n": 2, "num_heads": 2, "key_dim": 2,
    "size": 2, "pool_size": 2, "cropping": 1, "padding": 1, "function": "relu", "l1": 0.1,
    "axis": -1, "height": 2, "width": 2, "scale": 1.0, "max_tokens": 5, "num_bins": 3,
    "num_tokens": 3, "factor": 0.1, "height_factor": 0.1, "width_factor": 0.1, "axes": 1,
    "depth_multiplier": 1, "equation": "ab,bc->ac", "output_shape": 4, "theta": 1.0,
    "activation": "relu",
}  # fmt: skip
#: tf_keras classes with no Keras 3 counterpart: a file naming one needs the user's class.
NO_KERAS3_CLASS = {"AbstractRNNCell", "DenseFeatures", "LocallyConnected1D",
                   "LocallyConnected2D", "RandomHeight", "RandomWidth"}  # fmt: skip
#: Built with a nested layer instead of REQUIRED's values.
NESTED = {
    "Bidirectional": lambda: {"layer": tf_keras.layers.LSTM(2)},
    "TimeDistributed": lambda: {"layer": tf_keras.layers.Dense(2)},
    "RNN": lambda: {"cell": tf_keras.layers.LSTMCell(2)},
    "StackedRNNCells": lambda: {"cells": [tf_keras.layers.LSTMCell(2)]},
    "InputLayer": lambda: {"input_shape": (3,)},
    "CategoryEncoding": lambda: {"num_tokens": 3},
    "Discretization": lambda: {"num_bins": 3},
    "SpectralNormalization": lambda: {"layer": tf_keras.layers.Dense(2)},
    "Wrapper": None,
    "Lambda": None,  # its function is saved as bytecode: tests/test_saved_lambda.py
}


def _tf_keras_layers() -> list[str]:
    return sorted(
        name
        for name, cls in vars(tf_keras.layers).items()
        if inspect.isclass(cls) and issubclass(cls, tf_keras.layers.Layer)
        and NESTED.get(name, True) is not None and name not in NO_KERAS3_CLASS
    )  # fmt: skip


def _tf_keras_config(name: str) -> dict:
    cls = getattr(tf_keras.layers, name)
    if name in NESTED:
        arguments = NESTED[name]()
    else:
        parameters = inspect.signature(cls.__init__).parameters.values()
        arguments = {
            p.name: REQUIRED[p.name]
            for p in parameters
            if p.default is inspect.Parameter.empty and p.name in REQUIRED
        }
    config = {"class_name": name, "config": cls(**arguments).get_config()}
    # As a file holds it: JSON, NumPy numbers as plain ones.
    return json.loads(json.dumps(config, default=lambda value: np.asarray(value).tolist()))


@pytest.mark.parametrize("name", _tf_keras_layers())
def test_every_tf_keras_layer_config_is_rebuilt_by_refimpl(name):
    layer = graph.build_layer(_tf_keras_config(name), persistence.known_classes())
    if name == "InputLayer":
        assert tuple(layer.shape) == (None, 3)
    else:
        assert type(layer).__name__ == configs.CLASS_RENAMES.get(name, (name,))[0]


@pytest.mark.parametrize("name", sorted(NO_KERAS3_CLASS - {"AbstractRNNCell"}))
def test_a_class_keras_3_removed_is_named_in_the_error(name):
    config = {"class_name": name, "config": {"name": "x"}}
    with pytest.raises(graph.SavedModelConfigError, match=f"{name}.*custom_objects"):
        graph.build_layer(config, persistence.known_classes())


# -- weight layouts, against tf_keras's conversion ------------------------------------


def _random(shape):
    return RNG.normal(size=shape).astype("float32")


def _both(tf_keras_layer, refimpl_layer, input_shape):
    tf_keras_layer.build(input_shape)
    refimpl_layer.build(input_shape)
    return tf_keras_layer, refimpl_layer


#: name -> (tf_keras layer, refimpl layer, input shape, the arrays a file holds).
LAYOUTS = {
    "keras1-lstm": (lambda: tf_keras.layers.LSTM(3), lambda: L.LSTM(3), (None, 4, 2),
                    [_random(s) for s in [(2, 3), (3, 3), (3,)] * 4]),
    "keras1-gru": (lambda: tf_keras.layers.GRU(3, reset_after=False),
                   lambda: L.GRU(3, reset_after=False), (None, 4, 2),
                   [_random(s) for s in [(2, 3), (3, 3), (3,)] * 3]),
    "keras1-conv1d": (lambda: tf_keras.layers.Conv1D(4, 3), lambda: L.Conv1D(4, 3), (None, 6, 2),
                      [_random((3, 1, 2, 4)), _random((4,))]),
    "keras1-conv2d-th": (lambda: tf_keras.layers.Conv2D(4, 3, data_format="channels_first"),
                         lambda: L.Conv2D(4, 3, data_format="channels_first"), (None, 2, 5, 5),
                         [_random((4, 2, 3, 3)), _random((4,))]),
    "keras1-conv3d-th": (lambda: tf_keras.layers.Conv3D(4, 2, data_format="channels_first"),
                         lambda: L.Conv3D(4, 2, data_format="channels_first"),
                         (None, 2, 3, 3, 3), [_random((4, 2, 2, 2, 2)), _random((4,))]),
    "keras1-conv2d-transpose": (lambda: tf_keras.layers.Conv2DTranspose(4, 3),
                                lambda: L.Conv2DTranspose(4, 3), (None, 5, 5, 2),
                                [_random((3, 3, 2, 4)), _random((4,))]),
    "keras1-convlstm2d": (lambda: tf_keras.layers.ConvLSTM2D(2, 3),
                          lambda: L.ConvLSTM2D(2, 3), (None, 2, 5, 5, 1),
                          [_random(s) for s in [(3, 3, 1, 2), (3, 3, 2, 2), (2,)] * 4]),
    "cudnn-lstm": (lambda: tf_keras.layers.LSTM(3), lambda: L.LSTM(3), (None, 4, 2),
                   [_random((2, 12)), _random((3, 12)), _random((24,))]),
    "cudnn-gru": (lambda: tf_keras.layers.GRU(3, reset_after=True),
                  lambda: L.GRU(3, reset_after=True), (None, 4, 2),
                  [_random((2, 9)), _random((3, 9)), _random((18,))]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(LAYOUTS))
def test_a_weight_layout_converts_as_tf_keras_converts_it(case):
    make_old, make_new, shape, saved = LAYOUTS[case]
    old, new = _both(make_old(), make_new(), shape)
    keras1 = case.startswith("keras1")
    expected = hdf5_format.preprocess_weights_for_loading(
        old, [a.copy() for a in saved], original_keras_version="1" if keras1 else "2.2.4"
    )
    origin = weights.Origin("1" if keras1 else "2.2.4")
    saved_class = {"cudnn-lstm": "CuDNNLSTM", "cudnn-gru": "CuDNNGRU"}.get(case)
    converted = weights.convert_layer(new, [a.copy() for a in saved], origin, saved_class)
    assert len(converted) == len(expected)
    for ours, theirs in zip(converted, expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # and the layer takes them
    weights.assign(refimpl.models.Sequential([L.InputLayer(batch_shape=shape), new]),
                   [weights.SavedLayer(new.name, saved, class_name=saved_class)],
                   origin, "a test file")  # fmt: skip


def test_a_theano_kernel_is_flipped_as_theano_convolved():
    new = L.Conv2D(2, 3)
    new.build((None, 5, 5, 1))
    kernel = _random((3, 3, 1, 2))
    converted = weights.convert_layer(
        new, [kernel, _random((2,))], weights.Origin("2.0.8", "theano")
    )
    np.testing.assert_array_equal(converted[0], kernel[::-1, ::-1])


def test_weights_that_do_not_fit_leave_the_model_untouched_and_name_the_layer():
    model = refimpl.models.Sequential([L.Dense(2, input_dim=3, name="a"), L.Dense(1, name="b")])
    before = [w.copy() for w in model.get_weights()]
    saved = [weights.SavedLayer("a", [_random((3, 2)), _random((2,))]),
             weights.SavedLayer("b", [_random((5, 1)), _random((1,))])]  # fmt: skip
    with pytest.raises(weights.WeightsMismatch, match=r"'b'.*shape \(2, 1\).*\(5, 1\)"):
        weights.assign(model, saved, weights.Origin("2.2.4"), "f.h5", match="name")
    for kept, old in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(kept, old)


# -- TensorFlow functions as Keras 3 ops ----------------------------------------------

#: function -> (its positional inputs, keyword arguments), for functions of one tensor
#: unless listed.
TF_CALLS = {
    "math.add_n": ([[_random((2, 3)), _random((2, 3))]], {}),
    "math.matmul": ([_random((2, 3)), _random((3, 4))], {"transpose_a": False}),
    "linalg.matmul": ([_random((2, 3)), _random((4, 3))], {"transpose_b": True}),
    "concat": ([[_random((2, 3)), _random((2, 1))]], {"axis": 1}),
    "stack": ([[_random((2, 3)), _random((2, 3))]], {"axis": 1}),
    "reshape": ([_random((2, 6))], {"shape": [-1, 3, 2]}),
    "transpose": ([_random((2, 3, 4))], {"perm": [0, 2, 1]}),
    "compat.v1.transpose": ([_random((2, 3, 4))], {"perm": [0, 2, 1]}),
    "expand_dims": ([_random((2, 3))], {"axis": 1}),
    "squeeze": ([_random((2, 1, 3))], {"axis": 1}),
    "cast": ([_random((2, 3))], {"dtype": "int32"}),
    "clip_by_value": ([_random((2, 3))], {"clip_value_min": -0.5, "clip_value_max": 0.5}),
    "tile": ([_random((2, 3))], {"multiples": [2, 1]}),
    "where": ([_random((2, 3)) > 0, _random((2, 3)), _random((2, 3))], {}),
    "one_hot": ([np.array([0, 2, 1])], {"depth": 3}),
    "math.argmax": ([_random((2, 3))], {"axis": 1}),
    "math.cumsum": ([_random((2, 3))], {"axis": 1, "reverse": True}),
    "image.resize": ([_random((1, 4, 4, 2))], {"size": [8, 8]}),
    "__operators__.getitem": ([_random((2, 6))], {"slice_spec": [
        {"start": None, "stop": None, "step": None}, {"start": 1, "stop": 4, "step": None}]}),
    "math.scalar_mul": ([2.5, _random((2, 3))], {}),
    "math.reduce_mean": ([_random((2, 3))], {"axis": [1], "keepdims": True}),
    "nn.leaky_relu": ([_random((2, 3))], {"alpha": 0.3}),
    "math.l2_normalize": ([_random((2, 3))], {"axis": -1}),
    "nn.l2_normalize": ([_random((2, 3))], {"axis": -1}),
}  # fmt: skip


def _tf_call(name):
    if name in TF_CALLS:
        return TF_CALLS[name]
    parameters = [
        p.name for p in inspect.signature(tf_ops.TF_FUNCTIONS[name]).parameters.values()
        if p.default is inspect.Parameter.empty
    ]  # fmt: skip
    positive = "sqrt" in name or "log" in name or "rsqrt" in name or "pow" in name
    values = [np.abs(_random((2, 3))) + 0.5 if positive else _random((2, 3)) for _ in parameters]
    if name.startswith("math.logical"):
        values = [v > 0 for v in values]
    return values, {}


def _tensorflow(name):
    if name == "__operators__.getitem":
        return lambda x, slice_spec: x[:, 1:4]
    found = tf
    # tf.keras 2.x recorded tf.matmul as "math.matmul", a name TensorFlow 2.21 dropped.
    for part in {"math.matmul": "linalg.matmul"}.get(name, name).split("."):
        found = getattr(found, part)
    return found


@pytest.mark.parametrize("name", sorted(tf_ops.TF_FUNCTIONS))
def test_a_tensorflow_function_of_tf_keras_computes_what_tensorflow_computes(name):
    args, kwargs = _tf_call(name)
    ours = np.asarray(tf_ops.TF_FUNCTIONS[name](*args, **kwargs))
    tensors = [tf.constant(a) if isinstance(a, np.ndarray) else a for a in args]
    theirs = np.asarray(_tensorflow(name)(*tensors, **kwargs))
    np.testing.assert_allclose(ours, theirs.astype(ours.dtype), rtol=1e-5, atol=1e-6)


def test_an_unknown_tensorflow_function_is_named():
    with pytest.raises(tf_ops.UnknownTFFunction, match="tf.io.write_file"):
        tf_ops.tf_function("io.write_file", "tf.io.write_file")


# -- refimpl convert ------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    ["tf_keras-2.16-2.21/tfop.h5", "keras-2.0-2.2/keras2.2-lambda-py37.h5",
     "keras-1/functional-merge.h5", "keras-2.12-2.15/seq2seq.keras"],
)  # fmt: skip
def test_convert_writes_a_file_plain_keras_3_reads_alike(tmp_path, relative, capsys):
    source = os.path.join(CORPUS, relative)
    target = str(tmp_path / "new.keras")
    assert refimpl.__main__.main(["convert", source, target, "--check"]) == 0
    assert "plain Keras 3 predicts the same" in capsys.readouterr().out
    with open(target, "rb") as handle:
        assert handle.read(2) == b"PK"


def test_convert_carries_keras_2_hard_sigmoid_gates_by_rescaling_their_weights(tmp_path, capsys):
    # Keras 1's LSTM gates used Keras 2's hard_sigmoid (slope 0.2); Keras 3's has 1/6.
    source = os.path.join(CORPUS, "keras-1", "embedding-lstm.h5")
    assert refimpl.__main__.main(["convert", source, str(tmp_path / "n.keras"), "--check"]) == 0


def test_convert_lists_what_plain_keras_3_cannot_hold_and_writes_nothing(tmp_path, capsys):
    # An activation layer has no weights to rescale, and ThresholdedReLU is refimpl's own.
    model = refimpl.models.Sequential(
        [L.Dense(2, input_dim=3), L.Activation("hard_sigmoid"), L.ThresholdedReLU(0.5)]
    )
    model.save(str(tmp_path / "old.h5"))
    target = tmp_path / "new.keras"
    assert refimpl.__main__.main(["convert", str(tmp_path / "old.h5"), str(target)]) == 1
    error = capsys.readouterr().err
    assert "hard_sigmoid" in error and "ThresholdedReLU" in error
    assert not target.exists()


def test_convert_refuses_bad_arguments(tmp_path, capsys):
    assert refimpl.__main__.main(["convert", str(tmp_path / "missing.h5"), "x.keras"]) == 2
    assert "missing.h5" in capsys.readouterr().err
    source = os.path.join(CORPUS, "keras-1", "sequential-mlp.h5")
    assert refimpl.__main__.main(["convert", source, str(tmp_path / "x.h5")]) == 1
    assert "must end in `.keras`" in capsys.readouterr().err


# -- damaged files --------------------------------------------------------------------

#: Files of each format, damaged in each way below.
DAMAGED_SOURCES = ["keras-1/sequential-mlp.h5", "keras-2.12-2.15/rnn.keras",
                   "keras-3/seq2seq.keras", "tf_keras-2.16-2.21/mlp-savedmodel"]  # fmt: skip


def _damage(path: str, how: str) -> None:
    target = os.path.join(path, "keras_metadata.pb") if os.path.isdir(path) else path
    with open(target, "rb") as handle:
        data = bytearray(handle.read())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":
        for index in range(64, len(data), max(1, len(data) // 40)):
            data[index] ^= 0xFF
    else:
        data = bytearray(b"not a model at all")
    with open(target, "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("how", ["truncated", "flipped", "replaced"])
@pytest.mark.parametrize("relative", DAMAGED_SOURCES)
def test_a_damaged_file_raises_a_clear_error_naming_it(tmp_path, relative, how):
    source = os.path.join(CORPUS, relative)
    path = str(tmp_path / os.path.basename(relative))
    (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, path)
    _damage(path, how)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            persistence.load_model(path)
        except (ValueError, OSError, TypeError) as error:
            assert os.path.basename(path) in str(error)
            return
    # A flip may fall in bytes nothing reads (padding, unused attributes): then the
    # model must still be whole.


def test_a_weights_only_file_says_to_build_the_model_first(tmp_path):
    model = refimpl.models.Sequential([L.Dense(2, input_dim=3)])
    model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="only weights.*load_weights"):
        persistence.load_model(str(tmp_path / "w.h5"))
    with pytest.raises(formats.NotAModelFile, match="JSON model config"):
        (tmp_path / "m.json").write_text(model.to_json())
        formats.read_file(str(tmp_path / "m.json"))
