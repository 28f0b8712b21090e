"""A faster `fit_generator`: batches from a Python generator train a chunk at a time.

Keras 3 trains on a generator through `tf.data.Dataset.from_generator` and calls its
compiled step once per batch from Python, which costs about 2 to 3 ms a step on a
2-core CPU whatever the model. Source 001's `fit_generator` example runs 100,000
steps of a small MLP, so that overhead is almost all of its time.

This path takes the generator's batches from Python as Keras 2's enqueuer delivered
them, stacks a run of consecutive batches of the same shapes into one tensor per
input, and trains on the whole run in one compiled `tf.while_loop` that calls the
model's own Keras 3 `train_step` once per batch, in order. Losses, metrics,
regularizers, the optimizer and its `iterations` are exactly Keras 3's, as in
`refimpl.training.fast_fit`.

How far the generator runs ahead of training: Keras 2's enqueuer kept up to
`max_queue_size` batches waiting while the model trained one, so a generator never saw
weights more than about `max_queue_size + 1` steps old. Here the enqueuer's queue
holds half of `max_queue_size` and a run the other half, which keeps that bound (a run
is one batch with `workers=0`, where Keras 2 ran the generator in the caller's
thread). Generation overlaps training: TensorFlow releases the GIL while a run trains.

Kept from Keras 3's `fit`: `steps_per_epoch` batches per epoch, taken from the same
generator across epochs; the epoch-level callbacks, the `History` and the progress bar
(updated once per epoch, as in `fast_fit`); `initial_epoch`; sample weights as a
generator's third element; the "ran out of data" warning, after which training stops
at the end of that epoch; `class_weight`, which the caller's feed turns into sample
weights as Keras 2 did. Anything else goes to Keras 3's step path:
`keras.utils.Sequence` inputs, `validation_data`, callbacks with batch-level hooks,
and batches that are not tuples of NumPy arrays of numbers (`FastGenerator.why_not`
says which).

The path owns its preparation: the call's `x` is the trainer's `Feed` (Keras 2's
enqueuer, not started yet); `why_not` opens it with this path's share of the queue
(`queue_split`) and looks at its first batch, and `run` trains on its batches in runs
of the other share.

Example:

>>> with Feed(batches, workers=1, max_queue_size=10, use_multiprocessing=False) as feed:
...     call = Call(dict(x=feed, steps_per_epoch=100, epochs=2), DataKind.GENERATOR)
...     if FAST_GENERATOR.why_not(model, call) is None:  # doctest: +SKIP
...         history = FAST_GENERATOR.run(model, call)
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import optree

from refimpl import _keras3_private
from refimpl._keras3 import keras3, tf
from refimpl.training import compiled
from refimpl.training.data import DataKind, is_numeric_array
from refimpl.training.epochs import callback_list, pythonify, run_epochs
from refimpl.training.fast_path import (
    Call,
    FastPath,
    callback_checks,
    first_reason,
    jit_mode,
    training_checks,
)
from refimpl.training.feed import Feed

_tree = keras3.tree

#: The Keras 3 `fit` arguments this path implements with any value. (`class_weight` is
#: not among the call's: the trainer's feed turns it into sample weights, as Keras 2 did.)
SUPPORTED_ARGUMENTS = ("x", "steps_per_epoch", "epochs", "verbose", "callbacks", "initial_epoch")
#: The other arguments it accepts with their default value only (Keras 3's, and
#: `shuffle=False`, which is what Keras 2's `shuffle` means for a Python generator).
DEFAULTS: dict[str, Any] = {
    "validation_data": None,
    "validation_steps": None,
    "validation_freq": 1,
    "shuffle": False,
}


class FastGenerator(FastPath):
    """`fit_generator` on a Python generator, in runs of stacked batches.

    `call.arguments["x"]` is a `Feed`. `why_not` judges the call, then opens the feed
    with this path's queue (`queue_split`) and judges its first batch; `run` trains on
    the feed's batches.
    """

    name = "fit_generator"

    def why_not(self, model: Any, call: Call) -> str | None:
        feed = call.arguments["x"]
        checks = training_checks(model)
        checks.append((not isinstance(feed, Feed), "x is not the trainer's Feed"))
        checks.append((call.data is DataKind.SEQUENCE, "the data is a keras.utils.Sequence"))
        checks += [
            (name not in SUPPORTED_ARGUMENTS and value != DEFAULTS.get(name), f"{name} is given")
            for name, value in call.arguments.items()
        ]
        reason = first_reason(checks + callback_checks(call.arguments.get("callbacks")))
        if reason is not None:
            return reason
        feed.open(queue_size=queue_split(feed.max_queue_size, feed.workers)[0])
        return batch_fallback_reason(feed.peek()) or None

    def run(self, model: Any, call: Call) -> Any:
        feed = call.arguments["x"]
        _, run_length = queue_split(feed.max_queue_size, feed.workers)
        arguments = call.others("x", *DEFAULTS)
        return fit_generator(model, feed.open(), run_length=run_length, **arguments)


#: The path `Keras2Training.fit_generator` takes for generators.
FAST_GENERATOR = FastGenerator()


def batch_fallback_reason(batch: Any) -> str:
    """Why a generator's first batch cannot take this path ("" when it can)."""
    if batch is None:
        return "the generator yielded no batch"
    if not isinstance(batch, tuple) or len(batch) not in (2, 3):
        return "the generator's batches are not (x, y) or (x, y, sample_weight) tuples"
    return _leaves_fallback_reason(optree.tree_leaves(batch))


def _leaves_fallback_reason(leaves: list[Any]) -> str:
    if not leaves or not all(is_numeric_array(leaf) for leaf in leaves):
        return "the generator's batches are not NumPy arrays of numbers"
    return ""


