"""`refimpl migrate`: each rule's output runs on Keras 3 alone and means what the Keras 2
code meant on refimpl (same weights in, same outputs out; same weights after training
for the optimizer rules), within float32 tolerance."""

from __future__ import annotations

import builtins
import re
from pathlib import Path

import numpy as np
import pytest

import refimpl
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
    "module-paths": (
        "from keras.utils.np_utils import to_categorical\n"
        "from keras.layers.core import Dense\n"
        "value = to_categorical([0, 2, 1], 3).tolist()\n",
        "from keras.utils import to_categorical\nfrom keras.layers import Dense",
        None,
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_rule_keeps_the_meaning_on_keras3(rule):
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
    tested = set(CASES) | set(TRAINING) | {"class-names", "positional-kernel-size"}
    named = {rule.name for rule in migrate.API_RULES}
    assert named <= tested | {"int-shape", "layer-shapes"}
    assert "keras1-conv-arguments" in CASES  # class-names and positional-kernel-size


@pytest.mark.parametrize(
    "code, words",
    [
        ("from keras.preprocessing.text import Tokenizer\n", "has no Tokenizer"),
        ("text = model.to_yaml()\n", "cannot write YAML"),
        ("y = lstm.get_output_at(1)\n", "no node API"),
        ("sess = K.get_session()\n", "sessions do not exist"),
        ("Embedding(10, 2, dropout=0.5)\n", "SpatialDropout1D"),
        ("shape = lstm.output_shape\n", "Keras 3 layers have no output_shape"),
        ("LSTM(2, stateful=True, batch_input_shape=(4, 5, 3))\n", "keras.Input(batch_shape"),
    ],
)
def test_what_keras3_cannot_do_is_flagged_and_left(code, words):
    result = migrate.migrate_code(code)
    assert words in "".join(result.flags)
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
    assert migrate.main(["--write", str(script)]) == 0
    assert script.read_text() == "model.fit(x, y, epochs=3)\n"
    assert migrate.main(["--check", str(tmp_path)]) == 0


def test_a_missing_path_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        migrate.main([str(tmp_path / "nope.py")])
    assert exited.value.code == 2
    assert "expected a .py or .md file or a directory" in capsys.readouterr().err


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
    table = re.search(r"\{#the-rules\}(.*?)\{#flags\}", page, re.S).group(1)
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == len(migrate.API_RULES)
