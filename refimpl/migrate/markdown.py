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

import libcst as cst

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
from refimpl.migrate.python_source import Result, migrate_code
from refimpl.migrate.rules import Flag
from refimpl.migrate.transform import Knowledge

__all__ = ["add_keras3_tabs", "migrate_markdown", "strip_keras3_tabs"]


def migrate_markdown(text: str, known: Knowledge | None = None) -> Result:
    """Every fenced Python block of a Markdown text migrated in place; the prose, broken
    originals (an `expect-failure` comment) and Keras 3 tabs unchanged."""
    known = known or Knowledge()
    flags: list[Flag] = []

    def block(match: re.Match[str]) -> str:
        if _left_alone(text, match):
            return match.group(0)
        result = migrate_code(match.group("code"), known)
        flags.extend(result.flags)
        return match.group(0).replace(match.group("code"), result.source, 1)

    return Result(FENCE.sub(block, text), tuple(dict.fromkeys(flags)))


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
    text = strip_keras3_tabs(text)
    heading = strings.words(language, "migrate")["left_to_do"]
    known, flags, out, done = Knowledge(), [], [], 0
    for match in FENCE.finditer(text):
        if _left_alone(text, match):
            continue
        try:
            result = migrate_code(match.group("code"), known)
        except cst.ParserSyntaxError:
            continue  # not Python 3: left as it is
        if result.source == match.group("code") and not result.flags:
            continue
        flags.extend(result.flags)
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
    return Result("".join(out), tuple(dict.fromkeys(flags)))
