"""Performance: the guides' models against a hand-written baseline, in the same run.

A machine's speed says nothing about an implementation, so nothing here is timed in
absolute terms. Each of the guides' models (`MODELS`, from the catalogue `models.py`)
is built by the implementation under test and, from the same description and the same
initial weights, by a baseline that does the same arithmetic without Keras
(`baselines.py`: a TensorFlow training loop for implementations on TensorFlow, NumPy
otherwise). Three ratios per model,
implementation / baseline, are recorded (`record_property("ratios", ...)`, shown in
the conformance report) and must stay below the generous ceilings of
`[performance.ceilings]` in `thresholds.toml`:

- `fit`: time per epoch inside one `model.fit` call, against one epoch of the
  baseline's loop. The baseline's epochs run between the implementation's (from a
  callback), and the ratio is the median of the per-epoch ratios, so a load that comes
  and goes slows both sides of each ratio alike. The first epoch is left out.
- `latency`: one `model.predict_on_batch` on a single sample, against the baseline's
  forward pass; calls alternate, and the medians are compared.
- `memory`: growth of the process's peak resident memory (Linux's VmHWM, reset before
  each measurement, after freed memory is handed back to the system) during the
  model's first `fit` epoch, tracing and compiling included, against the baseline's
  first epoch. Growth below `[performance] memory_floor_mib` counts as that floor:
  caches that whichever side runs first fills (oneDNN's, for example) make smaller
  differences noise. Skipped where the peak cannot be reset (not Linux).

Two more checks keep the comparison honest: the baseline's forward pass must give the
model's predictions from the model's weights (the same arithmetic), and the NumPy
baseline's training steps must match the TensorFlow one's.

With pytest-benchmark installed, the timings also go through its `benchmark` fixture
(latency call by call; the interleaved fit as one round, with the per-epoch medians and
the ratio in `extra_info`), so `--benchmark-json` saves them; without it, or with
`--benchmark-disable`, the tests measure the same way on their own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import importlib.util
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conformance import thresholds
from conformance.suite import models
from conformance.suite.baselines import (
    BASELINES,
    NumpyBaseline,
    TensorFlowBaseline,
    initial_weights,
)
from conformance.suite.models import Spec, build_sequential, compile_model, make_data

SETTINGS = thresholds.load()["performance"]
CEILINGS = SETTINGS["ceilings"]

#: The guides' models, with the guides' optimizers and batch sizes. The VGG-like
#: convnet reads 32x32x3 images instead of the guide's 100x100x3, and the sequence
#: models the sizes of the data on this project's pages.
MODELS: list[Spec] = [
    models.mlp_multiclass(),
    models.mlp_binary(),
    models.vgg_convnet(image_shape=(32, 32, 3)),
    models.lstm_classifier(),
    models.stacked_lstm(),
    models.conv1d_classifier(),
]
MODEL_IDS = [spec.name for spec in MODELS]


# --- measuring ------------------------------------------------------------------------------

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field_name: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(f"expected {field_name} in {_STATUS}, found none")


def peak_memory_supported() -> tuple[bool, str]:
    """Whether this process can reset and read its peak resident memory, and if not, why."""
    try:
        _CLEAR_REFS.write_text("5")
        _status_kib("VmHWM")
    except (OSError, KeyError) as error:
        return False, f"peak resident memory cannot be reset and read here: {error}"
    return True, ""


@functools.cache
def _malloc_trim() -> Callable[[int], int]:
    """glibc's malloc_trim, or a stand-in that does nothing where there is none."""
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    return trim if trim is not None else (lambda pad: 0)


def peak_growth_mib(action: Callable[[], Any]) -> float:
    """How far `action` raises this process's peak resident memory above its current one.

    Memory that earlier work freed but the allocator kept would be reused without
    showing as growth, favouring whatever is measured later; it is handed back to the
    system first (glibc's malloc_trim), so each side's allocations count in full.
    """
    gc.collect()
    _malloc_trim()(0)
    _CLEAR_REFS.write_text("5")  # VmHWM := VmRSS
    before = _status_kib("VmRSS")
    action()
    return (_status_kib("VmHWM") - before) / 1024


def baseline_kind(keras: Any) -> str:
    """ "tensorflow" for implementations on TensorFlow (when it is installed), else "numpy"."""
    backend = getattr(getattr(keras, "backend", None), "backend", None)
    name = backend() if callable(backend) else "tensorflow"
    on_tensorflow = name == "tensorflow" and importlib.util.find_spec("tensorflow") is not None
    return "tensorflow" if on_tensorflow else "numpy"


def _fit_kwargs(spec: Spec) -> dict[str, Any]:
    return {"batch_size": spec.batch_size, "verbose": 0}


@dataclass
class Bench:
    """One model, built by the implementation and by the baseline, each trained one epoch."""

    spec: Spec
    model: Any
    baseline: Any
    x: np.ndarray
    y: np.ndarray
    memory_mib: dict[str, float]  # "implementation" / "baseline" -> peak growth (nan: unknown)


