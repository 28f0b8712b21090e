"""Keras 2's backend functions over sequences: `K.rnn` and the CTC functions.

Keras 3 has no `K.rnn` (its recurrent layers loop by themselves) and no CTC functions
under Keras 2's names; Keras 2 programs call them directly (a custom recurrent layer's
`call`, the OCR example's CTC loss and decoder). Both are written here on TensorFlow,
with the signatures of Keras 2.2 and the extra arguments tf_keras added.

Semantics shared by Keras 2.0-2.2 and tf_keras (the few places they differ are in
`refimpl.legacy.ERA_DECISIONS`):

- `rnn(step_function, inputs, initial_states, ...)` returns `(last_output, outputs,
  new_states)`; `step_function(input_t, states + constants) -> (output, new_states)`.
  A masked step keeps the states and repeats the previous output (zeros before the
  first unmasked step), or gives zeros with `zero_output_for_mask=True`.
- The CTC functions read `y_pred` as per-step class probabilities (softmax outputs,
  batch first), the last class being the blank, and take their logarithm (plus
  `epsilon`) before TensorFlow's CTC ops, which want log-probabilities time first.

>>> import numpy as np  # doctest: +SKIP
>>> step = lambda x, states: (x + states[0], [x + states[0]])  # doctest: +SKIP
>>> x, h0 = np.ones((2, 3, 4), "f4"), np.zeros((2, 4), "f4")  # doctest: +SKIP
>>> last, outputs, states = rnn(step, x, [h0])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from refimpl._keras3 import tf
from refimpl.backend.common import epsilon

__all__ = ["rnn", "ctc_label_dense_to_sparse", "ctc_batch_cost", "ctc_decode"]


def _time_major(x: Any, time_major: bool) -> Any:
    """`x` with time as its first axis."""
    if time_major:
        return x
    return tf.transpose(x, [1, 0, *range(2, x.shape.rank)])


def _masked(mask_t: Any, new: Any, old: Any) -> Any:
    """`new` where the step is unmasked, `old` where it is masked (per sample)."""
    shape = tf.concat([tf.shape(mask_t), tf.ones([new.shape.rank - 1], tf.int32)], 0)
    return tf.where(tf.reshape(mask_t, shape), new, old)


def rnn(
    step_function: Callable[[Any, list[Any]], tuple[Any, Sequence[Any]]],
    inputs: Any,
    initial_states: Sequence[Any],
    go_backwards: bool = False,
    mask: Any = None,
    constants: Sequence[Any] | None = None,
    unroll: bool = False,
    input_length: int | None = None,
    time_major: bool = False,
    zero_output_for_mask: bool = False,
    return_all_outputs: bool = True,
) -> tuple[Any, Any, list[Any]]:
    """Iterate `step_function` over the time axis of `inputs` (Keras 2's `K.rnn`).

    Args:
        step_function: `(input_t, states) -> (output_t, new_states)`, where `states`
            holds the current states followed by `constants`.
        inputs: a tensor `(samples, time, ...)` (`(time, samples, ...)` if `time_major`).
        initial_states: the states before the first step, each `(samples, ...)`.
        go_backwards: iterate from the last step to the first (outputs in that order).
        mask: `(samples, time)` booleans (or 0/1); masked steps change nothing.
        constants: tensors passed to every step after the states.
        unroll: run a Python loop (the time axis must be known) instead of a
            `tf.while_loop`; the results are the same.
        input_length: the number of steps, for Keras 2 calls that give it; unused.
        time_major: whether `inputs`, `mask` and `outputs` have time first.
        zero_output_for_mask: masked steps output zeros instead of the last output.
        return_all_outputs: False keeps only the last output in `outputs`.

    Returns:
        `(last_output, outputs, new_states)`: the last step's output `(samples, ...)`,
        every step's output `(samples, time, ...)`, and the last states.
    """
    inputs = tf.convert_to_tensor(inputs)
    if inputs.shape.rank is None or inputs.shape.rank < 3:
        raise ValueError(
            f"`rnn` expected inputs of at least 3 axes (samples, time, ...); received shape "
            f"{inputs.shape}."
        )
    steps_first = _time_major(inputs, time_major)
    masks = None
    if mask is not None:
        mask = tf.cast(mask, tf.bool)
        masks = mask if time_major else tf.transpose(mask, [1, 0])
    if go_backwards:
        steps_first = tf.reverse(steps_first, [0])
        masks = None if masks is None else tf.reverse(masks, [0])
    constants = list(constants or ())
    states = [tf.convert_to_tensor(s) for s in initial_states]

    def step(t: Any, states: list[Any], previous: Any) -> tuple[Any, list[Any]]:
        output, new_states = step_function(steps_first[t], states + constants)
        new_states = [tf.convert_to_tensor(s) for s in new_states]
        if masks is not None:
            new_states = [_masked(masks[t], n, s) for n, s in zip(new_states, states, strict=True)]
            # Before the first step, the "previous output" is zeros.
            kept = tf.zeros_like(output) if zero_output_for_mask or previous is None else previous
            output = _masked(masks[t], output, kept)
        return output, new_states

    # The first step outside the loop: it gives the output's shape and dtype.
    output, states = step(0, states, None)
    steps = steps_first.shape[0]
    if unroll:
        if steps is None:
            raise ValueError("`rnn(unroll=True)` needs a known number of time steps.")
        outputs = [output]
        for t in range(1, steps):
            output, states = step(t, states, output)
            outputs.append(output)
        stacked = tf.stack(outputs)
    else:
        count = tf.shape(steps_first)[0]
        written = tf.TensorArray(output.dtype, size=count, element_shape=output.shape).write(
            0, output
        )

        def body(t, output, written, *states):
            output, states = step(t, list(states), output)
            return (t + 1, output, written.write(t, output), *states)

        _, output, written, *states = tf.while_loop(
            lambda t, *_: t < count, body, (tf.constant(1), output, written, *states)
        )
        stacked = written.stack()
    outputs = stacked if return_all_outputs else stacked[-1:]
    return output, _time_major(outputs, time_major), list(states)


def ctc_label_dense_to_sparse(labels: Any, label_lengths: Any) -> Any:
    """Dense labels `(samples, max_length)` to a `tf.SparseTensor` of each sample's
    first `label_lengths[i]` labels (Keras 2's helper for `ctc_batch_cost`)."""
    labels = tf.convert_to_tensor(labels)
    lengths = tf.reshape(tf.cast(label_lengths, tf.int32), [-1])
    present = tf.sequence_mask(lengths, tf.shape(labels)[1])
    indices = tf.where(present)
    values = tf.cast(tf.gather_nd(labels, indices), tf.int32)
    return tf.SparseTensor(indices, values, tf.cast(tf.shape(labels), tf.int64))


def _log_steps_first(y_pred: Any) -> Any:
    """Softmax outputs `(samples, time, classes)` as time-first log-probabilities."""
    return tf.math.log(tf.transpose(tf.convert_to_tensor(y_pred), [1, 0, 2]) + epsilon())


def ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any, label_length: Any) -> Any:
    """The CTC loss of each sample, `(samples, 1)`.

    Args:
        y_true: `(samples, max_string_length)` label indices.
        y_pred: `(samples, time_steps, classes)` softmax outputs; the last class is blank.
        input_length: `(samples, 1)` steps of `y_pred` to read per sample.
        label_length: `(samples, 1)` labels of `y_true` to read per sample.
    """
    lengths = tf.reshape(tf.cast(input_length, tf.int32), [-1])
    labels = ctc_label_dense_to_sparse(y_true, label_length)
    loss = tf.compat.v1.nn.ctc_loss(
        labels=labels, inputs=_log_steps_first(y_pred), sequence_length=lengths
    )
    return tf.expand_dims(loss, 1)


def ctc_decode(
    y_pred: Any, input_length: Any, greedy: bool = True, beam_width: int = 100, top_paths: int = 1
) -> tuple[list[Any], Any]:
    """Decode softmax outputs: best path (`greedy`) or beam search.

    Returns `(decoded, log_probabilities)`: `decoded` is a list of `top_paths` dense
    tensors `(samples, time_steps)` padded with -1, `log_probabilities` is
    `(samples, top_paths)` (greedy: `(samples, 1)`, the negated sum of the best logits).
    """
    inputs = _log_steps_first(y_pred)
    lengths = tf.reshape(tf.cast(input_length, tf.int32), [-1])
    if greedy:
        decoded, log_probabilities = tf.nn.ctc_greedy_decoder(inputs, lengths)
    else:
        decoded, log_probabilities = tf.compat.v1.nn.ctc_beam_search_decoder(
            inputs, lengths, beam_width=beam_width, top_paths=top_paths
        )
    # Every path as wide as the input has steps, as in tf_keras (Keras 2.2: as wide as
    # the longest path), so that the shape is known before decoding.
    shape = tf.cast(tf.stack([tf.shape(inputs)[1], tf.shape(inputs)[0]]), tf.int64)
    dense = [
        tf.sparse.to_dense(tf.SparseTensor(path.indices, path.values, shape), default_value=-1)
        for path in decoded
    ]
    return dense, log_probabilities
