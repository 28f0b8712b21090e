"""Write tests/data/saved_lambda_fixtures.json: Lambda functions as every Python saved them.

A Keras Lambda layer stores its function as the `marshal`led code object of the Python
that saved the model. This script runs each Python found under ~/.pyenv (2.7, 3.6-3.13),
compiles a list of typical Lambda functions there (and a few that must never be rebuilt:
imports, file access, `getattr` tricks, loops), and records each code object in the two
text encodings Keras used:

- `base64`: `codecs.encode(marshal.dumps(code), 'base64')` as text, Keras >= 2.1,
  tf.keras 2.x and Keras 3 (`{"class_name": "__lambda__", ...}`);
- `raw`: `marshal.dumps(code).decode('raw_unicode_escape')`, Keras 1 and early Keras 2;

with the function's defaults and closure values, as `func_dump` saved them. Python 3.5
does not install here: its entries are 3.6's single-line functions rewritten in 3.5's
instruction format (`as_python_3_5`), where both releases compile the same instructions.

The functions only compile in the child Pythons, nothing calls them. Run from the
repository root:

    python scripts/model_files/lambda_fixtures.py

tests/test_saved_lambda.py reads the file, rebuilds every function with
refimpl.saved_lambda and checks it against a NumPy version of the same function.
"""

from __future__ import annotations

import base64
import codecs
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "tests" / "data" / "saved_lambda_fixtures.json"
PYTHONS = ("2.7.18", "3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1",
           "3.13.0")  # fmt: skip

#: (name, source, inputs, arguments). `inputs`: one shape, or a list of shapes for a
#: Lambda called on a list of tensors; None for functions of shapes (output_shape, mask).
#: A source starting with `def` is a named function (tf.keras dumped those too); a
#: source calling a factory makes a closure.
SAFE = [
    ("normalise", "lambda x: x / 127.5 - 1.0", (2, 3), {}),
    ("centre", "lambda x: (x - 0.5) * 2.0", (2, 3), {}),
    ("one_minus", "lambda x: 1 - x", (2, 3), {}),
    ("negate", "lambda x: -x", (2, 3), {}),
    ("mean_keepdims", "lambda x: K.mean(x, axis=-1, keepdims=True)", (2, 3), {}),
    ("sum_axis", "lambda x: K.sum(x, axis=1)", (2, 3), {}),
    ("max_axis", "lambda x: K.max(x, axis=-1)", (2, 3), {}),
    ("sqrt_square", "lambda x: K.sqrt(K.square(x) + K.epsilon())", (2, 3), {}),
    ("log_exp_abs", "lambda x: K.log(K.exp(K.abs(x)) + 1.0)", (2, 3), {}),
    ("expand_squeeze", "lambda x: K.squeeze(K.expand_dims(x, 1), 1)", (2, 3), {}),
    ("expand_last", "lambda x: K.expand_dims(x, axis=-1)", (2, 3), {}),
    ("reshape", "lambda x: K.reshape(x, (-1, 6))", (2, 2, 3), {}),
    ("permute", "lambda x: K.permute_dimensions(x, (0, 2, 1))", (2, 2, 3), {}),
    ("concatenate", "lambda t: K.concatenate([t[0], t[1]], axis=-1)", [(2, 3), (2, 3)], {}),
    ("stack", "lambda t: K.stack(t, axis=1)", [(2, 3), (2, 3)], {}),
    ("l2_normalize", "lambda x: K.l2_normalize(x, axis=1)", (2, 3), {}),
    ("batch_flatten", "lambda x: K.batch_flatten(x)", (2, 2, 3), {}),
    ("clip", "lambda x: K.clip(x, 0.2, 0.8)", (2, 3), {}),
    ("activations", "lambda x: K.softmax(x) + K.tanh(x) + K.sigmoid(x) + K.relu(x)", (2, 3), {}),
    ("power", "lambda x: K.pow(x, 2) + x ** 3", (2, 3), {}),
    ("channel_slice", "lambda x: x[:, :, :, 0:1]", (2, 2, 2, 3), {}),
    ("step_slice", "lambda x: x[:, ::2]", (2, 5), {}),
    ("bgr", "lambda x: x[..., ::-1]", (2, 2, 3), {}),
    ("difference", "lambda t: t[0] - t[1]", [(2, 3), (2, 3)], {}),
    ("siamese_l1", "lambda t: K.abs(t[0] - t[1])", [(2, 3), (2, 3)], {}),
    (
        "siamese_euclidean",
        "lambda t: K.sqrt(K.maximum(K.sum(K.square(t[0] - t[1]), axis=1, keepdims=True), "
        "K.epsilon()))",
        [(2, 3), (2, 3)],
        {},
    ),
    ("default_argument", "lambda x, scale=2.0: x * scale", (2, 3), {}),
    ("arguments", "lambda x, factor: x * factor", (2, 3), {"factor": 3.0}),
    ("closure", "(lambda c: lambda x: x + c)(0.25)", (2, 3), {}),
    ("closure_pair", "(lambda m, s: lambda x: (x - m) / s)(0.5, 2.0)", (2, 3), {}),
    ("resize", "lambda x: tf.image.resize(x, (4, 4))", (1, 2, 2, 1), {}),
    ("resize_nearest", "lambda x: tf.image.resize(x, (4, 4), method='nearest')", (1, 2, 2, 1), {}),
    ("resize_images", "lambda x: tf.image.resize_images(x, (4, 4))", (1, 2, 2, 1), {}),
    ("resize_tf1_method", "lambda x: tf.image.resize(x, (4, 4), method=0)", (1, 2, 2, 1), {}),
    ("resize_method_name",
     "lambda x: tf.image.resize_images(x, (4, 4), tf.image.ResizeMethod.NEAREST_NEIGHBOR)",
     (1, 2, 2, 1), {}),
    ("numpy_pi", "lambda x: x * np.pi", (2, 3), {}),
    ("tf_reduce", "lambda x: tf.reduce_mean(x, axis=1) + tf.nn.relu(x)[:, 0]", (2, 3), {}),
    ("tf_concat", "lambda x: tf.concat([x, x * 2.0], axis=-1)", (2, 3), {}),
    ("cast_compare", "lambda x: K.cast(x > 0.5, 'float32')", (2, 3), {}),
    ("cast_floatx", "lambda x: K.cast(x, K.floatx()) * 2", (2, 3), {}),
    ("shape_attribute", "lambda x: K.reshape(x, (-1, x.shape[1] * x.shape[2]))", (2, 2, 3), {}),
    ("int_shape", "lambda x: K.reshape(x, (-1, K.int_shape(x)[1] * 3))", (2, 2, 3), {}),
    ("keras_backend_path", "lambda x: keras.backend.mean(x, axis=0)", (2, 3), {}),
    ("named_function", "def scaled_mean(x):\n    y = x * 2.0\n    return K.mean(y, axis=1)\n",
     (2, 3), {}),
    ("space_to_depth",
     "def space_to_depth_x2(x):\n    import tensorflow as tf\n"
     "    return tf.space_to_depth(x, block_size=2)\n", (1, 4, 4, 2), {}),
    ("import_backend",
     "def channel_mean(x):\n    from keras import backend as K\n"
     "    return K.mean(x, axis=-1)\n", (2, 3), {}),
    ("import_submodule",
     "def total(x):\n    import keras.backend as KB\n    return KB.sum(x, axis=0)\n",
     (2, 3), {}),
    ("backend_tf", "lambda x: K.tf.image.resize_bilinear(x, (4, 4))", (1, 2, 2, 1), {}),
    ("newaxis", "lambda x: x[:, np.newaxis] * 2", (2, 3), {}),
    ("tile_constant_list", "lambda x: K.tile(K.expand_dims(x, 1), [1, 2, 1])", (2, 3), {}),
    ("output_shape_tuple", "lambda input_shape: (input_shape[0], 1)", None, {}),
    ("output_shape_concat", "lambda s: s[:-1] + (1,)", None, {}),
    ("mask_none", "lambda inputs, mask=None: None", None, {}),
]  # fmt: skip

