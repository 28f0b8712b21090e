"""A faster `fit` for NumPy arrays: each epoch runs as one compiled TensorFlow call.

Keras 3's `fit` drives every batch from Python: a `tf.data` iterator, one call of the
compiled step, the callbacks' batch hooks, the progress bar. For the small models of
the Keras 2 guides that overhead is most of the time (about 3 ms a step on a 2-core
CPU, when the arithmetic of the guides' MLP takes about 0.1 ms). When the data are
in-memory arrays and nothing asks to see individual batches, this module runs a whole
epoch inside one `tf.function`: a `tf.while_loop` over the (shuffled) batch indices
that calls the model's own Keras 3 `train_step`, so the losses, metrics, regularizers
and optimizer are exactly Keras 3's, and the optimizer's `iterations` advance once per
batch as before. Metrics are reset inside the call and read once, at the end of it.

What stays as in Keras 3's `fit`: the order of the batches (a permutation of all
samples each epoch when `shuffle=True`, the samples in order otherwise; the last
batch holds the remainder), `validation_split` (the last samples) and
`validation_data` evaluated after each epoch (per `validation_freq`), the `History`
keys and values, `initial_epoch`, `class_weight` and `sample_weight`, and the
epoch-level callback calls (`on_train_begin/end`, `on_epoch_begin/end`,
`on_test_begin/end` around validation), made through Keras 3's own `CallbackList`.

What changes: callbacks see no batch-level calls, so a callback that defines one
(`on_batch_*`, `on_train_batch_*`, `on_test_batch_*`) sends `fit` down Keras 3's
step-by-step path, as do datasets, tensors, `steps_per_epoch`, custom
`train_step`s and distribution strategies (`FastFit.why_not` lists every case;
generators have their own path, `refimpl.training.fast_generator`). The
progress bar (`verbose=1` or `2`) is Keras 3's own, updated once per epoch: each epoch
prints Keras 3's final line for that epoch (`32/32 ━━━━ 0s 1ms/step - accuracy: ... -
loss: ...`), without the in-between refreshes. The metrics are reset at the start of
the compiled epoch, just after `on_epoch_begin` rather than just before it.

One number differs from Keras 3's step path, towards Keras 2: with several outputs
and a partial last batch, each output's loss (`main_loss`, ...) is the mean over the
epoch's samples, as Keras 2 reported it. Keras 3 weighs each batch's per-output loss
by the batch size only when its traced step knows that size statically, which its
partial-batch trace does not; the total `loss` and the metrics agree in both paths.

Set `REFIMPL_FAST_FIT=0` to always use Keras 3's path.

XLA: the epoch function follows the model's `jit_compile` (chosen per model family by
`refimpl.compilation`). `REFIMPL_FAST_FIT_XLA` picks how: `loop` compiles the whole
epoch loop with XLA, `step` (the default) compiles only the step it calls, `off` never
uses XLA here; see `refimpl.compilation` for the measurements behind the default. A
long `fit` call of a model compiled without XLA (`compilation.LONG_RUN_XLA_STEPS`:
thousands of steps of a small MLP) compiles its whole loop with XLA all the same.

Example:

>>> history = fit(model, x, y, batch_size=32, epochs=10)  # doctest: +SKIP
>>> FAST_FIT.why_not(model, Call.of({"x": x, "y": y, "epochs": 5}))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import keras3, tf
from refimpl.training import compiled
from refimpl.training.data import DataKind, is_array_structure
from refimpl.training.epochs import callback_list, pythonify, run_epochs
from refimpl.training.fast_path import (
    Call,
    FastPath,
    callback_checks,
    first_reason,
    jit_mode,
    training_checks,
)

_tree = keras3.tree
_array_slicing = _keras3_private.array_slicing
_ArrayDataAdapter = _keras3_private.ArrayDataAdapter

#: The `fit` arguments this path implements, with the (string) values it cannot honour.
#: Any other argument (or value) goes to Keras 3's `fit`.
SUPPORTED_ARGUMENTS: dict[str, tuple[Any, ...]] = {
    "epochs": (),
    "validation_split": (),
    "validation_data": (),
    "shuffle": ("batch",),
    "class_weight": (),
    "sample_weight": (),
    "initial_epoch": (),
    "validation_batch_size": (),
    "validation_freq": (),
}
#: Arguments accepted only with their default value (None).
DEFAULT_ONLY = ("steps_per_epoch", "validation_steps")
#: Arguments of every `fit` call that any value of suits this path.
_ANY_VALUE = ("x", "y", "batch_size", "verbose", "callbacks")


class FastFit(FastPath):
    """`fit` on NumPy arrays, one compiled call per epoch."""

    name = "fit"

    def why_not(self, model: Any, call: Call) -> str | None:
        arguments = call.arguments
        y = arguments.get("y")
        not_arrays = call.data is not DataKind.ARRAYS
        checks = training_checks(model) + [
            (not_arrays, "x is not a NumPy array (or a list or dict of them)"),
            (y is None or not is_array_structure(y), "y is not a NumPy array (or a list or dict)"),
        ]
        for name, value in call.others(*_ANY_VALUE).items():
            if name in DEFAULT_ONLY:
                checks.append((value is not None, f"{name} is given"))
            elif name not in SUPPORTED_ARGUMENTS:
                checks.append((True, f"the argument {name!r}"))
            else:
                refused = isinstance(value, str) and value in SUPPORTED_ARGUMENTS[name]
                checks.append((refused, f"{name}={value!r}"))
        weights = arguments.get("sample_weight")
        checks.append((weights is not None and not is_array_structure(weights), "sample_weight"))
        validation_data = arguments.get("validation_data")
        checks.append(
            (
                validation_data is not None and not _validation_arrays(validation_data),
                "validation_data is not a tuple of NumPy arrays",
            )
        )
        return first_reason(checks + callback_checks(arguments.get("callbacks")))

    def run(self, model: Any, call: Call) -> Any:
        return fit(model, **call.arguments)


#: The path `Keras2Training.fit` takes for arrays.
FAST_FIT = FastFit()


def _validation_arrays(validation_data: Any) -> bool:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        return False
    x, y, *weights = validation_data
    return (
        is_array_structure(x)
        and is_array_structure(y)
        and all(w is None or is_array_structure(w) for w in weights)
    )


# -- data ------------------------------------------------------------------------------
class _Arrays:
    """Inputs, targets and sample weights as tensors, as Keras 3's array adapter sees them.

    Keras 3's own `ArrayDataAdapter` validates the arrays (same errors as the normal
    path), turns `class_weight` into sample weights and replicates a single
    `sample_weight` over several outputs; floats become `floatx`, as in Keras 3.
    """

    def __init__(self, x, y, sample_weight, batch_size, class_weight=None):
        adapter = _ArrayDataAdapter(
            x, y, sample_weight=sample_weight, batch_size=batch_size, class_weight=class_weight
        )
        self.size, self.batch_size, inputs = _keras3_private.array_adapter_contents(adapter)
        self.batches = adapter.num_batches
        inputs = _array_slicing.convert_to_sliceable(inputs, target_backend="tensorflow")
        self.data = _tree.map_structure(tf.convert_to_tensor, _tree.lists_to_tuples(inputs))

    def signature(self) -> tuple:
        """What a compiled epoch function depends on: structure, shapes and dtypes."""
        leaves = tuple((tuple(t.shape), t.dtype.name) for t in _tree.flatten(self.data))
        structure = repr(_tree.map_structure(lambda _: 0, self.data))  # hashable
        return (structure, leaves, self.batch_size)

    def first_batch(self) -> Any:
        return _tree.map_structure(lambda t: t[: self.batch_size], self.data)


# -- compiled epochs -------------------------------------------------------------------
def _gather(data: Any, indices: Any) -> Any:
    return _tree.map_structure(lambda t: tf.gather(t, indices), data)


def _epoch_function(model: Any, step: Callable, arrays: _Arrays, shuffle: bool, jit: str):
    """A `tf.function(data) -> metrics` that resets the metrics and runs one epoch."""
    size, batch_size = arrays.size, arrays.batch_size
    full, remainder = divmod(size, batch_size)
    if jit == "step":
        step = tf.function(step, jit_compile=True, autograph=False)

    def run(data: Any, order: Any) -> Any:
        for metric in model.metrics:
            metric.reset_state()
        if full:
            # Static batch shapes: XLA needs them, and stateful layers check them.
            batches = tf.reshape(order[: full * batch_size], [full, batch_size])

            def body(i):
                step(_gather(data, batches[i]))
                return (i + 1,)

            tf.while_loop(lambda i: i < full, body, (tf.constant(0),))
        if remainder:
            step(_gather(data, order[full * batch_size :]))
        return model.get_metrics_result()

    if jit == "loop":
        run = tf.function(run, jit_compile=True, autograph=False)

    def epoch(data: Any) -> Any:
        order = tf.range(size)
        if shuffle:
            order = tf.random.shuffle(order)
        return run(data, order)

    return tf.function(epoch, autograph=False)


def _compiled(model: Any, kind: str, arrays: _Arrays, shuffle: bool, jit: str) -> Callable:
    """The model's epoch function for this data, traced once and kept in `compiled`."""

    def make() -> Callable:
        step = model.train_step if kind == "train" else model.test_step
        return _epoch_function(model, step, arrays, shuffle, jit)

    return compiled.function(model, "fast_fit", (kind, arrays.signature(), shuffle, jit), make)


