"""Keras 2's training API on a Keras 3 model.

`Keras2Training` is the part of `refimpl.models.Model` that concerns `compile`, `fit`,
`evaluate`, `predict` and their Keras 2 relatives: the generator methods, Keras 1
argument names, one loss for every output, `predict_classes` / `predict_proba`, and
`reset_states`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl import _keras3_private, compilation, legacy, validation
from refimpl import losses as losses_module
from refimpl import metrics as metrics_module
from refimpl import optimizers as optimizers_module
from refimpl._keras3 import keras3, tf
from refimpl.training import fast_fit, fast_generator, fast_predict
from refimpl.training.data import DataKind, kind_of
from refimpl.training.fast_path import Call
from refimpl.training.feed import Feed, step_count

_CompileMetrics = _keras3_private.CompileMetrics

#: Keras 2 `fit` arguments that only ever affected generators: with arrays they are
#: accepted and, as in Keras 2, have no effect.
_GENERATOR_ONLY = {"max_queue_size": 10, "workers": 1, "use_multiprocessing": False}
#: The kinds of data that `fit` hands to `fit_generator`, as tf_keras did.
_GENERATOR_KINDS = (DataKind.GENERATOR, DataKind.SEQUENCE)


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

        NumPy arrays train one compiled call per epoch (`refimpl.training.fast_fit`) when
        nothing needs batch-level callbacks; `REFIMPL_FAST_FIT=0` (or, around the call,
        `with refimpl.training.fast_path.fast_paths(False):`) keeps Keras 3's
        step-by-step loop.
        """
        # Keras 2 let `nb_epoch` override `epochs` (whose default is always present).
        kwargs = {"epochs": epochs, **legacy.translate("fit", kwargs)}
        validation.check("fit", {"batch_size": batch_size, **kwargs})
        validation.check_class_weight(kwargs.get("class_weight"), _class_count(self))
        validation.check_inputs(self, x)
        validation_data = kwargs.get("validation_data")
        if isinstance(validation_data, (list, tuple)) and validation_data:
            validation.check_inputs(self, validation_data[0], "validation_data")
        call = Call.of({"x": x, "y": y, "batch_size": batch_size, "verbose": verbose,
                        "callbacks": callbacks, **kwargs})  # fmt: skip
        if call.data in _GENERATOR_KINDS:
            return self.fit_generator(x, verbose=verbose, callbacks=callbacks, **kwargs)
        call = call.without(*_GENERATOR_ONLY)
        # Why the last `fit` (or `fit_generator`) took Keras 3's step-by-step path (""
        # when it took the fused one): a distribution strategy, a callback, ...
        self.fit_fallback_reason = fast_fit.FAST_FIT.why_not(self, call) or ""
        if not self.fit_fallback_reason:
            return fast_fit.FAST_FIT.run(self, call)
        return super().fit(**call.arguments)

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
        validation.check("fit_generator", {"steps_per_epoch": steps_per_epoch, "epochs": epochs,
                                           "initial_epoch": initial_epoch})  # fmt: skip
        validation_steps = given.pop("validation_steps", validation_steps)
        workers = given.pop("workers", workers)
        use_multiprocessing = given.pop("use_multiprocessing", use_multiprocessing)
        max_queue_size = given.pop("max_queue_size", max_queue_size)
        _reject_unknown("fit_generator", given)

        steps_per_epoch = step_count("steps_per_epoch", generator, steps_per_epoch)
        if validation_data is not None and kind_of(validation_data) in _GENERATOR_KINDS:
            validation_steps = step_count("validation_steps", validation_data, validation_steps)
        data = kind_of(generator)
        if class_weight is not None and data is DataKind.SEQUENCE:
            raise ValueError(
                "`class_weight` with a `keras.utils.Sequence` is not supported by Keras 3; "
                "return (x, y, sample_weight) batches from the Sequence instead."
            )
        # Keras 2's enqueuer, not started yet: the path taken opens it as it needs.
        feed = Feed(generator, workers, max_queue_size, use_multiprocessing,
                    class_weight=class_weight)  # fmt: skip
        call = Call({"x": feed, "steps_per_epoch": steps_per_epoch, "epochs": epochs,
                     "verbose": verbose, "callbacks": callbacks,
                     "validation_data": validation_data, "validation_steps": validation_steps,
                     "validation_freq": validation_freq, "initial_epoch": initial_epoch,
                     # Keras 2 shuffled only a Sequence's batches; Keras 3 warns about
                     # the argument for any other generator.
                     "shuffle": shuffle and data is DataKind.SEQUENCE}, data)  # fmt: skip
        with feed:
            self.fit_fallback_reason = fast_generator.FAST_GENERATOR.why_not(self, call) or ""
            if not self.fit_fallback_reason:
                return fast_generator.FAST_GENERATOR.run(self, call)
            return super().fit(**call.replacing(x=feed.open()).arguments)

    def evaluate_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Evaluate on batches from a generator; returns the loss (and metrics)."""
        steps, feed = _generator_arguments(
            "evaluate_generator", generator, steps, workers, max_queue_size,
            use_multiprocessing, legacy_kwargs,
        )  # fmt: skip
        with Feed(generator, *feed) as data:
            return self.evaluate(data.open(), steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(
        self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
        use_multiprocessing=False, verbose=0, **legacy_kwargs,
    ):  # fmt: skip
        """Predict on batches from a generator (the generator may yield x or (x, y))."""
        steps, feed = _generator_arguments(
            "predict_generator", generator, steps, workers, max_queue_size,
            use_multiprocessing, legacy_kwargs,
        )  # fmt: skip
        with Feed(generator, *feed, inputs=True) as data:
            return super().predict(data.open(), steps=steps, callbacks=callbacks, verbose=verbose)

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

        NumPy arrays run one cached compiled call per batch (`refimpl.training.
        fast_predict`) unless Keras 3's path is needed (progress bar, callbacks, ...).
        """
        for name, default in _GENERATOR_ONLY.items():
            kwargs.pop(name, default)
        validation.check("predict", {"batch_size": batch_size, **kwargs})
        validation.check_inputs(self, x)
        call = Call.of({"x": x, "batch_size": batch_size, "verbose": verbose, **kwargs})
        # Why the last `predict` took Keras 3's path ("" when it took the fast one).
        self.predict_fallback_reason = fast_predict.FAST_PREDICT.why_not(self, call) or ""
        if not self.predict_fallback_reason:
            return fast_predict.FAST_PREDICT.run(self, call)
        return super().predict(**call.arguments)

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
    steps = step_count("steps", generator, given.pop("steps", steps))
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