class Benches:
    """The models of one implementation, each built once and shared by its tests."""

    def __init__(self, keras: Any):
        self.keras = keras
        self.baseline_class = BASELINES[baseline_kind(keras)]
        self.memory_supported = peak_memory_supported()[0]
        self._built: dict[str, Bench] = {}
        self._warmed = False

    def __getitem__(self, spec: Spec) -> Bench:
        if spec.name not in self._built:
            self._warm_up()
            self._built[spec.name] = self._build(spec)
        return self._built[spec.name]

    def _measure(self, action: Callable[[], Any]) -> float:
        if self.memory_supported:
            return peak_growth_mib(action)
        action()
        return float("nan")

    def _build(self, spec: Spec) -> Bench:
        """Build both sides from the same weights; measure memory over their first epoch
        (tracing included: what a user's first `fit` costs)."""
        x, y = make_data(spec, SETTINGS["samples"][spec.name], seed=SETTINGS["seed"])
        model = compile_model(self.keras, build_sequential(self.keras, spec), spec)
        weights = model.get_weights()
        holder: dict[str, Any] = {}

        def start_baseline() -> None:
            holder["baseline"] = self.baseline_class(spec, weights, x, y)
            holder["baseline"].fit_epoch()

        memory = {
            "baseline": self._measure(start_baseline),
            "implementation": self._measure(lambda: model.fit(x, y, epochs=1, **_fit_kwargs(spec))),
        }
        return Bench(spec, model, holder["baseline"], x, y, memory)

    def _warm_up(self) -> None:
        """Train a tiny model once each way, so that what only the first model in a
        process pays (thread pools, lazily imported modules) falls on no measurement."""
        if self._warmed:
            return
        spec = models.tiny_classifier()
        x, y = make_data(spec, 8, seed=0)
        model = compile_model(self.keras, build_sequential(self.keras, spec), spec)
        model.fit(x, y, epochs=1, **_fit_kwargs(spec))
        model.predict_on_batch(x[:1])
        baseline = self.baseline_class(spec, model.get_weights(), x, y)
        baseline.fit_epoch()
        baseline.predict(x[:1])
        self._warmed = True


@pytest.fixture(scope="module")
def benches(keras) -> Benches:
    """The implementation's models and their baselines, built on first use."""
    return Benches(keras)


@pytest.fixture
def benchmark_or_none(request):
    """pytest-benchmark's `benchmark` fixture when it is installed, else None.

    Disabled (`--benchmark-disable`, or under xdist) it runs what it is given once;
    the tests then take the rest of their samples themselves."""
    try:
        return request.getfixturevalue("benchmark")
    except pytest.FixtureLookupError:
        return None


def _once(benchmark: Any, group: str, action: Callable[[], Any]) -> Any:
    """Run `action` once, through pytest-benchmark when it is there."""
    if benchmark is None:
        return action()
    benchmark.group = group
    return benchmark.pedantic(action, rounds=1, iterations=1)


def _record(record_property, benchmark, name: str, ratio: float, details: dict) -> None:
    record_property("ratios", {name: ratio})
    if benchmark is not None:
        benchmark.extra_info.update({"ratio": ratio, **details})


def _assert_ratio(name: str, ratio: float, ceiling: float, details: str) -> None:
    assert ratio <= ceiling, (
        f"{name}: expected at most {ceiling}x the baseline, received {ratio:.2f}x ({details})"
    )


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", MODELS, ids=MODEL_IDS)
def test_baseline_matches_model(benches, spec):
    """From the model's weights, the baseline predicts what the model predicts: the
    baseline does the same arithmetic, so the ratios compare like with like."""
    bench = benches[spec]
    baseline = benches.baseline_class(spec, bench.model.get_weights(), bench.x, bench.y)
    sample = bench.x[: SETTINGS["check_samples"]]
    expected = np.asarray(bench.model.predict_on_batch(sample))
    np.testing.assert_allclose(
        baseline.predict(sample), expected, rtol=SETTINGS["check_rtol"],
        atol=SETTINGS["check_atol"], err_msg=f"{spec.name}: baseline against the model",
    )  # fmt: skip


