"""The guides' models are defined once, in the catalogue, and every user takes them from there.

`conformance/suite/models.py` holds each model of the guides; the api, convergence and
performance tests, the baselines and the benchmarks build from it, and the two
trainers without Keras share `tf_trainer.py` (TensorFlow) and the oracle's LSTM
(NumPy). These tests read the users' source (no TensorFlow needed) and fail when one
of them writes a model, a training loop or an LSTM of its own again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = "conformance/suite/models.py"

#: The modules that use the guides' models.
CONSUMERS = (
    "conformance/suite/test_api_surface.py",
    "conformance/suite/test_convergence.py",
    "conformance/suite/test_performance.py",
    "conformance/suite/baselines.py",
    "benchmarks/models.py",
)
#: Keras layers the guides' models are made of: a consumer that calls one is writing a
#: model of its own.
KERAS_LAYERS = {
    "Dense", "Dropout", "Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "Flatten",
    "Embedding", "LSTM", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "TimeDistributed",
}  # fmt: skip
#: The catalogue's own description of a model.
MODEL_DESCRIPTIONS = {"Layer", "Spec"}
#: The modules that train without Keras, and the shared code each must use.
TRAINERS = {
    "benchmarks/limit.py": "tf_trainer.Trainer",
    "conformance/suite/baselines.py": "tf_trainer.Trainer",
}


def _tree(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(), filename=path)


def _called_names(tree: ast.AST) -> set[str]:
    """The names of everything called in `tree`: `f(...)` and `a.b.f(...)` give 'f'."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _source(path: str) -> str:
    return ast.unparse(_tree(path))


@pytest.mark.parametrize("path", CONSUMERS)
def test_consumer_builds_no_model_of_its_own(path):
    """No Keras layer is constructed and no model described outside the catalogue."""
    own = _called_names(_tree(path)) & (KERAS_LAYERS | MODEL_DESCRIPTIONS)
    assert not own, f"{path} defines a model of its own (calls {sorted(own)}); use {CATALOGUE}"


@pytest.mark.parametrize("path", CONSUMERS)
def test_consumer_imports_the_catalogue(path):
    imports = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    wanted = {"conformance.suite.models", "conformance.suite"}
    assert imports & wanted, f"{path} does not import {CATALOGUE}"


def test_catalogue_holds_the_models():
    """The models the consumers name are the catalogue's."""
    from benchmarks import models as benchmark_models
    from conformance.suite import baselines, models, test_convergence, test_performance

    assert baselines.Spec is models.Spec and baselines.Layer is models.Layer
    assert all(isinstance(spec, models.Spec) for spec in test_performance.MODELS)
    assert all(isinstance(case.spec, models.Spec) for case in test_convergence.CASES)
    assert benchmark_models.models is models
    # The same model at different sizes is one definition with parameters.
    assert models.vgg_convnet((32, 32, 3)).layers == models.vgg_convnet().layers


@pytest.mark.parametrize("path", sorted(TRAINERS))
def test_one_tensorflow_trainer(path):
    """The limit and the baseline train with the reference trainer, not a loop of their own."""
    source = _source(path)
    assert TRAINERS[path] in source, f"{path} does not use {TRAINERS[path]}"
    own = _called_names(_tree(path)) & {"GradientTape"}
    assert not own, f"{path} writes its own training loop (calls {sorted(own)})"


def test_one_numpy_lstm():
    """The NumPy baseline's LSTM is the oracle's."""
    source = _source("conformance/suite/baselines.py")
    assert "oracle.lstm_steps" in source
    assert "def lstm_steps" in _source("conformance/suite/oracle.py")


def test_limit_writes_out_only_the_functional_models():
    """The limit trains each Sequential model from the catalogue's description; the
    functional models, which the catalogue writes as Keras code, are the only ones it
    writes out in TensorFlow."""
    from benchmarks.models import CASES

    table = next(
        node.value
        for node in ast.walk(_tree("benchmarks/limit.py"))
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "FUNCTIONAL"
    )
    written = {ast.literal_eval(key) for key in table.keys}
    assert written == {name for name, case in CASES.items() if case.spec is None}
