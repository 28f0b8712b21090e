"""A line of badges under every block of the site: where the block behaves as its page says.

`conformance report` keeps a summary of the results it was given
(`docs/assets/conformance-results.json`: for each test, each column's outcome) and
writes, right after every runnable block of every page, one line such as

    <p class="impl-badges" markdown="span" data-block="block-1a2b3c4d">…Keras 3 :material-close:</p>

one badge per implementation of BADGES that was run, plus "Keras 3 tab" for a block
that has a Keras 3 tab (`refimpl migrate --tabs`), from the `keras3-migrated` run. A
block "behaves as its page says" when it runs, or, for an original that is broken in
its source, when it fails exactly as the page says.

The outcome is an icon that Material for MkDocs bundles, written as its shortcode
(`:material-check:`), which `pymdownx.emoji` turns into an inline SVG when the site is
built (`markdown="span"` lets it into the paragraph): an emoji character would show as
an empty box where no emoji font is installed.

Example:

>>> strip('```python\\nx = 1\\n```\\n\\n<p class="impl-badges" data-block="b">…</p>\\n\\nMore')
'```python\\nx = 1\\n```\\nMore'
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance import docblocks, known_failures
from keras_docs_base import page_format, strings
from keras_docs_base.files import write_text

SUMMARY = "assets/conformance-results.json"
#: A block's line of badges (the site's page format).
LINE = page_format.BADGE_LINE

#: Report column -> its badge's label, in the order shown. A block's Keras 3 tab has the
#: `keras3-migrated` badge, labelled in the page's language (keras_docs_base/strings).
BADGES = {"refimpl": "refimpl", "tf_keras": "tf_keras", "keras": "Keras 2", "keras3": "Keras 3"}
MIGRATED = "keras3-migrated"

#: Outcome kind (conformance.known_failures.status) -> (icon shortcode, CSS class).
SHOWN = {
    "passed": (":material-check:", "ok"),
    "unexpected-pass": (":material-check:", "ok"),
    "known": (":material-close:", "no"),
    "failed": (":material-close:", "no"),
    "skipped": (":material-minus:", "skip"),
}


def strip(text: str) -> str:
    """The page without its badge lines."""
    return LINE.sub("", text)


def summary(results: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    """What the badges (and anyone else) need of a report: each test's outcome kind per
    column, with each column's implementation."""
    tests: dict[str, dict[str, str]] = {}
    for column, result in zip(columns, results, strict=True):
        for test in result["tests"]:
            tests.setdefault(test["id"], {})[column] = known_failures.status(test)
    return {
        "columns": {
            column: {key: result["implementation"].get(key) for key in ("name", "version")}
            for column, result in zip(columns, results, strict=True)
        },
        "tests": dict(sorted(tests.items())),
    }


def _blocks(text: str, reading: str) -> dict[str, tuple[int, str]]:
    """Block name -> (end of its closing fence, its source) in one reading of a page."""
    return {r.parsed.key: (r.end, r.parsed.source) for r in docblocks.parse(text, reading)}


def _line(block: str, outcomes: dict[str, str], has_tab: bool, language: str) -> str:
    words = strings.words(language, "badges")
    shown = [(label, outcomes[column]) for column, label in BADGES.items() if column in outcomes]
    if has_tab and MIGRATED in outcomes:
        shown.append((words["tab"], outcomes[MIGRATED]))
    badges = " ".join(
        f'<span class="{SHOWN[kind][1]}">{html.escape(label)} {SHOWN[kind][0]}</span>'
        for label, kind in shown
    )
    return (
        f'\n\n<p class="impl-badges" markdown="span" data-block="{block}" '
        f'title="{html.escape(words["title"])}">{badges}</p>\n'
    )


def apply(text: str, page_id: str, language: str, tests: dict[str, dict[str, str]]) -> str:
    """`text` (a page whose test ids start with `page_id`) with a fresh badge line after
    each block that the summary's `tests` has outcomes for."""
    text = strip(text)
    written = _blocks(text, "as-written")
    migrated = _blocks(text, "migrated")
    inserts = []
    for block, (end, source) in written.items():
        outcomes = tests.get(f"{page_id}::{block}")
        if outcomes:
            has_tab = migrated.get(block, (end, source))[1] != source
            inserts.append((end, _line(block, outcomes, has_tab, language)))
    for end, line in sorted(inserts, reverse=True):
        text = text[:end] + line + text[end:]  # a blank line before and after it
    return text


def write_pages(summary_: dict[str, Any], docs_dir: Path, languages: Iterable[str]) -> list[Path]:
    """Badge lines on every page of `docs_dir`, and the summary beside them."""
    written = []
    path = docs_dir / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(summary_, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    written.append(path)
    for language in languages:
        for page in sorted((docs_dir / language).glob("*.md")):
            text = page.read_text(encoding="utf-8")
            new = apply(text, f"docs/{language}/{page.name}", language, summary_["tests"])
            if new != text:
                write_text(page, new)
                written.append(page)
    return written
