"""Keras 2's backend configuration and learning phase, kept in one place.

Keras 2 split its backend into `common` (the settings every backend shares: fuzz
factor, default float type, image data format) and one module per engine. refimpl
keeps that split. The settings are Keras 3's own, so a value set here through Keras 2's
`K.set_floatx` is the value Keras 3 layers use.

The learning phase lives here too: `clear_session` (in `tensorflow_backend`) and the
backend functions (in `refimpl.backend`) both need it.

Example:

>>> from refimpl.backend import common
>>> common.image_dim_ordering()  # Keras 1's name for 'channels_last'
'tf'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from refimpl import _keras3_private
from refimpl._keras3 import keras3, tf

__all__ = [
    "LearningPhase",
    "cast_to_floatx",
    "epsilon",
    "floatx",
    "image_data_format",
    "image_dim_ordering",
    "learning_phase",
    "learning_phase_scope",
    "normalize_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "set_image_dim_ordering",
    "set_learning_phase",
]

# Keras 2 accepted exactly these float types for `set_floatx`.
_FLOAT_TYPES = ("float16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")
# Keras 1 named the data formats after the engine whose convention they followed.
_DIM_ORDERINGS = {"tf": "channels_last", "th": "channels_first"}


def epsilon() -> float:
    """The fuzz factor added to denominators and used to clip probabilities (1e-7)."""
    return keras3.config.epsilon()


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by `epsilon()`."""
    keras3.config.set_epsilon(float(value))


def floatx() -> str:
    """The default float type, as a string: `'float32'` unless changed."""
    return keras3.config.floatx()


def set_floatx(value: str) -> None:
    """Set the default float type to `'float16'`, `'float32'` or `'float64'`."""
    if value not in _FLOAT_TYPES:
        raise ValueError(f"`set_floatx` expects one of {_FLOAT_TYPES}; received {value!r}.")
    keras3.config.set_floatx(value)


def cast_to_floatx(x: Any) -> Any:
    """Cast a NumPy array (or tensor) to the default float type.

    A NumPy array or Python number gives a NumPy array, as in Keras 2; a tensor gives
    a tensor.
    """
    if isinstance(x, (tf.Tensor, tf.Variable, keras3.Variable, keras3.KerasTensor)):
        return keras3.ops.cast(x, floatx())
    return np.asarray(x, dtype=floatx())


def image_data_format() -> str:
    """The default image data format: `'channels_last'` or `'channels_first'`."""
    return keras3.config.image_data_format()


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format (`'channels_last'` or `'channels_first'`)."""
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"`set_image_data_format` expects one of {_DATA_FORMATS}; received {data_format!r}."
        )
    keras3.config.set_image_data_format(data_format)


def normalize_data_format(value: str | None) -> str:
    """`None` means the configured default; otherwise validate and lower-case `value`."""
    if value is None:
        return image_data_format()
    normalized = str(value).lower()
    if normalized not in _DATA_FORMATS:
        raise ValueError(f"`data_format` must be one of {_DATA_FORMATS}; received {value!r}.")
    return normalized


def image_dim_ordering() -> str:
    """Keras 1's name for the image data format: `'tf'` (channels last) or `'th'`."""
    current = image_data_format()
    return next(name for name, fmt in _DIM_ORDERINGS.items() if fmt == current)


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Keras 1's setter: `'tf'` means `'channels_last'`, `'th'` means `'channels_first'`."""
    if dim_ordering not in _DIM_ORDERINGS:
        raise ValueError(
            f"`set_image_dim_ordering` expects 'tf' or 'th'; received {dim_ordering!r}. "
            "Keras 2 spells these `set_image_data_format('channels_last')` and "
            "`set_image_data_format('channels_first')`."
        )
    set_image_data_format(_DIM_ORDERINGS[dim_ordering])


# ----------------------------------------------------------------------------------
# Learning phase
# ----------------------------------------------------------------------------------

# The value given to `set_learning_phase`; None means "not set".
_forced_phase: int | None = None


class LearningPhase:
    """The one symbolic learning-phase input of Keras 2: 0 is test, 1 is training.

    Keras 2 code feeds it to a backend function (`K.function([x, K.learning_phase()],
    ...)` called as `f([data, 1])`). Converting it to `int` or `bool` gives the phase in
    force now: the one set by `set_learning_phase`, else the `training` flag of the
    Keras 3 layer call in progress, else 0.
    """

    def __int__(self) -> int:
        return current_learning_phase()

    __index__ = __int__

    def __bool__(self) -> bool:
        return bool(current_learning_phase())

    def __repr__(self) -> str:
        return f"<learning_phase placeholder, now {current_learning_phase()}>"


_LEARNING_PHASE = LearningPhase()


def learning_phase() -> LearningPhase:
    """The learning-phase placeholder, to feed to `K.function` or test with `int()`."""
    return _LEARNING_PHASE


def call_context_training() -> bool | None:
    """The `training` flag of the Keras 3 layer call in progress, if any.

    Keras 3 keeps it in a private call context; reading it lets a backend function
    called inside a layer (a `Lambda`, say) see the phase the model was called with,
    as Keras 2's learning phase did.
    """
    context = _keras3_private.global_state.get_global_attribute("current_call_ctx")
    return getattr(context, "training", None)


def current_learning_phase() -> int:
    """The learning phase in force now, as 0 or 1 (see `LearningPhase`)."""
    training = call_context_training()
    if training is not None and not isinstance(training, (tf.Tensor, keras3.KerasTensor)):
        return int(bool(training))
    return 0 if _forced_phase is None else _forced_phase


def learning_phase_value(value: Any) -> int:
    """Validate a value fed for the learning phase and return it as 0 or 1."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, (bool, int, float, np.bool_, np.number)) and value in (0, 1):
        return int(value)
    raise ValueError(f"The learning phase must be 0 (test) or 1 (training); received {value!r}.")


def set_learning_phase(value: int) -> None:
    """Fix the learning phase to 0 (test) or 1 (training) until `clear_session`.

    It decides which branch `K.in_train_phase` takes outside a layer call and the
    mode in which a `K.function` without a learning-phase input runs its model. Keras 3
    models called directly still follow their own `training` argument.
    """
    global _forced_phase
    _forced_phase = learning_phase_value(value)


def reset_learning_phase() -> None:
    """Forget a phase set by `set_learning_phase` (part of `clear_session`)."""
    global _forced_phase
    _forced_phase = None


@contextlib.contextmanager
def learning_phase_scope(value: int) -> Iterator[None]:
    """Within the block, behave as after `set_learning_phase(value)`."""
    global _forced_phase
    previous = _forced_phase
    _forced_phase = learning_phase_value(value)
    try:
        yield
    finally:
        _forced_phase = previous
