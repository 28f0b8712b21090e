"""Keras 2's `keras.callbacks` on Keras 3.

Most callbacks are Keras 3's own, wrapped so Keras 1/2 argument names translate.
`ModelCheckpoint` accepts Keras 2 file paths (`weights.{epoch:02d}.hdf5`) and `period`;
`BaseLogger`, which Keras 2 attached to every fit to average metrics over an epoch, is
kept as a callback that does nothing because Keras 3 logs are epoch averages already.

Metric names of both eras: every hook of a `Callback` subclass (the user's, and each
callback here) receives its `logs` as a `refimpl.metric_names.MetricLogs`, which answers
`logs['acc']` as well as `logs['accuracy']`; what a hook writes into it reaches the
callbacks after it. `History.history` is one too, in tf_keras's key order. `monitor=`
accepts either spelling, and `mode='auto'` reads the monitor's name as Keras 2 did
(`AUTO_MODES`).

>>> stop = EarlyStopping(monitor="val_acc")  # doctest: +SKIP
>>> stop.mode  # doctest: +SKIP
'max'
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from refimpl import legacy, metric_names
from refimpl._keras3 import keras3

_k3 = keras3.callbacks

CallbackList = _k3.CallbackList
ProgbarLogger = _k3.ProgbarLogger

#: Callback hooks that receive `logs` -> whether an epoch or batch index comes first.
HOOKS: dict[str, bool] = {
    **dict.fromkeys(("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                     "on_predict_begin", "on_predict_end"), False),
    **dict.fromkeys(("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
                     "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                     "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"), True),
}  # fmt: skip


def _output_names_of(callback: Any) -> tuple[str, ...]:
    return tuple(getattr(getattr(callback, "model", None), "output_names", None) or ())


def _call_with_both_spellings(hook: Callable, callback: Any, lead: tuple, logs: Any) -> Any:
    """`hook(*lead, logs)` with `logs` answering both eras' metric names.

    Keras 3 hands every callback the same plain dict; the hook gets a `MetricLogs` copy,
    and what it adds, changes or removes is written back for the callbacks after it.
    """
    if not isinstance(logs, dict) or isinstance(logs, metric_names.MetricLogs):
        return hook(*lead, logs)
    view = metric_names.MetricLogs(logs, outputs=_output_names_of(callback))
    result = hook(*lead, view)
    for key in [k for k in logs if not dict.__contains__(view, k)]:
        del logs[key]
    logs.update(view)
    return result


def _reading_both_spellings(method: Callable, takes_index: bool) -> Callable:
    """A hook method whose `logs` answer both eras' metric names."""
    if takes_index:

        def hook(self, index, logs=None):
            return _call_with_both_spellings(functools.partial(method, self), self, (index,), logs)
    else:

        def hook(self, logs=None):
            return _call_with_both_spellings(functools.partial(method, self), self, (), logs)

    functools.update_wrapper(hook, method)
    hook.reads_both_spellings = True
    return hook


def _wrap_hooks(cls: type) -> None:
    """Give each hook `cls` defines or inherits, other than the defaults, both spellings.

    Hooks left as Keras 3's defaults stay so: Keras 3 checks which hooks a callback
    overrides to decide whether `fit` needs batch-level calls. So do the batch hooks of
    Keras 3's own callbacks, which the fused paths know to be idle by their identity
    (`training.fast_path.EPOCH_LEVEL_WHEN`); their epoch hooks read the monitor.
    """
    for name, takes_index in HOOKS.items():
        method = getattr(cls, name, None)
        if method is None or getattr(method, "_is_default", False):
            continue
        if takes_index and name != "on_epoch_end" and _from_keras3(method):
            continue
        if getattr(method, "reads_both_spellings", False):
            continue
        setattr(cls, name, _reading_both_spellings(method, takes_index))


def _from_keras3(method: Callable) -> bool:
    return getattr(method, "__module__", "").startswith("keras.")


