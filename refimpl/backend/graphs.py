"""Keras 2's backend: gradients, name scopes and backend functions (`K.function`).

Part of `refimpl.backend` (`K.*`), which re-exports every name here.

Example:

>>> import numpy as np
>>> from refimpl.backend.graphs import function
>>> from refimpl.backend.tensors import placeholder
>>> x = placeholder(shape=(None, 2))
>>> function([x], [x * 2])([np.ones((1, 2))])[0].tolist()
[[2.0, 2.0]]
"""

from __future__ import annotations

import numpy as np

from refimpl._keras3 import keras3, tf
from refimpl.backend import common
from refimpl.backend.common import learning_phase
from refimpl.backend.tensors import _is_symbolic

ops = keras3.ops

# ----------------------------------------------------------------------------------
# Graphs: gradients, name scopes, backend functions
# ----------------------------------------------------------------------------------


def gradients(loss, variables):
    """Symbolic gradients of `loss` with respect to `variables`, inside a `tf.function`.

    Keras 2 differentiated its static graph; TensorFlow 2 does so only while tracing a
    `tf.function`. In eager code, use `tf.GradientTape`.
    """
    if _is_symbolic(loss):
        raise TypeError(
            "`gradients` cannot differentiate a symbolic tensor of a model under "
            "construction: Keras 3 builds no TensorFlow graph for it. Run the model on data "
            "inside `with tf.GradientTape() as tape:` and call `tape.gradient(loss, vars)`."
        )
    if tf.executing_eagerly():
        raise RuntimeError(
            "`gradients` needs a graph, and TensorFlow 2 runs eagerly: call it inside a "
            "`tf.function`, or compute gradients with `tf.GradientTape`."
        )
    targets = [v.value if isinstance(v, keras3.Variable) else v for v in variables]
    return tf.compat.v1.gradients(loss, targets, colocate_gradients_with_ops=True)


def name_scope(name):
    """A context manager that prefixes the names of ops and weights created in it."""
    return keras3.name_scope(name)


class Function:
    """A compiled computation from input tensors to output tensors (see `function`)."""

    def __init__(self, inputs, outputs, name=None):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        phases = [i for i, x in enumerate(inputs) if x is learning_phase()]
        self._phase_index = phases[0] if phases else None
        self._n_inputs = len(inputs)
        model_inputs = [x for x in inputs if x is not learning_phase()]
        self._single_output = not isinstance(outputs, (list, tuple))
        model_outputs = [outputs] if self._single_output else list(outputs)
        for kind, tensors in (("input", model_inputs), ("output", model_outputs)):
            for index, tensor in enumerate(tensors):
                if not _is_symbolic(tensor):
                    raise TypeError(
                        f"`function` expects symbolic tensors of a model ({kind} {index} should "
                        f"be like `model.input` or `layer.output`); received "
                        f"{type(tensor).__name__}."
                    )
        self.model = keras3.Model(model_inputs, model_outputs, name=name)

    def __call__(self, inputs):
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != self._n_inputs:
            raise ValueError(
                f"This backend function takes {self._n_inputs} inputs (a list, in the order "
                f"given to `K.function`); received {len(inputs)}."
            )
        if self._phase_index is None:
            phase = common.current_learning_phase()
        else:
            phase = common.learning_phase_value(inputs.pop(self._phase_index))
        outputs = self.model(inputs, training=bool(phase))
        # Keras 3 returns a lone tensor for a model with a list of one output.
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        values = [ops.convert_to_numpy(tensor) for tensor in outputs]
        # A 0-d result is a NumPy scalar, as TensorFlow 1's `Session.run` returned.
        values = [v[()] if np.ndim(v) == 0 else v for v in values]
        return values[0] if self._single_output else values


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A function from a list of input values to the values of `outputs`.

    `inputs` are symbolic tensors (`model.input`, `layer.output`, `K.placeholder`); add
    `K.learning_phase()` to them to choose at each call between the test phase (feed 0)
    and the training phase (feed 1, so `Dropout` is active). Calling the function with
    a list of NumPy arrays returns a list of NumPy arrays (one array for a single
    output not in a list).

    >>> from refimpl.backend import placeholder
    >>> x = placeholder(shape=(None, 2))
    >>> f = function([x, learning_phase()], [x * 2.0])
    >>> f([np.array([[1.0, 2.0]]), 0])[0]
    array([[2., 4.]], dtype=float32)

    Raises:
        ValueError: for `updates`: Keras 3 applies variable updates inside layers, so a
            function cannot carry them; or for TensorFlow 1 session arguments.
    """
    if updates:
        raise ValueError(
            "`function(..., updates=...)` cannot be honoured: Keras 3 runs no graph of "
            "update ops. Layers update their own state (BatchNormalization's moving "
            "statistics, a metric's counts) when called, and optimizers apply gradients with "
            "`optimizer.apply_gradients(zip(grads, vars))` or `model.train_on_batch(x, y)`."
        )
    if kwargs:
        raise ValueError(
            f"`function` received TensorFlow 1 session arguments {sorted(kwargs)}, which have "
            "no meaning without a session; drop them."
        )
    return Function(inputs, outputs, name=name)
