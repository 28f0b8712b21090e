"""When refimpl compiles a model with XLA.

XLA fuses a training step into one compiled program. Whether that pays depends on the
model and the device: measured on a 2-core CPU, it made the guides' VGG-like convnet
about 8x slower, their stacked LSTM about 2x faster and their small MLPs about even.
On GPUs and TPUs XLA is the usual win. The policy is therefore a table keyed by device
kind and model family, not a constant; `REFIMPL_XLA=0/1` overrides it for a process,
and `compile(jit_compile=...)` for one model.

The table weighs what a guide's `fit` call takes, compilation included; the
measurements behind it, and behind turning oneDNN on (`refimpl._keras3`), are on the
site's performance page ("Why XLA and oneDNN are used where they are").
"""

from __future__ import annotations

import functools
import os
from typing import Any

from refimpl._keras3 import tf

#: (device kind, model family) -> compile with XLA?
POLICY: dict[tuple[str, str], bool] = {
    # VGG-like convnet: about 8x slower with XLA; Conv1D: even per epoch, and the
    # compilation costs 6 s more.
    ("CPU", "convolutional"): False,
    # Stacked LSTMs: 1.7x faster per epoch once compiled, but XLA's compilations cost
    # 6 s or more, more than they save over the guides' 5 to 10 epochs (stacked LSTM, 5
    # epochs: about 9 s without, 14 s with); the functional LSTM models even; Embedding +
    # LSTM(128) 1.1x slower (the performance page has the numbers). Set REFIMPL_XLA=1 for
    # long runs.
    ("CPU", "recurrent"): False,
    # Small MLPs in the fused epoch loop: 1.5x slower with XLA on the step, 2.4x faster
    # with XLA on the whole loop, which takes seconds to compile.
    ("CPU", "dense"): False,
    ("GPU", "convolutional"): True,
    ("GPU", "recurrent"): True,
    ("GPU", "dense"): True,
    ("TPU", "convolutional"): True,
    ("TPU", "recurrent"): True,
    ("TPU", "dense"): True,
}

#: (device kind, model family) -> the fewest training steps of one `fit` call for which
#: the fused loops compile the whole loop with XLA although `POLICY` says no XLA: long
#: runs of small models, where XLA's per-step saving repays its compilation. Measured
#: on a 2-core AVX2 CPU (benchmarks/run.py, refimpl vs refimpl_xla_loop): the
#: walkthrough's MLP 100-32-1 at 32 batches an epoch went from 8.1 to 2.1 ms an epoch
#: (0.19 ms a step) for about 1.3 s more compilation, so XLA pays from about 7,000
#: steps; the guides' 20-epoch MLPs (160 steps) stay without.
LONG_RUN_XLA_STEPS: dict[tuple[str, str], int] = {
    ("CPU", "dense"): 10_000,
}

#: Device kind -> the longest sequence (time steps, known when the model is built) that
#: a recurrent layer with `unroll=False` unrolls all the same: the same cell
#: computations, as straight-line code instead of a `tf.while_loop`, whose per-step
#: overhead dominates short sequences on a CPU. Measured on a 2-core CPU, the guides'
#: stacked LSTMs (8 steps) trained 2.3 to 2.6 times faster per epoch with one thread
#: (about 1.5 times with two, benchmarks/run.py), for about the same first `fit` call.
#: Never on GPUs and TPUs: an unrolled LSTM or GRU cannot use cuDNN.
UNROLL_STEPS: dict[str, int] = {"CPU": 16, "GPU": 0, "TPU": 0}

#: Layer class names that decide a model's family, checked in this order.
FAMILY_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("convolutional", ("Conv", "Pooling2D", "Pooling3D")),
    ("recurrent", ("LSTM", "GRU", "SimpleRNN", "RNN")),
)


@functools.cache
def device_kind() -> str:
    """The accelerator TensorFlow will place work on: "TPU", "GPU" or "CPU"."""
    for kind in ("TPU", "GPU"):
        if tf.config.list_logical_devices(kind):
            return kind
    return "CPU"


def _layer_names(model: Any) -> list[str]:
    names = []
    for layer in getattr(model, "layers", []):
        names.append(type(layer).__name__)
        inner = getattr(layer, "layer", None)  # wrappers: TimeDistributed, Bidirectional
        if inner is not None:
            names.append(type(inner).__name__)
        names += _layer_names(layer) if hasattr(layer, "layers") else []
    return names


def model_family(model: Any) -> str:
    """ "convolutional", "recurrent" or "dense", from the model's layers."""
    names = _layer_names(model)
    for family, markers in FAMILY_MARKERS:
        if any(marker in name for name in names for marker in markers):
            return family
    return "dense"


def _override() -> bool | None:
    """`REFIMPL_XLA` as a yes/no, or None when unset."""
    value = os.environ.get("REFIMPL_XLA")
    if value is None:
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def use_xla(model: Any) -> bool:
    """Whether `compile` should pass `jit_compile=True` for this model here."""
    override = _override()
    if override is not None:
        return override
    return POLICY[(device_kind(), model_family(model))]


def unroll_recurrence(steps: int | None) -> bool:
    """Whether a recurrent layer over `steps` time steps (None: unknown) should unroll."""
    return steps is not None and 0 < steps <= UNROLL_STEPS[device_kind()]


def xla_for_long_run(model: Any, steps: int) -> bool:
    """Whether a fused loop of `steps` training steps of a model compiled without XLA
    should still compile the whole loop with XLA (see `LONG_RUN_XLA_STEPS`)."""
    if _override() is not None:  # REFIMPL_XLA=0/1 decides everything
        return False
    least = LONG_RUN_XLA_STEPS.get((device_kind(), model_family(model)))
    return least is not None and steps >= least