class Callback(_k3.Callback):
    """Keras 2's base class of callbacks: a Keras 3 callback whose hooks' `logs` answer
    each metric under both eras' names (`logs['acc']` and `logs['accuracy']`), and
    whose `params` also hold Keras 2.0-2.2's keys (`keras22_params`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _wrap_hooks(cls)

    def set_params(self, params: Any) -> None:
        super().set_params({**keras22_params(self.model), **(params or {})})


#: The attribute `fit` leaves on the model for `keras22_params`: the numbers of the call.
FIT_PARAMS = "_keras22_fit_params"


def keras22_params(model: Any) -> dict[str, Any]:
    """Keras 2.0-2.2's `callback.params` keys beyond tf_keras's `verbose`, `epochs`,
    `steps`: `batch_size`, `samples`, `do_validation`, and `metrics` (the names the
    epoch logs will hold, `val_` ones included), for callbacks written to read them."""
    given = dict(getattr(model, FIT_PARAMS, None) or {})
    if not given:
        return {}
    names = list(getattr(model, "metrics_names", None) or ())
    validation = [f"val_{name}" for name in names] if given.get("do_validation") else []
    return {**given, "metrics": names + validation}


class History(_k3.History, Callback):
    """Records each epoch's logs: `history.history` answers both eras' metric names and
    lists its keys in tf_keras's order (`loss`, the metrics, then their `val_` values)."""

    def __init__(self) -> None:
        super().__init__()
        self.history = metric_names.MetricLogs()

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self.history.outputs = _output_names_of(self)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        names = list(getattr(self.model, "metrics_names", None) or ())
        super().on_epoch_end(epoch, metric_names.ordered(dict(logs or {}), names))


def with_history(callbacks: Any) -> Any:
    """`fit`'s callbacks with refimpl's `History` among them (Keras 3 would add its own).

    A `CallbackList` the caller made is left as it is.
    """
    if isinstance(callbacks, CallbackList):
        return callbacks
    callbacks = list(callbacks or ())
    if not any(isinstance(c, _k3.History) for c in callbacks):
        callbacks.append(History())
    return callbacks


#: How `mode='auto'` reads a monitor's name, the first matching rule deciding (the
#: name without `val_`). Keras 2.0-2.2 maximised names containing `acc` or starting with
#: `fmeasure`, and minimised the rest; tf_keras's EarlyStopping also maximised names
#: ending in `auc`. A loss is minimised even where its name contains `acc` (an output
#: named `accent`): `refimpl.legacy.ERA_DECISIONS` gives the reasons.
AUTO_MODES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: name.endswith("loss"), "min"),
    (lambda name: "acc" in name, "max"),
    (lambda name: name.startswith("fmeasure"), "max"),
    (lambda name: name.endswith("auc"), "max"),
    (lambda name: True, "min"),
)


def auto_mode(monitor: str) -> str:
    """`'min'` or `'max'`: what Keras 2's `mode='auto'` chose for `monitor`.

    >>> auto_mode("val_acc"), auto_mode("val_loss"), auto_mode("fmeasure")
    ('max', 'min', 'max')
    """
    name = monitor.removeprefix("val_")
    return next(mode for matches, mode in AUTO_MODES if matches(name))


legacy.TRANSLATIONS.setdefault(
    "TensorBoard",
    (
        legacy.Unsupported(
            "write_grads",
            "Keras 3 does not write gradient histograms; use `histogram_freq` for weights.",
            accepts=(False,),
        ),
        legacy.Unsupported(
            "batch_size",
            "TensorBoard no longer feeds its own batches; drop the argument.",
            accepts=(32,),
        ),
        # Keras 2.2's embedding projector took the layers and the data to project.
        legacy.Unsupported(
            "embeddings_layer_names",
            "Keras 3 projects every Embedding layer; drop the argument.",
            accepts=(None,),
        ),
        legacy.Unsupported(
            "embeddings_data",
            "Keras 3 writes the embeddings' weights, not their outputs on data; drop it.",
            accepts=(None,),
        ),
    ),
)


legacy.TRANSLATIONS.setdefault(
    # Keras 2.0 called `min_delta` `epsilon`; Keras 2.1.6 renamed it, with a warning.
    "ReduceLROnPlateau",
    (legacy.Renamed("epsilon", "min_delta"),),
)


