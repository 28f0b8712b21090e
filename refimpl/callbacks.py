"""Keras 2's `keras.callbacks` on Keras 3.

Most callbacks are Keras 3's own, wrapped so Keras 1/2 argument names translate.
`ModelCheckpoint` accepts Keras 2 file paths (`weights.{epoch:02d}.hdf5`) and `period`;
`BaseLogger`, which Keras 2 attached to every fit to average metrics over an epoch, is
kept as a callback that does nothing because Keras 3 logs are epoch averages already.
"""

from __future__ import annotations

from typing import Any

from refimpl import legacy
from refimpl._keras3 import keras3

_k3 = keras3.callbacks

Callback = _k3.Callback
CallbackList = _k3.CallbackList
History = _k3.History
ProgbarLogger = _k3.ProgbarLogger

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
    ),
)


legacy.TRANSLATIONS.setdefault(
    # Keras 2.0 called `min_delta` `epsilon`; Keras 2.1.6 renamed it, with a warning.
    "ReduceLROnPlateau",
    (legacy.Renamed("epsilon", "min_delta"),),
)


def _translating(base: type) -> type:
    name = base.__name__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **legacy.translate(name, kwargs))

    return type(
        name, (base,), {"__init__": __init__, "__module__": __name__, "__doc__": base.__doc__}
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


class ModelCheckpoint(_k3.ModelCheckpoint):
    """Save the model or its weights after each epoch, as Keras 2 did.

    Keras 2 paths such as `weights.{epoch:02d}-{val_loss:.2f}.hdf5` are accepted (the
    file is HDF5 unless the path ends in `.keras`), and `period=N` saves every N epochs.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", period=1, **kwargs):  # fmt: skip
        # Keras 3 checks the suffix of the path; check a compatible stand-in and keep
        # the user's path, which refimpl's `save`/`save_weights` can write.
        stand_in = "checkpoint.weights.h5" if save_weights_only else "checkpoint.keras"
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
            super().on_epoch_end(epoch, logs)


__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "BaseLogger", "ModelCheckpoint",
    *_WRAPPED,
]  # fmt: skip
