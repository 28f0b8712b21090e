"""Classify every public name of Keras 2's API against Keras 3's, as data for `refimpl migrate`.

Keras 2's API is read from tf_keras (Keras 2's own code, the project's oracle): every
public name of its modules (`keras.layers.Dense`, `keras.backend.mean`, ...) and every
public member of its model and layer classes (`keras.Model.fit_generator`,
`keras.layers.Layer.get_output_at`), each with its signature. Each is looked up in
Keras 3 (`import keras`) under the same path and classified:

- `same`: Keras 3 has it under the same path and takes every argument Keras 2 named;
- `renamed`: Keras 3 has it under another name or path, or spells some of its
  arguments differently; `rule` names the `refimpl migrate` rule that rewrites it;
- `changed`: Keras 3 has a name with another meaning; `rule` names the rule that
  rewrites it with Keras 2's meaning (tests/test_migrate.py checks the result);
- `gone`: Keras 3 has no equivalent (or lacks some `arguments`); `do` says what to
  write instead, and `refimpl migrate` flags every use with it.

The file keeps what a person decided: an entry with `by = "hand"` is never recomputed.
Every other entry is computed anew, so the file follows tf_keras and Keras 3 releases.

    python scripts/keras2_api.py            # rewrite refimpl/migrate/keras2_api.toml
    python scripts/keras2_api.py --check    # exit 1 if the file is not what it would write
    python scripts/keras2_api.py --pages    # the summary tables of the "Moving to Keras 3" pages

tests/test_migrate_api.py checks that every public tf_keras name has an entry.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import types
from collections.abc import Iterator
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).parents[1] / "refimpl" / "migrate" / "keras2_api.toml"
PAGES = Path(__file__).parents[1] / "docs"

#: tf_keras's public modules that are not Keras 2 API: TensorFlow plumbing, protocol
#: buffers, experiments that Keras 2.2 never had.
NOT_API = ("keras.protobuf", "keras.dtensor", "keras.__internal__")

#: Classes whose public members are API too (methods and properties used on instances).
CLASSES_WITH_MEMBERS = ("keras.Model", "keras.Sequential", "keras.layers.Layer")

#: What to do when a name of a module is gone and nothing more specific is known.
GONE_IN_MODULE = {
    "keras.backend": "Keras 3's backend module holds only configuration; write it with "
    "keras.ops (or tf.* on TensorFlow)",
    "keras.applications": "load the model from keras.applications' current models or "
    "KerasHub (keras_hub), whose weights differ",
    "keras.preprocessing": "use keras.utils' dataset functions or keras.layers' "
    "preprocessing layers",
    "keras.layers": "write it as a custom layer (keras.layers.Layer) with keras.ops",
    "keras.metrics": "compute it with keras.ops in a custom keras.metrics.Metric",
    "keras.losses": "write it as a function of (y_true, y_pred) with keras.ops",
    "keras.optimizers": "use the keras.optimizers class of the same name",
    "keras.callbacks": "write it as a keras.callbacks.Callback",
    "keras.utils": "use tf.data or keras.utils.PyDataset",
    "keras.models": "use keras.models.clone_model / model_from_json / load_model",
    "keras.experimental": "use the equivalent keras.optimizers.schedules class",
    "keras.estimator": "tf.estimator is gone from TensorFlow 2.16+; train with model.fit",
    "keras.constraints": "write it as a keras.constraints.Constraint",
    "keras.initializers": "use the keras.initializers class of the same name",
    "keras.Model": "write what it did with the attributes Keras 3 models have (see the "
    "keras.Model reference)",
    "keras.Sequential": "write what it did with the attributes Keras 3 models have (see the "
    "keras.Model reference)",
    "keras.layers.Layer": "write what it did with the attributes Keras 3 layers have (see "
    "the keras.layers.Layer reference)",
}

#: What to do about a model or layer member Keras 3 dropped, where the answer is known.
MEMBER_ADVICE = {
    "get_input_mask_at": "Keras 3 tensors carry no mask: call layer.compute_mask(inputs)",
    "get_output_mask_at": "Keras 3 tensors carry no mask: call layer.compute_mask(inputs)",
    "input_mask": "Keras 3 tensors carry no mask: call layer.compute_mask(inputs)",
    "output_mask": "Keras 3 tensors carry no mask: call layer.compute_mask(inputs)",
    "inbound_nodes": "Keras 3 keeps a layer's nodes private: keep the tensors its calls "
    "received and returned",
    "outbound_nodes": "Keras 3 keeps a layer's nodes private: keep the tensors its calls "
    "received and returned",
    "input_names": "use [tensor.name for tensor in model.inputs]",
    "output_names": "use [layer.name for layer in model.layers] of the output layers, or "
    "name the outputs with a dict",
    "get_weight_paths": "use {v.path: v for v in model.weights}",
    "updates": "Keras 3 layers update their state variables inside call(): remove it",
    "state_updates": "Keras 3 layers update their state variables inside call(): remove it",
    "add_update": "Keras 3 layers update their state variables inside call() with "
    "variable.assign(...)",
    "dynamic": "remove it (Keras 3 runs eagerly with model.compile(run_eagerly=True))",
    "save_spec": "remove it: Keras 3 models record their input specs themselves",
    "autotune_steps_per_execution": "pass steps_per_execution=... to compile",
    "train_tf_function": "remove it: Keras 3 compiles its own train step",
    "finalize_state": "remove it: Keras 3 has no state to finalize",
    "compute_output_signature": "use compute_output_spec(...)",
}


#: What to do about an argument Keras 3 does not take, where the answer is known.
ARGUMENT_ADVICE = {
    "jit_compile": "jit_compile: remove it (Keras 3 compiles with model.compile(jit_compile=...))",
    "use_legacy_format": "use_legacy_format: remove it (Keras 3 has one format)",
    "save_format": "save_format: remove it (Keras 3 chooses the format by the file name's "
    "ending: .keras, .h5, .weights.h5)",
    "options": "options: remove it (tf.saved_model options do not apply to Keras 3 files)",
    "by_name": "by_name: load the weights layer by layer (layer.set_weights) instead",
    "grayscale": "grayscale=True: write color_mode='grayscale'",
    "workers": "workers: remove it, or give the data as a keras.utils.PyDataset(workers=...)",
    "use_multiprocessing": "use_multiprocessing: remove it, or give the data as a "
    "keras.utils.PyDataset(use_multiprocessing=...)",
    "max_queue_size": "max_queue_size: remove it, or give the data as a "
    "keras.utils.PyDataset(max_queue_size=...)",
}


def public_names(module: types.ModuleType, path: str, prefix: str) -> Iterator[tuple[str, object]]:
    """(dotted path, object) of every public name under a package, modules walked."""
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        value = getattr(module, name)
        dotted = f"{path}.{name}"
        if isinstance(value, types.ModuleType):
            inner = value.__name__
            if inner.startswith(prefix) and ".src" not in inner and dotted not in NOT_API:
                yield from public_names(value, dotted, prefix)
            continue
        yield dotted, value


def members(cls: type, instances: list[object]) -> Iterator[tuple[str, object]]:
    """Public members of a class, with those that all of `instances` (objects of its
    subclasses, built and used) have: attributes set on the way, not by a subclass."""
    names = {n for n in dir(cls) if not n.startswith("_")}
    if instances:
        names |= set.intersection(*({n for n in dir(i) if not n.startswith("_")}
                                    for i in instances))  # fmt: skip
    for name in sorted(names):
        yield name, inspect.getattr_static(cls, name, None)


def arguments(value: object) -> list[str] | None:
    """The named parameters of a callable (a class: its constructor's), or None."""
    signature = _signature(value)
    if signature is None:
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in signature.parameters.values() if p.kind in kinds and p.name != "self"]


