"""The door to Keras 3's private API: every private Keras 3 name refimpl uses, in one place.

refimpl wraps Keras 3's public API (reached through `refimpl._keras3`), but a few
things Keras 2 did need Keras 3's internals: a module under `keras.src`, or a private
attribute or method (`model._compile_config`, `Sequential._maybe_rebuild`, ...). Keras 3
may rename or remove any of them in a minor release, so every one of them is reached
here and nowhere else in refimpl:

- private objects (modules, classes, functions under `keras.src`): the names below,
  reached with `_reach`;
- private attributes of Keras 3 objects that refimpl reads, calls or sets: the
  accessor functions below, each listed in `PRIVATE_ATTRIBUTES`;
- private methods that a refimpl subclass overrides by name: `OVERRIDDEN_METHODS`,
  which says which refimpl class overrides each.

This module is separate from `refimpl._keras3` (the public Keras 3 and TensorFlow,
captured once) so that `git grep _keras3_private` lists exactly the modules that
depend on Keras 3's internals, and so that only this module needs checking when Keras
3 changes. `refimpl._keras3_fixes` patches Keras 3 through it too.

On import it checks that every name it relies on exists, and raises an ImportError
naming the missing ones, the installed Keras version and `SUPPORTED_KERAS`, the range
`pyproject.toml` pins (`keras>=3.15,<3.16`) because `tests/test_keras3_door.py` passes
on it. To support a new Keras 3 minor release: install it, run that test, fix what it
names here, then widen the pin and `SUPPORTED_KERAS` together.
"""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

from refimpl._keras3 import keras3

#: The Keras versions refimpl is tested on; `pyproject.toml` pins the same range.
SUPPORTED_KERAS = ">=3.15,<3.16"

#: Private `keras.src` paths that could not be reached (filled by `_reach`).
_unreachable: list[str] = []


def _reach(path: str) -> Any:
    """`keras.src.<path>`, or None (recorded in `_unreachable`) when Keras moved it."""
    found: Any = keras3.src
    for part in path.split("."):
        found = getattr(found, part, None)
        if found is None:
            _unreachable.append(f"keras.src.{path}")
            return None
    return found


# -- private objects under keras.src ---------------------------------------------------
# The fused fit loop slices arrays, splits off validation data and weights classes as
# Keras 3's `fit` does, so that both paths train on the same batches.
ArrayDataAdapter = _reach("trainers.data_adapters.array_data_adapter.ArrayDataAdapter")
array_slicing = _reach("trainers.data_adapters.array_slicing")
class_weight_to_sample_weights = _reach(
    "trainers.data_adapters.data_adapter_utils.class_weight_to_sample_weights"
)
# Whether a callback overrides a hook, and the logs as Python numbers, as Keras 3's
# own loop decides and returns them.
is_default = _reach("utils.python_utils.is_default")
pythonify_logs = _reach("utils.python_utils.pythonify_logs")
# The TensorFlow trainer: the fast paths are taken only when a model keeps its
# `train_step`/`test_step`/`predict_step`; `refimpl._keras3_fixes` patches the module.
tensorflow_trainer = _reach("backend.tensorflow.trainer")
TensorFlowTrainer = _reach("backend.tensorflow.trainer.TensorFlowTrainer")
# Keras 2's `metrics_names` leaves out the container of compiled metrics until it is built.
CompileMetrics = _reach("trainers.compile_utils.CompileMetrics")
# The class `keras.Model(inputs, outputs)` returns, which Keras 3 does not export.
Functional = _reach("models.functional.Functional")
# Keras 2's `keras.engine.topology.Node`.
Node = _reach("ops.node.Node")
# Keras 2's HDF5 model and weight files, and `model_from_config`: Keras 3 keeps
# Keras 2's readers and writers here.
legacy_h5_format = _reach("legacy.saving.legacy_h5_format")
model_from_config = _reach("legacy.saving.saving_utils.model_from_config")
# Keras 3's ops as classes: a functional model's config names them (`NotEqual` for a
# mask, `GetItem` for a slice), and Keras 3's HDF5 reader looks them up by name only.
ops_modules = tuple(
    _reach(f"ops.{name}") for name in ("numpy", "nn", "core", "math", "image", "linalg")
)
Operation = _reach("ops.operation.Operation")
serialization_lib = _reach("saving.serialization_lib")
# The call context, whose `training` flag stands in for Keras 2's learning phase.
global_state = _reach("backend.common.global_state")
# Keras 2's `keras.datasets.cifar` (the loader shared by CIFAR-10 and CIFAR-100).
datasets_cifar = _reach("datasets.cifar")
# Where `get_file` (and so every `keras.datasets` loader) finds Keras's home directory;
# `refimpl._keras3_fixes` makes it follow `KERAS_HOME` as Keras 2 did.
backend_config = _reach("backend.config")
# Keras 3's backend functions as its layers call them (`backend.rnn`): refimpl's tests
# watch how the recurrent layers unroll through it.
backend = _reach("backend")
# Where Keras 3 sets and reads the private attributes listed below.
_Optimizer = keras3.optimizers.Optimizer
_Variable = keras3.Variable
_tensorflow_nn = _reach("backend.tensorflow.nn")
_node = _reach("ops.node")


