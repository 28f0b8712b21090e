"""Keras 2's training API on a Keras 3 model.

`Keras2Training` is the part of `refimpl.models.Model` that concerns `compile`, `fit`,
`evaluate`, `predict` and their Keras 2 relatives: the generator methods, Keras 1
argument names, one loss for every output, `predict_classes` / `predict_proba`, and
`reset_states`.
"""

from __future__ import annotations

import inspect
import queue
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from refimpl import compilation, legacy
from refimpl import losses as losses_module
from refimpl import optimizers as optimizers_module
from refimpl._keras3 import keras3

_PyDataset = keras3.utils.PyDataset

#: Keras 2 `fit` arguments that only ever affected generators: with arrays they are
#: accepted and, as in Keras 2, have no effect.
_GENERATOR_ONLY = {"max_queue_size": 10, "workers": 1, "use_multiprocessing": False}


def _is_generator(data: Any) -> bool:
    return inspect.isgenerator(data) or (
        isinstance(data, Iterator) and not isinstance(data, (np.ndarray, list, tuple, dict))
    )


class _Prefetcher:
    """Keras 2's GeneratorEnqueuer: `workers` threads fill a queue of `max_queue_size`.

    Keras 2 ran Python generators in background threads while the model trained; the
    threads share one lock, since generators are not thread-safe.
    """

    def __init__(self, generator: Iterator, workers: int, max_queue_size: int):
        self._generator = generator
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, max_queue_size))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._produce, daemon=True, name=f"keras2-enqueuer-{i}")
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def _produce(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    item = ("item", next(self._generator))
            except StopIteration:
                item = ("stop", None)
            except BaseException as error:  # noqa: BLE001 - re-raised in the consumer
                item = ("error", error)
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if item[0] != "item":
                return

    def __iter__(self) -> _Prefetcher:
        return self

    def __next__(self) -> Any:
        kind, value = self._queue.get()
        if kind == "item":
            return value
        self.close()
        if kind == "stop":
            raise StopIteration
        raise value

    def close(self) -> None:
        self._stop.set()


class Keras2Training:
    """Mixin: Keras 2's `compile`, `fit` and generator methods on a Keras 3 model."""

    # -- compile --------------------------------------------------------------------
    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        metrics: Any = None,
        loss_weights: Any = None,
        sample_weight_mode: Any = None,
        weighted_metrics: Any = None,
        target_tensors: Any = None,
        **kwargs: Any,
    ) -> None:
        """Configure training as Keras 2 did.

        Differences from Keras 3 that this method bridges: optimizer names build Keras
        2's optimizers (`'sgd'`, `'rmsprop'`, ...); one loss given for a model with
        several outputs applies to each output (then `loss_weights` may be a list); a
        flat metrics list applies to each output; Keras 2 loss names such as
        `'cosine_proximity'` resolve. Unless `jit_compile` is given, XLA is chosen per
        model and device by `refimpl.compilation`.
        """
        if target_tensors is not None:
            raise ValueError(
                "`target_tensors` cannot be honoured on TensorFlow 2 (there are no graph "
                "placeholders to replace). Pass the targets to `fit(x, y)` instead."
            )
        if sample_weight_mode not in (None, "temporal") and not isinstance(
            sample_weight_mode, (dict, list)
        ):
            raise ValueError(
                f"`sample_weight_mode` must be None or 'temporal'; received {sample_weight_mode!r}."
            )
        # 'temporal' needs nothing: Keras 3 applies (batch, timesteps) sample weights as is.
        output_count = _output_count(self)
        loss = losses_module.resolve(loss)
        if output_count > 1 and loss is not None and not isinstance(loss, (list, tuple, dict)):
            loss = [loss] * output_count
        if (
            output_count > 1
            and isinstance(metrics, (list, tuple))
            and metrics
            and not any(isinstance(m, (list, tuple, dict)) for m in metrics)
        ):
            metrics = [list(metrics) for _ in range(output_count)]
        if output_count > 1 and isinstance(weighted_metrics, (list, tuple)) and weighted_metrics:
            weighted_metrics = [list(weighted_metrics) for _ in range(output_count)]
        if "jit_compile" not in kwargs:
            kwargs["jit_compile"] = compilation.use_xla(self)
        super().compile(
            optimizer=optimizers_module.get(optimizer),
            loss=loss,
            metrics=metrics,
            loss_weights=loss_weights,
            weighted_metrics=weighted_metrics,
            **kwargs,
        )

    # -- fit / evaluate / predict -----------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, **kwargs):
        """Keras 2's `fit`: also accepts `nb_epoch` and, as tf_keras did, a generator."""
        kwargs = (
            legacy.translate("fit", {"epochs": epochs, **kwargs})
            if "nb_epoch" in kwargs
            else {
                "epochs": epochs,
                **kwargs,
            }
        )
        if _is_generator(x) or isinstance(x, _PyDataset):
            return self.fit_generator(x, verbose=verbose, callbacks=callbacks, **kwargs)
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        return super().fit(
            x, y, batch_size=batch_size, verbose=verbose, callbacks=callbacks, **kwargs
        )

    def fit_generator(
        self,
        generator,
        steps_per_epoch=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        validation_data=None,
        validation_steps=None,
        validation_freq=1,
        class_weight=None,
        max_queue_size=10,
        workers=1,
        use_multiprocessing=False,
        shuffle=True,
        initial_epoch=0,
        **legacy_kwargs,
    ):
        """Train on batches yielded by a Python generator or a `keras.utils.Sequence`.

        Keras 1's `samples_per_epoch` counts samples: as in Keras 2 it becomes
        `steps_per_epoch = samples_per_epoch // generator.batch_size` when the
        generator has a `batch_size`, and `samples_per_epoch` steps otherwise.
        """
        if "samples_per_epoch" in legacy_kwargs and hasattr(generator, "batch_size"):
            legacy_kwargs["samples_per_epoch"] //= generator.batch_size
        given = legacy.translate("fit_generator", legacy_kwargs)
        steps_per_epoch = given.pop("steps_per_epoch", steps_per_epoch)
        epochs = given.pop("epochs", epochs)
        validation_steps = given.pop("validation_steps", validation_steps)
        workers = given.pop("workers", workers)
        use_multiprocessing = given.pop("use_multiprocessing", use_multiprocessing)
        max_queue_size = given.pop("max_queue_size", max_queue_size)
        _reject_unknown("fit_generator", given)

        steps_per_epoch = _steps("steps_per_epoch", generator, steps_per_epoch)
        if validation_data is not None and (
            _is_generator(validation_data) or isinstance(validation_data, _PyDataset)
        ):
            validation_steps = _steps("validation_steps", validation_data, validation_steps)
        data, stop = _feed(generator, workers, max_queue_size, use_multiprocessing)
        try:
            return super().fit(
                data,
                steps_per_epoch=steps_per_epoch,
                epochs=epochs,
                verbose=verbose,
                callbacks=callbacks,
                validation_data=validation_data,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                class_weight=class_weight,
                initial_epoch=initial_epoch,
                shuffle=shuffle,
            )
        finally:
            stop()

    def evaluate_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Evaluate on batches from a generator; returns the loss (and metrics)."""
        given = legacy.translate("evaluate_generator", legacy_kwargs)
        steps = _steps("steps", generator, given.pop("steps", steps))
        workers = given.pop("workers", workers)
        max_queue_size = given.pop("max_queue_size", max_queue_size)
        use_multiprocessing = given.pop("use_multiprocessing", use_multiprocessing)
        _reject_unknown("evaluate_generator", given)
        data, stop = _feed(generator, workers, max_queue_size, use_multiprocessing)
        try:
            return super().evaluate(data, steps=steps, callbacks=callbacks, verbose=verbose)
        finally:
            stop()

    def predict_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Predict on batches from a generator (the generator may yield x or (x, y))."""
        given = legacy.translate("predict_generator", legacy_kwargs)
        steps = _steps("steps", generator, given.pop("steps", steps))
        workers = given.pop("workers", workers)
        max_queue_size = given.pop("max_queue_size", max_queue_size)
        use_multiprocessing = given.pop("use_multiprocessing", use_multiprocessing)
        _reject_unknown("predict_generator", given)
        data, stop = _feed(generator, workers, max_queue_size, use_multiprocessing)
        try:
            return super().predict(data, steps=steps, callbacks=callbacks, verbose=verbose)
        finally:
            stop()

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, **kwargs):
        """Keras 2's `evaluate` (generator-only arguments accepted and unused for arrays)."""
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        return super().evaluate(x, y, batch_size=batch_size, verbose=verbose, **kwargs)

    def predict(self, x, batch_size=None, verbose=0, **kwargs):
        """Keras 2's `predict`: silent by default, as in Keras 2."""
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        return super().predict(x, batch_size=batch_size, verbose=verbose, **kwargs)

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Keras 2's Sequential `predict_proba`: the model's outputs, read as probabilities."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if np.min(probabilities) < 0.0 or np.max(probabilities) > 1.0:
            warnings.warn(
                "Network returning invalid probability values. The last layer might not "
                "normalize predictions into probabilities (like softmax or sigmoid would).",
                stacklevel=2,
            )
        return probabilities

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Keras 2's Sequential `predict_classes`: argmax, or a 0.5 threshold for one unit."""
        probabilities = self.predict(x, batch_size=batch_size, verbose=verbose)
        if probabilities.shape[-1] > 1:
            return probabilities.argmax(axis=-1)
        return (probabilities > 0.5).astype("int32")

    def reset_states(self) -> None:
        """Reset the state of every stateful layer (Keras 2's `Model.reset_states`)."""
        for layer in self.layers:
            # Stateful RNNs, and nested models, which reset their own stateful layers.
            stateful = getattr(layer, "stateful", False) or hasattr(layer, "layers")
            if stateful and hasattr(layer, "reset_states"):
                layer.reset_states()


