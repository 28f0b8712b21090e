"""The protocol of refimpl's fast paths, and the checks and switches they share.

A fast path runs one training method (`fit`, `fit_generator`, `predict`) faster than
Keras 3's step-by-step loop, with the same results, for the arguments it can honour.
Each is an object with

- `name`: the method it stands in for, also its part of the `compiled` cache;
- `why_not(model, call) -> str | None`: why it cannot run this call, None when it
  can; the model records it (`fit_fallback_reason` for `fit` and `fit_generator`,
  `predict_fallback_reason` for `predict`);
- `run(model, call)`: the method's result, computed the fast way.

Each path prepares its own data: the trainer asks `why_not`, then calls `run` or
Keras 3's method with the same `Call`, alike for the three methods:

    model.fit_fallback_reason = FAST_FIT.why_not(model, call) or ""
    if not model.fit_fallback_reason:
        return FAST_FIT.run(model, call)
    return keras3_fit(**call.arguments)

`Call` holds the call's arguments by their Keras 3 names only, and the kind of its
data, decided once (`refimpl.training.data`); for `fit_generator`, `x` is Keras 2's
enqueuer (`refimpl.training.feed.Feed`), which the generator path opens with its own
share of the queue. Three switches send every call to Keras 3's
path: `REFIMPL_FAST_FIT=0` for a process, `with fast_paths(False):` for a block of
code (the tests' way to run Keras 3's path beside the fast one), and the model's own
settings (`run_eagerly`, a distribution strategy, ...).
"""

from __future__ import annotations

import abc
import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from refimpl import _keras3_private, compilation
from refimpl._keras3 import keras3, tf
from refimpl.training.data import DataKind, kind_of

#: The environment variable that turns the fast paths off ("0") for a process.
ENV_SWITCH = "REFIMPL_FAST_FIT"
#: The environment variable that says how a model compiled with XLA uses it here.
ENV_XLA = "REFIMPL_FAST_FIT_XLA"
#: XLA modes: compile the whole fused loop, only the step it calls, or nothing.
XLA_MODES = ("step", "loop", "off")

_TFTrainer = _keras3_private.TensorFlowTrainer
_allowed = contextvars.ContextVar("refimpl_fast_paths", default=True)


@dataclass(frozen=True)
class Call:
    """One call of a training method: its arguments by Keras 3 name, `x` among them."""

    arguments: dict[str, Any]
    #: What `arguments["x"]` is, decided once for the whole call (by `Call.of`).
    data: DataKind

    @classmethod
    def of(cls, arguments: dict[str, Any]) -> Call:
        return cls(arguments, kind_of(arguments.get("x")))

    def without(self, *names: str) -> Call:
        """This call without the arguments `names` (`x` stays)."""
        return Call(self.others(*names), self.data)

    def replacing(self, **changes: Any) -> Call:
        """This call with arguments changed or added (the kind of `x` decided anew)."""
        return Call.of({**self.arguments, **changes})

    def others(self, *named: str) -> dict[str, Any]:
        """The arguments other than `named`."""
        return {name: value for name, value in self.arguments.items() if name not in named}


class FastPath(abc.ABC):
    """A faster way to run one training method for the calls it can honour."""

    #: The method it stands in for ("fit", "fit_generator", "predict").
    name: str

    @abc.abstractmethod
    def why_not(self, model: Any, call: Call) -> str | None:
        """Why this path cannot run `call` on `model`; None when it can."""

    @abc.abstractmethod
    def run(self, model: Any, call: Call) -> Any:
        """What the method returns for `call`; only when `why_not` returned None."""


@contextlib.contextmanager
def fast_paths(enabled: bool) -> Iterator[None]:
    """Within the block, let the fast paths run (True) or keep Keras 3's paths (False)."""
    token = _allowed.set(bool(enabled))
    try:
        yield
    finally:
        _allowed.reset(token)


