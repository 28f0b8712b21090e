"""The words of every page the tools generate, one file per language (`<lang>.toml`).

The conformance report, the performance tables, the badges under each block and the
notes under each Keras 3 tab (`refimpl migrate --tabs`) take their words from here, so
a translation is edited in one place and a new language is one new file (with every
key of `en.toml`).

Example:

>>> words("ja", "badges")["tab"]
'Keras 3 タブ'
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: The languages of the site, in the order of its language switcher.
LANGUAGES = ("en", "zh", "zh-TW", "ja")
_FOLDER = Path(__file__).resolve().parent


@functools.cache
def table(language: str) -> dict[str, Any]:
    """Every section of one language's file."""
    if language not in LANGUAGES:
        raise ValueError(f"language: expected one of {LANGUAGES}, received {language!r}")
    with open(_FOLDER / f"{language}.toml", "rb") as file:
        return tomllib.load(file)


def words(language: str, section: str) -> dict[str, Any]:
    """One section (`report`, `benchmarks`, `badges`, `migrate`) of one language."""
    return table(language)[section]
