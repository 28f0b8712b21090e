"""Keras 3's epoch loop, for the fused paths that compute a whole epoch (or run) at once.

`fast_fit` and `fast_generator` compute each epoch in compiled calls and make the
epoch-level callback calls around them as Keras 3's `fit` does (`on_train_begin/end`,
`on_epoch_begin/end`), through Keras 3's own `CallbackList` with its `History` and
progress bar (updated once per epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import keras3


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
    return dict(_keras3_private.pythonify_logs(logs))


__all__ = ["callback_list", "run_epochs", "pythonify"]