#: Functions that must raise UnsafeLambdaError: nothing of them may be rebuilt.
UNSAFE = [
    ("import_os", "lambda x: __import__('os').system('echo owned')"),
    ("open_file", "lambda x: open('/etc/passwd').read()"),
    ("getattr_trick", "lambda x: getattr(K, 'eval')(x)"),
    ("dunder_walk", "lambda x: x.__class__.__base__.__subclasses__()"),
    ("global_os", "lambda x: os.system('ls')"),
    ("comprehension_loop", "lambda x: [x for _ in range(10 ** 9)]"),
    ("while_loop", "def spin(x):\n    while True:\n        x = x + 1\n    return x\n"),
    ("tf_write_file", "lambda x: tf.io.write_file('/tmp/owned', 'data')"),
    ("numpy_load", "lambda x: np.load('/etc/passwd')"),
    ("backend_set_value", "lambda x: K.set_value(x, 0)"),
    ("import_os_inside", "def sneaky(x):\n    import os\n    return os.system('ls')\n"),
    ("import_from_os", "def sneakier(x):\n    from os import system\n    return system('ls')\n"),
]

#: Runs in each child Python (valid Python 2.7 and 3): compiles the sources, dumps their code.
CHILD = r"""
import base64, codecs, json, marshal, sys
cases = json.load(sys.stdin)
out = {}
for name, source in cases:
    space = {}
    if source.startswith("def "):
        exec(compile(source, "<lambda fixture>", "exec"), space)
        function = [v for k, v in space.items() if k != "__builtins__"][0]
    else:
        function = eval(compile(source, "<lambda fixture>", "eval"), space)
    raw = marshal.dumps(function.__code__)
    closure = function.__closure__
    out[name] = {
        "base64": codecs.encode(raw, "base64").decode("ascii"),
        "raw": raw.decode("raw_unicode_escape"),
        "defaults": function.__defaults__,
        "closure": None if closure is None else [cell.cell_contents for cell in closure],
    }
json.dump({"version": "%d.%d" % sys.version_info[:2], "functions": out}, sys.stdout)
"""


