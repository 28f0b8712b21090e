"""`refimpl convert OLD NEW.keras [--check]`: any Keras model file, as a Keras 3 file.

The old file is opened as `keras.models.load_model` opens it under refimpl (every
format and era `refimpl.saved` reads); the model is then rebuilt from Keras 3's own
classes only, so that plain Keras 3 (no refimpl, no tf_keras) loads the new file in
its default safe mode:

- each refimpl layer becomes the Keras 3 layer of the same name, with the same
  config and weights;
- a Lambda layer rebuilt from its saved bytecode is inlined: its function is called on
  the graph's tensors, so the new file records Keras 3 ops, not Python bytecode;
- tf.keras's TensorFlow-call layers already are Keras 3 ops.

Anything that cannot be carried (a class Keras 3 lacks, an activation whose Keras 2
formula Keras 3 changed, where no rescaling of the weights makes up for it) is listed
and the command exits 1 without writing. Keras 2's hard_sigmoid in a recurrent gate or a
Dense/convolution activation is carried exactly: Keras 3's hard_sigmoid of weights scaled
by 1.2 (`HARD_SIGMOID_SCALE`). `--check`
loads the new file in a fresh Python process that never imports refimpl, predicts on
generated inputs and compares with refimpl's predictions of the old file.

Example:

    refimpl convert model.h5 model.keras --check
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from keras_docs_base.files import replace_atomically
from refimpl import _keras3_private, legacy, persistence
from refimpl._keras3 import keras3

USAGE = "usage: refimpl convert OLD_MODEL NEW.keras [--check] [--tolerance ATOL]"


class CannotCarry(ValueError):
    """Parts of a model that a plain Keras 3 file cannot hold."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


#: Keras 2 functions refimpl keeps because Keras 3 changed their formula.
_KERAS2_ONLY = {id(function): name for name, function in legacy.KERAS2_FUNCTIONS.items()}
#: Attributes that hold a layer's inner layers, where such a function may sit.
_INNER = ("cell", "layer", "forward_layer", "backward_layer")

#: Keras 2's hard_sigmoid is clip(0.2 z + 0.5, 0, 1), Keras 3's clip(y / 6 + 0.5, 0, 1):
#: the same function of y = 1.2 z. Where z is a linear function of the layer's weights,
#: scaling those weights by 1.2 turns one into the other exactly.
HARD_SIGMOID_SCALE = 1.2


def _all_columns(owner: Any) -> slice:
    return slice(None)


def _gate_columns(*gates: int) -> Callable[[Any], Any]:
    """The kernel columns of some gates, each `units` wide."""

    def columns(owner: Any) -> np.ndarray:
        width = owner.units
        return np.concatenate([np.arange(g * width, (g + 1) * width) for g in gates])

    return columns


#: (class, attribute holding hard_sigmoid) -> the columns of the weights feeding it
#: (LSTM gates i, f, c, o: the recurrent activation drives i, f and o; GRU gates z, r, h:
#: z and r); each column of every weight of that class is scaled.
HARD_SIGMOID_COLUMNS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("LSTMCell", "recurrent_activation"): _gate_columns(0, 1, 3),
    ("GRUCell", "recurrent_activation"): _gate_columns(0, 1),
    ("SimpleRNNCell", "activation"): _all_columns,
    ("Dense", "activation"): _all_columns,
    ("Conv1D", "activation"): _all_columns,
    ("Conv2D", "activation"): _all_columns,
    ("Conv3D", "activation"): _all_columns,
}


def _keras2_function_uses(layer: Any, path: tuple[str, ...] = ()) -> list[tuple]:
    """`(path to the owning layer, attribute, function name, owner)` for each Keras 2
    function a layer (or its inner layers) computes with."""
    found = [
        (path, key, _KERAS2_ONLY[id(value)], layer)
        for key, value in vars(layer).items()
        if callable(value) and id(value) in _KERAS2_ONLY
    ]
    for attribute in _INNER:
        inner = getattr(layer, attribute, None)
        if hasattr(inner, "name") and hasattr(inner, "weights"):
            found += _keras2_function_uses(inner, (*path, attribute))
    return found