def _output_count(model: Any) -> int:
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):  # a Sequential model that is not built yet
        return 1
    return len(outputs) if outputs else 1


def _reject_unknown(owner: str, kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise TypeError(f"`{owner}` got unexpected keyword arguments: {sorted(kwargs)}.")


def _steps(argument: str, data: Any, steps: int | None) -> int:
    """Keras 2 needed a step count for generators; a Sequence knows its own length."""
    if steps is not None:
        return int(steps)
    if isinstance(data, _PyDataset) or hasattr(data, "__len__"):
        return len(data)
    raise ValueError(
        f"`{argument}=None` is only valid for a generator based on the "
        "`keras.utils.Sequence` class. Please specify `" + argument + "` or use the "
        "`keras.utils.Sequence` class."
    )


def _feed(data: Any, workers: int, max_queue_size: int, use_multiprocessing: bool):
    """What Keras 3's fit should iterate, and how to stop background workers after it."""
    if isinstance(data, _PyDataset):
        # Keras 3 runs a Sequence's workers itself, configured on the dataset object.
        data._workers = max(int(workers), 1)
        data._use_multiprocessing = bool(use_multiprocessing)
        data._max_queue_size = int(max_queue_size)
        return data, lambda: None
    if use_multiprocessing:
        raise ValueError(
            "`use_multiprocessing=True` needs a `keras.utils.Sequence`: a Python generator "
            "cannot be shared between processes. Use `workers=` threads, or wrap the data "
            "in a `keras.utils.Sequence`."
        )
    if not workers:
        return data, lambda: None
    prefetcher = _Prefetcher(iter(data), int(workers), int(max_queue_size))
    # Keras 3 recognises Python generators, not arbitrary iterators: hand it one.
    return (batch for batch in prefetcher), prefetcher.close
