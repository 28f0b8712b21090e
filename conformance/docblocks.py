"""Every fenced Python block of the documentation, as a test.

A Sybil parser finds the blocks (info string `python` or `py`) of a Markdown page; the
blocks of one page run in order in one namespace, as a reader would run them. A block
preceded by an HTML comment

    <!-- expect-failure: SyntaxError: invalid character -->

is an original that is broken in its source: its test passes only if running it raises
exactly that exception type with that fragment in the message, and fails, saying so,
if the block ever runs.

A block's test is named by its code, not by its place on the page: `block-` and the
first 8 hex digits of the SHA-1 of its source (`-2`, `-3`, ... for a repeat of the
same code on one page). The name survives edits of the prose around the block, and
the same code has the same name in every language, so one known-failure entry
(`docs/*/functional-api.md::block-1a2b3c4d`) covers it on all four pages.

Each page starts from an empty namespace, fixed random seeds, a cleared Keras session
and a fresh temporary working directory (pages write files), with `keras` resolving to
the implementation under test.

A page is read in one of two ways (`READINGS`), chosen by the implementation under test:
as written (every block but the Keras 3 tabs), or migrated, where each block followed by
a Keras 3 tab (a block after the comment `<!-- keras3-migrated -->`, made by `refimpl
migrate --tabs`) is replaced by that tab's code, under the replaced block's name, so the
results of both readings line up block by block.

A Jupyter notebook (`.ipynb`, `NotebookDocument`) is a document too: each code cell is
a block, named by its code as a fenced block is, and run in order in the notebook's
one namespace. Its IPython syntax runs through IPython when installed, else each such
line is skipped with a warning (`keras_docs_base.notebook_cells`).

A setup file (`make_sybil(setup_file=...)`) runs in each document's namespace before
its first block: it can fetch or fake the data sets a course downloads, or copy the
files beside the document (its path is `__document__`) into the temporary working
directory the document runs in.
"""

from __future__ import annotations

import collections
import gc
import hashlib
import linecache
import os
import random
import re
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

from keras_docs_base import notebook_cells

# The page format (the marks read here) is the site's, shared with `refimpl migrate`.
from keras_docs_base.page_format import EXPECT_FAILURE, KERAS3_MARKER, PYTHON_FENCES

_LANGUAGES = "|".join(PYTHON_FENCES)
_KERAS3 = re.compile(re.escape(KERAS3_MARKER) + r"\s*\Z")
#: How a page can be read: which of its blocks run.
READINGS = ("as-written", "migrated")


@dataclass(frozen=True)
class ExpectedFailure:
    """What a block that is broken in its source must raise."""

    exception: str  # the exception class name, e.g. "SyntaxError"
    fragment: str  # a piece of its message

    def check(self, error: BaseException, where: str) -> None:
        name = type(error).__name__
        if name != self.exception or self.fragment not in _message(error):
            raise AssertionError(
                f"{where}: the original block should fail with {self.exception} containing "
                f"{self.fragment!r}, but it raised {name}: {_message(error)}"
            ) from error


@dataclass(frozen=True)
class CodeBlock:
    """One runnable block: its source, its name on the page (see `block_key`) and, for a
    broken original, its expected failure."""

    source: str
    expected_failure: ExpectedFailure | None
    key: str


def block_key(source: str, occurrence: int = 1) -> str:
    """The name of a block with this source, the `occurrence`-th on its page."""
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:8]
    return f"block-{digest}" + (f"-{occurrence}" if occurrence > 1 else "")


def _message(error: BaseException) -> str:
    if isinstance(error, SyntaxError):
        return error.msg or str(error)
    return str(error)


