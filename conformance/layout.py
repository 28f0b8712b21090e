"""Where the suite's files are, installed or checked out, and the ids its tests go by.

The suite runs from an installed package (a wheel, an sdist, `pip install git+...`) as
well as from a checkout of its repository. The documentation pages travel inside the
package as `conformance/pages/<lang>/*.md`, built from the repository's `docs/` (see
`pyproject.toml`); in a checkout, or an editable install, they are read from `docs/`
itself. Either way a test has one id, the one known-failure lists and results use:

| test | pytest's node id (installed) -> its id |
|---|---|
| a doc block | `conformance/pages/en/index.md::block-1a2b3c4d` -> `docs/en/index.md::...` |
| a suite test | `conformance/suite/test_numerics.py::test_dense[relu]`, the same |

Example:

>>> test_id("conformance/pages/ja/index.md::block-0123abcd")
'docs/ja/index.md::block-0123abcd'
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from conformance import thresholds
from keras_docs_base.strings import LANGUAGES  # noqa: F401  (the site's languages)

PACKAGE = Path(__file__).resolve().parent
#: The directory that holds the package: pytest's root directory for the suite's own
#: processes, so node ids start with `conformance/` (and, in a checkout, `docs/`).
BASE = PACKAGE.parent
SUITE = PACKAGE / "suite"
_INSTALLED_PAGES = PACKAGE / "pages"
_CHECKOUT_PAGES = BASE / "docs"
#: Node-id prefix of the installed pages -> the prefix every id uses.
_PAGES_PREFIX, _DOCS_PREFIX = "conformance/pages/", "docs/"


@dataclass(frozen=True)
class Category:
    """One category of the suite: where its tests are, what a failure of one means, and
    how long one may run (a key of thresholds.toml)."""

    name: str
    files: str  # its tests' files (fnmatch pattern of the part of an id before "::")
    means: str  # what a failure says about the implementation
    doc_blocks: bool = False  # its tests are the blocks of the site's pages
    time_limit: str = "suite.case_timeout_seconds"


#: The categories, in the report's order.
CATEGORIES: dict[str, Category] = {
    category.name: category
    for category in (
        Category("docs", "*.md", "a block of the site does not behave as its page says",
                 doc_blocks=True, time_limit="docs.block_timeout_seconds"),
        Category("numerics", "conformance/suite/test_numerics.py",
                 "a layer, loss or optimizer step differs from the float64 NumPy oracle"),
        Category("api", "conformance/suite/test_api_surface.py",
                 "a Keras 2 name, argument or default of the guides is missing or differs"),
        Category("convergence", "conformance/suite/test_convergence.py",
                 "a guide's model does not learn its data as Keras 2 does"),
        Category("performance", "conformance/suite/test_performance.py",
                 "slower or larger than its threshold, as a ratio to a baseline of the same run"),
        Category("determinism", "conformance/suite/test_determinism.py",
                 "two runs seeded alike differ, or the seed changes nothing"),
        Category("persistence", "conformance/suite/test_persistence.py",
                 "a model does not survive saving and loading unchanged"),
        Category("distributed", "conformance/suite/test_distributed.py",
                 "training over two devices or two workers differs from one device's"),
    )
}  # fmt: skip


def pages_dir() -> Path:
    """The documentation pages: `conformance/pages` when installed, else `docs/`."""
    for candidate in (_INSTALLED_PAGES, _CHECKOUT_PAGES):
        if (candidate / "conftest.py").is_file() and (candidate / "en").is_dir():
            return candidate
    raise FileNotFoundError(
        f"the documentation pages are missing: expected them in {_INSTALLED_PAGES} (an "
        f"installed suite) or {_CHECKOUT_PAGES} (a checkout); reinstall the package"
    )


def page_files() -> list[str]:
    """Every page's file as test ids name it (`docs/en/sequential-model.md`, ...)."""
    pages = pages_dir()
    return sorted(_DOCS_PREFIX + p.relative_to(pages).as_posix() for p in pages.glob("*/*.md"))


def test_id(nodeid: str) -> str:
    """The id of a test, wherever its file lies (see the table above)."""
    if nodeid.startswith(_PAGES_PREFIX):
        return _DOCS_PREFIX + nodeid[len(_PAGES_PREFIX) :]
    return nodeid


def category_of(test: str) -> Category | None:
    """The category of a test id (or node id); None for tests outside the suite."""
    file = test_id(test).split("::", 1)[0]
    return next((c for c in CATEGORIES.values() if fnmatch.fnmatchcase(file, c.files)), None)


def category(test: str) -> str:
    """The name of a test's category; "other" for tests outside the suite."""
    found = category_of(test)
    return found.name if found else "other"


def is_doc_block(test: str) -> bool:
    """Whether a test id (or node id) names a documentation block."""
    found = category_of(test)
    return found is not None and found.doc_blocks


def time_limit(test: str, case_timeout: float | None = None) -> float:
    """Seconds one test may run: its category's limit in thresholds.toml (a suite test's
    is `case_timeout` when given, as `--timeout` sets it)."""
    found = category_of(test) or CATEGORIES["numerics"]
    if case_timeout is not None and not found.doc_blocks:
        return case_timeout
    section, key = found.time_limit.split(".")
    return float(thresholds.load()[section][key])


def category_path(name: str) -> Path:
    """The file or directory pytest collects for category `name`."""
    return pages_dir() if CATEGORIES[name].doc_blocks else BASE / CATEGORIES[name].files
