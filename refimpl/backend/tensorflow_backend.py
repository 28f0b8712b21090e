"""Keras 2's `keras.backend.tensorflow_backend`: sessions, on a TensorFlow without them.

Keras 2 ran every model in a global `tf.Session`, and scripts configured TensorFlow by
handing it one:

    config = tf.compat.v1.ConfigProto()
    config.gpu_options.per_process_gpu_memory_fraction = 0.3
    set_session(tf.compat.v1.Session(config=config))

TensorFlow 2 executes eagerly and has no global session; the same settings are made
process-wide through `tf.config`. `set_session` reads the session's `ConfigProto` and
applies each field it can through its TensorFlow 2 equivalent (the `_OPTIONS` table).
A field it cannot honour raises an error that names the field and what to use
instead; nothing is dropped silently.

In Keras 2.2 this module also held every `K.*` function; they are reachable here too
(`from keras.backend.tensorflow_backend import mean` works), forwarded to
`refimpl.backend`.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refimpl._keras3 import keras3, tf
from refimpl.backend import common

__all__ = ["clear_session", "get_session", "set_session"]

_BEFORE_ANY_MODEL = (
    "Call `set_session` at the top of the script, before building, training or running "
    "any model or tensor: TensorFlow 2 fixes these settings when its runtime starts."
)


def get_session() -> Any:
    """Keras 2 returned the global TensorFlow session; TensorFlow 2 has none.

    Raises:
        RuntimeError: always, saying what to use instead.
    """
    raise RuntimeError(
        "`get_session()` is not available: TensorFlow 2 runs eagerly and has no global "
        "session that Keras models run in. Values are computed directly "
        "(`K.get_value(x)`, `tensor.numpy()`, `model.predict(x)`); variables are "
        "initialised when they are created, so `sess.run(tf.global_variables_initializer())` "
        "needs no replacement; process settings are made with `tf.config` or with "
        "`set_session(tf.compat.v1.Session(config=...))`, which applies a ConfigProto."
    )


def clear_session() -> None:
    """Reset Keras's global state: layer names, the graph of symbolic tensors, the phase."""
    keras3.backend.clear_session()
    common.reset_learning_phase()


def _get_available_gpus() -> list[str]:
    """Names of the GPUs TensorFlow will use, such as `'/device:GPU:0'`.

    As in Keras 2, asking starts TensorFlow's runtime: call `set_session` first.
    """
    return [device.name for device in tf.config.list_logical_devices("GPU")]


# ----------------------------------------------------------------------------------
# set_session: ConfigProto fields -> tf.config
# ----------------------------------------------------------------------------------


def _apply(field: str, current: Any, wanted: Any, setter: Callable[[], None]) -> None:
    """Run `setter` unless the setting already has the wanted value.

    TensorFlow refuses to change device and thread settings once its runtime has
    started; skipping an unchanged setting lets a script call `set_session` twice.
    """
    if current == wanted:
        return
    try:
        setter()
    except RuntimeError as error:
        raise RuntimeError(
            f"`set_session` cannot apply the ConfigProto field `{field}` any more: "
            f"TensorFlow's runtime is already initialised ({error}). {_BEFORE_ANY_MODEL}"
        ) from error


def _gpus() -> list[Any]:
    return tf.config.list_physical_devices("GPU")


def _gpu_total_memory(gpu: Any) -> int:
    """Total memory of a physical GPU in bytes, read without starting TensorFlow.

    TensorFlow reports a GPU's memory only once its runtime has started, which is too
    late to limit it; the CUDA driver answers without creating a context. TensorFlow
    numbers CUDA GPUs in the driver's order, so the index in the device name is the
    CUDA ordinal.
    """
    ordinal = int(gpu.name.rsplit(":", 1)[-1])
    library = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        cuda = ctypes.CDLL(library)
        device, total = ctypes.c_int(), ctypes.c_size_t()
        if (
            cuda.cuInit(0) == 0
            and cuda.cuDeviceGet(ctypes.byref(device), ordinal) == 0
            and cuda.cuDeviceTotalMem_v2(ctypes.byref(total), device) == 0
        ):
            return total.value
    except (OSError, AttributeError):
        pass
    raise RuntimeError(
        f"`set_session` cannot read the total memory of {gpu.name} from the CUDA driver "
        f"({library}), so it cannot turn `gpu_options.per_process_gpu_memory_fraction` into "
        "a limit. Set the limit in megabytes instead: `tf.config."
        "set_logical_device_configuration(gpu, [tf.config.LogicalDeviceConfiguration("
        "memory_limit=...)])`."
    )


