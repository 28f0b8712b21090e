"""`refimpl migrate`'s front-end for Markdown: the fenced Python blocks of a page.

Two ways to treat a page:

- `migrate_markdown`: every block migrated in place, the prose left alone;
- `add_keras3_tabs` (`--tabs`): every block kept, with a "Keras 3" tab beside each one
  the migration changes or flags, what is left to do listed in the page's language.

The page format (blocks, `expect-failure` comments, tabs, badge lines) is the site's,
from `keras_docs_base.page_format`; this module decides only which blocks to migrate.
Broken originals (an `expect-failure` comment), Keras 3 tabs and blocks that already
have one are left as they are; the blocks of a page share one `Knowledge`, as they
share one namespace when they run.

Example:

>>> page = "Text.\\n\\n```python\\nsgd = SGD(lr=0.1)\\n```\\n"
>>> print(migrate_markdown(page).source)
Text.
<BLANKLINE>
```python
sgd = SGD(learning_rate=0.1)
```
<BLANKLINE>
"""

from __future__ import annotations

import re

from keras_docs_base import strings
from keras_docs_base.page_format import (
    FENCE,
    TAB_END,
    block_end,
    ends_a_tab,
    expected_failure,
    has_keras3_tab,
    is_keras3_tab,
    keras2_tab,
    keras3_tab,
    strip_keras3_tabs,
)
from refimpl.migrate.python_source import Result, Skipped, migrate_code
from refimpl.migrate.rules import Flag
from refimpl.migrate.transform import Knowledge
from refimpl.migrate.weights_files import document_weights_files

__all__ = ["add_keras3_tabs", "migrate_markdown", "strip_keras3_tabs"]


def migrate_markdown(text: str, known: Knowledge | None = None) -> Result:
    """Every fenced Python block of a Markdown text migrated in place; the prose, broken
    originals (an `expect-failure` comment) and Keras 3 tabs unchanged. A block that is
    not Python stays as it is, reported in `skipped` with its line in the document.
    Windows line endings are kept."""
    text, crlf = _lf(text)
    known = known or Knowledge()
    blocks = [m for m in FENCE.finditer(text) if not _left_alone(text, m)]
    document_weights_files([m.group("code") for m in blocks], known)
    flags: list[Flag] = []
    notes: list[str] = []
    skipped: list[Skipped] = []
    out, done = [], 0
    for match in blocks:
        result = migrate_code(match.group("code"), known)
        _collect(text, match, result, flags, notes, skipped)
        start = match.start("code")
        out += [text[done:start], result.source]
        done = match.end("code")
    out.append(text[done:])
    return Result(_restore("".join(out), crlf), _unique(flags), _unique(notes), tuple(skipped))


def _lf(text: str) -> tuple[str, bool]:
    """The text with LF line endings (the page format's), and whether it had CRLF."""
    return (text.replace("\r\n", "\n"), True) if "\r\n" in text else (text, False)


def _restore(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


def _unique(items: list) -> tuple:
    return tuple(dict.fromkeys(items))


def _collect(text, match, result, flags, notes, skipped) -> None:
    """A block's flags, notes and skip, with the line of the document where it is."""
    first = text.count("\n", 0, match.start("code")) + 1
    flags.extend(result.flags)
    notes.extend(f"line {first}: {note}" for note in result.notes)
    skipped.extend(Skipped(first + s.line - 1, s.reason) for s in result.skipped)


def _left_alone(text: str, block: re.Match[str]) -> bool:
    """Blocks the migration leaves: broken originals, Keras 3 tabs, and the blocks that
    have a Keras 3 tab already (`add_keras3_tabs`)."""
    return (
        expected_failure(text, block.start()) is not None
        or is_keras3_tab(text, block)
        or has_keras3_tab(text, block)
    )


def add_keras3_tabs(text: str, language: str = "en") -> Result:
    """The page with a "Keras 3" tab beside every block the migration changes or flags:
    a bare block becomes a "Keras 2" tab, a block that ends a tab (a corrected variant)
    gets the new tab after its own. Made anew from the page without them, so running it
    again changes nothing."""
    text, crlf = _lf(text)
    text = strip_keras3_tabs(text)
    heading = strings.words(language, "migrate")["left_to_do"]
    blocks = [m for m in FENCE.finditer(text) if not _left_alone(text, m)]
    known, flags, notes, skipped, out, done = Knowledge(), [], [], [], [], 0
    document_weights_files([m.group("code") for m in blocks], known)
    for match in blocks:
        result = migrate_code(match.group("code"), known)
        _collect(text, match, result, flags, notes, skipped)
        if result.source == match.group("code") and not result.flags:
            continue
        tab = keras3_tab(result.source, [flag.text(language) for flag in result.flags], heading)
        # The block ends with its closing fence and the line of badges under it, if any.
        end = block_end(text, match)
        if ends_a_tab(text, match):
            out += [text[done : end + len(TAB_END)], tab]  # after the tab it ends
            done = end + len(TAB_END)
        else:
            out += [text[done : match.start()], keras2_tab(text[match.start() : end]), tab]
            done = end + 1
    out.append(text[done:])
    return Result(_restore("".join(out), crlf), _unique(flags), _unique(notes), tuple(skipped))