def _keras3_class(layer: Any) -> type | None:
    """The Keras 3 class a layer of refimpl (or of Keras 3) stands for, or None."""
    cls = type(layer)
    if cls.__module__.startswith("keras."):
        return cls
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("keras.") and base.__name__ == cls.__name__:
            return base
    return None


def _owner(layer: Any, path: tuple[str, ...]) -> Any:
    for attribute in path:
        layer = getattr(layer, attribute)
    return layer


class _Rebuilder:
    """Replaces each operation of a refimpl model by its plain Keras 3 counterpart."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.copies: list[tuple[Any, Any]] = []
        self.made: dict[int, Any] = {}
        #: (copied layer, path to the owner, columns) whose weights feed a hard_sigmoid
        self.rescaled: list[tuple[Any, tuple[str, ...], Callable[[Any], Any]]] = []

    def __call__(self, layer: Any) -> Any:
        # A shared layer (a siamese branch) is called at several nodes: one copy for all.
        if id(layer) not in self.made:
            self.made[id(layer)] = self._counterpart(layer)
        return self.made[id(layer)]

    def _counterpart(self, layer: Any) -> Any:
        if isinstance(layer, keras3.layers.Lambda):
            return self._inline(layer)
        if not isinstance(layer, keras3.layers.Layer):
            return layer  # a Keras 3 op: stateless, reused as it is
        if isinstance(layer, keras3.Model):
            return self.model(layer)
        cls = _keras3_class(layer)
        if cls is None:
            self.problems.append(
                f"layer {layer.name!r} is a {type(layer).__name__}, a class plain Keras 3 "
                "does not have"
            )
            return layer
        config = self._keras3_config(layer.get_config(), layer.name)
        copy = cls.from_config(config)
        self.copies.append((layer, copy))
        for path, attribute, function, owner in _keras2_function_uses(layer):
            columns = HARD_SIGMOID_COLUMNS.get((type(owner).__name__, attribute))
            if function != "hard_sigmoid" or columns is None:
                self.problems.append(
                    f"layer {layer.name!r} uses Keras 2's `{function}` (`{attribute}`), whose "
                    "formula Keras 3 changed"
                )
            else:
                self.rescaled.append((copy, path, columns))
        return copy

    def _keras3_config(self, config: Any, layer_name: str) -> Any:
        """A layer's config with nested refimpl classes (a wrapper's layer, an RNN's
        cell) named as the Keras 3 classes they extend; anything else of refimpl's
        left in it is a problem."""
        if isinstance(config, list):
            return [self._keras3_config(item, layer_name) for item in config]
        if not isinstance(config, dict):
            return config
        config = {key: self._keras3_config(value, layer_name) for key, value in config.items()}
        module = str(config.get("module") or "")
        if module.startswith("refimpl"):
            name = config.get("class_name")
            if module == "refimpl.layers" and hasattr(keras3.layers, str(name)):
                return {**config, "module": "keras.layers", "registered_name": None}
            self.problems.append(
                f"layer {layer_name!r} holds {module}.{name}, which plain Keras 3 does not have"
            )
        return config

    def _inline(self, layer: Any) -> Any:
        function, arguments = layer.function, dict(layer.arguments or {})

        def inlined(inputs: Any, mask: Any = None, training: Any = None) -> Any:
            return function(inputs, **arguments)

        return inlined

    def model(self, model: Any) -> Any:
        """`model` rebuilt as a Keras 3 `Functional` of Keras 3 classes and ops."""
        inputs = [
            keras3.Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=tensor.name)
            for tensor in keras3.tree.flatten(model.inputs)
        ]
        structured = inputs[0] if len(inputs) == 1 else inputs
        if isinstance(model, keras3.Sequential):
            outputs = structured
            for layer in model.layers:
                outputs = self(layer)(outputs)
        else:
            outputs = _keras3_private.run_through_graph(model, structured, self)
        return keras3.Model(structured, outputs, name=model.name)

    def copy_weights(self) -> None:
        for old, new in self.copies:
            new.set_weights(old.get_weights())
        for copy, path, columns in self.rescaled:
            owner = _owner(copy, path)
            for variable in owner.trainable_weights:
                value = np.array(variable.numpy())
                value[..., columns(owner)] *= HARD_SIGMOID_SCALE
                variable.assign(value)


def to_keras3(model: Any) -> Any:
    """A model of plain Keras 3 classes computing what `model` computes.

    Raises CannotCarry listing every part that a plain Keras 3 file cannot hold.
    """
    rebuilder = _Rebuilder()
    rebuilt = rebuilder.model(model)
    if rebuilder.problems:
        raise CannotCarry(rebuilder.problems)
    rebuilder.copy_weights()
    return rebuilt


def sample_inputs(model: Any, batch: int = 3, seed: int = 0) -> list[np.ndarray]:
    """Inputs for `model`: normal floats, or small non-negative integers for integer
    inputs (token ids); unknown dimensions are 5 steps long."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in keras3.tree.flatten(model.inputs):
        shape = (batch, *(5 if size is None else size for size in tensor.shape[1:]))
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, 3, size=shape).astype(str(tensor.dtype)))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