def _signature(value: object) -> inspect.Signature | None:
    if not callable(value):
        return None
    try:
        return inspect.signature(value)
    except (TypeError, ValueError):
        return None


def _defaults(value: object) -> dict[str, object]:
    signature = _signature(value)
    return {name: p.default for name, p in signature.parameters.items()} if signature else {}


def _same(a: object, b: object) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # an array's == is not a truth value: not the same
        return False


def takes_any_keyword(value: object) -> bool:
    """Whether a callable has `**kwargs`: its named parameters do not say what it takes
    (Keras 3's layers pass them on to `Layer`, its models to their class's `__new__`)."""
    signature = _signature(value)
    return signature is not None and any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    )


def _missing(old: object, new: object) -> tuple[list[str], dict[str, str]]:
    """Keras 2's arguments that Keras 3 does not name: (gone, renamed), where an argument
    is renamed when the Keras 3 parameter at its position has another name that Keras 2
    did not use (`to_categorical(y)` -> `to_categorical(x)`)."""
    before, after = arguments(old) or [], arguments(new)
    if after is None or takes_any_keyword(new):
        return [], {}
    defaults_before, defaults_after = _defaults(old), _defaults(new)
    renamed = {
        name: after[index]
        for index, name in enumerate(before)
        if name not in after
        and index < len(after)
        and after[index] not in before
        and _same(defaults_before[name], defaults_after[after[index]])
    }
    return sorted(set(before) - set(after) - set(renamed)), renamed


