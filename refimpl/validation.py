"""The arguments users get wrong, checked where they are given, with Keras-style errors.

`refimpl.legacy` says how an argument that Keras 2 accepted maps onto Keras 3; this
module is its sibling for arguments that no Keras should accept. Keras 2 ran
`fit(batch_size=0)`, `fit(epochs=-1)` and `SGD(lr=-1)` without a word, and reported a
misspelt loss only at the first `fit`; refimpl raises at once, naming the argument,
what was expected and what was received. Everything Keras 2 accepted with a meaning
is still accepted (`tests/test_validation.py` checks both against tf_keras).

`RANGES` is the table of numeric arguments, by owner (a method, or "optimizer" for
every optimizer's constructor); `check(owner, arguments)` applies it. `check_names`
checks loss and metric names at `compile`, and `check_inputs` compares array inputs
with the model's inputs before any computation.

Example:

>>> check("fit", {"batch_size": 0})  # doctest: +SKIP
ValueError: `fit` expected `batch_size` to be an integer >= 1 or None, received 0.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from refimpl import _keras3_private
from refimpl._keras3 import keras3


@dataclass(frozen=True)
class Range:
    """A number between `low` and `high`, an integer if `integer`; None if `optional`."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    optional: bool = False
    high_open: bool = False  # `high` itself is excluded

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f">= {self.low:g}")
        if self.high is not None:
            bounds.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        text = f"{kind} {' and '.join(bounds)}".strip()
        return text + (" or None" if self.optional else "")

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.optional
        kind = numbers.Integral if self.integer else numbers.Real
        if isinstance(value, bool) or not isinstance(value, kind):
            return False
        below = self.low is not None and value < self.low
        above = self.high is not None and (
            value >= self.high if self.high_open else value > self.high
        )
        return not (below or above)


_POSITIVE_COUNT = Range(low=1, integer=True, optional=True)
_COUNT = Range(low=0, integer=True)
_RATE = Range(low=0)
_FRACTION = Range(low=0, high=1)
_MOMENT = Range(low=0, high=1, high_open=True)  # beta_1, beta_2: 1 would divide by 0

#: Owner -> argument -> the values that make sense. Optimizer arguments apply to
#: every optimizer class; a learning-rate schedule (not a number) is not range-checked.
RANGES: dict[str, dict[str, Range]] = {
    "fit": {
        "batch_size": _POSITIVE_COUNT,
        "epochs": _COUNT,
        "initial_epoch": _COUNT,
        "steps_per_epoch": _POSITIVE_COUNT,
        "validation_steps": _POSITIVE_COUNT,
        "validation_split": Range(low=0, high=1, high_open=True),
        "validation_freq": Range(low=1, integer=True),
    },
    "evaluate": {"batch_size": _POSITIVE_COUNT, "steps": _POSITIVE_COUNT},
    "predict": {"batch_size": _POSITIVE_COUNT, "steps": _POSITIVE_COUNT},
    "fit_generator": {
        "steps_per_epoch": _POSITIVE_COUNT,
        "epochs": _COUNT,
        "initial_epoch": _COUNT,
        "validation_steps": _POSITIVE_COUNT,
    },  # fmt: skip
    "optimizer": {
        "lr": _RATE,
        "learning_rate": _RATE,
        "decay": _RATE,
        "momentum": _FRACTION,
        "rho": _FRACTION,
        "epsilon": Range(low=0, optional=True),
        "beta_1": _MOMENT,
        "beta_2": _MOMENT,
        "schedule_decay": _RATE,
        "initial_accumulator_value": _RATE,
        "clipnorm": Range(low=0, optional=True),
        "clipvalue": Range(low=0, optional=True),
    },
}


#: The nonsense Keras 2 accepted without a word, and what followed; refimpl raises at
#: once instead. `tests/test_validation.py` runs each case on tf_keras (Keras 2's own
#: code) to show that it is accepted there. Every other case of `RANGES` Keras 2
#: rejected too, with its own words.
KERAS2_ACCEPTED: dict[str, str] = {
    "compile(loss='nope')": "the unknown name was reported at the first `fit`",
    "compile(metrics=['nope'])": "the unknown name was reported at the first `fit`",
    "fit(validation_split=1.5)": "a negative split index: slicing divided the data some other way",
    "SGD(lr=-1)": "gradient ascent: the loss grows",
    "RMSprop(rho=1.5)": "the average of squared gradients can turn negative: NaN weights",
    "Adam(beta_1=1.0)": "the bias correction divides by zero: NaN weights",
    "Adam(beta_2=-0.1)": "the second moment can turn negative: NaN weights",
    "Adam(epsilon=-1)": "the denominator can reach zero or change sign: infinite or reversed steps",
    "Dense(units=True)": "`int(True)`: one unit (any count of any layer took a bool)",
    "Dense(units=2.5)": "`int(2.5)`: two units",
    "LSTM(dropout=1.5)": "clamped to 1: every input dropped",
}

