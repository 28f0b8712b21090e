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
`train_step`s and distribution strategies (`fallback_reason` lists every case;
generators have their own path, `refimpl.engine.fast_generator`). The
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
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl import _keras3_private, compilation
from refimpl._keras3 import keras3, tf

_tree = keras3.tree
_array_slicing = _keras3_private.array_slicing
_ArrayDataAdapter = _keras3_private.ArrayDataAdapter
_TFTrainer = _keras3_private.TensorFlowTrainer
_is_default = _keras3_private.is_default
_pythonify_logs = _keras3_private.pythonify_logs

#: The environment variable that turns the fast path off ("0") for a process.
ENV_SWITCH = "REFIMPL_FAST_FIT"
#: The environment variable that says how a model compiled with XLA uses it here.
ENV_XLA = "REFIMPL_FAST_FIT_XLA"
#: XLA modes: compile the whole epoch loop, only the step it calls, or nothing.
XLA_MODES = ("step", "loop", "off")

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

#: Callback methods called once per batch by Keras 3's `fit` (and its validation).
BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
)  # fmt: skip

#: Keras 3 callbacks that define batch hooks which do nothing under some settings:
#: class -> whether this instance is content with epoch-level calls.
EPOCH_LEVEL_WHEN: dict[type, Callable[[Any], bool]] = {
    keras3.callbacks.ProgbarLogger: lambda callback: True,  # driven per epoch, see above
    keras3.callbacks.ModelCheckpoint: lambda callback: callback.save_freq == "epoch",
    keras3.callbacks.BackupAndRestore: lambda callback: callback.save_freq == "epoch",
}

#: How many compiled epoch functions a model keeps (one per data shape and batch size).
_CACHE_SIZE = 8


