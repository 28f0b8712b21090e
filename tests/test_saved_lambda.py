"""refimpl.saved_lambda: Lambda functions saved as bytecode, rebuilt without running them.

tests/data/saved_lambda_fixtures.json holds typical Lambda functions as Python 2.7 and 3.6 to
3.13 marshalled them, in both encodings Keras used (scripts/model_files/lambda_fixtures.py
writes it). Every safe one is rebuilt from each Python's bytecode and checked against
NumPy; the saving Python is found among the releases the bytecode reads as; the unsafe
ones (imports, files, getattr and dunder tricks, loops) raise UnsafeLambdaError naming
the layer, the Python, the instructions and how to supply the function. The config forms
of every era go through `lambda_arguments`, and rebuilt functions run inside a Keras 3
model. The modules themselves are checked never to load or run code from a file.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import ast  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import marshal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from refimpl import lambda_calls  # noqa: E402
from refimpl._keras3 import keras3  # noqa: E402
from refimpl.lambda_bytecode import decode  # noqa: E402
from refimpl.saved_lambda import (  # noqa: E402
    UnsafeLambdaError,
    custom_object_key,
    lambda_arguments,
    rebuild_function,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = json.loads((ROOT / "tests/data/saved_lambda_fixtures.json").read_text("utf-8"))
PYTHONS = sorted(FIXTURES["pythons"], key=lambda v: tuple(map(int, v.split("."))))
SAFE = {case["name"]: case for case in FIXTURES["safe"]}
UNSAFE = {case["name"]: case for case in FIXTURES["unsafe"]}
EPSILON = 1e-7  # K.epsilon()


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _resize(x, size, *, half_pixel: bool, nearest: bool = False):
    """NumPy resize of NHWC images: TensorFlow 2's (half-pixel centres) or TensorFlow
    1's resize_images (corners at 0, no alignment)."""
    out = x
    for axis, new in ((1, size[0]), (2, size[1])):
        old = out.shape[axis]
        scale = old / new
        centres = np.arange(new, dtype=np.float64)
        source = (centres + 0.5) * scale - 0.5 if half_pixel else centres * scale
        if nearest:
            index = np.floor((centres + 0.5) * scale if half_pixel else source).astype(int)
            out = np.take(out, np.minimum(index, old - 1), axis=axis)
            continue
        source = np.clip(source, 0, None)
        low = np.floor(source).astype(int)
        high = np.minimum(low + 1, old - 1)
        weight = (source - low).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = np.take(out, low, axis=axis) * (1 - weight) + np.take(out, high, axis=axis) * weight
    return out


