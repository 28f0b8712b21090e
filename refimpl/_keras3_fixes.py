"""Fixes for the Keras 3 bugs refimpl's users meet, in one place.

Keras 3.15 cannot train under `tf.distribute.MultiWorkerMirroredStrategy` (Keras 2
could): every training step averages its scalar logs over the workers with
`strategy.reduce("MEAN", value, axis=0)`, and a scalar has no axis 0. The fix wraps
the module-level function Keras 3's TensorFlow trainer calls, because it is no method
a subclass could override; it changes nothing outside multi-worker training. (Its
sibling, the shapes-only reduction before the first step, is overridden in
`refimpl.training.trainer.Keras2Training`.)

Keras 2's `get_file` (and so every `keras.datasets` loader) read the `KERAS_HOME`
environment variable each time it was called; Keras 3 reads it once, when Keras is
imported. A notebook, a test's setup or a CI step that points `KERAS_HOME` at a local
cache of the data sets after importing Keras therefore saw Keras 2 read that cache and
sees Keras 3 download instead (or fail, offline). The fix makes Keras 3's
`keras_home()` read the variable when called, as Keras 2 did.

`apply()` runs once, when refimpl is imported. Keras 3's internals are reached through
`refimpl._keras3_private`, as everywhere in refimpl.
"""

from __future__ import annotations

import os
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import tf

_tensorflow_trainer = _keras3_private.tensorflow_trainer


def _reduce_per_replica_across_workers(original: Any) -> Any:
    def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
        multi_worker = _keras3_private.is_multi_worker(strategy)
        if not multi_worker or reduction not in ("auto", "mean"):
            return original(values, strategy, reduction)

        def mean(value: Any) -> Any:
            if not isinstance(value, tf.distribute.DistributedValues):
                return value
            rank = strategy.experimental_local_results(value)[0].shape.rank
            return strategy.reduce("MEAN", value, axis=0 if rank else None)

        return tf.nest.map_structure(mean, values)

    reduce_per_replica.__wrapped__ = original
    return reduce_per_replica


def _keras_home_from_environment(original: Any) -> Any:
    def keras_home() -> str:
        return os.environ.get("KERAS_HOME") or original()

    keras_home.__wrapped__ = original
    return keras_home


def apply() -> None:
    """Install the fixes (once)."""
    current = _tensorflow_trainer.reduce_per_replica
    if not hasattr(current, "__wrapped__"):
        _tensorflow_trainer.reduce_per_replica = _reduce_per_replica_across_workers(current)
    config = _keras3_private.backend_config
    if not hasattr(config.keras_home, "__wrapped__"):
        config.keras_home = _keras_home_from_environment(config.keras_home)