#: What `--check` runs in a fresh interpreter: plain Keras 3, never refimpl.
_CHECK_SCRIPT = """
import sys, numpy as np, keras
model = keras.saving.load_model(sys.argv[1], compile=False)
given = np.load(sys.argv[2])
inputs = [given[f"x{i}"] for i in range(len(given.files))]
outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
np.savez(sys.argv[3], **{f"y{i}": np.asarray(o) for i, o in enumerate(outputs)})
assert "refimpl" not in sys.modules
"""


def check(old_model: Any, new_path: str, atol: float) -> str | None:
    """None when plain Keras 3 predicts with `new_path` what refimpl predicts with the
    old model, else what differs."""
    inputs = sample_inputs(old_model)
    expected = old_model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    with tempfile.TemporaryDirectory() as scratch:
        given, got = os.path.join(scratch, "in.npz"), os.path.join(scratch, "out.npz")
        np.savez(given, **{f"x{i}": x for i, x in enumerate(inputs)})
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        run = subprocess.run(
            [sys.executable, "-c", _CHECK_SCRIPT, new_path, given, got],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if run.returncode != 0:
            return f"plain Keras 3 could not load or run it:\n{run.stderr.strip()[-2000:]}"
        actual = np.load(got)
        for index, value in enumerate(expected):
            difference = float(np.max(np.abs(actual[f"y{index}"] - np.asarray(value))))
            if not difference <= atol:
                return f"output {index} differs by up to {difference:.3g} (tolerance {atol})"
    return None


def convert(old: str, new: str, check_predictions: bool = False, atol: float = 1e-5) -> str:
    """Write `new` (a `.keras` file) from the model file `old`; a line saying what was done.

    Raises CannotCarry, or ValueError when `--check` finds a difference.
    """
    if not new.endswith(".keras"):
        raise ValueError(f"The new file must end in `.keras`; received {new!r}.")
    model = persistence.load_model(old, compile=False)
    rebuilt = to_keras3(model)
    with replace_atomically(new) as temporary:
        keras3.saving.save_model(rebuilt, temporary + ".keras")
        os.replace(temporary + ".keras", temporary)
    if check_predictions:
        problem = check(model, new, atol)
        if problem:
            os.remove(new)
            raise ValueError(f"{new}: removed, since {problem}.")
        return f"{old} -> {new}: plain Keras 3 predicts the same (within {atol})."
    return f"{old} -> {new}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="refimpl convert", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "old", help="a model file of any Keras (HDF5, .keras, SavedModel directory)"
    )
    parser.add_argument("new", help="the Keras 3 file to write (ending in .keras)")
    parser.add_argument(
        "--check", action="store_true", help="compare predictions with plain Keras 3"
    )
    parser.add_argument(
        "--tolerance", type=float, default=1e-5, help="largest difference --check allows"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return 2 if stop.code else 0
    try:
        print(convert(args.old, args.new, args.check, args.tolerance))
    except CannotCarry as error:
        print(
            f"{args.old}: cannot be carried to plain Keras 3; nothing was written:", file=sys.stderr
        )
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError, TypeError) as error:
        print(f"refimpl convert: {error}", file=sys.stderr)
        return 1 if os.path.exists(args.old) else 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