def dump_with(python: Path, cases: list[tuple[str, str]]) -> dict:
    """The code objects of `cases` as `python` marshals them."""
    completed = subprocess.run(
        [str(python), "-E", "-s", "-c", CHILD],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


#: CPython 3.5's numbers of the instructions that 3.6 kept with the same number and
#: meaning (its opcode.py), all that simple lambdas without keyword calls compile to.
SAME_IN_3_5 = {
    "LOAD_FAST": 124, "LOAD_CONST": 100, "LOAD_GLOBAL": 116, "LOAD_ATTR": 106,
    "LOAD_DEREF": 136, "BINARY_ADD": 23, "BINARY_SUBTRACT": 24, "BINARY_MULTIPLY": 20,
    "BINARY_TRUE_DIVIDE": 27, "BINARY_FLOOR_DIVIDE": 26, "BINARY_POWER": 19,
    "BINARY_MODULO": 22, "UNARY_NEGATIVE": 11, "BINARY_SUBSCR": 25, "BUILD_SLICE": 133,
    "BUILD_TUPLE": 102, "BUILD_LIST": 103, "CALL_FUNCTION": 131, "COMPARE_OP": 107,
    "RETURN_VALUE": 83,
}  # fmt: skip
HAVE_ARGUMENT = 90  # 3.5: instructions from here on take a 2-byte argument


def as_python_3_5(marshalled: bytes) -> bytes | None:
    """A Python 3.6 code object in Python 3.5's format, or None when it uses an
    instruction whose meaning changed (keyword calls, functions) or jumps.

    No Python 3.5 runs here. Its code object has 3.6's layout; only the instructions
    differ: 3.5 writes an instruction as its number alone, or followed by a 2-byte
    argument, where 3.6 writes 2 bytes for every instruction."""
    header = 1 + 5 * 4  # TYPE_CODE, then argcount, kwonly, nlocals, stacksize, flags
    if marshalled[header] not in (ord("s"), ord("s") | 0x80):
        return None
    length = int.from_bytes(marshalled[header + 1 : header + 5], "little")
    start = header + 5
    wordcode = marshalled[start : start + length]
    kept = set(SAME_IN_3_5.values())
    converted = bytearray()
    for op, arg in zip(wordcode[0::2], wordcode[1::2], strict=True):
        if op not in kept:
            return None
        converted += bytes([op, arg, 0]) if op >= HAVE_ARGUMENT else bytes([op])
    return (
        marshalled[: header + 1]
        + len(converted).to_bytes(4, "little")
        + bytes(converted)
        + marshalled[start + length :]
    )


def python_3_5_from(python_3_6: dict, sources: dict[str, str]) -> dict:
    """The single-line functions of 3.6 that 3.5 compiled to the same instructions."""
    found = {}
    for name, dumped in python_3_6.items():
        if sources[name].startswith("def "):
            continue  # several lines: the line table would need converting too
        converted = as_python_3_5(base64.b64decode(dumped["base64"]))
        if converted is not None:
            found[name] = {
                "base64": codecs.encode(converted, "base64").decode("ascii"),
                "raw": converted.decode("raw_unicode_escape"),
                "defaults": dumped["defaults"],
                "closure": dumped["closure"],
            }
    return found


def main() -> int:
    sources = [(name, source) for name, source, *_ in SAFE] + list(UNSAFE)
    found = {}
    for release in PYTHONS:
        python = Path.home() / ".pyenv" / "versions" / release / "bin" / "python"
        if not python.exists():
            print(f"skipped Python {release}: {python} is missing", file=sys.stderr)
            continue
        dumped = dump_with(python, sources)
        found[dumped["version"]] = dumped["functions"]
        print(f"Python {dumped['version']}: {len(dumped['functions'])} functions")
    if "3.6" in found:
        found["3.5"] = python_3_5_from(found["3.6"], dict(sources))
        print(f"Python 3.5 (converted from 3.6): {len(found['3.5'])} functions")
    data = {
        "generator": "scripts/model_files/lambda_fixtures.py",
        "converted": {"3.5": "from Python 3.6's code objects by as_python_3_5()"},
        "safe": [
            {"name": name, "source": source, "inputs": inputs, "arguments": arguments}
            for name, source, inputs, arguments in SAFE
        ],
        "unsafe": [{"name": name, "source": source} for name, source in UNSAFE],
        "pythons": found,
    }
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(json.dumps(data, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