#: Layer arguments that count or measure something: integers or tuples of them (None
#: where the layer gives it a meaning, as `MaxPooling2D(strides=None)`).
COUNT_ARGUMENTS = frozenset({
    "units", "filters", "kernel_size", "strides", "pool_size", "input_dim", "output_dim",
    "dilation_rate", "size", "depth_multiplier", "n",
})  # fmt: skip


def check(owner: str, arguments: Mapping[str, Any]) -> None:
    """Raise ValueError for an argument of `owner` outside its range in `RANGES`."""
    for name, rule in RANGES.get(owner, {}).items():
        if name not in arguments:
            continue
        value = arguments[name]
        if owner == "optimizer" and not isinstance(value, (numbers.Number, str, type(None))):
            continue  # a schedule, a variable or a tensor: Keras 3 checks it
        if not rule.accepts(value):
            label = "an optimizer" if owner == "optimizer" else f"`{owner}`"
            raise ValueError(
                f"{label} expected `{name}` to be {rule.describe()}, received {value!r}."
            )


#: Layer arguments that choose an option by name, where the layer's default is a name.
OPTION_ARGUMENTS = frozenset({"padding", "data_format", "interpolation", "merge_mode"})

#: Layer arguments that are fractions of the units dropped (Keras 2 clamped an RNN's
#: into [0, 1] silently).
RATE_ARGUMENTS = frozenset({"rate", "dropout", "recurrent_dropout"})

#: Kinds of layer argument given by name, and how Keras 3 reads a name of each kind;
#: an argument is of a kind when it is named so (`activation`) or ends so
#: (`kernel_initializer`, `recurrent_activation`).
NAMED_KINDS: dict[str, Callable[[str], Any]] = {
    "activation": keras3.activations.get,
    "initializer": keras3.initializers.get,
    "regularizer": keras3.regularizers.get,
    "constraint": keras3.constraints.get,
}


def check_layer(
    owner: str, arguments: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> None:
    """A layer's counts (`COUNT_ARGUMENTS`) are integers, alone or in a tuple, its rates
    fractions, its options names where the layer's default is a name (`padding` of a
    convolution, not of `ZeroPadding2D`), and its activations, initializers,
    regularizers and constraints given by name exist."""
    for name in OPTION_ARGUMENTS & arguments.keys():
        value = arguments[name]
        if isinstance((defaults or {}).get(name), str) and not isinstance(value, (str, type(None))):
            raise TypeError(
                f"`{owner}` expected `{name}` to be a name such as "
                f"{defaults[name]!r}, received {value!r}."
            )
    for name, value in arguments.items():
        kind = name.rpartition("_")[2]
        get = NAMED_KINDS.get(kind)
        if get is not None and isinstance(value, str) and not _resolves(get, value):
            raise ValueError(
                f"`{owner}` expected `{name}` to be the name of a Keras {kind} (such as "
                f"{_EXAMPLES[kind]!r}), a function or an object; received {value!r}."
            )
    for name in RATE_ARGUMENTS & arguments.keys():
        if arguments[name] is not None and not _FRACTION.accepts(arguments[name]):
            raise ValueError(
                f"`{owner}` expected `{name}` to be {_FRACTION.describe()}, received "
                f"{arguments[name]!r}."
            )
    for name in COUNT_ARGUMENTS & arguments.keys():
        value = arguments[name]
        items = value if isinstance(value, (tuple, list)) else (value,)
        if not all(_is_count(item) for item in items):
            raise TypeError(
                f"`{owner}` expected `{name}` to be an integer or a tuple of integers, "
                f"received {value!r}."
            )


def _is_count(value: Any) -> bool:
    integer = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    return integer or value is None


_EXAMPLES = {
    "activation": "relu", "initializer": "glorot_uniform", "regularizer": "l2",
    "constraint": "max_norm",
}  # fmt: skip


def _resolves(get: Callable[[str], Any], name: str) -> bool:
    try:
        return get(name) is not None or not name
    except (ValueError, TypeError, KeyError):  # Keras 3 raises KeyError for some
        return False


def check_class_weight(class_weight: Any, classes: int | None) -> None:
    """`class_weight` maps class indices (0 .. classes - 1) to weights."""
    if class_weight is None:
        return
    if not isinstance(class_weight, Mapping):
        raise ValueError(
            "`fit` expected `class_weight` to be a dict of class index -> weight, received "
            f"{type(class_weight).__name__}."
        )
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral) or key < 0:
            raise ValueError(
                f"`fit` expected the keys of `class_weight` to be class indices (integers "
                f">= 0), received {key!r}."
            )
        if classes is not None and key >= classes:
            raise ValueError(
                f"`fit` expected the keys of `class_weight` to be class indices below "
                f"{classes} (the model's number of classes), received {key!r}."
            )
        if not isinstance(weight, numbers.Real) or isinstance(weight, bool):
            raise ValueError(
                f"`fit` expected `class_weight[{key!r}]` to be a number, received {weight!r}."
            )


