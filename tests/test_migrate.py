"""`refimpl migrate`: each rule's output runs on Keras 3 alone and means what the Keras 2
code meant on refimpl (same weights in, same outputs out; same weights after training
for the optimizer rules), within float32 tolerance."""

from __future__ import annotations

import builtins
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sample_page import PAGE

import refimpl
from keras_docs_base import strings
from refimpl import migrate
from refimpl._keras3 import keras3

X = np.random.default_rng(1).random((6, 4)).astype("float32")
Y = np.eye(3, dtype="float32")[np.arange(6) % 3]
IMAGES = np.random.default_rng(2).random((2, 6, 6, 1)).astype("float32")
SEQUENCES = np.random.default_rng(3).random((2, 5, 4)).astype("float32")


def _keras3_import(name, globals=None, locals=None, fromlist=(), level=0):
    """`__import__` that gives Keras 3 for `keras` even where refimpl is installed
    (the conformance suite's tests install it for the whole session)."""
    if name != "keras" and not name.startswith("keras."):
        return builtins.__import__(name, globals, locals, fromlist, level)
    module = keras3
    for part in name.split(".")[1:]:
        module = getattr(module, part)
    return module if fromlist else keras3


def _execute(code: str, namespace: dict, keras2: bool) -> dict:
    """Run `code` with `keras` meaning refimpl (`keras2`) or Keras 3."""
    if keras2:
        with refimpl.installed():
            exec(code, namespace)
    else:
        namespace["__builtins__"] = {**vars(builtins), "__import__": _keras3_import}
        exec(code, namespace)
    return namespace


def _run(code: str, keras2: bool) -> dict:
    namespace = {"np": np, "X": X, "Y": Y, "IMAGES": IMAGES, "SEQUENCES": SEQUENCES}
    return _execute(code, namespace, keras2)


SEQ = "from keras.models import Sequential\nfrom keras.layers import Dense\n"
START = "model.set_weights([np.full((4, 3), 0.1, 'float32'), np.arange(3, dtype='float32')])\n"

