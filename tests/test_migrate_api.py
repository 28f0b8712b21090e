"""The classification of Keras 2's API against Keras 3's (refimpl/migrate/keras2_api.toml,
written by scripts/keras2_api.py) covers every public tf_keras name, and each entry says
something true: a `same` name exists in Keras 3, a `renamed` or `changed` one names a rule
of `refimpl migrate` (whose same-result test is in tests/test_migrate.py), a `gone` one
says what to do."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from refimpl import migrate
from refimpl.migrate import api

SCRIPT = Path(__file__).parents[1] / "scripts" / "keras2_api.py"
STATUSES = {"same", "renamed", "changed", "gone"}


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("keras2_api", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def entries(script):
    return script.load()


@pytest.fixture(scope="module")
def apis(script):
    import tf_keras

    # Keras 3 itself, as captured before any alias: an earlier test in the same worker
    # may have left `import keras` meaning refimpl.
    from refimpl._keras3 import keras3

    return (
        script.api(tf_keras, "tf_keras", script._instances(tf_keras)),
        script.api(keras3, "keras", script._instances(keras3)),
    )


def test_every_public_tf_keras_name_is_classified(apis, entries):
    keras2, _ = apis
    unclassified = sorted(set(keras2) - set(entries))
    assert not unclassified, (
        f"{len(unclassified)} public tf_keras names have no entry, such as {unclassified[:5]}: "
        "run python scripts/keras2_api.py and review the new entries"
    )


def test_every_entry_has_a_known_status(entries):
    wrong = {n: e.get("status") for n, e in entries.items() if e.get("status") not in STATUSES}
    assert not wrong


def test_a_renamed_or_changed_name_has_its_rule(entries):
    rules = migrate.rule_names()
    missing = {
        name: entry.get("rule")
        for name, entry in entries.items()
        if entry["status"] in ("renamed", "changed") and entry.get("rule") not in rules
    }
    assert not missing, f"entries name rules that refimpl migrate does not have: {missing}"


def test_a_gone_name_says_what_to_do(entries):
    silent = [n for n, e in entries.items() if e["status"] == "gone" and not e.get("do")]
    assert not silent


def test_what_the_data_says_keras3_has_it_has(apis, entries):
    _, keras3 = apis
    absent = [
        target
        for name, entry in entries.items()
        for target in ([name] if entry["status"] == "same" else [entry.get("to")])
        if target and target not in keras3
    ]
    assert not absent, f"Keras 3 has none of {absent[:10]}"


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_moving_to_keras3_page_shows_the_classification_as_it_is(language):
    page = (SCRIPT.parents[1] / "docs" / language / "moving-to-keras3.md").read_text(
        encoding="utf-8"
    )
    assert api.with_summary(page, language) == page, (
        "the summary table is stale: run python scripts/keras2_api.py --pages"
    )


def _backend_ops(entries):
    return sorted(n for n, e in entries.items() if e.get("rule") == "backend-ops")


def test_every_backend_function_renamed_to_keras_ops_computes_the_same(entries):
    """`backend-ops`: each `K.<f>` the data sends to `keras.ops.<f>` gives the same
    value on Keras 3 as the original on refimpl, on the arguments it requires."""
    import numpy as np

    from refimpl import backend as K
    from refimpl._keras3 import keras3

    rng = np.random.default_rng(4)
    values = {"x": rng.uniform(0.1, 0.9, (3, 3)).astype("float32"),
              "y": rng.uniform(0.1, 0.9, (3, 3)).astype("float32")}  # fmt: skip
    differ = {}
    for name in _backend_ops(entries):
        function = name.rsplit(".", 1)[1]
        required = [a for a in entries[name]["keras2"] if a in values][:2]
        args = [values[a] for a in required]
        before = getattr(K, function)(*args)
        after = getattr(keras3.ops, entries[name]["to"].rsplit(".", 1)[1])(*args)
        if isinstance(before, str) or isinstance(after, str):
            same = str(before) == str(after)
        else:
            same = np.asarray(before).shape == np.asarray(after).shape and np.allclose(
                np.asarray(before, dtype="float64"), np.asarray(after, dtype="float64"),
                rtol=1e-5, atol=1e-6,
            )  # fmt: skip
        if not same:
            differ[name] = (before, after)
    assert not differ, f"not the same on Keras 3: {sorted(differ)}"