# -- private attributes of Keras 3 objects ---------------------------------------------
#: Each private attribute refimpl reads, calls or sets -> (where Keras 3 defines it, why).
PRIVATE_ATTRIBUTES: dict[str, tuple[tuple[Any, ...], str]] = {
    "_run_through_graph": ((Functional,), "`refimpl convert` rebuilds a graph of Keras 3 classes"),
    "_compile_config": ((keras3.Model,), "the fast paths cache compiled functions per compile"),
    "_compile_metrics": ((keras3.Model,), "Keras 2's `compile` without metrics drops old ones"),
    "_distribute_strategy": ((TensorFlowTrainer,), "distributed training takes Keras 3's path"),
    "_initial_epoch": ((keras3.Model,), "BackupAndRestore's resumed epoch, in the fast fit"),
    "_should_eval": ((keras3.Model,), "the fast fit validates on `validation_freq` epochs"),
    "_symbolic_build": ((keras3.Model,), "the fast paths build metrics and optimizer first"),
    "_layers": ((keras3.Sequential,), "a Sequential model's layers, its input layer included"),
    "_functional": ((keras3.Sequential,), "the graph a Sequential model runs, extended by `add`"),
    "_open_name_scope": ((keras3.layers.Layer,), "`add` names weights as Keras 3's build does"),
    "_inbound_nodes": ((keras3.layers.Layer,), "Keras 2's node API (`get_input_at`, ...)"),
    "_outbound_nodes": ((keras3.layers.Layer,), "Keras 2's `outbound_nodes`"),
    "_outputs_struct": ((Functional,), "a functional model's outputs, nested as given"),
    "_trainable_variables": ((_Optimizer,), "tf_keras optimizer state is keyed by variable"),
    "_learning_rate": ((_Optimizer,), "Keras 2's `optimizer.lr` is the learning-rate variable"),
    "_get_variable_index": ((_Optimizer,), "Keras 2's update steps find a variable's slots"),
    "_velocities": (
        (keras3.optimizers.RMSprop, keras3.optimizers.Nadam),
        "Keras 2's RMSprop and Nadam update steps",
    ),
    "_average_gradients": ((keras3.optimizers.RMSprop,), "Keras 2's centered RMSprop step"),
    "_accumulators": ((keras3.optimizers.Adagrad,), "Keras 2's Adagrad update step"),
    "_momentums": ((keras3.optimizers.Nadam,), "Keras 2's Nadam update step"),
    "_u_product": ((keras3.optimizers.Nadam,), "Keras 2's Nadam momentum schedule"),
    "_num_samples": ((ArrayDataAdapter,), "the fast fit batches arrays as Keras 3 does"),
    "_batch_size": ((ArrayDataAdapter,), "the fast fit batches arrays as Keras 3 does"),
    "_inputs": ((ArrayDataAdapter,), "the fast fit batches arrays as Keras 3 does"),
    "_workers": ((keras3.utils.PyDataset,), "Keras 2's `workers=` for a Sequence"),
    "_use_multiprocessing": ((keras3.utils.PyDataset,), "Keras 2's `use_multiprocessing=`"),
    "_max_queue_size": ((keras3.utils.PyDataset,), "Keras 2's `max_queue_size=` for a Sequence"),
    "_value": ((_Variable,), "Embedding reads only the looked-up rows of its table"),
    "_keras_logits": ((_tensorflow_nn,), "Keras 2's losses `from_logits` of a softmax output"),
    "_keras_history": ((_node,), "error messages name the input a tensor came from"),
    "_collective_all_reduce_multi_worker": ((tensorflow_trainer,), "the multi-worker fix"),
}

