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

from pathlib import Path

from conformance.strings import LANGUAGES  # noqa: F401  (the site's languages)

PACKAGE = Path(__file__).resolve().parent
#: The directory that holds the package: pytest's root directory for the suite's own
#: processes, so node ids start with `conformance/` (and, in a checkout, `docs/`).
BASE = PACKAGE.parent
SUITE = PACKAGE / "suite"
_INSTALLED_PAGES = PACKAGE / "pages"
_CHECKOUT_PAGES = BASE / "docs"
#: Node-id prefix of the installed pages -> the prefix every id uses.
_PAGES_PREFIX, _DOCS_PREFIX = "conformance/pages/", "docs/"

#: Category -> the prefix of its tests' ids (the files pytest collects for it).
CATEGORIES: dict[str, str] = {
    "docs": _DOCS_PREFIX,
    "numerics": "conformance/suite/test_numerics.py",
    "api": "conformance/suite/test_api_surface.py",
    "convergence": "conformance/suite/test_convergence.py",
    "performance": "conformance/suite/test_performance.py",
    "determinism": "conformance/suite/test_determinism.py",
    "persistence": "conformance/suite/test_persistence.py",
    "distributed": "conformance/suite/test_distributed.py",
}


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


def is_doc_block(test: str) -> bool:
    """Whether a test id (or node id) names a documentation block."""
    return test_id(test).startswith(_DOCS_PREFIX)


def category(test: str) -> str:
    """The category of a test id (or node id); "other" for tests outside the suite."""
    test = test_id(test)
    for name, prefix in CATEGORIES.items():
        if test.startswith(prefix):
            return name
    return "other"


def category_path(name: str) -> Path:
    """The file or directory pytest collects for category `name`."""
    return pages_dir() if name == "docs" else BASE / CATEGORIES[name]
