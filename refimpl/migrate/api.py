"""Keras 2's API as `refimpl migrate` uses it: the classification of every public
Keras 2 name against Keras 3 (`keras2_api.toml`, written by scripts/keras2_api.py and
checked by tests/test_migrate_api.py), read once.

A name is `same`, `renamed` (a rule rewrites it; `to` where it moved), `changed` (a
rule rewrites it with Keras 2's meaning) or `gone` (`do` says what to write instead,
and the tool flags each use).

>>> moved("keras.layers.experimental.preprocessing.Rescaling")
'keras.layers.Rescaling'
>>> gone("keras.layers.LocallyConnected2D")["status"]
'gone'
"""

from __future__ import annotations

import functools
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

DATA = Path(__file__).with_name("keras2_api.toml")

#: The classes whose members the data lists, as `keras.Model.fit_generator`.
CLASSES_WITH_MEMBERS = ("keras.Model", "keras.Sequential", "keras.layers.Layer")

#: Members too common a word to flag by name alone: on another object they mean
#: something else (`optimizer.updates`, `cell.stateful`, `layer.kernel`).
COMMON_WORDS = frozenset({"updates", "stateful", "dynamic", "submodules", "kernel",
                          "name_scope", "with_name_scope"})  # fmt: skip


@functools.cache
def entries() -> dict[str, dict]:
    """Dotted Keras 2 name -> its entry."""
    return tomllib.loads(DATA.read_text(encoding="utf-8"))["names"]


def entry(dotted: str) -> dict | None:
    return entries().get(dotted)


def moved(dotted: str) -> str | None:
    """Where Keras 3 has a name that only moved (rules `api-paths`, `backend-ops`), else
    None."""
    found = entry(dotted)
    if found and found.get("rule") in ("api-paths", "backend-ops"):
        return found.get("to")
    return None


def renamed_arguments(dotted: str) -> dict[str, str]:
    """Keras 2 argument -> Keras 3's, for a name whose arguments only changed names."""
    found = entry(dotted)
    return dict(found.get("renames", {})) if found else {}


def gone(dotted: str) -> dict | None:
    """The entry of a name (or of some of its arguments: `arguments`) Keras 3 lacks."""
    found = entry(dotted)
    return found if found and found["status"] == "gone" else None


@functools.cache
def gone_members() -> dict[str, str]:
    """Model and layer members Keras 3 lacks, by bare name -> what to do; a name is
    listed only when Keras 3 lacks it on every class that had it."""
    found: dict[str, str] = {}
    kept: set[str] = set()
    for dotted, value in entries().items():
        owner, _, member = dotted.rpartition(".")
        if owner not in CLASSES_WITH_MEMBERS or member in COMMON_WORDS:
            continue
        if value["status"] == "gone" and "arguments" not in value:
            found.setdefault(member, value["do"])
        else:
            kept.add(member)
    return {name: do for name, do in found.items() if name not in kept}


#: The marks between which a page holds the classification's summary (`with_summary`).
SUMMARY_START, SUMMARY_END = "<!-- keras2-api:start -->", "<!-- keras2-api:end -->"
STATUSES = ("same", "renamed", "changed", "gone")


def _group(dotted: str) -> str:
    """The module (or model class) a name is counted under in the summary."""
    parts = dotted.split(".")
    if len(parts) == 2:
        return "keras"
    return ".".join(parts[:2])


def summary_table(language: str) -> str:
    """The classification's counts, a row per module, as a Markdown table whose heading is
    in `language` (keras_docs_base/strings/<lang>.toml, `[migrate] api_table`)."""
    from keras_docs_base import strings

    words = strings.words(language, "migrate")["api_table"]
    counts: dict[str, dict[str, int]] = {}
    for dotted, value in entries().items():
        row = counts.setdefault(_group(dotted), dict.fromkeys(STATUSES, 0))
        row[value["status"]] += 1
    total = {status: sum(row[status] for row in counts.values()) for status in STATUSES}
    lines = [
        f"| {words['heading']} |",
        "|---|" + "---:|" * (len(STATUSES) + 1),
    ]
    for group, row in [*sorted(counts.items()), (words["total"], total)]:
        cells = [str(sum(row.values())), *(str(row[s]) for s in STATUSES)]
        name = f"`{group}`" if group != words["total"] else f"**{group}**"
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def with_summary(page: str, language: str) -> str:
    """The page with the summary table between its marks made anew from the data."""
    start, end = page.index(SUMMARY_START), page.index(SUMMARY_END)
    return page[: start + len(SUMMARY_START)] + "\n" + summary_table(language) + page[end:]