def api(
    keras: types.ModuleType, prefix: str, instances: dict[str, list[object]]
) -> dict[str, object]:
    """Every public name of a Keras package: dotted path -> object."""
    found = dict(public_names(keras, "keras", prefix))
    for owner in CLASSES_WITH_MEMBERS:
        for name, value in members(found[owner], instances.get(owner, [])):
            found[f"{owner}.{name}"] = value
    return found


def classify(name: str, keras2: dict, keras3: dict, translated: dict, aliases: dict) -> dict:
    """One computed entry (see the module's docstring)."""
    value = keras2[name]
    owner = name.rsplit(".", 1)[-1]
    if name in keras3 and not _stub(keras3[name]):
        gone, renamed = _missing(value, keras3[name])
        gone = [a for a in gone if a not in translated.get(owner, ())]
        if gone:
            advice = "; ".join(ARGUMENT_ADVICE.get(a, f"{a}: remove it, or write its effect "
                                                      "by hand") for a in gone)  # fmt: skip
            return {"status": "gone", "arguments": gone, "do": f"Keras 3's {owner}: {advice}"}
        if renamed:
            return {"status": "renamed", "rule": "argument-names", "renames": renamed}
        if _missing(value, keras3[name]) != ([], {}):
            return {"status": "renamed", "rule": "arguments"}
        return {"status": "same"}
    if name.startswith("keras.optimizers.legacy.") and f"keras.optimizers.{owner}" in keras3:
        # Keras 2.2's optimizers (`lr`, `decay`), kept by tf_keras under `legacy`.
        return {"status": "renamed", "rule": "api-paths", "to": f"keras.optimizers.{owner}"}
    target = aliases.get(id(value))
    if target and target != name and target in keras3 and not _stub(keras3[target]):
        return {"status": "renamed", "rule": "api-paths", "to": target}
    ops = f"keras.ops.{owner}"
    if name.startswith("keras.backend.") and ops in keras3 and _same_call(value, keras3[ops]):
        return {"status": "renamed", "rule": "backend-ops", "to": ops}
    if name.startswith("keras.backend.") and ops in keras3:
        return {"status": "gone", "do": f"{ops} (check its arguments against Keras 2's)"}
    if owner in MEMBER_ADVICE and name.rsplit(".", 1)[0] in CLASSES_WITH_MEMBERS:
        return {"status": "gone", "do": MEMBER_ADVICE[owner]}
    module = max((m for m in GONE_IN_MODULE if name.startswith(m + ".")), key=len)
    return {"status": "gone", "do": GONE_IN_MODULE[module]}


#: The required arguments a backend function may have for `backend-ops` (the values its
#: same-result test gives them: square matrices).
TESTED_ARGUMENTS = ("x", "y")


def _same_call(old: object, new: object) -> bool:
    """Whether a Keras 2 backend function and a `keras.ops` function take the same
    arguments in the same order with the same defaults (the Keras 3 one may take more),
    and only `TESTED_ARGUMENTS` are required."""
    before, after = _signature(old), _signature(new)
    if before is None or after is None:
        return False
    first = list(before.parameters.values())
    second = list(after.parameters.values())[: len(first)]
    if [p.name for p in first] != [p.name for p in second]:
        return False
    required = [p.name for p in first if p.default is inspect.Parameter.empty]
    return set(required) <= set(TESTED_ARGUMENTS) and all(
        _same(p.default, q.default) for p, q in zip(first, second, strict=True)
    )


