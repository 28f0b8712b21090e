"""`refimpl._keras3_private`, the one door to Keras 3's private API.

The private names it relies on exist in the installed Keras (which `pyproject.toml`
pins to the versions this passes on), it says clearly which are missing when some
are, and no other refimpl module reaches past it.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pathlib
import re
import sys

import numpy as np
import pytest

from refimpl import _keras3_private as door
from refimpl._keras3 import keras3, tf

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
REFIMPL = ROOT / "refimpl"
DOOR = REFIMPL / "_keras3_private.py"

#: Every private object the door reaches under `keras.src` (its module-level names).
PRIVATE_OBJECTS = [
    "ArrayDataAdapter",
    "array_slicing",
    "class_weight_to_sample_weights",
    "is_default",
    "pythonify_logs",
    "tensorflow_trainer",
    "TensorFlowTrainer",
    "CompileMetrics",
    "Functional",
    "Node",
    "legacy_h5_format",
    "model_from_config",
    "global_state",
    "datasets_cifar",
]


def _installed_keras() -> str:
    return f"installed Keras {keras3.version()}, refimpl supports keras{door.SUPPORTED_KERAS}"


# -- the names exist -------------------------------------------------------------------------
@pytest.mark.parametrize("name", PRIVATE_OBJECTS)
def test_each_private_object_is_reached(name):
    assert getattr(door, name) is not None, f"keras.src has no {name!r} ({_installed_keras()})"


def test_no_private_name_is_missing():
    missing = door.missing_names()
    assert not missing, f"missing private Keras 3 names: {missing} ({_installed_keras()})"


@functools.cache
def _trained_model():
    """A Sequential model after one Keras 3 `fit` step, with validation."""
    model = keras3.Sequential([keras3.Input((3,)), keras3.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="nadam", loss="categorical_crossentropy")
    x, y = np.ones((4, 3), "float32"), np.eye(2, dtype="float32")[[0, 1, 0, 1]]
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.5)
    return model


def _functional_model():
    inputs = keras3.Input((2,))
    return door.Functional(inputs, [keras3.layers.Dense(1)(inputs)])


def _built_optimizer(optimizer):
    optimizer.build([keras3.Variable(np.zeros((2, 2), "float32"))])
    return optimizer


#: Each private attribute the door reads -> a real object that must carry it (instance
#: attributes exist only on instances, which the door's own check does not create).
CARRIERS = {
    "_compile_config": _trained_model,
    "_compile_metrics": _trained_model,
    "_distribute_strategy": _trained_model,
    "_initial_epoch": _trained_model,
    "_should_eval": _trained_model,
    "_symbolic_build": _trained_model,
    "_layers": _trained_model,
    "_functional": _trained_model,
    "_open_name_scope": _trained_model,
    "_inbound_nodes": lambda: _trained_model().layers[0],
    "_outbound_nodes": lambda: _trained_model().layers[0],
    "_outputs_struct": _functional_model,
    "_run_through_graph": _functional_model,
    "_trainable_variables": lambda: _built_optimizer(keras3.optimizers.Nadam()),
    "_learning_rate": lambda: _built_optimizer(keras3.optimizers.Nadam()),
    "_get_variable_index": lambda: _built_optimizer(keras3.optimizers.Nadam()),
    "_velocities": lambda: _built_optimizer(keras3.optimizers.RMSprop(centered=True)),
    "_average_gradients": lambda: _built_optimizer(keras3.optimizers.RMSprop(centered=True)),
    "_accumulators": lambda: _built_optimizer(keras3.optimizers.Adagrad()),
    "_momentums": lambda: _built_optimizer(keras3.optimizers.Nadam()),
    "_u_product": lambda: _built_optimizer(keras3.optimizers.Nadam()),
    "_num_samples": lambda: door.ArrayDataAdapter(np.ones((4, 3)), batch_size=2),
    "_batch_size": lambda: door.ArrayDataAdapter(np.ones((4, 3)), batch_size=2),
    "_inputs": lambda: door.ArrayDataAdapter(np.ones((4, 3)), batch_size=2),
    "_workers": keras3.utils.PyDataset,
    "_use_multiprocessing": keras3.utils.PyDataset,
    "_max_queue_size": keras3.utils.PyDataset,
    "_value": lambda: keras3.Variable(np.zeros(2)),
    "_keras_logits": lambda: keras3.activations.softmax(tf.constant([[1.0, 2.0]])),
    "_keras_history": lambda: keras3.Input((2,)),
    "_collective_all_reduce_multi_worker": lambda: door.tensorflow_trainer,
}


def test_every_private_attribute_has_a_carrier_here():
    assert set(CARRIERS) == set(door.PRIVATE_ATTRIBUTES), (
        "tests/test_keras3_door.py's CARRIERS expected the door's PRIVATE_ATTRIBUTES, "
        f"differences: {sorted(set(CARRIERS) ^ set(door.PRIVATE_ATTRIBUTES))}"
    )


@pytest.mark.parametrize("name", sorted(door.PRIVATE_ATTRIBUTES))
def test_each_private_attribute_exists_on_a_real_object(name):
    carrier = CARRIERS[name]()
    assert hasattr(carrier, name), (
        f"{type(carrier).__name__} has no {name!r} ({_installed_keras()}); "
        f"refimpl uses it for: {door.PRIVATE_ATTRIBUTES[name][1]}"
    )


@pytest.mark.parametrize("name", sorted(door.OVERRIDDEN_METHODS))
def test_each_overridden_method_exists_in_keras3_and_is_overridden_where_declared(name):
    keras3_class, refimpl_class_path, why = door.OVERRIDDEN_METHODS[name]
    assert callable(getattr(keras3_class, name, None)), (
        f"{keras3_class.__qualname__} has no method {name!r} to override "
        f"({_installed_keras()}); refimpl overrides it for: {why}"
    )
    module, _, qualname = refimpl_class_path.rpartition(".")
    refimpl_class = getattr(importlib.import_module(module), qualname)
    assert name in vars(refimpl_class), f"{refimpl_class_path} expected to define {name}"


# -- the door says what is missing -----------------------------------------------------------
def test_a_missing_name_is_an_import_error_naming_it_and_the_versions(monkeypatch):
    monkeypatch.setitem(door.PRIVATE_ATTRIBUTES, "_not_in_keras", ((keras3.Model,), "a test"))
    monkeypatch.setattr(door, "_unreachable", [])
    assert door._reach("no_such_module.thing") is None
    with pytest.raises(ImportError) as raised:
        door.check()
    message = str(raised.value)
    assert "Model._not_in_keras" in message
    assert "keras.src.no_such_module.thing" in message
    assert f"Keras {keras3.version()}" in message
    assert f"keras{door.SUPPORTED_KERAS}" in message


def test_pyproject_pins_the_keras_versions_the_door_supports():
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requirements = [Requirement(r) for r in project["project"]["optional-dependencies"]["refimpl"]]
    (keras,) = [r for r in requirements if r.name == "keras"]
    assert keras.specifier == SpecifierSet(door.SUPPORTED_KERAS), (
        f"pyproject.toml's {keras} expected to pin keras{door.SUPPORTED_KERAS}"
    )
    assert keras.specifier.contains(keras3.version()), _installed_keras()


# -- nothing else reaches past the door ------------------------------------------------------
_PRIVATE_MODULE = re.compile(r"\bkeras3?\.src\b")
#: Every private Keras 3 attribute name the door holds, with the strings the door
#: composes them from (the optimizer slots).
_PRIVATE_NAMES = (
    set(door.PRIVATE_ATTRIBUTES) | set(door.OVERRIDDEN_METHODS) | set(door.OPTIMIZER_SLOTS.values())
)


def _overrides_allowed(tree: ast.Module, module: str) -> set[int]:
    """Lines where a declared override (`def _name`, `super()._name(`) may appear."""
    allowed = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        qualified = f"{module}.{node.name}"
        names = {n for n, (_, where, _) in door.OVERRIDDEN_METHODS.items() if where == qualified}
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef) and inner.name in names:
                allowed.add(inner.lineno)
            is_super_call = (
                isinstance(inner, ast.Attribute)
                and inner.attr in names
                and isinstance(inner.value, ast.Call)
                and getattr(inner.value.func, "id", None) == "super"
            )
            if is_super_call:
                allowed.add(inner.lineno)
    return allowed


def _reaches_past_the_door(text: str, module: str, where: str) -> list[str]:
    """Each line of `text` (module `module`, file `where`) that reaches a private
    Keras 3 name without the door."""
    found = [
        f"{where}:{number}: private module ({match.group()})"
        for number, line in enumerate(text.splitlines(), 1)
        for match in [_PRIVATE_MODULE.search(line)]
        if match
    ]
    tree = ast.parse(text)
    allowed = _overrides_allowed(tree, module)
    # A method can override Keras 3's; a module-level function of that name cannot.
    methods = {
        id(item)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for item in node.body
        if isinstance(item, ast.FunctionDef)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.FunctionDef) and id(node) in methods:
            name = node.name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value
        else:
            continue
        if name in _PRIVATE_NAMES and node.lineno not in allowed:
            found.append(f"{where}:{node.lineno}: private Keras 3 attribute {name}")
    return found


def test_refimpl_reaches_keras3_internals_only_through_the_door():
    sources = sorted(p for p in REFIMPL.rglob("*.py") if p != DOOR)
    assert len(sources) > 20, f"expected refimpl's modules under {REFIMPL}"
    found = []
    for path in sources:
        relative = path.relative_to(ROOT)
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found += _reaches_past_the_door(path.read_text(), module, str(relative))
    assert not found, (
        "expected Keras 3's private API only in refimpl/_keras3_private.py, found:\n"
        + "\n".join(found)
    )


def test_the_check_finds_a_reach_past_the_door():
    training = (REFIMPL / "training" / "trainer.py").read_text()
    sneaky = training + (
        "\n\nx = keras3.src.tree\ny = object()._compile_config\n"
        "class Other:\n    def _maybe_rebuild(self):\n        pass\n"
    )
    found = _reaches_past_the_door(sneaky, "refimpl.training.trainer", "trainer.py")
    assert any("private module" in line for line in found)
    assert any("_compile_config" in line for line in found)
    assert any("_maybe_rebuild" in line for line in found)  # not the declared class
    assert not any("_maybe_symbolic_build" in line for line in found)  # declared override


def _keras3_objects():
    """Real Keras 3 objects of every kind refimpl subclasses or handles."""
    return [
        _trained_model(),
        _trained_model().layers[0],
        _functional_model(),
        keras3.layers.Embedding(3, 2),
        keras3.layers.LSTM(2),
        keras3.layers.InputLayer(shape=(2,)),
        *(
            _built_optimizer(optimizer)
            for optimizer in (
                keras3.optimizers.SGD(),
                keras3.optimizers.RMSprop(centered=True),
                keras3.optimizers.Adagrad(),
                keras3.optimizers.Adadelta(),
                keras3.optimizers.Adam(),
                keras3.optimizers.Adamax(),
                keras3.optimizers.Nadam(),
            )
        ),
        keras3.callbacks.Callback(),
        keras3.callbacks.History(),
        keras3.metrics.Mean(),
        keras3.losses.MeanSquaredError(),
        keras3.utils.PyDataset(),
        keras3.Variable(np.zeros(2)),
        keras3.Input((2,)),
        door.ArrayDataAdapter(np.ones((4, 3)), batch_size=2),
    ]


#: refimpl's own private names that Keras 3 objects happen to have too, where refimpl
#: uses them on its own objects, not Keras 3's.
_OWN_NAMES_ALSO_IN_KERAS3 = {
    "_lock",  # refimpl.training.feed.Prefetcher's lock around the user's generator
}


def test_every_private_keras3_name_refimpl_uses_is_in_the_door():
    """A private attribute of a Keras 3 object, used outside the door and not listed
    there, would escape both the door's check and the test above."""
    keras3_names = {
        name
        for instance in _keras3_objects()
        for name in dir(instance)
        if name.startswith("_") and not name.startswith("__")
    }
    used = {}
    for path in sorted(p for p in REFIMPL.rglob("*.py") if p != DOOR):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.FunctionDef):  # a method overriding Keras 3's
                name = node.name
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value  # getattr(model, "_name")
            else:
                continue
            if name in keras3_names:
                used.setdefault(name, f"{path.relative_to(ROOT)}:{node.lineno}")
    unlisted = {
        name: where
        for name, where in used.items()
        if name not in _PRIVATE_NAMES and name not in _OWN_NAMES_ALSO_IN_KERAS3
    }
    assert not unlisted, (
        "expected every private Keras 3 attribute refimpl uses to be reached through "
        f"refimpl/_keras3_private.py, found (name: first use): {unlisted}"
    )
