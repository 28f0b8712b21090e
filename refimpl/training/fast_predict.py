"""A faster `predict` for NumPy arrays: one compiled call per batch, nothing else.

Keras 3's `predict` builds a `tf.data` pipeline, an epoch iterator and a callback list
on every call; for one sample that costs several milliseconds, a hundred times the
arithmetic of the guides' models. Keras 2 users call `predict` (and `predict_classes`,
`predict_proba`) in loops, one sample at a time. This path slices the arrays into
batches of `batch_size` in NumPy and runs the model's own Keras 3 `predict_step` on
each in one cached `tf.function`, then concatenates the outputs as Keras 3 does. The
outputs are Keras 3's: the same layers, in inference mode, batch by batch in order,
so stateful layers carry their states across batches as in Keras 3.

Anything else takes Keras 3's path: `verbose` other than 0 (its progress bar), callbacks,
`steps`, a model that is not built yet, a custom `predict_step`, `run_eagerly`, a
distribution strategy, and inputs that are not NumPy arrays of numbers
(`FastPredict.why_not` says which). `REFIMPL_FAST_FIT=0` turns this path off too.

Example:

>>> probabilities = predict(model, x[:1], batch_size=32)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl import _keras3_private
from refimpl._keras3 import keras3, tf
from refimpl.training import compiled
from refimpl.training.data import DataKind
from refimpl.training.fast_path import Call, FastPath, first_reason, runtime_checks

_tree = keras3.tree
_TFTrainer = _keras3_private.TensorFlowTrainer
_floatx = keras3.config.floatx

#: Keras 3's default batch size for `predict`.
DEFAULT_BATCH_SIZE = 32
#: Arguments of every `predict` call that any value of suits this path; any other
#: (`callbacks`, `steps`) must be None.
_ANY_VALUE = ("x", "batch_size", "verbose")


class FastPredict(FastPath):
    """`predict` on NumPy arrays, one cached compiled call per batch."""

    name = "predict"

    def why_not(self, model: Any, call: Call) -> str | None:
        checks = runtime_checks(model) + [
            (call.arguments.get("verbose", 0) != 0, "verbose is not 0"),
            (not getattr(model, "built", False), "the model is not built"),
            (type(model).predict_step is not _TFTrainer.predict_step, "a custom predict_step"),
            (call.data is not DataKind.ARRAYS, "x is not a NumPy array (or a list or dict)"),
        ]
        checks += [
            (value is not None, f"{name} is given")
            for name, value in call.others(*_ANY_VALUE).items()
        ]
        return first_reason(checks)

    def run(self, model: Any, call: Call) -> Any:
        return predict(model, call.arguments["x"], batch_size=call.arguments.get("batch_size"))


#: The path `Keras2Training.predict` takes for arrays.
FAST_PREDICT = FastPredict()


def _as_model_input(array: np.ndarray) -> np.ndarray:
    # Keras 3's array adapter gives the model floats as `floatx`.
    return array.astype(_floatx()) if array.dtype.kind == "f" else array


def _predict_function(model: Any) -> Any:
    """The model's `tf.function(batch) -> outputs`, kept in `compiled`."""

    def make() -> Any:
        return tf.function(
            lambda x: model.predict_step((x,)),
            jit_compile=bool(getattr(model, "jit_compile", False)),
            autograph=False,
            reduce_retracing=True,
        )

    return compiled.function(model, "fast_predict", (), make)


def predict(model: Any, x: Any, batch_size: int | None = None) -> Any:
    """The model's outputs on `x` as NumPy arrays, batch by batch, as Keras 3 returns them.

    Call it only when `FAST_PREDICT.why_not` returns None.
    """
    batch_size = int(batch_size or DEFAULT_BATCH_SIZE)
    x = _tree.map_structure(_as_model_input, _tree.lists_to_tuples(x))
    leaves = _tree.flatten(x)
    size = leaves[0].shape[0]
    mismatched = [leaf.shape[0] for leaf in leaves if leaf.shape[0] != size]
    if mismatched:
        raise ValueError(
            "All input arrays must have the same number of samples (their first "
            f"dimension); received sizes {sorted({size, *mismatched})}."
        )
    function = _predict_function(model)
    batches = [
        function(_tree.map_structure(lambda leaf, s=start: leaf[s : s + batch_size], x))
        for start in range(0, size, batch_size)
    ]
    if len(batches) == 1:
        return _tree.map_structure(np.asarray, batches[0])
    return _tree.map_structure(lambda *parts: np.concatenate(parts, axis=0), *batches)


__all__ = ["DEFAULT_BATCH_SIZE", "FastPredict", "FAST_PREDICT", "predict"]