#: NumPy versions of the fixtures' functions (same names as in the fixture script).
ORACLES = {
    "normalise": lambda x: x / 127.5 - 1.0,
    "centre": lambda x: (x - 0.5) * 2.0,
    "one_minus": lambda x: 1 - x,
    "negate": lambda x: -x,
    "mean_keepdims": lambda x: x.mean(axis=-1, keepdims=True),
    "sum_axis": lambda x: x.sum(axis=1),
    "max_axis": lambda x: x.max(axis=-1),
    "sqrt_square": lambda x: np.sqrt(x**2 + EPSILON),
    "log_exp_abs": lambda x: np.log(np.exp(np.abs(x)) + 1.0),
    "expand_squeeze": lambda x: x,
    "expand_last": lambda x: x[..., None],
    "reshape": lambda x: x.reshape(-1, 6),
    "permute": lambda x: x.transpose(0, 2, 1),
    "concatenate": lambda t: np.concatenate(t, axis=-1),
    "stack": lambda t: np.stack(t, axis=1),
    "l2_normalize": lambda x: x / np.sqrt(np.maximum((x**2).sum(1, keepdims=True), 1e-12)),
    "batch_flatten": lambda x: x.reshape(len(x), -1),
    "clip": lambda x: np.clip(x, 0.2, 0.8),
    "activations": lambda x: _softmax(x) + np.tanh(x) + 1 / (1 + np.exp(-x)) + np.maximum(x, 0),
    "power": lambda x: x**2 + x**3,
    "channel_slice": lambda x: x[:, :, :, 0:1],
    "step_slice": lambda x: x[:, ::2],
    "bgr": lambda x: x[..., ::-1],
    "difference": lambda t: t[0] - t[1],
    "siamese_l1": lambda t: np.abs(t[0] - t[1]),
    "siamese_euclidean": lambda t: np.sqrt(
        np.maximum(((t[0] - t[1]) ** 2).sum(1, keepdims=True), EPSILON)
    ),
    "default_argument": lambda x: x * 2.0,
    "arguments": lambda x: x * 3.0,
    "closure": lambda x: x + 0.25,
    "closure_pair": lambda x: (x - 0.5) / 2.0,
    "resize": lambda x: _resize(x, (4, 4), half_pixel=True),
    "resize_nearest": lambda x: _resize(x, (4, 4), half_pixel=True, nearest=True),
    "resize_images": lambda x: _resize(x, (4, 4), half_pixel=False),
    "resize_tf1_method": lambda x: _resize(x, (4, 4), half_pixel=False),
    "resize_method_name": lambda x: _resize(x, (4, 4), half_pixel=False, nearest=True),
    "numpy_pi": lambda x: x * np.pi,
    "tf_reduce": lambda x: x.mean(axis=1) + np.maximum(x, 0)[:, 0],
    "tf_concat": lambda x: np.concatenate([x, x * 2.0], axis=-1),
    "cast_compare": lambda x: (x > 0.5).astype(np.float32),
    "cast_floatx": lambda x: x * 2,
    "shape_attribute": lambda x: x.reshape(-1, 6),
    "int_shape": lambda x: x.reshape(-1, 6),
    "keras_backend_path": lambda x: x.mean(axis=0),
    "named_function": lambda x: (x * 2.0).mean(axis=1),
    "space_to_depth": lambda x: (
        x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 2, 8)
    ),
    "import_backend": lambda x: x.mean(axis=-1),
    "import_submodule": lambda x: x.sum(axis=0),
    "backend_tf": lambda x: _resize(x, (4, 4), half_pixel=False),
    "newaxis": lambda x: x[:, None] * 2,
    "tile_constant_list": lambda x: np.tile(x[:, None], (1, 2, 1)),
}
#: Functions of shapes and masks: (arguments, expected result).
SHAPE_FUNCTIONS = {
    "output_shape_tuple": (((None, 5),), (None, 1)),
    "output_shape_concat": (((None, 4, 3),), (None, 4, 1)),
    "mask_none": ((np.ones((2, 3)), np.ones((2,), bool)), None),
}


def _saved_pairs(names):
    """(python, name) of every fixture among `names` (Python 3.5's hold only the
    functions whose 3.6 instructions 3.5 shares: see the fixture script)."""
    return [
        (python, name)
        for python in PYTHONS
        for name in sorted(names)
        if name in FIXTURES["pythons"][python]
    ]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    if isinstance(shapes[0], list):
        return [rng.uniform(-1, 1, size=shape).astype(np.float32) for shape in shapes]
    return rng.uniform(-1, 1, size=shapes).astype(np.float32)


def _saved(python, name, encoding="base64"):
    dumped = FIXTURES["pythons"][python][name]
    return [dumped[encoding], dumped["defaults"], dumped["closure"]]


def test_every_fixture_has_an_oracle():
    assert set(ORACLES) | set(SHAPE_FUNCTIONS) == set(SAFE)
    assert {"2.7", "3.5", "3.6", "3.10", "3.12", "3.13"} <= set(PYTHONS)
    # Every Python but the converted 3.5 holds every function.
    assert all(
        len(FIXTURES["pythons"][p]) == len(SAFE) + len(UNSAFE) for p in PYTHONS if p != "3.5"
    )
    assert len(FIXTURES["pythons"]["3.5"]) > 40