def queue_split(max_queue_size: int, workers: int) -> tuple[int, int]:
    """The enqueuer's queue size and the longest run, from Keras 2's `max_queue_size`.

    Keras 2's enqueuer let the generator run up to `max_queue_size` (+1) batches ahead
    of training: that is split between the queue and a run.
    """
    if not workers:
        return max_queue_size, 1
    queue_size = max(1, max_queue_size // 2)
    return queue_size, max(1, max_queue_size - queue_size)


class _Batch:
    """One generator batch, flattened once: its leaves and what a run must share."""

    __slots__ = ("batch", "leaves", "signature", "structure")

    def __init__(self, batch: Any):
        self.batch = batch
        self.leaves, self.structure = optree.tree_flatten(batch)
        # (Checked by `_leaves_fallback_reason`: a batch of other leaves is refused.)
        shapes = tuple((getattr(leaf, "shape", None), getattr(leaf, "dtype", None))
                       for leaf in self.leaves)  # fmt: skip
        self.signature = (self.structure, shapes)


class _Runs:
    """Consecutive batches of one structure, shapes and dtypes, stacked along a new axis."""

    def __init__(self, batches: Iterator, longest: int):
        self._batches = batches
        self._longest = max(1, int(longest))
        self._held: _Batch | None = None  # read but not used yet: it starts the next run
        self.exhausted = False

    def take(self, most: int) -> list[_Batch]:
        """Up to `most` batches (fewer at a change of shape, or when the data run out)."""
        run: list[_Batch] = []
        most = min(most, self._longest)
        while len(run) < most:
            if self._held is not None:
                batch, self._held = self._held, None
            else:
                item = next(self._batches, None)
                if item is None:
                    self.exhausted = True
                    break
                batch = _Batch(item)
                reason = _leaves_fallback_reason(batch.leaves)
                if reason:
                    raise TypeError(
                        f"fit_generator: {reason}; received {_describe(item)} after "
                        f"batches of {_describe(run[0].batch if run else item)}. Yield "
                        "the same kind of batch every time."
                    )
            if run and batch.signature != run[0].signature:
                self._held = batch
                break
            run.append(batch)
        return run


def _describe(batch: Any) -> str:
    return repr(_tree.map_structure(lambda leaf: getattr(leaf, "shape", type(leaf)), batch))


def _stack(run: list[_Batch]) -> list[Any]:
    """One tensor per leaf: the run's batches stacked along a new first axis."""
    return [
        tf.constant(np.stack([batch.leaves[i] for batch in run])) for i in range(len(run[0].leaves))
    ]


def _run_function(model: Any, first: _Batch, jit: str) -> Any:
    """A concrete function(*stacked leaves) that trains on each batch of a run in turn.

    Traced once per batch signature, for any run length; calling the concrete function
    directly skips `tf.function`'s per-call dispatch, a good part of a short run's cost.
    `jit` is `fast_path.jit_mode`'s: XLA on the step, on the whole run, or off.
    """
    step = model.train_step
    if jit == "step":
        step = tf.function(step, jit_compile=True, autograph=False)
    structure = first.structure

    def train_run(*stacked: Any) -> None:
        count = tf.shape(stacked[0])[0]

        def body(i):
            step(optree.tree_unflatten(structure, [t[i] for t in stacked]))
            return (i + 1,)

        tf.while_loop(lambda i: i < count, body, (tf.constant(0),))

    specs = [tf.TensorSpec((None, *leaf.shape), leaf.dtype) for leaf in first.leaves]
    compiled = tf.function(train_run, autograph=False, jit_compile=jit == "loop")
    return compiled.get_concrete_function(*specs)


def fit_generator(
    model: Any,
    batches: Iterator,
    steps_per_epoch: int,
    epochs: int = 1,
    verbose: Any = 1,
    callbacks: Any = None,
    initial_epoch: int = 0,
    run_length: int = 10,
) -> Any:
    """Train on `steps_per_epoch` batches of `batches` per epoch; returns the `History`.

    `batches` yields Keras 3 batch tuples whose first one passed `batch_fallback_reason`
    (`FastGenerator.why_not` checks it); `run_length` is the most batches trained in
    one compiled call (`queue_split`'s).
    """
    runs = _Runs(batches, run_length)
    built = False
    jit = jit_mode(model, steps_per_epoch * max(0, epochs - initial_epoch))

    def run_epoch(epoch: int, callbacks: Any) -> dict[str, Any] | None:
        nonlocal built
        for metric in model.metrics:
            metric.reset_state()
        done = 0
        while done < steps_per_epoch and not runs.exhausted:
            run = runs.take(steps_per_epoch - done)
            if not run:
                break
            if not built:
                # Variables cannot be created inside the compiled loop.
                _keras3_private.build_for_training(model, data_batch=run[0].batch)
                built = True
            train_run = compiled.function(
                model,
                "fast_generator",
                (run[0].signature, jit),
                lambda first=run[0]: _run_function(model, first, jit),
            )
            train_run(*_stack(run))
            done += len(run)
        if done < steps_per_epoch:
            warnings.warn(
                "Your input ran out of data; interrupting training. Make sure that your "
                "generator can generate at least `steps_per_epoch * epochs` batches.",
                stacklevel=4,
            )
            model.stop_training = True
        return pythonify(model.get_metrics_result()) if done else None

    callbacks = callback_list(model, callbacks, verbose, epochs, steps_per_epoch)
    return run_epochs(model, callbacks, initial_epoch, epochs, run_epoch)


__all__ = [
    "FastGenerator", "FAST_GENERATOR", "batch_fallback_reason", "queue_split", "fit_generator",
]  # fmt: skip
