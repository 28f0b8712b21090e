"""Keras 2's module paths: every `keras.<path>` that Keras 2 programs import, in refimpl.

refimpl's own modules (`refimpl.layers`, `refimpl.engine.topology`, ...) are files.
The other paths of Keras 2's API are listed in `PATHS` and made when first imported,
by a finder that refimpl puts on `sys.meta_path`; under `refimpl.install()`,
`from keras.datasets import mnist` and `from keras.layers.convolutional import Conv2D`
therefore find them like any module. Two kinds of entry:

- `ReExport`: the module's names are those of its sources, looked up when used, the
  first source that has a name wins (`keras.layers.convolutional` is `refimpl.layers`,
  `keras.datasets.mnist` is Keras 3's loader, which reads the same files from the same
  place as Keras 2's).
- `NotApplicable`: a path with no meaning on TensorFlow 2 (TensorFlow 1 estimators,
  DTensor, multi-GPU model copies). Importing it works, so a program that imports it
  and never uses it runs; using a name from it raises `NotImplementedError` that says
  what to do instead.

`tests/test_module_paths.py` derives the list of paths from tf_keras (Keras 2's own
package) and Keras 2.2's layout, and checks that each one is a file of refimpl or an
entry here.

Example:

>>> import refimpl
>>> with refimpl.installed():  # doctest: +SKIP
...     from keras.datasets import mnist
...     from keras.layers.convolutional import Conv2D
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from dataclasses import dataclass
from typing import Any

from refimpl import _keras3_private
from refimpl._keras3 import keras3

_PACKAGE = __name__.rsplit(".", 1)[0]  # "refimpl"
_KERAS3 = "keras3."
_KERAS3_PRIVATE = "keras3_private."


@dataclass(frozen=True)
class ReExport:
    """The module's names come from `sources`: refimpl modules (`"refimpl.layers"`),
    Keras 3's (`"keras3.datasets.mnist"`) or a private Keras 3 module that
    `refimpl._keras3_private` reaches (`"keras3_private.datasets_cifar"`), searched in
    order."""

    sources: tuple[str, ...]
    #: Keras 2 names the sources know by another name (`Network` -> `Model`).
    renamed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NotApplicable:
    """A path with no meaning on TensorFlow 2; `instead` says what to use."""

    instead: str


_LAYERS = ReExport(("refimpl.layers",))
# Keras 2.2's `Network` was the functional graph under `Model`; a Model is a Network.
_ENGINE = ReExport(
    ("refimpl.engine", "refimpl.models", "refimpl.layers"), renamed=(("Network", "Model"),)
)

#: `keras.<path>` -> how refimpl provides it, for every path that is not a file of
#: refimpl. Keys are relative to `keras`.
PATHS: dict[str, ReExport | NotApplicable] = {
    # The data sets: Keras 3's loaders, the same files from the same URLs as Keras 2.
    "datasets": ReExport(("keras3.datasets",)),
    **{
        f"datasets.{name}": ReExport((f"keras3.datasets.{name}",))
        for name in (
            "boston_housing",
            "cifar10",
            "cifar100",
            "fashion_mnist",
            "imdb",
            "mnist",
            "reuters",
        )  # fmt: skip
    },
    "datasets.cifar": ReExport(("keras3_private.datasets_cifar",)),
    # The pretrained architectures: Keras 3's, which load the same weight files.
    "applications": ReExport(("keras3.applications",)),
    **{
        f"applications.{name}": ReExport((f"keras3.applications.{name}",))
        for name in (
            "convnext",
            "densenet",
            "efficientnet",
            "efficientnet_v2",
            "imagenet_utils",
            "inception_resnet_v2",
            "inception_v3",
            "mobilenet",
            "mobilenet_v2",
            "mobilenet_v3",
            "nasnet",
            "resnet",
            "resnet50",
            "resnet_v2",
            "vgg16",
            "vgg19",
            "xception",
        )
    },
    "applications.regnet": NotApplicable(
        "Keras 3 has no RegNet; build one from layers, or run the program on tf_keras"
    ),
    "applications.resnet_rs": NotApplicable(
        "Keras 3 has no ResNet-RS; use keras.applications.resnet or resnet_v2"
    ),
    # Keras 2.2's layer modules: every layer is in refimpl.layers.
    **{
        f"layers.{name}": _LAYERS
        for name in (
            "advanced_activations",
            "convolutional",
            "convolutional_recurrent",
            "core",
            "cudnn_recurrent",
            "embeddings",
            "local",
            "merge",
            "noise",
            "normalization",
            "pooling",
            "recurrent",
            "wrappers",
            # tf_keras's own layout of the same classes
            "activation",
            "attention",
            "locally_connected",
            "merging",
            "regularization",
            "reshaping",
            "rnn",
        )
    },
    "layers.experimental": ReExport(("refimpl.layers", "keras3.layers")),
    "layers.experimental.preprocessing": ReExport(("refimpl.layers", "keras3.layers")),
    "layers.preprocessing": ReExport(("refimpl.layers", "keras3.layers")),
    # Keras 2.2's engine modules.
    **{
        f"engine.{name}": _ENGINE
        for name in (
            "input_layer",
            "network",
            "training_arrays",
            "training_generator",
            "training_utils",
            "functional",
            "input_spec",
            "node",
        )  # fmt: skip
    },
    "legacy.layers": _LAYERS,  # Merge, Highway, ...: refimpl.layers says what replaced them
    "legacy.interfaces": NotApplicable(
        "Keras 2.2's decorators for Keras 1 arguments are internal; refimpl.legacy.translate "
        "translates Keras 1 arguments for every refimpl class"
    ),
    "objectives": ReExport(("refimpl.losses",)),  # Keras 1's name for keras.losses
    "backend.common": ReExport(("refimpl.backend",)),
    "backend.load_backend": ReExport(("refimpl.backend",)),
    "backend.experimental": ReExport(("keras3.backend",)),
    "callbacks.experimental": ReExport(("refimpl.callbacks", "keras3.callbacks")),
    "export": ReExport(("keras3.export",)),
    "mixed_precision": ReExport(("keras3.mixed_precision",)),
    "saving": ReExport(("refimpl.persistence", "keras3.saving")),
    "optimizers.schedules": ReExport(("keras3.optimizers.schedules",)),
    # Keras 2's optimizers are refimpl's, whichever name the program uses for them.
    "optimizers.legacy": ReExport(("refimpl.optimizers",)),
    "optimizers.experimental": ReExport(("refimpl.optimizers",)),
    "utils.conv_utils": NotApplicable(
        "Keras 2.2's shape helpers for its convolution layers are internal; ask a layer for "
        "its shape with `layer.compute_output_shape(input_shape)`"
    ),
    "utils.io_utils": ReExport(("refimpl.utils", "keras3.utils")),
    "utils.legacy": ReExport(("refimpl.utils",)),
    "utils.multi_gpu_utils": NotApplicable(
        "multi_gpu_model was removed in Keras 2.4: build and compile the model inside "
        "`with tf.distribute.MirroredStrategy().scope():` instead"
    ),
    "utils.test_utils": NotApplicable(
        "Keras 2.2's test helpers (layer_test, get_test_data) are internal; make test "
        "data with NumPy"
    ),
    "utils.experimental": NotApplicable(
        "DatasetCreator served TensorFlow 2's parameter-server training; pass a "
        "tf.data.Dataset to fit instead"
    ),
    "estimator": NotApplicable(
        "model_to_estimator made TensorFlow 1 Estimators, which TensorFlow 2.16 removed; "
        "train the Keras model with fit"
    ),
    "experimental": NotApplicable(
        "tf_keras's experimental models (LinearModel, WideDeepModel, SequenceFeatures) "
        "have no Keras 3 counterpart; build them from layers"
    ),
    "metrics.experimental": NotApplicable(
        "PyMetric is tf_keras's; subclass keras.metrics.Metric instead"
    ),
    "models.experimental": NotApplicable(
        "SharpnessAwareMinimization is tf_keras's; write a custom train_step instead"
    ),
    **{
        name: NotApplicable(
            "DTensor layouts were tf_keras's experiment; use keras.distribution or "
            "tf.distribute instead"
        )
        for name in ("dtensor", "dtensor.experimental", "dtensor.experimental.optimizers")
    },
}


def _source(name: str) -> Any:
    """The module `name` names: a refimpl module, or Keras 3's public API reached from
    the Keras 3 package itself (`import keras` may mean refimpl), or a private Keras 3
    module from `refimpl._keras3_private`."""
    if name.startswith(_KERAS3_PRIVATE):
        return getattr(_keras3_private, name[len(_KERAS3_PRIVATE) :])
    if name.startswith(_KERAS3):
        module: Any = keras3
        for part in name[len(_KERAS3) :].split("."):
            module = getattr(module, part)
        return module
    return importlib.import_module(name)


class _ReExportModule(types.ModuleType):
    """A module whose names are looked up in its sources when used."""

    __entry__: ReExport

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        child = f"{self.__name__}.{name}"
        if _relative(child) in PATHS:
            return importlib.import_module(child)
        name = dict(self.__entry__.renamed).get(name, name)
        for source in self.__entry__.sources:
            module = _source(source)
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {_keras_name(self.__name__)!r} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        for source in self.__entry__.sources:
            names |= {n for n in dir(_source(source)) if not n.startswith("_")}
        names |= {old for old, _ in self.__entry__.renamed}
        return sorted(names)


class _NotApplicableModule(types.ModuleType):
    """A module that imports, and raises on use with what to do instead."""

    __instead__: str

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError(
            f"`{_keras_name(self.__name__)}.{name}` is not available on TensorFlow 2 "
            f"(refimpl): {self.__instead__}."
        )


def _relative(module_name: str) -> str:
    return module_name[len(_PACKAGE) + 1 :]


def _keras_name(module_name: str) -> str:
    return "keras." + _relative(module_name)


def _has_children(path: str) -> bool:
    return any(other.startswith(path + ".") for other in PATHS)


class _Loader(importlib.abc.Loader):
    def __init__(self, entry: ReExport | NotApplicable):
        self.entry = entry

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if isinstance(self.entry, ReExport):
            module = _ReExportModule(spec.name)
            module.__entry__ = self.entry
        else:
            module = _NotApplicableModule(spec.name)
            module.__instead__ = self.entry.instead
        module.__doc__ = f"Keras 2's `{_keras_name(spec.name)}` (see refimpl.module_paths)."
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class ModulePathFinder(importlib.abc.MetaPathFinder):
    """Finds `refimpl.<path>` for each path of `PATHS` (after the files, which win)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        if not fullname.startswith(_PACKAGE + "."):
            return None
        entry = PATHS.get(_relative(fullname))
        if entry is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _Loader(entry), is_package=_has_children(_relative(fullname))
        )


def install_finder() -> None:
    """Put the finder on `sys.meta_path` (once), after the finders of files.

    A refimpl file module with listed children (`refimpl.optimizers` for
    `keras.optimizers.legacy`) becomes a package for them: Python imports a submodule
    only of a module that has a `__path__`.
    """
    if any(isinstance(finder, ModulePathFinder) for finder in sys.meta_path):
        return
    for path in PATHS:
        parent = sys.modules.get(f"{_PACKAGE}.{path.rpartition('.')[0]}")
        if parent is not None and not hasattr(parent, "__path__"):
            parent.__path__ = []
    sys.meta_path.append(ModulePathFinder())