@pytest.mark.parametrize("python, name", _saved_pairs(ORACLES))
def test_rebuilt_function_matches_numpy(python, name):
    case = SAFE[name]
    function = rebuild_function(_saved(python, name), layer_name="lambda_1")
    raw_encoded = rebuild_function(_saved(python, name, "raw"), layer_name="lambda_1")
    assert raw_encoded.source == function.source
    assert python in function.python.replace(" or ", " ").split() or (
        python in _versions_between(function.python)
    )
    x = _inputs(case["inputs"])
    tensors = (
        [keras3.ops.convert_to_tensor(a) for a in x]
        if isinstance(x, list)
        else keras3.ops.convert_to_tensor(x)
    )
    got = keras3.ops.convert_to_numpy(function(tensors, **case["arguments"]))
    np.testing.assert_allclose(got, ORACLES[name](x), rtol=1e-5, atol=1e-6)


def _versions_between(words):
    first, _, last = words.partition(" to ")
    if not last:
        return [first]
    return [v for v in PYTHONS if _key(first) <= _key(v) <= _key(last)]


def _key(version):
    return tuple(map(int, version.split(".")))


@pytest.mark.parametrize("python, name", _saved_pairs(SHAPE_FUNCTIONS))
def test_rebuilt_shape_and_mask_functions(python, name):
    function = rebuild_function(_saved(python, name), layer_name="lambda_1", what="output_shape")
    arguments, expected = SHAPE_FUNCTIONS[name]
    assert function(*arguments) == expected


@pytest.mark.parametrize("python", PYTHONS)
def test_the_saving_python_is_among_the_releases_found(python):
    """The bytecode alone names the release, up to releases that compiled these bytes
    to instructions of the same meaning (3.6/3.7, 3.8/3.9, 3.11/3.12)."""
    for name in FIXTURES["pythons"][python]:
        for encoding in ("base64", "raw"):
            decoded = decode(FIXTURES["pythons"][python][name][encoding])
            assert python in decoded.versions, (name, encoding, decoded.versions)
            assert len(decoded.versions) <= 2, (name, decoded.versions)
            # Each other release's reading is kept, for rebuild_function to compare.
            assert [other.versions for other in decoded.others] == [
                (version,) for version in decoded.versions[1:]
            ]
    if python in ("3.10", "3.13"):
        assert decode(FIXTURES["pythons"][python]["normalise"]["base64"]).versions == (python,)
    # A call through a method (no keywords) tells 3.7 from 3.6, a CALL's caches 3.12
    # from 3.11.
    if python in ("3.7", "3.11", "3.12"):
        decoded = decode(FIXTURES["pythons"][python]["sqrt_square"]["base64"])
        assert decoded.versions == (python,)


@pytest.mark.parametrize("python, name", _saved_pairs(UNSAFE))
def test_unsafe_functions_are_refused_with_a_helpful_message(python, name):
    with pytest.raises(UnsafeLambdaError) as raised:
        rebuild_function(_saved(python, name), layer_name="lambda_7")
    message = str(raised.value)
    assert "'lambda_7'" in message
    assert f"Python {python}" in message or f"or {python}" in message
    assert "custom_objects={'lambda_7': my_function}" in message
    assert "LOAD_" in message  # the disassembly
    if name == "while_loop":
        assert "custom_objects={'spin': my_function}" in message


def test_nothing_from_the_file_is_loaded_or_run():
    """Rebuilding and calling every fixture of the running Python, whose bytecode
    marshal could load, neither unmarshals, builds nor executes a code object: an audit
    hook sees every `marshal.loads`, every code object built (`code.__new__`) and every
    one run by exec or eval (`exec`), and none of them comes from the fixtures."""
    events = []
    recording = []

    def audit(event, args):
        if recording and event in ("marshal.loads", "marshal.load", "code.__new__", "exec"):
            events.append((event, getattr(args[0], "co_filename", args[0])))

    sys.addaudithook(audit)  # cannot be removed: it records only while `recording`
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert python in FIXTURES["pythons"]
    recording.append(True)
    try:
        for name in ORACLES:
            function = rebuild_function(_saved(python, name), layer_name="lambda_1")
            x = _inputs(SAFE[name]["inputs"])
            function(x, **SAFE[name]["arguments"])
    finally:
        recording.clear()
    assert not [event for event in events if event[0] != "exec"]
    assert not [event for event in events if event[1] == "<lambda fixture>"]


