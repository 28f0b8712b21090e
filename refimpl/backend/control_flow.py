"""Keras 2's backend: control flow and the learning phase (`switch`, `in_train_phase`).

Part of `refimpl.backend` (`K.*`), which re-exports every name here.

Example:

>>> import numpy as np
>>> from refimpl.backend.control_flow import switch
>>> switch(np.array([True, False]), np.ones(2), np.zeros(2)).numpy().tolist()
[1.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from refimpl._keras3 import keras3
from refimpl.backend import common
from refimpl.backend.common import learning_phase
from refimpl.backend.tensors import _is_symbolic, int_shape, is_tensor, ndim

ops = keras3.ops

# ----------------------------------------------------------------------------------
# Control flow and the learning phase
# ----------------------------------------------------------------------------------


def _value(expression: Any) -> Any:
    return expression() if callable(expression) else expression


def switch(condition, then_expression, else_expression):
    """`then_expression` where `condition` holds, else `else_expression`.

    A scalar condition picks one expression (either may be a function of no arguments,
    called only if picked); a tensor condition picks element by element, its axes
    matching the leading axes of the expressions.
    """
    if isinstance(condition, (bool, np.bool_)):
        return _value(then_expression if condition else else_expression)
    if ndim(condition) == 0:
        return ops.cond(
            ops.cast(condition, "bool"),
            lambda: _value(then_expression),
            lambda: _value(else_expression),
        )
    then_value, else_value = _value(then_expression), _value(else_expression)
    condition = ops.cast(condition, "bool")
    missing = ndim(then_value) - ndim(condition)
    if missing < 0:
        raise ValueError(
            f"`switch` needs a condition with no more axes than the expressions; received a "
            f"condition of shape {int_shape(condition)} and expressions of shape "
            f"{int_shape(then_value)}."
        )
    for _ in range(missing):
        condition = ops.expand_dims(condition, -1)
    return ops.where(condition, then_value, else_value)


class _TrainingSwitch(keras3.layers.Layer):
    """`x` when the model runs in training mode, `alt` otherwise.

    `in_train_phase` on symbolic tensors adds this layer to the model under
    construction, so the choice is made each time the model runs, from its `training`
    flag, as Keras 2's learning phase was.
    """

    def call(self, x, alt, training=None):
        return x if training else alt


def in_train_phase(x, alt, training=None):
    """`x` in the training phase, `alt` in the test phase.

    `x` and `alt` may be functions of no arguments, called only when needed. `training`
    is a Python bool or 0/1, a boolean tensor, or None for the learning phase: the
    `training` flag of the model being run (see `K.learning_phase()`).
    """
    if training is None or training is learning_phase():
        phase = common.current_learning_phase()
        chosen = _value(x if phase else alt)
        if not (_is_symbolic(chosen) or _is_symbolic(alt if phase else x)):
            return chosen
        # A model under construction: decide at run time, from its training flag.
        other = _value(alt if phase else x)
        train, test = (chosen, other) if phase else (other, chosen)
        train, test = (v if is_tensor(v) else ops.convert_to_tensor(v) for v in (train, test))
        return _TrainingSwitch()(train, test)
    if isinstance(training, (bool, int, np.bool_, np.integer)):
        return _value(x if training else alt)
    return switch(training, x, alt)


def in_test_phase(x, alt, training=None):
    """`x` in the test phase, `alt` in the training phase (see `in_train_phase`)."""
    return in_train_phase(alt, x, training=training)