def _memory_fraction(fraction: float) -> Callable[[], None]:
    if not 0.0 < fraction <= 1.0:
        raise ValueError(
            "`gpu_options.per_process_gpu_memory_fraction` must be in (0, 1] on TensorFlow 2 "
            f"(a fraction above 1 asked TensorFlow 1 for unified memory); received {fraction}."
        )
    plans = []
    for gpu in _gpus():
        megabytes = int(fraction * _gpu_total_memory(gpu) / 2**20)
        wanted = [tf.config.LogicalDeviceConfiguration(memory_limit=megabytes)]
        plans.append((gpu, wanted))

    def apply() -> None:
        for gpu, wanted in plans:
            _apply(
                "gpu_options.per_process_gpu_memory_fraction",
                tf.config.get_logical_device_configuration(gpu),
                wanted,
                lambda gpu=gpu, wanted=wanted: tf.config.set_logical_device_configuration(
                    gpu, wanted
                ),
            )

    return apply


def _allow_growth(flag: bool) -> Callable[[], None]:
    def apply() -> None:
        for gpu in _gpus():
            _apply(
                "gpu_options.allow_growth",
                tf.config.experimental.get_memory_growth(gpu),
                bool(flag),
                lambda gpu=gpu: tf.config.experimental.set_memory_growth(gpu, bool(flag)),
            )

    return apply


def _visible_gpus(field: str, wanted: Callable[[list[Any]], list[Any]]) -> Callable[[], None]:
    gpus = _gpus()
    visible = wanted(gpus) if gpus else []

    def apply() -> None:
        if gpus:
            _apply(
                field,
                tf.config.get_visible_devices("GPU"),
                visible,
                lambda: tf.config.set_visible_devices(visible, "GPU"),
            )

    return apply


def _visible_device_list(text: str) -> Callable[[], None]:
    def choose(gpus: list[Any]) -> list[Any]:
        try:
            return [gpus[int(index)] for index in text.split(",")]
        except (ValueError, IndexError):
            raise ValueError(
                f"`gpu_options.visible_device_list` must list GPU indices below {len(gpus)}, "
                f"separated by commas; received {text!r}."
            ) from None

    return _visible_gpus("gpu_options.visible_device_list", choose)


def _device_count(counts: Any) -> Callable[[], None]:
    counts = dict(counts)
    # One CPU device is what TensorFlow 2 creates anyway.
    if counts.get("CPU", 1) != 1 or set(counts) - {"CPU", "GPU"}:
        raise ValueError(
            f"`set_session` can honour `device_count` only for 'GPU' (received {counts}); "
            "split a CPU into several logical devices with `tf.config."
            "set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)`."
        )
    if "GPU" not in counts:
        return lambda: None
    return _visible_gpus("device_count", lambda gpus: gpus[: counts["GPU"]])


def _threads(field: str, getter: Callable[[], int], setter: Callable[[int], None]):
    def prepare(count: int) -> Callable[[], None]:
        return lambda: _apply(field, getter(), count, lambda: setter(count))

    return prepare


def _setter(setter: Callable[[bool], None]) -> Callable[[bool], Callable[[], None]]:
    """A setting TensorFlow 2 accepts at any time."""
    return lambda value: lambda: setter(bool(value))


@dataclass(frozen=True)
class _Option:
    """How a ConfigProto field is honoured: `prepare(value)` validates it and returns
    the action that applies it; `tf2` names the TensorFlow 2 API, for readers."""

    tf2: str
    prepare: Callable[[Any], Callable[[], None]]


#: ConfigProto field (dotted path) -> how TensorFlow 2 honours it.
_OPTIONS: dict[str, _Option] = {
    "gpu_options.per_process_gpu_memory_fraction": _Option(
        "tf.config.set_logical_device_configuration(gpu, "
        "[tf.config.LogicalDeviceConfiguration(memory_limit=...)])",
        _memory_fraction,
    ),
    "gpu_options.allow_growth": _Option(
        "tf.config.experimental.set_memory_growth(gpu, True)", _allow_growth
    ),
    "gpu_options.visible_device_list": _Option(
        "tf.config.set_visible_devices(gpus, 'GPU')", _visible_device_list
    ),
    "device_count": _Option("tf.config.set_visible_devices(gpus, 'GPU')", _device_count),
    "intra_op_parallelism_threads": _Option(
        "tf.config.threading.set_intra_op_parallelism_threads(n)",
        _threads(
            "intra_op_parallelism_threads",
            tf.config.threading.get_intra_op_parallelism_threads,
            tf.config.threading.set_intra_op_parallelism_threads,
        ),
    ),
    "inter_op_parallelism_threads": _Option(
        "tf.config.threading.set_inter_op_parallelism_threads(n)",
        _threads(
            "inter_op_parallelism_threads",
            tf.config.threading.get_inter_op_parallelism_threads,
            tf.config.threading.set_inter_op_parallelism_threads,
        ),
    ),
    "allow_soft_placement": _Option(
        "tf.config.set_soft_device_placement(True)",
        _setter(tf.config.set_soft_device_placement),
    ),
    "log_device_placement": _Option(
        "tf.debugging.set_log_device_placement(True)",
        _setter(tf.debugging.set_log_device_placement),
    ),
}

