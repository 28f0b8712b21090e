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
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from refimpl import _keras3_private, compilation, legacy, validation
from refimpl import losses as losses_module
from refimpl import metrics as metrics_module
from refimpl import optimizers as optimizers_module
from refimpl._keras3 import keras3, tf
from refimpl.engine import fast_fit, fast_generator, fast_predict

_PyDataset = keras3.utils.PyDataset
_CompileMetrics = _keras3_private.CompileMetrics
_class_weight_to_sample_weights = _keras3_private.class_weight_to_sample_weights

#: Keras 2 `fit` arguments that only ever affected generators: with arrays they are
#: accepted and, as in Keras 2, have no effect.
_GENERATOR_ONLY = {"max_queue_size": 10, "workers": 1, "use_multiprocessing": False}
#: How long `close` waits for each background worker to finish its current batch.
_JOIN_TIMEOUT_S = 5.0


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
                    if self._stop.is_set():
                        return
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
        """Stop the workers and wait for them (Keras 2 joined its threads after fit too)."""
        self._stop.set()
        for thread in self._threads:
            # A worker blocked inside a slow `next()` cannot be interrupted; it is a
            # daemon thread and ends with its `next()` call.
            if thread is not threading.current_thread():
                thread.join(timeout=_JOIN_TIMEOUT_S)


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
        validation.check_names("loss", loss, _known(losses_module.get))
        validation.check_names(
            "metric", metrics, _known(metrics_module.get, metrics_module.COMPILE_METRICS)
        )
        validation.check_names("metric", weighted_metrics, _known(metrics_module.get))
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
        metrics = metrics_module.resolve(metrics)
        weighted_metrics = metrics_module.resolve(weighted_metrics)
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
        if metrics is None and weighted_metrics is None:
            # Keras 3 keeps the metrics of an earlier `compile` when none are given;
            # Keras 2's `compile` replaced the whole configuration.
            _keras3_private.forget_compiled_metrics(self)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compile from `get_compile_config()`, as loading a `.keras` archive does.

        Keras 3 skips this step for models whose `compile` is overridden, as this one
        is; the saved configuration holds the arguments Keras 3 received, which
        `compile` accepts unchanged.
        """
        config = keras3.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    # -- fit / evaluate / predict -----------------------------------------------------
    # A private Keras 3 method, declared in _keras3_private.OVERRIDDEN_METHODS.
    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        # Keras 3 averages the first distributed batch over the replicas only to learn its
        # shapes, and under MultiWorkerMirroredStrategy that eager reduction fails
        # ("Attempt to convert a value (PerReplica...)"). One replica's part has the
        # shapes a replica computes with; it is taken instead.
        if iterator is not None and _keras3_private.distribute_strategy(self) is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(_one_replica, next(batches))
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, **kwargs):
        """Keras 2's `fit`: also accepts `nb_epoch` and, as tf_keras did, a generator.

        NumPy arrays train one compiled call per epoch (`refimpl.engine.fast_fit`) when
        nothing needs batch-level callbacks; `REFIMPL_FAST_FIT=0` (or the private
        `_fast=False`) keeps Keras 3's step-by-step loop.
        """
        fast = kwargs.pop("_fast", True)
        # Keras 2 let `nb_epoch` override `epochs` (whose default is always present).
        kwargs = {"epochs": epochs, **legacy.translate("fit", kwargs)}
        validation.check("fit", {"batch_size": batch_size, **kwargs})
        validation.check_class_weight(kwargs.get("class_weight"), _class_count(self))
        validation.check_inputs(self, x)
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, (list, tuple)) and validation_data:
            validation.check_inputs(self, validation_data[0], "validation_data")
        if _is_generator(x) or isinstance(x, _PyDataset):
            return self.fit_generator(x, verbose=verbose, callbacks=callbacks, _fast=fast, **kwargs)
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        # Why the last `fit` on arrays took Keras 3's step-by-step path ("" when it
        # took the fused one): a distribution strategy, a callback, ...
        self.fit_fallback_reason = (
            fast_fit.fallback_reason(self, x, y, callbacks, kwargs) if fast else "_fast=False"
        )
        if not self.fit_fallback_reason:
            return fast_fit.fit(
                self, x, y, batch_size=batch_size, verbose=verbose, callbacks=callbacks, **kwargs
            )
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
        fast = legacy_kwargs.pop("_fast", True)
        if "samples_per_epoch" in legacy_kwargs and hasattr(generator, "batch_size"):
            legacy_kwargs["samples_per_epoch"] //= generator.batch_size
        given = legacy.translate("fit_generator", legacy_kwargs)
        steps_per_epoch = given.pop("steps_per_epoch", steps_per_epoch)
        epochs = given.pop("epochs", epochs)
        validation.check("fit_generator", {"steps_per_epoch": steps_per_epoch, "epochs": epochs,
                                           "initial_epoch": initial_epoch})  # fmt: skip
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
        fast = fast and not fast_generator.fallback_reason(
            self, generator, callbacks, validation_data=validation_data
        )
        run_length, queue_size = 1, max_queue_size
        if fast and workers:
            # Keras 2's enqueuer let the generator run up to `max_queue_size` (+1)
            # batches ahead of training: split that between the queue and a run.
            queue_size = max(1, max_queue_size // 2)
            run_length = max(1, max_queue_size - queue_size)
        if class_weight is not None and isinstance(generator, _PyDataset):
            raise ValueError(
                "`class_weight` with a `keras.utils.Sequence` is not supported by Keras 3; "
                "return (x, y, sample_weight) batches from the Sequence instead."
            )
        feed = (workers, queue_size, use_multiprocessing)
        with _Feed(generator, *feed, class_weight=class_weight) as data:
            if fast:
                first, batches = fast_generator.peek(data)
                if first is not None and not fast_generator.batch_fallback_reason(first):
                    return fast_generator.fit_generator(
                        self, batches, steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, initial_epoch=initial_epoch, run_length=run_length,
                    )  # fmt: skip
                data = (batch for batch in batches)  # Keras 3 wants a generator
            return super().fit(
                data,
                steps_per_epoch=steps_per_epoch,
                epochs=epochs,
                verbose=verbose,
                callbacks=callbacks,
                validation_data=validation_data,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                initial_epoch=initial_epoch,
                # Keras 2 shuffled only a Sequence's batches; Keras 3 warns about the
                # argument for any other generator.
                shuffle=shuffle and isinstance(generator, _PyDataset),
            )

    def evaluate_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Evaluate on batches from a generator; returns the loss (and metrics)."""
        steps, feed = _generator_arguments(
            "evaluate_generator", generator, steps, workers, max_queue_size,
            use_multiprocessing, legacy_kwargs,
        )  # fmt: skip
        with _Feed(generator, *feed) as data:
            return self.evaluate(data, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Predict on batches from a generator (the generator may yield x or (x, y))."""
        steps, feed = _generator_arguments(
            "predict_generator", generator, steps, workers, max_queue_size,
            use_multiprocessing, legacy_kwargs,
        )  # fmt: skip
        with _Feed(generator, *feed, inputs=True) as data:
            return super().predict(data, steps=steps, callbacks=callbacks, verbose=verbose)

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, return_dict=False, **kwargs):
        """Keras 2's `evaluate`: the scalars in the order of `metrics_names`.

        Generator-only arguments are accepted and unused for arrays, as in Keras 2.
        """
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        validation.check("evaluate", {"batch_size": batch_size, **kwargs})
        validation.check_inputs(self, x)
        logs = super().evaluate(
            x, y, batch_size=batch_size, verbose=verbose, return_dict=True, **kwargs
        )
        return logs if return_dict else self._keras2_scalars(logs)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):  # fmt: skip
        """One gradient step on one batch; the scalars in the order of `metrics_names`."""
        _check_reset_metrics("train_on_batch", reset_metrics)
        logs = super().train_on_batch(
            x, y, sample_weight=sample_weight, class_weight=class_weight, return_dict=True
        )
        return logs if return_dict else self._keras2_scalars(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):  # fmt: skip
        """The loss and metrics of one batch, in the order of `metrics_names`."""
        _check_reset_metrics("test_on_batch", reset_metrics)
        logs = super().test_on_batch(x, y, sample_weight=sample_weight, return_dict=True)
        return logs if return_dict else self._keras2_scalars(logs)

    @property
    def metrics_names(self) -> list[str]:
        """Names of the scalars `evaluate` returns, in Keras 2's order.

        Keras 2 listed the total loss, then each output's loss, then each output's
        metrics in the order they were compiled (`['loss', 'acc']`,
        `['loss', 'a_loss', 'b_loss', 'a_mae', 'b_mae']`). Keras 3 lists its metric
        containers instead (`['loss', 'compile_metrics']`).
        """
        try:
            names = list(self.get_metrics_result())
        except ValueError:  # the compiled metrics are built by the first batch
            names = [m.name for m in self.metrics if not isinstance(m, _CompileMetrics)]
        losses = [f"{name}_loss" for name in getattr(self, "output_names", None) or ()]
        head = [name for name in ("loss", *losses) if name in names]
        return head + [name for name in names if name not in head]

    def _keras2_scalars(self, logs: dict[str, Any]) -> Any:
        names = [name for name in self.metrics_names if name in logs]
        names += sorted(set(logs) - set(names))
        values = [_scalar(logs[name]) for name in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, **kwargs):
        """Keras 2's `predict`: silent by default, as in Keras 2.

        NumPy arrays run one cached compiled call per batch (`refimpl.engine.
        fast_predict`) unless Keras 3's path is needed (progress bar, callbacks, ...).
        """
        fast = kwargs.pop("_fast", True)
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        validation.check("predict", {"batch_size": batch_size, **kwargs})
        validation.check_inputs(self, x)
        if fast and not fast_predict.fallback_reason(self, x, verbose, kwargs):
            return fast_predict.predict(self, x, batch_size=batch_size)
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


def _check_reset_metrics(owner: str, reset_metrics: bool) -> None:
    if not reset_metrics:
        raise ValueError(
            f"`{owner}(reset_metrics=False)` cannot be honoured: Keras 3 resets the metrics "
            "on every call. Accumulate the returned values yourself, or use `evaluate`."
        )


def _scalar(value: Any) -> Any:
    """A Python float for a 0-d tensor (as Keras 3's list results are)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _known(get: Callable[[str], Any], also: tuple[str, ...] = ()) -> Callable[[str], bool]:
    """Whether a name is one that `get` resolves (or one of `also`)."""

    def known(name: str) -> bool:
        if name in also:
            return True
        try:
            get(name)
        except (ValueError, TypeError):
            return False
        return True

    return known


def _one_replica(value: Any) -> Any:
    """The first local replica's part of a distributed value; other values as they are."""
    if isinstance(value, tf.distribute.DistributedValues):
        return value.values[0]
    return value


def _class_count(model: Any) -> int | None:
    """The number of classes of a single-output classifier: its output units (two
    for a single sigmoid unit); None when it has several outputs or none yet."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs or len(outputs) != 1 or outputs[0].shape[-1] is None:
        return None
    return max(2, int(outputs[0].shape[-1]))


def _output_count(model: Any) -> int:
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):  # a Sequential model that is not built yet
        return 1
    return len(outputs) if outputs else 1


def _generator_arguments(owner, generator, steps, workers, max_queue_size,
                         use_multiprocessing, legacy_kwargs):  # fmt: skip
    """Translate Keras 1 names; return the step count and `_Feed`'s worker settings."""
    given = legacy.translate(owner, legacy_kwargs)
    steps = _steps("steps", generator, given.pop("steps", steps))
    feed = (
        given.pop("workers", workers),
        given.pop("max_queue_size", max_queue_size),
        given.pop("use_multiprocessing", use_multiprocessing),
    )
    _reject_unknown(owner, given)
    return steps, feed


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


def _keras3_batch(batch: Any, inputs: bool) -> Any:
    """A generator's batch as Keras 3 wants it: a tuple, with tuples for lists inside.

    Keras 2 took a list `[x, y]` like a tuple `(x, y)`, and `predict_generator` took
    bare inputs (an array, or a list of arrays for several inputs) as well as `(x, y)`.
    Keras 3's `tf.data` conversion of a generator accepts tuples, not lists, of inputs.
    """
    if not isinstance(batch, tuple):
        if not inputs and isinstance(batch, list) and len(batch) in (2, 3):
            batch = tuple(batch)
        else:
            batch = (batch,)
    return tuple(_inputs_to_tuples(part) for part in batch)


def _inputs_to_tuples(data: Any) -> Any:
    """Lists of arrays (several inputs or outputs) as tuples; lists of numbers stay."""
    if (
        isinstance(data, list)
        and data
        and all(
            isinstance(item, (np.ndarray, list, tuple, dict)) or hasattr(item, "shape")
            for item in data
        )
    ):
        return tuple(_inputs_to_tuples(item) for item in data)
    if isinstance(data, dict):
        return {key: _inputs_to_tuples(value) for key, value in data.items()}
    return data


def _with_class_weight(batch: tuple, class_weight: dict) -> tuple:
    """`(x, y)` -> `(x, y, weights)` from `class_weight`, as Keras 2 did for generators.

    As in Keras 2, a batch's own sample weights take precedence. Keras 3 refuses
    `class_weight` with generators, so the weights are made here, with its rule
    (argmax of one-hot targets; classes missing from the dict weigh 1).
    """
    if len(batch) != 2:
        return batch
    x, y = batch
    if not isinstance(y, np.ndarray):
        raise ValueError(
            "`class_weight` needs one target array per batch (one model output); the "
            f"generator yielded targets of type {type(y).__name__}. Yield sample weights "
            "as a third element of each batch instead."
        )
    return x, y, _class_weight_to_sample_weights(y, class_weight)


class _Feed:
    """What Keras 3 should iterate for a Keras 2 generator, as a context manager.

    Keras 3 runs a Python generator inside `tf.data`, which turns an exception raised by
    the generator into a TensorFlow `UnknownError`. Keras 2 raised the generator's own
    exception in the caller; the feed records it so that `__exit__` can re-raise it.
    On exit the background workers are stopped and joined.
    """

    def __init__(self, data: Any, workers: int, max_queue_size: int, use_multiprocessing: bool,
                 inputs: bool = False, class_weight: dict | None = None):  # fmt: skip
        self.error: BaseException | None = None
        self._inputs_only = inputs
        self._class_weight = class_weight
        self._prefetcher: _Prefetcher | None = None
        if isinstance(data, _PyDataset):
            # Keras 3 runs a Sequence's workers itself, configured on the dataset object.
            _keras3_private.configure_py_dataset(
                data,
                workers=max(int(workers), 1),
                use_multiprocessing=bool(use_multiprocessing),
                max_queue_size=int(max_queue_size),
            )
            self.data = data
            return
        if use_multiprocessing:
            raise ValueError(
                "`use_multiprocessing=True` needs a `keras.utils.Sequence`: a Python "
                "generator cannot be shared between processes. Use `workers=` threads, or "
                "wrap the data in a `keras.utils.Sequence`."
            )
        if workers:
            self._prefetcher = _Prefetcher(iter(data), int(workers), int(max_queue_size))
            data = self._prefetcher
        # Keras 3 recognises Python generators, not arbitrary iterators: hand it one.
        self.data = self._recording(iter(data))

    def _recording(self, iterator: Iterator) -> Iterator:
        try:
            for batch in iterator:
                batch = _keras3_batch(batch, self._inputs_only)
                yield _with_class_weight(batch, self._class_weight) if self._class_weight else batch
        except Exception as error:
            self.error = error
            raise

    def __enter__(self) -> Any:
        return self.data

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if self._prefetcher is not None:
            self._prefetcher.close()
        if error is not None and self.error is not None and error is not self.error:
            raise self.error from error