def _stub(value: object) -> bool:
    """Keras 3 keeps a few Keras 2 names only to raise an error that says they are gone
    (`keras.optimizers.legacy.*`)."""
    return "LegacyOptimizerWarning" in repr(value)


def _instances(keras: types.ModuleType) -> dict[str, list[object]]:
    """A model and a layer of each class, built, compiled and trained for a step, so that
    the attributes they set on the way (`optimizer`, `history`, `inputs`) are seen."""
    import numpy as np

    inputs = keras.Input((2,))
    dense = keras.layers.Dense(1)
    functional = keras.Model(inputs, dense(inputs))
    sequential = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    for model in (functional, sequential):
        model.compile("sgd", "mse")
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0)
    dropout = keras.layers.Dropout(0.5)
    dropout(inputs)
    return {"keras.Model": [functional, sequential], "keras.Sequential": [sequential],
            "keras.layers.Layer": [dense, dropout]}  # fmt: skip


def compute(previous: dict) -> dict[str, dict]:
    import keras
    import tf_keras

    from refimpl import legacy

    keras2 = api(tf_keras, "tf_keras", _instances(tf_keras))
    keras3 = api(keras, "keras", _instances(keras))
    translated = {
        owner: {
            name
            for entry in entries
            for name in (
                getattr(entry, "old", None),
                getattr(entry, "name", None),
                *getattr(entry, "olds", ()),
            )  # fmt: skip
            if name and not isinstance(entry, (legacy.Unsupported, legacy.Default))
        }
        for owner, entries in legacy.TRANSLATIONS.items()
    }
    # The shortest path of each object that Keras 3 has: where a name moved to.
    aliases: dict[int, str] = {}
    for name in sorted(keras2, key=lambda n: (n.count("."), n)):
        if name.startswith(tuple(f"{owner}." for owner in CLASSES_WITH_MEMBERS)):
            continue  # a method is where its class is
        if name in keras3 and not isinstance(keras2[name], (int, float, str, bool, type(None))):
            aliases.setdefault(id(keras2[name]), name)
    entries = {}
    for name in sorted(keras2):
        kept = previous.get(name)
        if kept and kept.get("by") == "hand":
            entries[name] = kept
        else:
            entries[name] = classify(name, keras2, keras3, translated, aliases)
        signature = arguments(keras2[name])
        if signature is not None:
            entries[name] = {**entries[name], "keras2": signature}
    # Keras 2.2 names that tf_keras no longer has (CuDNNLSTM, the scikit-learn wrappers,
    # multi_gpu_model) are entries by hand; they stay.
    kept = {n: e for n, e in previous.items() if n not in entries and e.get("by") == "hand"}
    return dict(sorted({**entries, **kept}.items()))


def load(path: Path = DATA) -> dict[str, dict]:
    """The classification: dotted Keras 2 name -> its entry."""
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))["names"]


def dump(entries: dict[str, dict]) -> str:
    lines = [
        "# Every public name of Keras 2's API (tf_keras) against Keras 3: same, renamed "
        "(`rule`), changed",
        "# (`rule`), gone (`do`). Written by scripts/keras2_api.py; entries with by = "
        '"hand" are kept as written.',
        "",
        "[names]",
    ]
    for name, entry in entries.items():
        fields = ", ".join(f"{key} = {_toml(value)}" for key, value in entry.items())
        lines.append(f'"{name}" = {{ {fields} }}')
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="only rewrite the summary tables of docs/<lang>/moving-to-keras3.md from the data",
    )
    options = parser.parse_args(argv)
    if options.pages:
        from refimpl.migrate import api

        for page in sorted(PAGES.glob("*/moving-to-keras3.md")):
            text = page.read_text(encoding="utf-8")
            page.write_text(api.with_summary(text, page.parent.name), encoding="utf-8")
        return 0
    text = dump(compute(load()))
    if options.check:
        current = DATA.read_text(encoding="utf-8") if DATA.exists() else ""
        if current != text:
            print(f"{DATA} is stale: run python scripts/keras2_api.py", file=sys.stderr)
            return 1
        return 0
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(text, encoding="utf-8")
    counts: dict[str, int] = {}
    for entry in load().values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    print(f"{DATA}: {sum(counts.values())} names, {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