#: Where to look instead, for fields `set_session` cannot honour (longest prefix wins).
_INSTEAD: dict[str, str] = {
    "": "TensorFlow 2 has no session to apply it to; configure the process with `tf.config`.",
    "gpu_options": "configure GPUs with `tf.config.set_logical_device_configuration` and "
    "`tf.config.experimental.set_memory_growth`.",
    "gpu_options.experimental": "describe virtual GPUs with "
    "`tf.config.set_logical_device_configuration(gpu, [tf.config.LogicalDeviceConfiguration"
    "(memory_limit=...), ...])`.",
    "graph_options": "set graph optimisations with `tf.config.optimizer.set_jit` and "
    "`tf.config.optimizer.set_experimental_options`.",
    "use_per_session_threads": "TensorFlow 2 has one thread pool per process; size it with "
    "`tf.config.threading`.",
    "session_inter_op_thread_pool": "TensorFlow 2 has one thread pool per process; size it "
    "with `tf.config.threading`.",
    "cluster_def": "distribute work with `tf.distribute`.",
    "rpc_options": "distribute work with `tf.distribute`.",
}


def _set_fields(message: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted path, value) of every field of `message` that differs from its default.

    Nested messages are walked into; a map or a repeated field is one value.
    """
    found = []
    for descriptor, value in message.ListFields():
        path = prefix + descriptor.name
        nested = descriptor.message_type is not None and not _is_repeated(descriptor)
        found += _set_fields(value, path + ".") if nested else [(path, value)]
    return found


def _is_repeated(descriptor: Any) -> bool:
    # Newer protobuf releases replace `label` with `is_repeated`.
    repeated = getattr(descriptor, "is_repeated", None)
    if repeated is not None:
        return bool(repeated)
    return descriptor.label == descriptor.LABEL_REPEATED


def _unsupported(path: str) -> ValueError:
    prefixes = [p for p in _INSTEAD if p == "" or path == p or path.startswith(p + ".")]
    hint = _INSTEAD[max(prefixes, key=len)]
    honoured = ", ".join(f"`{name}`" for name in _OPTIONS)
    return ValueError(
        f"`set_session` cannot honour the ConfigProto field `{path}` on TensorFlow 2: {hint} "
        f"The fields it can honour are {honoured}."
    )


def set_session(session: Any) -> None:
    """Apply a TensorFlow 1 session's ConfigProto to TensorFlow 2's process settings.

    Each non-default field of `session`'s ConfigProto is applied through its TensorFlow 2
    equivalent (see `_OPTIONS`): `gpu_options.per_process_gpu_memory_fraction` becomes a
    memory limit on each GPU, `gpu_options.allow_growth` turns on memory growth,
    `device_count={'GPU': 0}` hides the GPUs, and the thread counts size TensorFlow's
    thread pools. GPU options are trivially honoured where there is no GPU.

    Example:

    >>> config = tf.compat.v1.ConfigProto()  # doctest: +SKIP
    >>> config.gpu_options.allow_growth = True  # doctest: +SKIP
    >>> set_session(tf.compat.v1.Session(config=config))  # doctest: +SKIP

    Raises:
        TypeError: if `session` is not a `tf.compat.v1.Session`.
        ValueError: for a field that cannot be honoured, naming it and the equivalent;
            nothing is applied then.
        RuntimeError: if TensorFlow's runtime has already started, so that a setting
            can no longer change.
    """
    if not isinstance(session, tf.compat.v1.Session | tf.compat.v1.InteractiveSession):
        raise TypeError(
            "`set_session` expects a `tf.compat.v1.Session` (TensorFlow 1's `tf.Session`); "
            f"received {type(session).__name__}. In TensorFlow 2, configure the process "
            "with `tf.config` instead."
        )
    config = getattr(session, "_config", None)
    if config is None:
        return
    fields = _set_fields(config)
    paths = [path for path, _ in fields]
    for conflicting in (
        ("gpu_options.per_process_gpu_memory_fraction", "gpu_options.allow_growth"),
        ("gpu_options.visible_device_list", "device_count"),
    ):
        if set(conflicting) <= set(paths) and _gpus():
            raise ValueError(
                f"TensorFlow 2 cannot combine the ConfigProto fields `{conflicting[0]}` and "
                f"`{conflicting[1]}` on a GPU; set one of them."
            )
    unsupported = [path for path in paths if path not in _OPTIONS]
    if unsupported:
        raise _unsupported(unsupported[0])
    # Validate every field before applying any, so that an error leaves nothing half-set.
    actions = [_OPTIONS[path].prepare(value) for path, value in fields]
    for action in actions:
        action()


#: The other `K.*` names, which Keras 2.2 defined in this module: `refimpl.backend`
#: fills this once they exist (this module is imported first). Looked up only as the
#: module's attributes, so `K.max` never hides the builtin `max` in the code above.
FORWARDED: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    if name in FORWARDED:
        return FORWARDED[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