#: What a module rebuilding saved functions must never call or import.
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "loads", "load", "FunctionType",
                   "CodeType", "LambdaType", "import_module"}  # fmt: skip
FORBIDDEN_IMPORTS = {"marshal", "pickle", "types", "importlib", "dill", "cloudpickle"}
MODULES = (
    "saved_lambda",
    "lambda_bytecode",
    "lambda_rebuild",
    "lambda_expressions",
    "lambda_calls",
)


@pytest.mark.parametrize("module", MODULES)
def test_modules_never_load_or_run_code(module):
    tree = ast.parse((ROOT / "refimpl" / f"{module}.py").read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            assert name not in FORBIDDEN_CALLS, f"{module} calls {name} (line {node.lineno})"
        if isinstance(node, ast.Import):
            names = {alias.name.split(".")[0] for alias in node.names}
            assert not names & FORBIDDEN_IMPORTS, f"{module} imports {names}"
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in FORBIDDEN_IMPORTS


def test_allowed_names_hold_nothing_that_reaches_outside_the_tensors():
    import builtins

    dangerous = {getattr(builtins, name) for name in
                 ("eval", "exec", "compile", "open", "__import__", "getattr", "setattr",
                  "globals", "vars", "type", "input", "breakpoint")}  # fmt: skip
    table = lambda_calls._table()
    assert not [name for name, value in table.items() if _is_in(value, dangerous)]
    for name in table:
        assert not any(part.startswith("_") for part in name.split(".")), name
        assert not any(
            word in name
            for word in (
                "io.",
                "py_function",
                "numpy_function",
                "set_value",
                "load",
                "save",
                "file",
            )
        )


def _is_in(value, values):
    try:
        return value in values
    except TypeError:
        return False


def _base64(function):
    return base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")


def test_config_forms_of_every_era():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(2, 3)).astype(np.float32)
    keras2 = {
        "name": "lambda_1", "trainable": True, "dtype": "float32",
        "function": _saved("3.6", "normalise"), "function_type": "lambda",
        "module": "__main__", "output_shape": _saved("3.6", "output_shape_tuple"),
        "output_shape_type": "lambda", "output_shape_module": "__main__",
        "arguments": {},
    }  # fmt: skip
    arguments = lambda_arguments(keras2)
    assert set(arguments) == {"name", "trainable", "dtype", "function", "output_shape",
                              "arguments"}  # fmt: skip
    np.testing.assert_allclose(arguments["function"](x), x / 127.5 - 1.0, rtol=1e-6)
    assert arguments["output_shape"]((None, 3)) == (None, 1)

    # Keras 1.0: the bare code text, raw_unicode_escape; an output shape as a list.
    keras1 = {"name": "lambda_2", "function": FIXTURES["pythons"]["2.7"]["negate"]["raw"],
              "function_type": "lambda", "output_shape": [3], "output_shape_type": "raw",
              "arguments": {}}  # fmt: skip
    arguments = lambda_arguments(keras1)
    np.testing.assert_allclose(arguments["function"](x), -x)
    assert arguments["output_shape"] == (3,)
    # Without types, the forms themselves tell bytecode from names and shapes.
    untyped = {"name": "lambda_2", "function": _saved("2.7", "one_minus"),
               "output_shape": _saved("3.9", "output_shape_concat")}  # fmt: skip
    arguments = lambda_arguments(untyped)
    np.testing.assert_allclose(arguments["function"](x), 1 - x)
    assert arguments["output_shape"]((None, 4, 3)) == (None, 4, 1)
    untyped_name = lambda_arguments({"name": "l", "function": "tanh", "module": "numpy"})
    np.testing.assert_allclose(untyped_name["function"](x), np.tanh(x))

    # Keras 3: the __lambda__ dict, with a closure; a mask function.
    closure = FIXTURES["pythons"]["3.12"]["closure_pair"]
    keras_3 = {
        "name": "lambda_3",
        "function": {"class_name": "__lambda__", "config": {
            "code": closure["base64"], "defaults": None, "closure": closure["closure"]}},
        "mask": {"class_name": "__lambda__", "config": {
            "code": _saved("3.12", "mask_none")[0], "defaults": [None], "closure": None}},
        "arguments": {"unused": {"class_name": "__numpy__",
                                 "config": {"value": [1, 2], "dtype": "int64"}}},
    }  # fmt: skip
    arguments = lambda_arguments(keras_3)
    np.testing.assert_allclose(arguments["function"](x), (x - 0.5) / 2.0, rtol=1e-6)
    assert arguments["mask"](x, None) is None
    np.testing.assert_array_equal(arguments["arguments"]["unused"], [1, 2])