def enabled() -> bool:
    """Whether the fast path may be used in this process (`REFIMPL_FAST_FIT` not 0)."""
    value = os.environ.get(ENV_SWITCH, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def xla_mode() -> str:
    """How an XLA-compiled model runs its epochs: "step", "loop" or "off"."""
    mode = os.environ.get(ENV_XLA, "step").strip().lower()
    if mode not in XLA_MODES:
        raise ValueError(f"{ENV_XLA} must be one of {', '.join(XLA_MODES)}; received {mode!r}.")
    return mode


def is_array_structure(data: Any) -> bool:
    """A NumPy array, or a list, tuple or dict of them (numbers or booleans, not empty)."""
    leaves = _tree.flatten(data)
    return bool(leaves) and all(
        isinstance(leaf, np.ndarray)
        and leaf.dtype.kind in "biuf"
        and leaf.ndim >= 1
        and leaf.shape[0] > 0
        for leaf in leaves
    )


def _callback_needs_batches(callback: Any) -> bool:
    for cls, epoch_level in EPOCH_LEVEL_WHEN.items():
        if isinstance(callback, cls) and epoch_level(callback):
            # Only the hooks of the Keras 3 class itself are known to be idle.
            return any(
                not _is_default(getattr(callback, hook))
                and getattr(type(callback), hook, None) is not getattr(cls, hook, None)
                for hook in BATCH_HOOKS
            )
    return any(not _is_default(getattr(callback, hook)) for hook in BATCH_HOOKS)


def _validation_arrays(validation_data: Any) -> bool:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        return False
    x, y, *weights = validation_data
    return (
        is_array_structure(x)
        and is_array_structure(y)
        and all(w is None or is_array_structure(w) for w in weights)
    )


def runtime_fallback_reasons(model: Any) -> list[tuple[bool, str]]:
    """The checks on the process and the model that every compiled fast path needs."""
    return [
        (not enabled(), f"{ENV_SWITCH}=0"),
        (getattr(model, "run_eagerly", False), "run_eagerly=True"),
        (_keras3_private.distribute_strategy(model) is not None, "a distribution strategy"),
        (tf.distribute.has_strategy(), "a distribution strategy"),
    ]


def model_fallback_reasons(model: Any) -> list[tuple[bool, str]]:
    """The checks on the model and the process that any compiled training loop needs."""
    return runtime_fallback_reasons(model) + [
        (not getattr(model, "compiled", False), "the model is not compiled"),
        (
            type(model).train_step is not _TFTrainer.train_step
            or type(model).test_step is not _TFTrainer.test_step,
            "a custom train_step or test_step",
        ),
        (bool(keras3.config.max_epochs()), "keras.config.max_epochs() is set"),
    ]


def callback_fallback_reasons(callbacks: Any) -> list[tuple[bool, str]]:
    """A check per callback that wants to see individual batches."""
    if isinstance(callbacks, keras3.callbacks.CallbackList):
        return [(True, "callbacks is a CallbackList")]
    return [
        (True, f"{type(callback).__name__} has batch-level hooks")
        for callback in (_tree.flatten(callbacks) if callbacks else [])
        if _callback_needs_batches(callback)
    ]


def first_reason(checks: list[tuple[bool, str]]) -> str:
    """The reason of the first failed check, or "" when all pass."""
    return next((reason for failed, reason in checks if failed), "")


def fallback_reason(model: Any, x: Any, y: Any, callbacks: Any, kwargs: dict[str, Any]) -> str:
    """Why `fit(x, y, callbacks=callbacks, **kwargs)` needs Keras 3's step-by-step path.

    Returns "" when the fast path applies. `kwargs` holds the other arguments of `fit`
    (Keras 3 names), `batch_size` and `verbose` excepted.

    >>> fallback_reason(model, x, y, None, {"epochs": 5})  # doctest: +SKIP
    ''
    """
    checks = model_fallback_reasons(model)
    checks += [
        (not is_array_structure(x), "x is not a NumPy array (or a list or dict of them)"),
        (y is None or not is_array_structure(y), "y is not a NumPy array (or a list or dict)"),
    ]
    for name, value in kwargs.items():
        if name in DEFAULT_ONLY:
            checks.append((value is not None, f"{name} is given"))
        elif name not in SUPPORTED_ARGUMENTS:
            checks.append((True, f"the argument {name!r}"))
        else:
            refused = isinstance(value, str) and value in SUPPORTED_ARGUMENTS[name]
            checks.append((refused, f"{name}={value!r}"))
    weights = kwargs.get("sample_weight")
    checks.append((weights is not None and not is_array_structure(weights), "sample_weight"))
    validation_data = kwargs.get("validation_data")
    checks.append(
        (
            validation_data is not None and not _validation_arrays(validation_data),
            "validation_data is not a tuple of NumPy arrays",
        )
    )
    return first_reason(checks + callback_fallback_reasons(callbacks))


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


def jit_mode(model: Any, steps: int) -> str:
    """How a fused loop of `steps` training steps uses XLA: "step", "loop" or "off"."""
    if model.jit_compile:
        return xla_mode()
    if xla_mode() != "off" and compilation.xla_for_long_run(model, steps):
        return "loop"
    return "off"


def _compiled(model: Any, kind: str, arrays: _Arrays, shuffle: bool, jit: str) -> Callable:
    """The model's epoch function for this data, traced once and kept until `compile`."""

    def make() -> Callable:
        step = model.train_step if kind == "train" else model.test_step
        return _epoch_function(model, step, arrays, shuffle, jit)

    return cached_function(model, "fast_fit", (kind, arrays.signature(), shuffle, jit), make)


def cached_function(model: Any, owner: str, key: Any, make: Callable[[], Callable]) -> Callable:
    """`make()`'s function, kept on the model under `key` until the next `compile`.

    A new `compile` (new optimizer, losses or metrics) makes every function stale. Each
    owner keeps its last `_CACHE_SIZE` functions (one per data shape, typically).
    """
    attribute = f"_refimpl_{owner}"
    cache = model.__dict__.get(attribute)
    compiled = _keras3_private.compile_config(model)
    if cache is None or cache[0] is not compiled:
        cache = (compiled, {})
        model.__dict__[attribute] = cache
    functions = cache[1]
    if key not in functions:
        if len(functions) >= _CACHE_SIZE:
            functions.pop(next(iter(functions)))
        functions[key] = make()
    return functions[key]


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

    Call it only when `fallback_reason` returns "" for these arguments.
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


def callback_list(model: Any, callbacks: Any, verbose: Any, epochs: int, steps: int) -> Any:
    """The user's callbacks with Keras 3's `History` and progress bar, as `fit` makes them."""
    if isinstance(callbacks, keras3.callbacks.CallbackList):
        return callbacks
    return keras3.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )


def run_epochs(
    model: Any,
    callbacks: Any,
    initial_epoch: int,
    epochs: int,
    run_epoch: Callable[[int, Any], dict[str, Any] | None],
) -> Any:
    """Keras 3's epoch loop around `run_epoch(epoch, callbacks) -> logs`; the `History`.

    `run_epoch` returns None when the data ran out before the epoch's first batch: the
    loop then stops without calling that epoch's `on_epoch_end`.
    """
    model.stop_training = False
    callbacks.on_train_begin()
    training_logs = None
    initial_epoch = _keras3_private.initial_epoch(model) or initial_epoch
    for epoch in range(initial_epoch, epochs):
        callbacks.on_epoch_begin(epoch)
        epoch_logs = run_epoch(epoch, callbacks)
        if epoch_logs is None:
            break
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break

    if isinstance(model.optimizer, keras3.optimizers.Optimizer) and epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callbacks.on_train_end(logs=training_logs)
    return model.history


def pythonify(logs: Any) -> dict[str, Any]:
    """Logs of tensors as a dict of Python numbers."""
    return dict(_pythonify_logs(logs))


__all__ = [
    "ENV_SWITCH", "ENV_XLA", "enabled", "xla_mode", "jit_mode", "fallback_reason", "fit",
    "is_array_structure", "runtime_fallback_reasons", "model_fallback_reasons",
    "callback_fallback_reasons", "first_reason", "callback_list", "run_epochs", "pythonify",
    "cached_function",
]  # fmt: skip