class CodeBlockParser:
    """Sybil parser: fenced `python`/`py` blocks with an optional expect-failure comment,
    read as written or migrated (see the module docstring)."""

    def __init__(self, reading: Callable[[], str] = lambda: "as-written") -> None:
        self.lexer = FencedCodeBlockLexer(_LANGUAGES)
        self.reading = reading  # asked when a page is parsed: pytest's options are read

    def __call__(self, document: Document) -> Iterable[Region]:
        reading = self.reading()
        if reading not in READINGS:
            raise ValueError(f"reading: expected one of {READINGS}, received {reading!r}")
        seen: collections.Counter[str] = collections.Counter()
        previous: Region | None = None  # held back: a Keras 3 tab may replace it
        for region in self.lexer(document):
            source = str(region.lexemes["source"])
            if _KERAS3.search(document.text, 0, region.start):
                if previous is None:
                    raise ValueError(
                        f"{document.path}, {document.line_column(region.start)}: a Keras 3 "
                        "tab must follow the block it replaces; found none before it"
                    )
                if reading == "migrated":
                    region.parsed = CodeBlock(source, None, previous.parsed.key)
                    region.evaluator = evaluate
                    previous = region
                continue
            marker = EXPECT_FAILURE.search(document.text, 0, region.start)
            expected = None
            if marker is not None:
                expected = ExpectedFailure(marker.group("type"), marker.group("fragment"))
            seen[source] += 1
            region.parsed = CodeBlock(source, expected, block_key(source, seen[source]))
            region.evaluator = evaluate
            if previous is not None:
                yield previous
            previous = region
        if previous is not None:
            yield previous


def parse(text: str, reading: str = "as-written") -> list[Region]:
    """The runnable blocks of a page's text, in one reading (see READINGS)."""
    return list(CodeBlockParser(lambda: reading)(Document(text, "page.md")))


def evaluate(example: Example) -> None:
    """Run one block in its page's namespace (Sybil evaluator)."""
    block: CodeBlock = example.parsed
    page = os.path.join(*Path(example.path).parts[-2:])
    where = f"{page}, line {example.line}"
    # Pad with newlines so tracebacks point at the page's own line numbers.
    source = "\n" * example.line + block.source
    if block.expected_failure is None:
        exec(compile(source, example.path, "exec"), example.namespace)  # noqa: S102
        return
    try:
        exec(compile(source, example.path, "exec"), example.namespace)  # noqa: S102
    except Exception as error:  # noqa: BLE001 - every failure is checked against the page
        block.expected_failure.check(error, where)
    else:
        raise AssertionError(
            f"{where}: this original block is documented as failing with "
            f"{block.expected_failure.exception} ({block.expected_failure.fragment!r}), but "
            "it ran without error. The source or the implementation changed: update the "
            "page (drop the Original/Corrected tabs if the block now runs as written)."
        )


@dataclass(frozen=True)
class CellBlock:
    """One code cell of a notebook, and its name in the notebook (see `block_key`)."""

    cell: notebook_cells.Cell
    key: str


class NotebookDocument(Document):
    """A Jupyter notebook as a Sybil document: one example per code cell, in order.

    The document's text is the cells' sources, one after the other, so that each cell
    is a region of it; an example's `line` is its cell's number in the notebook (from
    1, counting every cell, as notebook editors do), which is what the suite's results
    and reports show for a notebook. Parsers given to `parse` do not apply: the cells
    are the notebook's blocks.
    """

    @classmethod
    def parse(cls, path: str, *parsers: Any, encoding: str = "utf-8") -> NotebookDocument:
        cells = notebook_cells.read(path)
        document = cls("".join(cell.source + "\n" for cell in cells), path)
        seen: collections.Counter[str] = collections.Counter()
        start = 0
        for cell in cells:
            seen[cell.source] += 1
            end = start + len(cell.source)
            block = CellBlock(cell, block_key(cell.source, seen[cell.source]))
            document.add(Region(start, end, block, evaluate_cell))
            start = end + 1
        return document

    def examples(self) -> Iterable[Example]:
        for _, region in self.regions:
            yield Example(self, region.parsed.cell.number, 1, region, self.namespace)