def test_functions_saved_by_name():
    config = {"name": "lambda_4", "function": "mean", "function_type": "function",
              "module": "keras.backend.tensorflow_backend", "arguments": {"axis": 1}}  # fmt: skip
    arguments = lambda_arguments(config)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(arguments["function"](x, **arguments["arguments"]), [1, 4])

    mine = {"name": "lambda_5", "function": "my_scale", "function_type": "function",
            "module": "__main__", "arguments": {}}  # fmt: skip
    with pytest.raises(UnsafeLambdaError, match=r"'my_scale' of the module '__main__'") as raised:
        lambda_arguments(mine)
    assert "custom_objects={'lambda_5': my_function}" in str(raised.value)
    assert "custom_objects={'my_scale': my_function}" in str(raised.value)

    def my_scale(x):
        return x * 10

    assert lambda_arguments(mine, custom_objects={"my_scale": my_scale})["function"] is my_scale
    keras_3 = {"name": "lambda_6", "function": {"module": "builtins", "class_name": "function",
                                                "config": "my_scale",
                                                "registered_name": "function"}}  # fmt: skip
    assert lambda_arguments(keras_3, custom_objects={"lambda_6": my_scale})["function"] is my_scale


def test_output_shape_and_mask_functions_have_their_own_keys():
    config = {"name": "lambda_10", "function": _saved("3.8", "normalise"),
              "function_type": "lambda", "output_shape": _saved("3.8", "open_file"),
              "output_shape_type": "lambda", "arguments": {}}  # fmt: skip
    with pytest.raises(UnsafeLambdaError) as raised:
        lambda_arguments(config)
    message = str(raised.value)
    assert message.startswith("The output_shape of the Lambda layer 'lambda_10'")
    assert "custom_objects={'lambda_10.output_shape': my_output_shape}" in message
    assert "also takes a plain shape tuple" in message
    assert custom_object_key("lambda_10", "output_shape") == "lambda_10.output_shape"
    arguments = lambda_arguments(config, custom_objects={"lambda_10.output_shape": tuple})
    assert arguments["output_shape"] is tuple
    with pytest.raises(UnsafeLambdaError, match="The mode of the Merge layer 'merge_1'"):
        rebuild_function(_saved("3.8", "open_file"), layer_name="merge_1", what="mode",
                         layer_class="Merge")  # fmt: skip


