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
"""

from __future__ import annotations

import collections
import gc
import hashlib
import os
import random
import re
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown.lexers import FencedCodeBlockLexer

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
) -> Sybil:
    """The Sybil collecting every page under `path`, read as `reading()` says (one of
    READINGS); `activate()` makes `keras` the implementation under test."""

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
    )


class _BlockSybil(Sybil):
    """Names each block's test by its code (`CodeBlock.key`) rather than its line."""

    def identify(self, example: Example) -> str:
        return example.parsed.key


def _clear_session(keras: Any) -> None:
    backend = getattr(keras, "backend", None)
    clear = getattr(backend, "clear_session", None)
    if clear is not None:
        clear()