def evaluate_cell(example: Example) -> None:
    """Run one notebook cell in its notebook's namespace (Sybil evaluator); warn once
    per line of IPython syntax that does not run."""
    cell: notebook_cells.Cell = example.parsed.cell
    where = f"{os.path.basename(example.path)}, cell {cell.number}"
    for note in cell.notes:
        warnings.warn(f"{where}, {note}", UserWarning, stacklevel=1)
    if "get_ipython" not in example.namespace:
        notebook_cells.bind_ipython(example.namespace)
    # Tracebacks (pytest's, Python's) show the cell's lines from here: it has no file.
    linecache.cache[where] = (len(cell.python), None, cell.python.splitlines(True), where)
    exec(compile(cell.python, where, "exec"), example.namespace)  # noqa: S102


#: Document classes by file suffix; any other file is read as Markdown text.
DOCUMENT_TYPES = {".ipynb": NotebookDocument}


def page_seed(path: str) -> int:
    """A fixed seed per page, stable across runs and machines."""
    return zlib.crc32(
        os.path.basename(os.path.dirname(path)).encode() + os.path.basename(path).encode()
    )


def make_sybil(
    activate: Callable[[], Any],
    path: str,
    patterns: Iterable[str] = ("*.md",),
    reading: Callable[[], str] = lambda: "as-written",
    setup_file: Callable[[], str | None] = lambda: None,
) -> Sybil:
    """The Sybil collecting every page under `path`, read as `reading()` says (one of
    READINGS); `activate()` makes `keras` the implementation under test; the Python
    file `setup_file()` names, if any, runs in each page's namespace before its blocks
    (with its own `__file__`, so it can find the files beside it)."""

    def setup(namespace: dict[str, Any]) -> None:
        keras = activate()
        path = namespace.get("__file__", "")
        seed = page_seed(path)
        random.seed(seed)
        try:
            import numpy as np

            np.random.seed(seed % 2**32)
        except ImportError:  # pragma: no cover - numpy is a dependency
            pass
        _clear_session(keras)
        namespace["__cwd__"] = os.getcwd()
        namespace["__tmp__"] = tempfile.TemporaryDirectory(prefix="keras-docs-")
        os.chdir(namespace["__tmp__"].name)
        for name in [n for n in namespace if not n.startswith("__")]:
            del namespace[name]
        setup_path = setup_file()
        if setup_path:
            _run_setup_file(Path(setup_path), namespace)

    def teardown(namespace: dict[str, Any]) -> None:
        os.chdir(namespace.pop("__cwd__"))
        namespace.pop("__tmp__").cleanup()
        keras = activate()
        namespace.clear()
        _clear_session(keras)
        gc.collect()

    return _BlockSybil(
        parsers=[CodeBlockParser(reading)],
        path=path,
        patterns=list(patterns),
        setup=setup,
        teardown=teardown,
        document_types=DOCUMENT_TYPES,
    )


def _run_setup_file(path: Path, namespace: dict[str, Any]) -> None:
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FileNotFoundError(
            f"the documents' setup file {path} cannot be read: {error.strerror or error}"
        ) from None
    document = namespace.get("__file__")
    namespace["__file__"] = str(path.resolve())
    try:
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    finally:
        if document is None:
            namespace.pop("__file__", None)
        else:
            namespace["__file__"] = document


class _BlockSybil(Sybil):
    """Names each block's test by its code (`CodeBlock.key`) rather than its line, and
    gives each document's namespace its path as `__document__` (a setup file copies the
    files beside it into the page's temporary working directory with it)."""

    def identify(self, example: Example) -> str:
        return example.parsed.key

    def parse(self, path: Path) -> Document:
        document = super().parse(path)
        document.namespace["__document__"] = str(path)
        return document


def _clear_session(keras: Any) -> None:
    backend = getattr(keras, "backend", None)
    clear = getattr(backend, "clear_session", None)
    if clear is not None:
        clear()
