"""The layering of the conformance package (ARCHITECTURE.md): a module imports only
modules of its own layer or the layers below, wherever the import statement stands
(at the top or inside a function), so no import breaks a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: conformance's modules, lowest layer first.
CONFORMANCE_LAYERS = (
    # words, files, tables and parsers that know nothing of a run
    {"conformance", "strings", "files", "thresholds", "alias", "thread_budget", "page_profile",
     "known_failures", "docblocks"},
    # where things are, and which Keras is under test
    {"layout", "implementations"},
    # one run: its records and its page processes
    {"results", "page_process"},
    # pytest's side of a run, and the badges a run's results make
    {"pytest_plugin", "badges"},
    # the runner of a whole suite, the report of several runs
    {"runner", "report"},
    # the command line
    {"cli", "__main__"},
)  # fmt: skip
#: Imports across packages that are allowed, and why.
ALLOWED = {
    # Activating refimpl as the implementation under test imports it, in that process
    # only; the suite itself runs without TensorFlow.
    ("conformance.implementations", "refimpl"),
}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, top-level or not (`from pkg import name` counts as
    `pkg.name` when that is a module of the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _layer_of(module: str) -> int | None:
    name = module.removeprefix("conformance.") if module != "conformance" else module
    for index, layer in enumerate(CONFORMANCE_LAYERS):
        if name in layer:
            return index
    return None


def _modules() -> list[tuple[str, Path]]:
    package = ROOT / "conformance"
    modules = [("conformance", package / "__init__.py")]
    modules += [(f"conformance.{p.stem}", p) for p in sorted(package.glob("*.py"))
                if p.stem != "__init__"]  # fmt: skip
    modules.append(("conformance.strings", package / "strings" / "__init__.py"))
    return modules


def test_every_module_has_a_layer():
    missing = [module for module, _ in _modules() if _layer_of(module) is None]
    assert not missing, f"add these to CONFORMANCE_LAYERS (and ARCHITECTURE.md): {missing}"


@pytest.mark.parametrize("module, path", _modules(), ids=[m for m, _ in _modules()])
def test_no_module_imports_a_layer_above_its_own(module, path):
    own = _layer_of(module)
    above = []
    for imported in sorted(_imports(path)):
        if imported.split(".")[0] == "refimpl" and (module, "refimpl") not in ALLOWED:
            above.append(f"{imported} (refimpl: the suite must run without it)")
        if imported.split(".")[0] != "conformance" or imported == module:
            continue
        layer = _layer_of(imported)
        if layer is not None and layer > own:
            above.append(f"{imported} (layer {layer}, above {module}'s {own})")
    assert not above, f"{module} imports from above its layer: {above}"