@pytest.mark.parametrize("spec", MODELS, ids=MODEL_IDS)
def test_numpy_baseline_matches_tensorflow(spec):
    """Two training steps (dropout left out) give the same weights in NumPy and in
    TensorFlow: the fallback baseline trains as the TensorFlow one does."""
    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("TensorFlow is not installed: nothing to compare the NumPy baseline with")
    x, y = make_data(spec, 2 * spec.batch_size, seed=SETTINGS["seed"])
    start = initial_weights(spec, seed=SETTINGS["seed"])
    numpy_side = NumpyBaseline(spec, start, x, y)
    tensorflow_side = TensorFlowBaseline(spec, start, x, y)
    for batch in (slice(0, spec.batch_size), slice(spec.batch_size, None)):
        for side in (numpy_side, tensorflow_side):
            side.step(x[batch], y[batch], dropout=False)
    for index, (ours, theirs, before) in enumerate(
        zip(numpy_side.get_weights(), tensorflow_side.get_weights(), start, strict=True)
    ):
        # Compared relative to how far the step moved the weight: float32 gradients of
        # different summation orders agree to a few parts in 10^4 of the change.
        moved = float(np.abs(theirs - before).max()) or 1.0
        difference = float(np.abs(ours - theirs).max())
        assert difference <= SETTINGS["numpy_step_rtol"] * moved, (
            f"{spec.name}: weight {index}: NumPy and TensorFlow steps differ by {difference:.3g}, "
            f"expected at most {SETTINGS['numpy_step_rtol']} of the change {moved:.3g}"
        )


@pytest.mark.parametrize("spec", MODELS, ids=MODEL_IDS)
def test_fit_epoch_time(keras, benches, spec, record_property, benchmark_or_none):
    """Time per epoch of `model.fit` against the baseline's epoch, interleaved."""
    bench = benches[spec]
    warmup, rounds = SETTINGS["fit_warmup_epochs"], SETTINGS["fit_rounds"]
    ours: list[float] = []
    theirs: list[float] = []

    class Interleave(keras.callbacks.Callback):
        """Times each epoch, then runs one baseline epoch before the next begins."""

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            ours.append(time.perf_counter() - self.started)
            started = time.perf_counter()
            bench.baseline.fit_epoch()
            theirs.append(time.perf_counter() - started)

    def measure() -> None:
        bench.model.fit(bench.x, bench.y, epochs=warmup + rounds, callbacks=[Interleave()],
                        **_fit_kwargs(spec))  # fmt: skip

    _once(benchmark_or_none, "fit epoch", measure)
    ours, theirs = ours[warmup:], theirs[warmup:]
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    details = {"epoch_s": statistics.median(ours), "baseline_epoch_s": statistics.median(theirs),
               "steps_per_epoch": len(bench.x) // spec.batch_size}  # fmt: skip
    _record(record_property, benchmark_or_none, f"{spec.name} fit", ratio, details)
    _assert_ratio(f"{spec.name} fit", ratio, CEILINGS["fit"], _describe(details))


@pytest.mark.parametrize("spec", MODELS, ids=MODEL_IDS)
def test_predict_latency(benches, spec, record_property, benchmark_or_none):
    """Batch-1 `predict_on_batch` against the baseline's forward pass, calls alternating."""
    bench = benches[spec]
    one = bench.x[:1]
    warmup, rounds = SETTINGS["latency_warmup_calls"], SETTINGS["latency_rounds"]
    ours: list[float] = []
    theirs: list[float] = []

    def timed(call: Callable[[], Any], into: list[float]) -> Callable[[], None]:
        def run() -> None:
            started = time.perf_counter()
            call()
            into.append(time.perf_counter() - started)

        return run

    ours_call = timed(lambda: bench.model.predict_on_batch(one), ours)
    theirs_call = timed(lambda: bench.baseline.predict(one), theirs)
    if benchmark_or_none is not None:
        # The baseline's call runs as the untimed setup of each of the model's calls.
        benchmark_or_none.group = "batch-1 latency"
        benchmark_or_none.pedantic(ours_call, setup=theirs_call, rounds=rounds,
                                   warmup_rounds=warmup)  # fmt: skip
    while len(ours) < warmup + rounds:
        theirs_call()
        ours_call()
    ours, theirs = ours[warmup:], theirs[warmup:]
    ratio = statistics.median(ours) / statistics.median(theirs)
    details = {"call_s": statistics.median(ours), "baseline_call_s": statistics.median(theirs)}
    _record(record_property, benchmark_or_none, f"{spec.name} latency", ratio, details)
    _assert_ratio(f"{spec.name} latency", ratio, CEILINGS["latency"], _describe(details))


@pytest.mark.parametrize("spec", MODELS, ids=MODEL_IDS)
def test_peak_memory(benches, spec, record_property):
    """Peak resident memory added by the first `fit` epoch, against the baseline's."""
    supported, why = peak_memory_supported()
    if not supported:
        pytest.skip(why)
    bench = benches[spec]
    floor = SETTINGS["memory_floor_mib"]
    ours, theirs = bench.memory_mib["implementation"], bench.memory_mib["baseline"]
    ratio = max(ours, floor) / max(theirs, floor)
    details = {"growth_mib": ours, "baseline_growth_mib": theirs, "floor_mib": floor}
    _record(record_property, None, f"{spec.name} memory", ratio, details)
    _assert_ratio(f"{spec.name} memory", ratio, CEILINGS["memory"], _describe(details))


def _describe(details: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.4g}" for key, value in details.items())