def check_names(kind: str, value: Any, known: Callable[[str], bool]) -> None:
    """Every name in `value` (a name, or a list or dict of them) is a known `kind`."""
    if isinstance(value, str):
        if not known(value):
            raise ValueError(
                f"`compile` received an unknown {kind} name {value!r}; expected a {kind} "
                f"name such as {'mse' if kind == 'loss' else 'accuracy'!r}, a function or "
                f"a keras.{'losses.Loss' if kind == 'loss' else 'metrics.Metric'} instance."
            )
    elif isinstance(value, Mapping):
        for item in value.values():
            check_names(kind, item, known)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_names(kind, item, known)


def check_inputs(model: Any, x: Any, argument: str = "x") -> None:
    """Compare the arrays given as `argument` with the model's inputs: their number,
    rank, sizes and kind (numbers or strings).

    Only NumPy arrays are checked (datasets and generators are read later); a model
    that has no inputs yet (a Sequential model without an input shape) is skipped.
    """
    try:
        expected = list(model.inputs or [])
    except (AttributeError, ValueError):
        return
    if not expected:
        return
    arrays = x if isinstance(x, (list, tuple)) else [x]
    if isinstance(x, Mapping) or not all(isinstance(a, np.ndarray) for a in arrays):
        return
    where = f"model {model.name!r}"
    if len(arrays) != len(expected):
        raise ValueError(
            f"{where} expected {len(expected)} input array(s) in `{argument}`, received "
            f"{len(arrays)}."
        )
    for array, tensor in zip(arrays, expected, strict=True):
        shape = tuple(tensor.shape)
        name = _input_name(tensor)
        if array.ndim and not array.shape[0]:
            raise ValueError(
                f"{where}: input {name!r} expected at least one sample in `{argument}`, "
                f"received an empty array of shape {array.shape}."
            )
        if not _compatible(shape[1:], array.shape[1:]):
            raise ValueError(
                # "is incompatible with the layer": Keras 2's words for this error.
                f"{where}: input {name!r} is incompatible with the layer: expected arrays "
                f"of shape {shape} (None: any size) in `{argument}`, received an array of "
                f"shape {array.shape}."
            )
        if array.dtype.kind in "OUS" and "string" not in str(tensor.dtype):
            raise TypeError(
                f"{where}: input {name!r} expected numbers ({tensor.dtype}) in `{argument}`, "
                f"received an array of {array.dtype} values."
            )


def _input_name(tensor: Any) -> str:
    """The name the user gave the input (`Input(name=...)`), that of its InputLayer."""
    history = _keras3_private.keras_history(tensor)
    operation = getattr(history, "operation", None)
    return getattr(operation, "name", None) or getattr(tensor, "name", "input")


def _compatible(expected: tuple, received: tuple) -> bool:
    """Sizes equal where `expected` names one. As in Keras 2, a last axis of size 1 is
    left out of both before comparing (`(n,)` feeds an input of shape `(None, 1)`)."""
    expected, received = (s[:-1] if s[-1:] == (1,) else s for s in (expected, received))
    return len(expected) == len(received) and all(
        want is None or want == got for want, got in zip(expected, received, strict=True)
    )
