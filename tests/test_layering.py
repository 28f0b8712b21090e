"""The layering of the project's packages (ARCHITECTURE.md): a module imports only
modules of its own layer or the layers below, wherever the import statement stands (at
the top or inside a function), so no import breaks a cycle. Across packages,
`keras_docs_base` is the bottom: it imports neither of the others, and refimpl never
imports conformance (the implementation does not lean on the suite that tests it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: keras_docs_base's modules, lowest layer first: the base both packages stand on.
BASE_LAYERS = (
    {"alias", "files", "strings", "page_format", "notebook_cells"},
    {"keras_docs_base"},
)
#: conformance's modules, lowest layer first.
CONFORMANCE_LAYERS = (
    # words, files, tables and parsers that know nothing of a run
    {"conformance", "strings", "files", "thresholds", "alias", "thread_budget", "page_profile",
     "known_failures", "docblocks", "corpus"},
    # where things are, and which Keras is under test
    {"layout", "implementations"},
    # one run: its records and its page processes
    {"results", "page_process"},
    # pytest's side of a run (anyone's documents too), and the badges a run's results make
    {"pytest_plugin", "user_docs", "badges"},
    # the runner of a whole suite, the report of several runs
    {"runner", "report"},
    # the command line
    {"cli", "__main__"},
)  # fmt: skip
#: refimpl's modules, lowest layer first.
REFIMPL_LAYERS = (
    # Keras 3 and TensorFlow, captured before any alias of `keras` exists
    {"_keras3"},
    # the door to Keras 3's private API; Keras 2 modules that only re-export Keras 3's
    {"_keras3_private", "compilation", "activations", "constraints", "initializers", "losses",
     "regularizers", "preprocessing.image", "preprocessing.sequence", "training"},
    # what the trainer and the layers build on
    {"_keras3_fixes", "backend.common", "validation", "metrics", "metric_names", "module_paths",
     "training.compiled", "training.data", "training.epochs", "training.feed"},
    # the backend's sections, one module each, which the backend package re-exports
    {"backend.tensorflow_backend", "backend.tensors", "backend.shapes", "backend.control_flow",
     "backend.nn", "backend.graphs", "backend.sequences", "backend.keras22_ops",
     "training.fast_path"},
    {"backend"},
    # the one table of Keras 1 and Keras 2 argument translations; saved Lambda functions
    # read as data and rebuilt from a table of allowed names
    {"legacy", "lambda_bytecode", "lambda_calls", "lambda_expressions", "lambda_rebuild",
     "saved_lambda"},
    {"callbacks", "optimizers", "utils.common", "preprocessing.text", "layers.base_layer",
     "migrate.rules", "migrate.api", "migrate.python_text"},
    {"layers", "utils.data_utils", "utils.generic_utils", "utils.layer_utils", "utils.np_utils",
     "utils.vis_utils", "wrappers.scikit_learn", "training.fast_fit", "training.fast_generator",
     "training.fast_predict", "preprocessing", "migrate.transform", "migrate.api_names",
     "migrate.functions", "migrate.weights_files"},
    # model files of every Keras: formats, configs, weights, then the graph and the loader
    {"saved.configs", "saved.tf_ops", "saved.weights", "saved.formats"},
    {"saved.graph"},
    {"saved"},
    {"persistence", "training.trainer", "utils", "wrappers", "migrate.python_source"},
    {"saved.convert"},
    {"models", "migrate.markdown", "migrate.notebook"},
    # Keras 2's import paths (`keras.engine.topology`, ...): re-exports only
    {"engine", "engine.base_layer", "engine.saving", "engine.sequential", "engine.topology",
     "engine.training", "migrate.cli"},
    {"refimpl", "__main__", "migrate", "notebook"},
)  # fmt: skip
PACKAGES = {
    "keras_docs_base": BASE_LAYERS,
    "conformance": CONFORMANCE_LAYERS,
    "refimpl": REFIMPL_LAYERS,
}
#: Package -> the other packages any of its modules may import.
BELOW = {
    "keras_docs_base": set(),
    "conformance": {"keras_docs_base"},
    "refimpl": {"keras_docs_base"},
}
#: Imports across packages allowed beyond `BELOW`, and why.
ALLOWED = {
    # Activating refimpl as the implementation under test imports it, in that process
    # only; the suite itself runs without TensorFlow.
    ("conformance.implementations", "refimpl"),
}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, top-level or not: `from pkg import name` counts as
    `pkg.name` when that is a module, else as `pkg` (a package's `__init__` runs for
    any of its modules, so importing through it is not counted against it)."""
    modules = {module for module, _ in _modules()}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            named = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (named & modules) or {node.module}
    return found - set(PACKAGES)


def _layer_of(module: str) -> int | None:
    package = module.split(".")[0]
    name = module.removeprefix(f"{package}.") if module != package else module
    for index, layer in enumerate(PACKAGES.get(package, ())):
        if name in layer:
            return index
    return None


def _modules() -> list[tuple[str, Path]]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[1:2] in (("suite",), ("pages",)):
                continue  # the suite's tests, the installed pages: not layered modules
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            modules.append((".".join(parts), path))
    return modules


def test_every_module_has_a_layer():
    missing = [module for module, _ in _modules() if _layer_of(module) is None]
    assert not missing, f"add these to the layers here (and to ARCHITECTURE.md): {missing}"


@pytest.mark.parametrize("module, path", _modules(), ids=[m for m, _ in _modules()])
def test_no_module_imports_a_layer_above_its_own(module, path):
    package, own = module.split(".")[0], _layer_of(module)
    above = []
    for imported in sorted(_imports(path)):
        other = imported.split(".")[0]
        if other in PACKAGES and other != package:
            if other not in BELOW[package] and (module, other) not in ALLOWED:
                above.append(f"{imported} (another package: not allowed for {module})")
            continue
        if other != package or imported == module:
            continue
        layer = _layer_of(imported)
        if layer is not None and layer > own:
            above.append(f"{imported} (layer {layer}, above {module}'s {own})")
    assert not above, f"{module} imports from above its layer: {above}"


def test_refimpl_never_imports_conformance():
    """The rule itself, stated once more so that no entry of ALLOWED can lift it."""
    offending = []
    for module, path in _modules():
        if module.split(".")[0] == "conformance":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            offending += [f"{module}: {n}" for n in names if n.split(".")[0] == "conformance"]
    assert not offending, offending


#: Modules that may pass MOST_LINES because they are tables of data, and why
#: (ARCHITECTURE.md names them too).
DATA_TABLES = {
    # every Keras 1 and Keras 2 argument Keras 3 spells differently, one entry each
    "refimpl/legacy.py",
}
#: The longest a module of code may be: a reader holds one concept at a time.
MOST_LINES = 600


def test_no_module_is_longer_than_600_lines_except_data_tables():
    long = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MOST_LINES and relative not in DATA_TABLES:
                long.append(f"{relative} ({lines} lines)")
    assert not long, f"split these into modules of one concept each: {long}"
