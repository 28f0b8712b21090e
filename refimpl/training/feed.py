"""Keras 2's generator enqueuer: what Keras 3 iterates for a Keras 2 generator.

Keras 2 ran a Python generator in background threads (`workers`) that filled a queue
of `max_queue_size` batches while the model trained, and took `[x, y]` lists, bare
inputs and `class_weight` from generators. `Feed` gives Keras 3 (or `fast_generator`)
those batches in the form Keras 3 accepts, and raises the generator's own errors.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from refimpl import _keras3_private
from refimpl._keras3 import keras3

_PyDataset = keras3.utils.PyDataset
_class_weight_to_sample_weights = _keras3_private.class_weight_to_sample_weights

#: How long `close` waits for each background worker to finish its current batch.
_JOIN_TIMEOUT_S = 5.0


class Prefetcher:
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

    def __iter__(self) -> Prefetcher:
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


def step_count(argument: str, data: Any, steps: int | None) -> int:
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


class Feed:
    """What Keras 3 (or a fast path) should iterate for a Keras 2 generator, as a
    context manager.

    Keras 3 runs a Python generator inside `tf.data`, which turns an exception raised by
    the generator into a TensorFlow `UnknownError`. Keras 2 raised the generator's own
    exception in the caller; the feed records it so that `__exit__` can re-raise it.
    The workers start when the feed is first opened (`open`, with the queue size its
    reader chooses, Keras 2's `max_queue_size` by default); on exit they are stopped
    and joined.

    Example:

    >>> with Feed(iter([([1.0], [0])]), workers=0, max_queue_size=10,  # doctest: +SKIP
    ...           use_multiprocessing=False) as feed:
    ...     model.fit(feed.open(), steps_per_epoch=1)
    """

    def __init__(self, data: Any, workers: int, max_queue_size: int, use_multiprocessing: bool,
                 inputs: bool = False, class_weight: dict | None = None):  # fmt: skip
        self.error: BaseException | None = None
        self.source = data
        self.workers, self.max_queue_size = int(workers), int(max_queue_size)
        self._inputs_only = inputs
        self._class_weight = class_weight
        self._prefetcher: Prefetcher | None = None
        self._opened: Any = None
        if isinstance(data, _PyDataset):
            # Keras 3 runs a Sequence's workers itself, configured on the dataset object.
            _keras3_private.configure_py_dataset(
                data,
                workers=max(self.workers, 1),
                use_multiprocessing=bool(use_multiprocessing),
                max_queue_size=self.max_queue_size,
            )
            self._opened = data
        elif use_multiprocessing:
            raise ValueError(
                "`use_multiprocessing=True` needs a `keras.utils.Sequence`: a Python "
                "generator cannot be shared between processes. Use `workers=` threads, or "
                "wrap the data in a `keras.utils.Sequence`."
            )

    def open(self, queue_size: int | None = None) -> Any:
        """What to iterate: a Sequence as it is, else a generator of Keras 3 batches,
        its workers (if any) started with a queue of `queue_size` batches. Opening
        again gives the same iterator."""
        if self._opened is None:
            data = self.source
            if self.workers:
                size = self.max_queue_size if queue_size is None else queue_size
                self._prefetcher = Prefetcher(iter(data), self.workers, size)
                data = self._prefetcher
            # Keras 3 recognises Python generators, not arbitrary iterators: hand it one.
            self._opened = self._recording(iter(data))
        return self._opened

    def peek(self) -> Any:
        """The first batch of the opened feed (None if there is none); iterating the
        feed still yields it."""
        batches = self.open()
        for first in batches:
            self._opened = self._recording(itertools.chain([first], batches), converted=True)
            return first
        return None

    def _recording(self, iterator: Iterator, converted: bool = False) -> Iterator:
        try:
            for batch in iterator:
                if not converted:
                    batch = _keras3_batch(batch, self._inputs_only)
                    if self._class_weight:
                        batch = _with_class_weight(batch, self._class_weight)
                yield batch
        except Exception as error:
            self.error = error
            raise

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if self._prefetcher is not None:
            self._prefetcher.close()
        if error is not None and self.error is not None and error is not self.error:
            raise self.error from error


__all__ = ["Feed", "Prefetcher", "step_count"]
