"""Every module path of Keras 2's API imports from refimpl, or says why it cannot.

The paths come from tf_keras (Keras 2's own package: every public module of it) and
from Keras 2.2's layout (`keras.layers.convolutional`, `keras.engine.topology`, ...),
which tf_keras reorganised but Keras 2 programs still import.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

import refimpl
from refimpl import module_paths

#: tf_keras's directories that are not Keras 2 API: its sources, its generated API tree,
#: internal hooks for TensorFlow, and protocol buffers.
NOT_API = {"src", "api", "__internal__", "protobuf"}

#: Keras 2.2's modules, from its source tree (keras/<path>.py), that tf_keras lays out
#: differently.
KERAS22_PATHS = (
    "activations", "applications", "applications.densenet", "applications.imagenet_utils",
    "applications.inception_resnet_v2", "applications.inception_v3", "applications.mobilenet",
    "applications.mobilenet_v2", "applications.nasnet", "applications.resnet50",
    "applications.vgg16", "applications.vgg19", "applications.xception", "backend",
    "backend.tensorflow_backend", "backend.common", "backend.load_backend", "callbacks",
    "constraints", "datasets", "datasets.boston_housing", "datasets.cifar", "datasets.cifar10",
    "datasets.cifar100", "datasets.fashion_mnist", "datasets.imdb", "datasets.mnist",
    "datasets.reuters", "engine", "engine.base_layer", "engine.input_layer", "engine.network",
    "engine.saving", "engine.sequential", "engine.topology", "engine.training",
    "engine.training_arrays", "engine.training_generator", "engine.training_utils",
    "initializers", "layers", "layers.advanced_activations", "layers.convolutional",
    "layers.convolutional_recurrent", "layers.core", "layers.cudnn_recurrent",
    "layers.embeddings", "layers.local", "layers.merge", "layers.noise", "layers.normalization",
    "layers.pooling", "layers.recurrent", "layers.wrappers", "legacy", "legacy.interfaces",
    "legacy.layers", "losses", "metrics", "models", "objectives", "optimizers",
    "preprocessing", "preprocessing.image", "preprocessing.sequence", "preprocessing.text",
    "regularizers", "utils", "utils.conv_utils", "utils.data_utils", "utils.generic_utils",
    "utils.io_utils", "utils.layer_utils", "utils.multi_gpu_utils", "utils.np_utils",
    "utils.test_utils", "utils.vis_utils", "wrappers", "wrappers.scikit_learn",
)  # fmt: skip

#: Classes Keras 2.2 programs import from its layer modules, by module.
KERAS22_LAYERS = {
    "advanced_activations": ["LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax"],
    "convolutional": ["Conv1D", "Conv2D", "Convolution2D", "Conv2DTranspose", "MaxPooling2D",
                      "UpSampling2D", "ZeroPadding2D", "Cropping2D", "SeparableConv2D"],
    "core": ["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute",
             "RepeatVector", "Lambda", "Masking"],
    "embeddings": ["Embedding"], "merge": ["Concatenate", "concatenate", "Add", "add", "dot"],
    "noise": ["GaussianNoise", "GaussianDropout"], "normalization": ["BatchNormalization"],
    "pooling": ["MaxPooling1D", "AveragePooling2D", "GlobalAveragePooling2D"],
    "recurrent": ["LSTM", "GRU", "SimpleRNN", "LSTMCell"],
    "wrappers": ["TimeDistributed", "Bidirectional"],
    "convolutional_recurrent": ["ConvLSTM2D"], "cudnn_recurrent": ["CuDNNLSTM", "CuDNNGRU"],
}  # fmt: skip


def tf_keras_paths() -> list[str]:
    """Every public module of tf_keras, relative to the package (`datasets.mnist`)."""
    (base,) = importlib.util.find_spec("tf_keras").submodule_search_locations
    found = []
    for root, _, files in os.walk(base):
        relative = os.path.relpath(root, base)
        if relative == "." or relative.split(os.sep)[0] in NOT_API or "__pycache__" in root:
            continue
        if "__init__.py" in files:
            found.append(relative.replace(os.sep, "."))
    return sorted(found)


ALL_PATHS = sorted(set(tf_keras_paths()) | set(KERAS22_PATHS))


def test_tf_keras_has_the_modules_this_test_expects():
    paths = tf_keras_paths()
    assert {"datasets.mnist", "applications.resnet50", "optimizers.legacy"} <= set(paths)
    assert not [p for p in paths if p.startswith(("src", "api"))]


def _is_file_of_refimpl(path: str) -> bool:
    # Looked up on disk: `importlib.util.find_spec` answers from `sys.modules`, where a
    # module imported as `keras.<path>` carries its alias's spec.
    base = Path(refimpl.__file__).parent.joinpath(*path.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


@pytest.mark.parametrize("path", ALL_PATHS)
def test_every_keras2_module_path_imports_from_refimpl(path):
    assert _is_file_of_refimpl(path) or path in module_paths.PATHS, (
        f"keras.{path}: add it to refimpl.module_paths.PATHS (a ReExport, or NotApplicable "
        "with what to use instead)"
    )
    with refimpl.installed():
        module = importlib.import_module(f"keras.{path}")
    assert module.__name__ == f"refimpl.{path}"


def _children_of_files() -> list[str]:
    """Listed paths, not files themselves, whose parent is a file (`optimizers.legacy`)."""
    return [
        p
        for p in module_paths.PATHS
        if "." in p and _is_file_of_refimpl(p.rpartition(".")[0]) and not _is_file_of_refimpl(p)
    ]


@pytest.mark.parametrize("path", _children_of_files())
def test_a_listed_child_module_does_not_rebind_a_name_its_parent_uses(path):
    # Importing `keras.a.b` sets the attribute `b` of `keras.a`, which is the module's
    # global `b`: a parent that bound `b` to something else would lose it. Read from the
    # parent's source, since another test may have imported the child already.
    parent_path, _, child = path.rpartition(".")
    base = Path(refimpl.__file__).parent.joinpath(*parent_path.split("."))
    source = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
    bound = _top_level_names(ast.parse(source.read_text(encoding="utf-8")))
    assert child not in bound, (
        f"refimpl.{parent_path} binds {child!r}: importing keras.{path} replaces it; import "
        "what it needs under another name"
    )


def _top_level_names(module: ast.Module) -> set[str]:
    names = set()
    for node in module.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize(
    "path", [p for p, e in module_paths.PATHS.items() if isinstance(e, module_paths.NotApplicable)]
)
def test_a_path_without_meaning_on_tensorflow_2_raises_on_use_saying_what_to_do(path):
    with refimpl.installed():
        module = importlib.import_module(f"keras.{path}")
    with pytest.raises(NotImplementedError, match=rf"`keras\.{path}\.anything` .*: \w+"):
        module.anything  # noqa: B018


@pytest.mark.parametrize("module, names", sorted(KERAS22_LAYERS.items()))
def test_keras22_layer_modules_hold_refimpl_layers(module, names):
    with refimpl.installed():
        layers = importlib.import_module(f"keras.layers.{module}")
        for name in names:
            assert getattr(layers, name) is getattr(refimpl.layers, name)


def test_each_tf_keras_data_set_and_architecture_module_has_its_functions():
    with refimpl.installed():
        for path in tf_keras_paths():
            if path.startswith("datasets."):
                assert callable(importlib.import_module(f"keras.{path}").load_data)
        from keras.applications.resnet50 import ResNet50, preprocess_input
        from keras.applications.vgg16 import VGG16  # noqa: F401
        from keras.engine.network import Network
    assert Network is refimpl.models.Model
    model = ResNet50(weights=None, input_shape=(32, 32, 3), classes=3)
    assert model.output_shape == (None, 3)
    assert preprocess_input(np.zeros((1, 32, 32, 3))).shape == (1, 32, 32, 3)


def _synthetic_imdb(path):
    rng = np.random.default_rng(0)
    reviews = [[int(w) for w in rng.integers(1, 60, size=rng.integers(3, 30))] for _ in range(40)]
    labels = rng.integers(0, 2, size=40)
    np.savez(path, x_train=np.array(reviews[:25], dtype=object), y_train=labels[:25],
             x_test=np.array(reviews[25:], dtype=object), y_test=labels[25:])  # fmt: skip


def _synthetic_mnist(path):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=30, dtype=np.uint8)
    np.savez(path, x_train=images[:20], y_train=labels[:20], x_test=images[20:],
             y_test=labels[20:])  # fmt: skip


@pytest.mark.parametrize(
    "name, make, arguments",
    [
        ("mnist", _synthetic_mnist, {}),
        ("imdb", _synthetic_imdb, {"num_words": 40, "skip_top": 3, "maxlen": 20, "seed": 7}),
        ("imdb", _synthetic_imdb, {"start_char": 2, "oov_char": 1, "index_from": 4}),
    ],
)
def test_data_set_loaders_read_a_file_as_keras2_does(tmp_path, monkeypatch, name, make, arguments):
    """refimpl's loader and tf_keras's, given the same cached file (never the network),
    return the same arrays."""
    import tf_keras

    path = tmp_path / f"{name}.npz"
    make(path)
    with refimpl.installed():
        ours = importlib.import_module(f"keras.datasets.{name}")
    theirs = getattr(tf_keras.datasets, name)
    for module in (importlib.import_module(ours.load_data.__module__),
                   importlib.import_module(theirs.load_data.__module__)):  # fmt: skip
        monkeypatch.setattr(module, "get_file", lambda *a, **k: str(path))
    mine, reference = ours.load_data(**arguments), theirs.load_data(**arguments)
    for (x, y), (x2, y2) in zip(mine, reference, strict=True):
        assert x.shape == x2.shape and x.dtype == x2.dtype
        if x.dtype == object:  # word-id sequences of different lengths
            assert [list(row) for row in x] == [list(row) for row in x2]
        else:
            np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)
