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
(`fallback_reason` says which). `REFIMPL_FAST_FIT=0` turns this path off too.

Example:

>>> probabilities = predict(model, x[:1], batch_size=32)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl import _keras3_private
from refimpl._keras3 import keras3, tf
from refimpl.engine import fast_fit

_tree = keras3.tree
_TFTrainer = _keras3_private.TensorFlowTrainer
_floatx = keras3.config.floatx

#: Keras 3's default batch size for `predict`.
DEFAULT_BATCH_SIZE = 32


def fallback_reason(model: Any, x: Any, verbose: Any, kwargs: dict[str, Any]) -> str:
    """Why `predict(x, verbose=verbose, **kwargs)` needs Keras 3's path ("" if it does not)."""
    checks = fast_fit.runtime_fallback_reasons(model) + [
        (verbose != 0, "verbose is not 0"),
        (not getattr(model, "built", False), "the model is not built"),
        (type(model).predict_step is not _TFTrainer.predict_step, "a custom predict_step"),
        (not fast_fit.is_array_structure(x), "x is not a NumPy array (or a list or dict)"),
    ]
    checks += [(value is not None, f"{name} is given") for name, value in kwargs.items()]
    return fast_fit.first_reason(checks)


def _as_model_input(array: np.ndarray) -> np.ndarray:
    # Keras 3's array adapter gives the model floats as `floatx`.
    return array.astype(_floatx()) if array.dtype.kind == "f" else array


def _predict_function(model: Any) -> Any:
    """The model's cached `tf.function(batch) -> outputs`, kept while its layers stay."""
    layers = tuple(id(layer) for layer in model.layers)
    cached = model.__dict__.get("_refimpl_fast_predict")
    if cached is None or cached[0] != layers:
        jit = bool(getattr(model, "jit_compile", False))
        function = tf.function(
            lambda x: model.predict_step((x,)),
            jit_compile=jit,
            autograph=False,
            reduce_retracing=True,
        )
        cached = (layers, function)
        model.__dict__["_refimpl_fast_predict"] = cached
    return cached[1]


def predict(model: Any, x: Any, batch_size: int | None = None) -> Any:
    """The model's outputs on `x` as NumPy arrays, batch by batch, as Keras 3 returns them.

    Call it only when `fallback_reason` returns "".
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


__all__ = ["DEFAULT_BATCH_SIZE", "fallback_reason", "predict"]