def test_custom_objects_replace_an_unsafe_function_and_bad_configs_are_named():
    def replacement(x):
        return x

    config = {"name": "lambda_8", "function": _saved("3.9", "import_os"),
              "function_type": "lambda", "module": "__main__", "arguments": {}}  # fmt: skip
    with pytest.raises(UnsafeLambdaError, match="__import__"):
        lambda_arguments(config)
    arguments = lambda_arguments(config, custom_objects={"lambda_8": replacement})
    assert arguments["function"] is replacement
    tf_keras_arrays = dict(config, arguments={"w": {"type": "ndarray", "value": [1.0, 2.0]}})
    arguments = lambda_arguments(tf_keras_arrays, custom_objects={"lambda_8": replacement})
    assert isinstance(arguments["arguments"]["w"], np.ndarray)

    with pytest.raises(ValueError, match="with the type 'pickle'"):
        lambda_arguments(dict(config, function_type="pickle"))
    with pytest.raises(ValueError, match="expected a Lambda layer's config"):
        lambda_arguments(["not", "a", "config"])
    with pytest.raises(UnsafeLambdaError, match="not a marshalled Python code object"):
        rebuild_function(["aGVsbG8=", None, None], layer_name="lambda_9")


def _lambda(layer_name, python, case, **extra):
    """A Keras 3 Lambda layer from a tf.keras-style config holding the fixture's code."""
    config = {"name": layer_name, "function": _saved(python, case), "function_type": "lambda"}
    return keras3.layers.Lambda(**lambda_arguments({**config, "arguments": {}, **extra}))


def test_rebuilt_functions_run_inside_a_keras_3_model():
    """Keras 3 traces a Lambda's function on symbolic tensors to build the model."""
    image = keras3.Input((2, 2, 3))
    normalised = _lambda("normalise", "3.7", "normalise")(image)
    first_channel = _lambda(
        "channel",
        "3.10",
        "channel_slice",
        output_shape=_saved("3.13", "output_shape_concat"),
        output_shape_type="lambda",
    )(normalised)
    left, right = keras3.Input((3,)), keras3.Input((3,))
    distance = _lambda(
        "distance", "3.11", "siamese_euclidean", output_shape=[1], output_shape_type="raw"
    )([left, right])
    model = keras3.Model([image, left, right], [first_channel, distance])
    x = _inputs((2, 2, 2, 3))
    a, b = _inputs([[2, 3], [2, 3]], seed=2)
    channel, dist = model.predict([x, a, b], verbose=0)
    np.testing.assert_allclose(channel, (x / 127.5 - 1.0)[..., 0:1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dist, ORACLES["siamese_euclidean"]([a, b]), rtol=1e-5)


def _as_saved(config):
    """A config as a model file holds it: JSON, arrays as lists."""
    return json.loads(json.dumps(config, default=lambda value: np.asarray(value).tolist()))


def test_configs_written_by_tf_keras_and_keras_3_themselves():
    """The configs that tf_keras 2.21 and Keras 3 write, read back into Keras 3 layers
    that compute what the writing layers computed."""
    import tf_keras

    x = _inputs((2, 3), seed=3)
    written = tf_keras.layers.Lambda(
        lambda x, w: K.maximum(x * w, 0.0),  # noqa: F821 - a global of the saving module
        output_shape=lambda shape: shape,
        mask=lambda inputs, mask: None,
        arguments={"w": np.array([1.0, -2.0, 3.0], np.float32)},
        name="weighted",
    )
    arguments = lambda_arguments(_as_saved(written.get_config()))
    assert set(arguments) >= {"function", "output_shape", "mask", "arguments", "name"}
    rebuilt = keras3.layers.Lambda(**arguments)
    expected = np.maximum(x * np.array([1.0, -2.0, 3.0], np.float32), 0.0)
    np.testing.assert_allclose(keras3.ops.convert_to_numpy(rebuilt(x)), expected, rtol=1e-6)
    assert rebuilt.compute_output_shape((None, 3)) == (None, 3)
    assert rebuilt.compute_mask(x, None) is None

    written_3 = keras3.layers.Lambda(lambda x: x[:, 1:] * 2, output_shape=(2,), name="k3")
    rebuilt_3 = keras3.layers.Lambda(**lambda_arguments(_as_saved(written_3.get_config())))
    np.testing.assert_allclose(
        keras3.ops.convert_to_numpy(rebuilt_3(x)), keras3.ops.convert_to_numpy(written_3(x))
    )
    assert rebuilt_3.compute_output_shape((None, 3)) == (None, 2)