#: rule -> (Keras 2 code building `model` or computing `value`, words of the migration,
#: the input `model` is checked on, or None when `value` is compared).
CASES = {
    "keras1-conv-arguments": (
        "from keras.models import Sequential\n"
        "from keras.layers import Convolution2D, Flatten\n"
        "model = Sequential([Convolution2D(4, 3, 3, border_mode='same', input_shape=(6, 6, 1),"
        " init='he_normal'), Flatten()])\n",
        "Conv2D(4, (3, 3), padding='same', input_shape=(6, 6, 1), kernel_initializer=",
        "IMAGES",
    ),
    "keras1-dense-arguments": (
        "from keras.models import Sequential\nfrom keras.layers import Dense\n"
        "model = Sequential([Dense(output_dim=3, input_dim=4, init='uniform')])\n",
        "Dense(units=3, input_dim=4, kernel_initializer='uniform')",
        "X",
    ),
    "keras1-recurrent-arguments": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential([LSTM(output_dim=3, input_shape=(5, 4), dropout_W=0.2,"
        " inner_init='orthogonal')])\n",
        "LSTM(units=3, input_shape=(5, 4), dropout=0.2, recurrent_initializer='orthogonal')",
        "SEQUENCES",
    ),
    "batch-input-shape": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential([LSTM(3, batch_input_shape=(2, 5, 4))])\n",
        "LSTM(3, input_shape=(5, 4))",
        "SEQUENCES",
    ),
    "keras2-default-pool-size": (
        "from keras.models import Sequential\nfrom keras.layers import AveragePooling1D\n"
        "model = Sequential([AveragePooling1D(input_shape=(5, 4))])\n",
        "AveragePooling1D(input_shape=(5, 4), pool_size=2)",
        "SEQUENCES",
    ),
    "int-shape-and-layer-shapes": (
        "from keras.models import Sequential\nfrom keras.layers import Dense\n"
        "from keras import backend as K\n"
        "model = Sequential([Dense(3, input_dim=4)])\n"
        "value = (K.int_shape(model.layers[0].output), model.layers[0].output_shape,"
        " model.get_layer(index=0).input_shape)\n",
        "tuple(model.layers[0].output.shape), tuple(model.layers[0].output.shape)",
        None,
    ),
    "layer-shapes": (
        "from keras.models import Sequential\nfrom keras.layers import Dense\n"
        "dense = Dense(3, input_dim=4)\nmodel = Sequential([dense])\n"
        "value = (dense.input_shape, dense.output_shape)\n",
        "value = (tuple(dense.input.shape), tuple(dense.output.shape))",
        None,
    ),
    "node-api": (
        "from keras.models import Model\nfrom keras.layers import Input, Dense\n"
        "first, second = Input(shape=(4,)), Input(shape=(4,))\n"
        "shared = Dense(3)\nshared(first)\nshared(second)\n"
        "model = Model(first, shared.get_output_at(0))\n",
        "model = Model(first, shared.output)",
        "X",
    ),
    "node-api-shapes": (
        "from keras.layers import Input, Dense\n"
        "shared = Dense(3)\nshared(Input(shape=(4,)))\nshared(Input(shape=(2, 4)))\n"
        "value = (shared.get_input_shape_at(0), shared.get_output_shape_at(0))\n",
        "value = (tuple(shared.input.shape), tuple(shared.output.shape))",
        None,
    ),
    "stateful-batch-input-shape": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential([LSTM(3, stateful=True, batch_input_shape=(2, 5, 4))])\n",
        "Sequential([keras.Input(batch_shape=(2, 5, 4)), LSTM(3, stateful=True)])",
        "SEQUENCES",
    ),
    "module-paths": (
        "from keras.utils.np_utils import to_categorical\n"
        "from keras.layers.core import Dense\n"
        "value = to_categorical([0, 2, 1], 3).tolist()\n",
        "from keras.utils import to_categorical\nfrom keras.layers import Dense",
        None,
    ),
    "weights-h5": (
        SEQ
        + "model = Sequential([Dense(3, input_dim=4)])\n"
        + START
        + "model.save_weights('my_model_weights.h5')\n"
        "other = Sequential([Dense(3, input_dim=4)])\n"
        "other.load_weights('my_model_weights.h5')\n"
        "value = other.predict(X, verbose=0).round(5).tolist()\n",
        "model.save_weights('my_model_weights.weights.h5')",
        None,
    ),
    "weights-h5-by-name": (
        SEQ
        + "path = 'weights.h5'\nmodel = Sequential([Dense(3, input_dim=4)])\n"
        + START
        + "model.save_weights(path, save_format='h5')\n"
        "other = Sequential([Dense(3, input_dim=4)])\n"
        "other.load_weights(path)\n"
        "value = other.predict(X, verbose=0).round(5).tolist()\n",
        "path = 'weights.weights.h5'",
        None,
    ),
    "yaml": (
        SEQ + "from keras.models import model_from_yaml\n"
        "original = Sequential([Dense(3, input_dim=4, activation='relu')])\n"
        "yaml_string = original.to_yaml()\n"
        "model = model_from_yaml(yaml_string)\n",
        "keras.models.model_from_json(json.dumps(yaml.safe_load(yaml_string)))",
        "X",
    ),
    "backend-function": (
        SEQ + "from keras.layers import Dropout\nfrom keras import backend as K\n"
        "model = Sequential([Dense(3, input_dim=4), Dropout(0.5)])\n"
        + START
        + "first = K.function([model.layers[0].input], [model.layers[0].output])\n"
        "phased = K.function([model.layers[0].input, K.learning_phase()],"
        " [model.layers[-1].output])\n"
        "test, train = phased([X, 0])[0], phased([X, 1])[0]\n"
        "value = (first([X])[0].round(5).tolist(), test.round(5).tolist(),"
        " bool((train == 0).any()), len(first([X])))\n",
        "phased = keras2_function([model.layers[0].input], [model.layers[-1].output], phase=1)",
        None,
    ),
    "stateful-batch-size": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential()\n"
        "model.add(LSTM(3, stateful=True, batch_size=2, input_shape=(5, 4)))\n",
        "model.add(keras.Input(batch_shape=(2, 5, 4)))\nmodel.add(LSTM(3, stateful=True))",
        "SEQUENCES",
    ),
    "stateful-batch-size-in-list": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential([LSTM(3, input_shape=(5, 4), batch_size=2, stateful=True)])\n",
        "Sequential([keras.Input(batch_shape=(2, 5, 4)), LSTM(3, stateful=True)])",
        "SEQUENCES",
    ),
    "stateful-outside-sequential": (
        "from keras.models import Model\nfrom keras.layers import Input, LSTM\n"
        "inputs = Input(batch_shape=(2, 5, 4))\n"
        "model = Model(inputs, LSTM(3, stateful=True, batch_input_shape=(2, 5, 4))(inputs))\n",
        "LSTM(3, stateful=True)(inputs)",
        "SEQUENCES",
    ),
    "layer-shapes-in-a-loop": (
        SEQ + "model = Sequential([Dense(3, input_dim=4), Dense(2)])\n"
        "value = [(layer.input_shape, layer.output_shape) for layer in model.layers]\n"
        "first = model.layers[0]\nvalue.append(first.output_shape)\n",
        "[(tuple(layer.input.shape), tuple(layer.output.shape)) for layer in model.layers]",
        None,
    ),
    "metrics-per-output": (
        "from keras.models import Model\nfrom keras.layers import Input, Dense\n"
        "inputs = Input(shape=(4,))\n"
        "model = Model(inputs, [Dense(3)(inputs), Dense(3)(inputs)])\n"
        "model.compile('sgd', loss='mse', loss_weights=[1., 0.5], metrics=['mae'])\n",
        "metrics=[['mae'], ['mae']]",
        "X",
    ),
    "api-paths": (
        "from keras.models import Sequential\n"
        "from keras.layers.experimental.preprocessing import Rescaling\n"
        "model = Sequential([Rescaling(0.5, input_shape=(4,))])\n",
        "from keras.layers import Rescaling",
        "X",
    ),
    "api-paths-functions": (
        "from keras.losses import logcosh\nimport keras\n"
        "value = (np.asarray(logcosh(Y, Y * 0.5)).round(5).tolist(),"
        " np.asarray(keras.losses.logcosh(Y, X[:, :3])).round(5).tolist())\n",
        "from keras.losses import log_cosh as logcosh",
        None,
    ),
    "backend-ops": (
        "from keras import backend as K\n"
        "value = np.asarray(K.mean(K.square(X - 0.5), axis=-1)).round(5).tolist()\n",
        "keras.ops.mean(keras.ops.square(X - 0.5), axis=-1)",
        None,
    ),
    "argument-names": (
        "from keras import activations\n"
        "value = np.asarray(activations.relu(X - 0.5, alpha=0.1)).round(5).tolist()\n",
        "activations.relu(X - 0.5, negative_slope=0.1)",
        None,
    ),
    "reset-states": (
        "from keras.models import Sequential\nfrom keras.layers import LSTM\n"
        "model = Sequential()\n"
        "model.add(LSTM(3, stateful=True, batch_input_shape=(2, 5, 4)))\n"
        "model.predict(SEQUENCES, verbose=0)\nmodel.reset_states()\n",
        "[layer.reset_states() for layer in model.layers if getattr(layer, 'stateful', False)]",
        "SEQUENCES",
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_rule_keeps_the_meaning_on_keras3(rule, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the rules that save files write them
    original, words, data = CASES[rule]
    result = migrate.migrate_code(original)
    assert words in result.source, result.source
    assert not result.flags
    before = _run(original, keras2=True)
    after = _run(result.source, keras2=False)
    if data is None:
        assert before["value"] == after["value"]
        return
    assert isinstance(after["model"], keras3.Model)
    after["model"].set_weights(before["model"].get_weights())
    inputs = {"X": X, "IMAGES": IMAGES, "SEQUENCES": SEQUENCES}[data]
    np.testing.assert_allclose(
        after["model"].predict(inputs, verbose=0),
        before["model"].predict(inputs, verbose=0),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip


#: rule -> Keras 2 code that compiles and trains `model` (a Dense(3) on X, Y).
TRAINING = {
    "optimizer-decay": "optimizer = SGD(lr=0.1, decay=0.5, momentum=0.9)\n"
    "model.compile(optimizer, 'categorical_crossentropy')\n"
    "model.fit(X, Y, batch_size=2, nb_epoch=2, shuffle=False, verbose=0)\n",
    "loss-per-output": "from keras.models import Model\nfrom keras.layers import Input\n"
    "inputs = Input(shape=(4,))\noutput = model.layers[0](inputs)\n"
    "two = Model(inputs, [output, output])\n"
    "two.compile(SGD(lr=0.1), loss='mse', loss_weights=[1., 0.2])\n"
    "two.fit(X, [Y, Y], batch_size=2, epochs=2, shuffle=False, verbose=0)\n",
    "generator-methods": "model.compile(SGD(lr=0.1), 'mse')\n"
    "def batches():\n    while True:\n        yield X, Y\n"
    "model.fit_generator(batches(), steps_per_epoch=3, nb_epoch=2, verbose=0,"
    " workers=1, max_q_size=4)\n",
}
BUILD = (
    "from keras.models import Sequential\nfrom keras.layers import Dense\n"
    "from keras.optimizers import SGD\n"
    "model = Sequential([Dense(3, input_dim=4, activation='softmax')])\n"
    "model.set_weights(START)\n"
)


@pytest.mark.parametrize("rule", sorted(TRAINING))
def test_an_optimizer_or_training_rule_gives_the_same_weights_after_training(rule):
    original = BUILD + TRAINING[rule]
    result = migrate.migrate_code(original)
    assert not result.flags
    start = [np.full((4, 3), 0.1, "float32"), np.zeros(3, "float32")]
    weights = []
    for code, keras2 in ((original, True), (result.source, False)):
        namespace = _execute(code, {"np": np, "X": X, "Y": Y, "START": start}, keras2)
        weights.append(namespace["model"].get_weights())
    for before, after in zip(*weights, strict=True):
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-6)


def test_every_api_rule_has_a_test():
    # keras1-conv-arguments covers class-names and positional-kernel-size,
    # int-shape-and-layer-shapes covers int-shape
    tested = set(CASES) | set(TRAINING) | {"class-names", "positional-kernel-size", "int-shape"}
    named = {rule.name for rule in migrate.API_RULES}
    assert named <= tested
    assert {"keras1-conv-arguments", "int-shape-and-layer-shapes"} <= set(CASES)


@pytest.mark.parametrize(
    "code, words",
    [
        ("from keras.preprocessing.text import Tokenizer\n", "has no Tokenizer"),
        ("write = model.to_yaml\n", "cannot write YAML"),
        ("from keras.layers import LocallyConnected2D\n", "Keras 3 has no LocallyConnected2D"),
        ("import keras.backend as K; x = K.placeholder((2,))\n", "Keras 3 has no K.placeholder"),
        ("model.get_output_mask_at(0)\n", "have no get_output_mask_at"),
        ("y = lstm.get_output_at(1)\n", "no node API"),
        ("sess = K.get_session()\n", "sessions do not exist"),
        ("Embedding(10, 2, dropout=0.5)\n", "SpatialDropout1D"),
        ("shape = lstm.output_shape\n", "Keras 3 layers have no output_shape"),
        ("LSTM(2, stateful=True, batch_input_shape=(4, 5, 3))\n", "keras.Input(batch_shape"),
        ("x = lstm.get_input_shape_at(i)\n", "node 0 (get_input_shape_at(i))"),
    ],
)
def test_what_keras3_cannot_do_is_flagged_and_left(code, words):
    result = migrate.migrate_code(code)
    assert words in "".join(map(str, result.flags))
    assert f"{migrate.FLAG} " in result.source and code.strip() in result.source


def test_migrating_twice_changes_nothing_more():
    for original, _, _ in CASES.values():
        once = migrate.migrate_code(original).source
        assert migrate.migrate_code(once).source == once


def test_comments_and_layout_are_kept():
    code = "x = Dense(output_dim=3,  # the classes\n          init='uniform')\n"
    assert migrate.migrate_code(code).source == (
        "x = Dense(units=3,  # the classes\n          kernel_initializer='uniform')\n"
    )


def test_markdown_blocks_are_migrated_and_prose_kept():
    text = "Prose with SGD(lr=1).\n\n```python\nopt = SGD(lr=0.1)\n```\n\nMore prose.\n"
    assert migrate.migrate_markdown(text).source == text.replace(
        "opt = SGD(lr=0.1)", "opt = SGD(learning_rate=0.1)"
    )


def test_command_line_check_diff_and_write(tmp_path, capsys):
    script = tmp_path / "train.py"
    script.write_text("model.fit(x, y, nb_epoch=3)\n")
    assert migrate.main(["--check", str(script)]) == 1
    assert migrate.main([str(script)]) == 1
    assert "+model.fit(x, y, epochs=3)" in capsys.readouterr().out
    assert migrate.main(["--write", str(script)]) == 1  # changes made
    assert script.read_text() == "model.fit(x, y, epochs=3)\n"
    assert migrate.main(["--check", str(tmp_path)]) == 0


def test_a_missing_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        migrate.main([str(tmp_path / "nope.py")])
    assert exited.value.code == 2
    assert "expected a .py, .md or .ipynb file or a directory" in capsys.readouterr().err


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_example_on_the_moving_to_keras3_page_is_what_the_tool_does(language):
    page = Path(__file__).parents[1] / "docs" / language / "moving-to-keras3.md"
    diff = re.search(r"```diff\n(.*?)```", page.read_text(encoding="utf-8"), re.S).group(1)
    before = "".join(line[1:] + "\n" for line in diff.splitlines() if line.startswith("-"))
    after = "".join(line[1:] + "\n" for line in diff.splitlines() if line.startswith("+"))
    assert migrate.migrate_code(before).source == after


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_moving_to_keras3_page_shows_every_api_rule(language):
    page = (Path(__file__).parents[1] / "docs" / language / "moving-to-keras3.md").read_text(
        encoding="utf-8"
    )
    table = re.search(r"\{#the-rules\}(.*?)\{#keras2-api\}", page, re.S).group(1)
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(migrate.API_RULES)


SCRIPT = Path(__file__).parent / "scripts" / "keras2_stateful_script.py"


def test_a_keras2_script_trains_the_same_on_keras3_once_migrated(tmp_path):
    """Stateful LSTM with batch_input_shape, SGD(lr, decay), fit_generator: refimpl runs
    the original, plain Keras 3 (another process, no refimpl) the migrated script."""
    result = migrate.migrate_code(SCRIPT.read_text(encoding="utf-8"))
    assert not result.flags
    migrated = tmp_path / "keras3_script.py"
    migrated.write_text(result.source, encoding="utf-8")
    losses = []
    commands = ([sys.executable, "-m", "refimpl", str(SCRIPT)], [sys.executable, str(migrated)])
    for command in commands:
        out = tmp_path / f"loss{len(losses)}.json"
        done = subprocess.run([*command, str(out)], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        losses.append(json.loads(out.read_text())["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
    assert losses[0][-1] < losses[0][0] / 10  # it learned


def test_every_flag_the_tool_raises_has_its_words():
    """Each kind passed to `_flag` (and each of FLAGGED_NAMES) is in the strings files,
    whose languages tests/test_strings.py keeps complete."""
    package = Path(migrate.__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in sorted(package.glob("*.py")))
    raised = set(re.findall(r'_flag\("([a-z-]+)"', source)) | set(migrate.FLAGGED_NAMES.values())
    assert raised == set(strings.words("en", "migrate")["flags"])


def test_keras3_tabs_beside_the_blocks_that_change():
    result = migrate.add_keras3_tabs(PAGE, "zh")
    text = result.source
    assert "/// tab | Keras 2\n\n```python\nfrom keras.optimizers" in text
    assert "sgd = SGD(learning_rate=0.1)\n```\n///\n" in text
    # the corrected variant gets the tab after its own; the broken original none
    corrected = text.index("/// tab | Corrected")
    assert text.count("/// tab | Keras 3") == 2
    assert text.index("/// tab | Keras 3", corrected) > corrected
    assert "需要手工完成" in text and "get_output_at(1)" in text
    assert [str(flag) for flag in result.flags] == [
        migrate.Flag("node-api", (("method", "get_output_at"), ("index", "1"))).text()
    ]
    assert "print('unchanged')\n```\n" in text and text.count(migrate.KERAS3_MARKER) == 2
    assert migrate.add_keras3_tabs(text, "zh").source == text
    assert migrate.strip_keras3_tabs(text) == PAGE
    # migrating the page in place leaves the blocks that have their Keras 3 tab
    assert migrate.migrate_markdown(text) == migrate.Result(text, ())


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_keras3_tabs_of_the_site_are_current(language):
    """`python -m refimpl migrate --tabs --write docs/` regenerates them; then every block
    that needs migrating has its tab (`migrate --check docs/` finds nothing to change)."""
    for page in sorted((Path(__file__).parents[1] / "docs" / language).glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert migrate.add_keras3_tabs(text, language).source == text, (
            f"{page}: its Keras 3 tabs are stale; run `python -m refimpl migrate --tabs "
            "--write docs/`"
        )
        assert migrate.migrate_markdown(text) == migrate.Result(text, ()), page