#: Each private Keras 3 method a refimpl class overrides by name ->
#: (the Keras 3 class that defines it, the refimpl class that overrides it, why).
OVERRIDDEN_METHODS: dict[str, tuple[Any, str, str]] = {
    "_maybe_symbolic_build": (
        TensorFlowTrainer,
        "refimpl.training.trainer.Keras2Training",
        "build from one replica's batch under MultiWorkerMirroredStrategy",
    ),
    "_maybe_rebuild": (
        keras3.Sequential,
        "refimpl.models.Sequential",
        "`add` extends the graph, calling each layer once, as Keras 2 did",
    ),
    "_post_build": (
        keras3.layers.Layer,
        "refimpl.layers.base_layer.Keras2Layer",
        "Keras 2's `weights=` argument is set right after `build`",
    ),
    "_get_current_learning_rate": (
        _Optimizer,
        "refimpl.optimizers.Keras2Optimizer",
        "Keras 2's time-based `decay` of the learning rate",
    ),
    "_backend_update_step": (
        _Optimizer,
        "refimpl.optimizers.Nadam",
        "Keras 2's Nadam momentum schedule, then the generic step",
    ),
}


# Trainer / Model -------------------------------------------------------------------
def compile_config(model: Any) -> Any:
    """The object that changes each time `model` is compiled (None before)."""
    return getattr(model, "_compile_config", None)


def compile_arguments(model: Any) -> dict[str, Any] | None:
    """The arguments `model` was last compiled with, as Keras 3 saves them (or None)."""
    return getattr(getattr(model, "_compile_config", None), "config", None)


def forget_compiled_metrics(model: Any) -> None:
    """Drop the metrics of an earlier `compile`, which Keras 3 keeps when none are given."""
    model._compile_metrics = None


def distribute_strategy(model: Any) -> Any:
    """The `tf.distribute` strategy `model` was built under, or None."""
    return getattr(model, "_distribute_strategy", None)


def initial_epoch(model: Any) -> int | None:
    """The epoch a callback (BackupAndRestore) told `fit` to resume from, or None."""
    return model._initial_epoch


def should_evaluate(model: Any, epoch: int, validation_freq: Any) -> bool:
    """Whether `fit` validates after `epoch` (0-based), as Keras 3 decides it."""
    return model._should_eval(epoch, validation_freq)


def build_for_training(model: Any, data_batch: Any) -> None:
    """Build `model`, its compiled metrics and optimizer from one batch, as `fit` does."""
    model._symbolic_build(data_batch=data_batch)


# Sequential / Functional / Layer ---------------------------------------------------
def sequential_layers(model: Any) -> list[Any]:
    """A Sequential model's layers, its InputLayer included (`model.layers` omits it)."""
    return model._layers


def sequential_graph(model: Any) -> Any:
    """The functional model a Sequential model runs (None before it has inputs)."""
    return model._functional


def set_sequential_graph(model: Any, graph: Any) -> None:
    model._functional = graph


def name_scope(layer: Any) -> Any:
    """A context in which weights are created under `layer`'s name, as in its build."""
    return layer._open_name_scope()


def inbound_nodes(layer: Any) -> list[Any]:
    """The layer's calls on symbolic tensors, in order."""
    return layer._inbound_nodes


def outbound_nodes(layer: Any) -> list[Any]:
    """The calls of other layers on this layer's outputs."""
    return layer._outbound_nodes


def nested_outputs(model: Any) -> Any:
    """A functional model's outputs, in the structure they were given."""
    return model._outputs_struct


# Optimizers ------------------------------------------------------------------------
#: Keras 2 slot name -> the Keras 3 optimizer attribute holding one variable per weight.
OPTIMIZER_SLOTS = {
    "velocities": "_velocities",
    "average_gradients": "_average_gradients",
    "accumulators": "_accumulators",
    "momentums": "_momentums",
}


def optimizer_slot(optimizer: Any, slot: str, variable: Any) -> Any:
    """The optimizer's `slot` variable (`"momentums"`, ...) for the weight `variable`."""
    index = optimizer._get_variable_index(variable)
    return getattr(optimizer, OPTIMIZER_SLOTS[slot])[index]


def optimized_variables(optimizer: Any) -> list[Any]:
    """The model variables the optimizer was built for, in order."""
    return optimizer._trainable_variables


def learning_rate_variable(optimizer: Any) -> Any:
    """The learning rate as stored (a variable, or a schedule)."""
    return optimizer._learning_rate


def nadam_momentum_product(optimizer: Any) -> Any:
    """Nadam's product of the momenta so far, a variable."""
    return optimizer._u_product


