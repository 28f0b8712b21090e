"""`pytest --keras-docs PATH...`: anyone's notebooks and Markdown pages as the suite's tests.

A course, a book or a blog keeps its Keras code in Jupyter notebooks and Markdown
pages. Given their paths, this plugin collects every code cell of every `.ipynb` and
every fenced Python block of every `.md` under them (a folder is searched through;
`.ipynb_checkpoints` is not) exactly as the site's own pages are collected
(`conformance.docblocks`): one test per cell or block, named by its code, the blocks of
one document in order in one namespace, each document in a process of its own
(`conformance.page_process`), with `keras` meaning the implementation under test
(`--impl`). Nothing else under the paths is collected, so a course's own test files
are left alone.

Options (beside `--impl`, `--known-failures` and `--block-timeout`):

- `--keras-docs PATH...`: the documents (files or folders). Without positional
  arguments, pytest collects exactly these.
- `--docs-setup FILE`: a Python file run in each document's namespace before its first
  cell (see `conformance.docblocks.make_sybil`), e.g. to copy data sets into
  `KERAS_HOME` or stand in for a download on a machine without network.

The suite's own known-failure lists say nothing about these documents: only the list
given with `--known-failures` applies. `python -m conformance docs PATH...` runs the
same collection through the suite's runner (a crash or a hang is a result, results
JSON, `known-failures` and `report` as for the site).

Installed, the suite registers this module with pytest (the `pytest11` entry point);
the suite's other plugins (`conformance.PYTEST_PLUGINS`) then load only in a run given
`--keras-docs`, so that other test runs in that environment are left as they were.

Example::

    pytest --keras-docs lessons/ --impl tf_keras --known-failures expected/tf_keras.txt
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import PYTEST_PLUGINS, docblocks, implementations

#: The documents' file names: notebooks and Markdown pages.
DOCUMENT_PATTERNS = ("*.ipynb", "*.md")
#: Folders that hold no documents of their own: Jupyter's autosaved copies.
SKIPPED_FOLDERS = (".ipynb_checkpoints",)


def _activate():
    return implementations.activate(implementations.resolve())


class UserDocuments:
    """Collects the documents under `roots` (and nothing else there)."""

    def __init__(self, config: pytest.Config, roots: list[Path]) -> None:
        self.roots = roots
        setup = config.getoption("--docs-setup")
        setup_path = str(Path(setup).resolve()) if setup else None
        sybil = docblocks.make_sybil(
            _activate,
            path="/",  # every file: `pytest_collect_file` below picks the documents
            patterns=DOCUMENT_PATTERNS,
            reading=lambda: implementations.resolve().reading,
            setup_file=lambda: setup_path,
        )
        self.collect_document = sybil.pytest()

    def _under_roots(self, path: Path) -> bool:
        return any(path == root or root in path.parents for root in self.roots)

    @staticmethod
    def _is_document(path: Path) -> bool:
        return any(path.match(pattern) for pattern in DOCUMENT_PATTERNS)

    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        path = collection_path.resolve()
        if not self._under_roots(path):
            return None
        if path.name in SKIPPED_FOLDERS:
            return True
        return True if path.is_file() and not self._is_document(path) else None

    @pytest.hookimpl
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector):
        path = file_path.resolve()
        if self._under_roots(path) and self._is_document(path):
            return self.collect_document(path, parent)
        return None


def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> None:
    """Load the suite's other plugins for a `--keras-docs` run (see the docstring)."""
    if not any(arg.split("=", 1)[0] == "--keras-docs" for arg in args):
        return
    for name in PYTEST_PLUGINS:
        if name != __name__:  # this module is registered under its own name already
            early_config.pluginmanager.import_plugin(name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption(
        "--keras-docs",
        nargs="+",
        action="extend",
        default=[],
        metavar="PATH",
        help="test these notebooks and Markdown pages (files or folders): every code cell "
        "and Python block, one namespace and one process per document",
    )
    group.addoption(
        "--docs-setup",
        default=None,
        metavar="FILE",
        help="with --keras-docs: a Python file run in each document's namespace first",
    )


def pytest_configure(config: pytest.Config) -> None:
    paths = config.getoption("--keras-docs")
    if not paths:
        if config.getoption("--docs-setup"):
            raise pytest.UsageError("--docs-setup applies to --keras-docs documents; give both")
        return
    roots = [Path(p).resolve() for p in paths]
    missing = [str(p) for p, root in zip(paths, roots, strict=True) if not root.exists()]
    if missing:
        raise pytest.UsageError(
            f"--keras-docs: no such file or folder: {', '.join(missing)} (expected notebooks, "
            "Markdown pages or folders holding them)"
        )
    setup = config.getoption("--docs-setup")
    if setup and not Path(setup).is_file():
        raise pytest.UsageError(f"--docs-setup: no such file: {setup} (expected a Python file)")
    config.pluginmanager.register(UserDocuments(config, roots), "keras-docs")
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        # Nothing named on the command line: collect the documents, not the testpaths.
        config.args[:] = [str(root) for root in roots]