def _translating(base: type) -> type:
    """`base` as a refimpl `Callback`: Keras 1/2 argument names, both eras' metric names,
    and Keras 2's `mode='auto'` where `base` has a monitor."""
    name = base.__name__
    signature = inspect.signature(base.__init__)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs = legacy.translate(name, kwargs)
        if "mode" in signature.parameters:
            # Every argument by name, so that the chosen mode replaces 'auto' wherever it was.
            bound = dict(signature.bind_partial(self, *args, **kwargs).arguments)
            del bound[next(iter(signature.parameters))]
            extra = bound.pop("kwargs", {})
            monitor = bound.get("monitor", signature.parameters["monitor"].default)
            if bound.get("mode", "auto") == "auto":
                bound["mode"] = auto_mode(monitor)
            args, kwargs = (), {**bound, **extra}
        base.__init__(self, *args, **kwargs)

    return type(
        name,
        (base, Callback),
        {"__init__": __init__, "__module__": __name__, "__doc__": base.__doc__},
    )


_WRAPPED = (
    "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "TensorBoard",
    "CSVLogger", "LambdaCallback", "TerminateOnNaN", "RemoteMonitor", "BackupAndRestore",
)  # fmt: skip
globals().update({name: _translating(getattr(_k3, name)) for name in _WRAPPED})


def _logging_lr(base: type) -> type:
    """Keras 2's learning-rate callbacks logged the rate as `lr`; Keras 3's write
    `learning_rate`, so `history.history['lr']` and CSV columns would change name."""

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        base.on_epoch_end(self, epoch, logs)
        if logs is not None and "learning_rate" in logs:
            logs["lr"] = logs.pop("learning_rate")

    return type(
        base.__name__,
        (base,),
        {"on_epoch_end": on_epoch_end, "__module__": __name__, "__doc__": base.__doc__},
    )


LearningRateScheduler = _logging_lr(LearningRateScheduler)  # noqa: F821 - defined above
ReduceLROnPlateau = _logging_lr(ReduceLROnPlateau)  # noqa: F821


class BaseLogger(Callback):
    """Keras 2 averaged batch metrics into epoch logs here; Keras 3 logs already do."""

    def __init__(self, stateful_metrics: Any = None) -> None:
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())


class _LambdaCallback(LambdaCallback):  # noqa: F821 - defined above
    __doc__ = LambdaCallback.__doc__  # noqa: F821

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The functions given become attributes of this instance; their `logs` too
        # answer both eras' metric names.
        for name, takes_index in HOOKS.items():
            given = self.__dict__.get(name)
            if callable(given):
                wrapped = _reading_both_spellings(lambda _self, *a, f=given: f(*a), takes_index)
                setattr(self, name, functools.partial(wrapped, self))


_LambdaCallback.__name__ = _LambdaCallback.__qualname__ = "LambdaCallback"
LambdaCallback = _LambdaCallback


class ModelCheckpoint(_k3.ModelCheckpoint, Callback):
    """Save the model or its weights after each epoch, as Keras 2 did.

    Keras 2 paths such as `weights.{epoch:02d}-{val_loss:.2f}.hdf5` are accepted (the
    file is HDF5 unless the path ends in `.keras`), and `period=N` saves every N epochs.
    The path may name a metric in either era's spelling (`{val_acc:.2f}`), and
    `mode='auto'` follows `auto_mode`.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", period=1, **kwargs):  # fmt: skip
        # Keras 3 checks the suffix of the path; check a compatible stand-in and keep
        # the user's path, which refimpl's `save`/`save_weights` can write.
        stand_in = "checkpoint.weights.h5" if save_weights_only else "checkpoint.keras"
        mode = auto_mode(monitor) if mode == "auto" else mode
        super().__init__(
            stand_in, monitor=monitor, verbose=verbose, save_best_only=save_best_only,
            save_weights_only=save_weights_only, mode=mode, **kwargs,
        )  # fmt: skip
        self.filepath = str(filepath)
        if int(period) < 1:
            raise ValueError(f"`period` must be a positive number of epochs; received {period}.")
        self.period = int(period)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if (epoch + 1) % self.period == 0:
            # Every spelling as a key: the path is formatted with `**logs`.
            if isinstance(logs, metric_names.MetricLogs):
                logs = logs.with_every_spelling()
            super().on_epoch_end(epoch, logs)


__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "BaseLogger", "ModelCheckpoint",
    *_WRAPPED,
]  # fmt: skip