def generic_update_step(optimizer: Any, grads: Any, variables: Any, learning_rate: Any) -> Any:
    """The base optimizer's step (every variable's `update_step`), skipping a subclass's."""
    return _Optimizer._backend_update_step(optimizer, grads, variables, learning_rate)


# Data ------------------------------------------------------------------------------
def array_adapter_contents(adapter: Any) -> tuple[int, int, Any]:
    """An ArrayDataAdapter's (number of samples, batch size, inputs)."""
    return adapter._num_samples, adapter._batch_size, adapter._inputs


def configure_py_dataset(
    dataset: Any, workers: int, use_multiprocessing: bool, max_queue_size: int
) -> None:
    """Set the worker settings Keras 3 reads from a PyDataset (`keras.utils.Sequence`)."""
    dataset._workers = workers
    dataset._use_multiprocessing = use_multiprocessing
    dataset._max_queue_size = max_queue_size


# Tensors and variables -------------------------------------------------------------
def backing_variable(variable: Any) -> Any:
    """The backend variable (a `tf.Variable`) under a Keras variable, or None."""
    return getattr(variable, "_value", None)


def logits_of(output: Any) -> Any:
    """The logits a softmax or sigmoid output was computed from, or None."""
    return getattr(output, "_keras_logits", None)


def keras_history(tensor: Any) -> Any:
    """The (operation, node index, tensor index) that produced a symbolic tensor, or None."""
    return getattr(tensor, "_keras_history", None)


# The multi-worker fix (`refimpl._keras3_fixes`) -------------------------------------
def is_multi_worker(strategy: Any) -> bool:
    """Whether `strategy` all-reduces across several workers, as Keras 3 tests it."""
    return tensorflow_trainer._collective_all_reduce_multi_worker(strategy)


def safe_mode_disabled() -> bool:
    """Whether the loading under way was given `safe_mode=False`."""
    return serialization_lib.in_safe_mode() is False


def custom_objects_in_scope() -> dict[str, Any]:
    """The objects of the innermost `keras.saving.custom_object_scope`, or {}."""
    return dict(global_state.get_global_attribute("custom_objects_scope_dict") or {})


def run_through_graph(model: Any, inputs: Any, operation_fn: Any) -> Any:
    """A functional model's graph applied to new `inputs`, each of its operations
    replaced by `operation_fn(operation)` (how Keras 3's `clone_model` rebuilds one)."""
    return model._run_through_graph(inputs, operation_fn=operation_fn)


def operation_classes() -> dict[str, type]:
    """Keras 3's op classes by name (`NotEqual`, `GetItem`, ...)."""
    return {
        name: value
        for module in ops_modules
        if module is not None
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, Operation) and value is not Operation
    }


# -- the check -------------------------------------------------------------------------
def _defines(owner: Any, name: str) -> bool:
    """Whether `owner` (a class or module) has `name`, or the source of a module defining
    it or a base class sets or defines `name` (instance attributes exist only on
    instances, which the check does not create)."""
    if hasattr(owner, name):
        return True
    mentioned = re.compile(rf"\.{name}\b|\bdef {name}\b")
    parts = inspect.getmro(owner) if inspect.isclass(owner) else (owner,)
    return any(mentioned.search(_module_source(part)) for part in parts)


@functools.cache
def _module_source(owner: Any) -> str:
    """The source of the module that defines `owner` ("" when it has none to read)."""
    module = owner if inspect.ismodule(owner) else inspect.getmodule(owner)
    try:
        return inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):  # a builtin, or an install without sources
        return ""


def missing_names() -> list[str]:
    """Every private Keras 3 name this module relies on that the installed Keras lacks."""
    missing = list(_unreachable)
    for name, (owners, _) in PRIVATE_ATTRIBUTES.items():
        for owner in owners:
            if owner is not None and not _defines(owner, name):
                missing.append(f"{getattr(owner, '__qualname__', owner.__name__)}.{name}")
    for name, (owner, _, _) in OVERRIDDEN_METHODS.items():
        if owner is not None and not callable(getattr(owner, name, None)):
            missing.append(f"{owner.__qualname__}.{name} (overridden)")
    return missing


def check() -> None:
    """Raise ImportError naming every missing private Keras 3 name, if any."""
    missing = missing_names()
    if missing:
        raise ImportError(
            f"refimpl relies on private Keras 3 names that Keras {keras3.version()} lacks: "
            f"{', '.join(missing)}. refimpl supports keras{SUPPORTED_KERAS}; install such a "
            "release (pip install 'keras" + SUPPORTED_KERAS + "'), or update "
            "refimpl/_keras3_private.py for this one."
        )


check()