def enabled() -> bool:
    """Whether the fast paths may be used in this process (`REFIMPL_FAST_FIT` not 0)."""
    value = os.environ.get(ENV_SWITCH, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def xla_mode() -> str:
    """How an XLA-compiled model runs its fused loops: "step", "loop" or "off"."""
    mode = os.environ.get(ENV_XLA, "step").strip().lower()
    if mode not in XLA_MODES:
        raise ValueError(f"{ENV_XLA} must be one of {', '.join(XLA_MODES)}; received {mode!r}.")
    return mode


def jit_mode(model: Any, steps: int) -> str:
    """How a fused loop of `steps` training steps uses XLA: "step", "loop" or "off"."""
    if model.jit_compile:
        return xla_mode()
    if xla_mode() != "off" and compilation.xla_for_long_run(model, steps):
        return "loop"
    return "off"


# -- checks: lists of (failed, reason), the first failed one is the answer ------------
Checks = list[tuple[bool, str]]

#: Callback methods called once per batch by Keras 3's `fit` (and its validation).
BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
)  # fmt: skip

#: Keras 3 callbacks that define batch hooks which do nothing under some settings:
#: class -> whether this instance is content with epoch-level calls.
EPOCH_LEVEL_WHEN: dict[type, Callable[[Any], bool]] = {
    keras3.callbacks.ProgbarLogger: lambda callback: True,  # the fused paths drive it per epoch
    keras3.callbacks.ModelCheckpoint: lambda callback: callback.save_freq == "epoch",
    keras3.callbacks.BackupAndRestore: lambda callback: callback.save_freq == "epoch",
}


def first_reason(checks: Checks) -> str | None:
    """The reason of the first failed check, or None when all pass."""
    return next((reason for failed, reason in checks if failed), None)


def runtime_checks(model: Any) -> Checks:
    """The checks on the process and the model that every compiled fast path needs."""
    return [
        (not _allowed.get(), "fast_paths(False)"),
        (not enabled(), f"{ENV_SWITCH}=0"),
        (getattr(model, "run_eagerly", False), "run_eagerly=True"),
        (_keras3_private.distribute_strategy(model) is not None, "a distribution strategy"),
        (tf.distribute.has_strategy(), "a distribution strategy"),
    ]


def training_checks(model: Any) -> Checks:
    """The checks on the model and the process that any compiled training loop needs."""
    return runtime_checks(model) + [
        (not getattr(model, "compiled", False), "the model is not compiled"),
        (
            type(model).train_step is not _TFTrainer.train_step
            or type(model).test_step is not _TFTrainer.test_step,
            "a custom train_step or test_step",
        ),
        (bool(keras3.config.max_epochs()), "keras.config.max_epochs() is set"),
    ]


def callback_checks(callbacks: Any) -> Checks:
    """A check per callback that wants to see individual batches."""
    if isinstance(callbacks, keras3.callbacks.CallbackList):
        return [(True, "callbacks is a CallbackList")]
    return [
        (True, f"{type(callback).__name__} has batch-level hooks")
        for callback in (keras3.tree.flatten(callbacks) if callbacks else [])
        if _callback_needs_batches(callback)
    ]


def _callback_needs_batches(callback: Any) -> bool:
    is_default = _keras3_private.is_default
    for cls, epoch_level in EPOCH_LEVEL_WHEN.items():
        if isinstance(callback, cls) and epoch_level(callback):
            # Only the hooks of the Keras 3 class itself are known to be idle.
            return any(
                not is_default(getattr(callback, hook))
                and getattr(type(callback), hook, None) is not getattr(cls, hook, None)
                for hook in BATCH_HOOKS
            )
    return any(not is_default(getattr(callback, hook)) for hook in BATCH_HOOKS)


__all__ = [
    "ENV_SWITCH", "ENV_XLA", "XLA_MODES", "Call", "FastPath", "fast_paths", "enabled",
    "xla_mode", "jit_mode", "first_reason", "runtime_checks", "training_checks",
    "callback_checks",
]  # fmt: skip