# -- fit -------------------------------------------------------------------------------
def fit(
    model: Any,
    x: Any,
    y: Any,
    batch_size: int | None = None,
    epochs: int = 1,
    verbose: Any = 1,
    callbacks: Any = None,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool = True,
    class_weight: Any = None,
    sample_weight: Any = None,
    initial_epoch: int = 0,
    steps_per_epoch: None = None,
    validation_steps: None = None,
    validation_batch_size: int | None = None,
    validation_freq: Any = 1,
) -> Any:
    """Keras 3's `fit` for arrays, one compiled call per epoch; returns the `History`.

    Call it only when `FAST_FIT.why_not` returns None for these arguments.
    """
    if validation_split and validation_data is None:
        # The last samples, before any shuffling, as in Keras 3 (and Keras 2).
        (x, y, sample_weight), validation_data = _array_slicing.train_validation_split(
            (x, y, sample_weight), validation_split=validation_split
        )
    train = _Arrays(x, y, sample_weight, batch_size, class_weight)
    validation = None
    if validation_data is not None:
        val_x, val_y, val_weight = keras3.utils.unpack_x_y_sample_weight(validation_data)
        validation = _Arrays(val_x, val_y, val_weight, validation_batch_size or batch_size)

    # Variables cannot be created inside the compiled loop: build the model, its
    # metrics, losses and optimizer first (Keras 3 skips what is built already).
    _keras3_private.build_for_training(model, data_batch=train.first_batch())

    jit = jit_mode(model, train.batches * max(0, epochs - initial_epoch))
    train_epoch = _compiled(model, "train", train, bool(shuffle), jit)
    test_epoch = _compiled(model, "test", validation, False, jit) if validation else None

    def run_epoch(epoch: int, callbacks: Any) -> dict[str, Any]:
        logs = pythonify(train_epoch(train.data))
        validates = _keras3_private.should_evaluate(model, epoch, validation_freq)
        if test_epoch is not None and validates:
            callbacks.on_test_begin()
            val_logs = pythonify(test_epoch(validation.data))
            callbacks.on_test_end(val_logs)
            logs.update({f"val_{name}": value for name, value in val_logs.items()})
        return logs

    callbacks = callback_list(model, callbacks, verbose, epochs, train.batches)
    return run_epochs(model, callbacks, initial_epoch, epochs, run_epoch)


__all__ = [
    "SUPPORTED_ARGUMENTS", "DEFAULT_ONLY", "FastFit", "FAST_FIT", "fit",
]  # fmt: skip
