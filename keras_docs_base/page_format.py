"""The format of the site's pages, as every tool that reads or writes them sees it.

A page (`docs/<lang>/*.md`) is Markdown whose fenced `python`/`py` blocks are runnable
code. Three kinds of marks are added to it, by hand or by a tool:

- an `expect-failure` comment right before a block broken in its source
  (`<!-- expect-failure: SyntaxError: invalid character -->`);
- a Keras 3 tab (`refimpl migrate --tabs`) beside a block that Keras 3 spells
  differently: the block goes into a "Keras 2" tab (unless it already ends a tab) and
  the migrated code follows in a "Keras 3" tab, its block after `KERAS3_MARKER`;
- a line of badges under a block (`conformance report`): a paragraph of class
  `impl-badges`, with a blank line before and after it.

The conformance suite reads these marks (which blocks run, and how), `refimpl migrate`
writes the tabs and the suite's report the badges; both take the format from here.

Example:

>>> page = "```python\\nx = 1\\n```\\n"
>>> block = FENCE.search(page)
>>> tabbed = keras2_tab(page[: block_end(page, block)]) + keras3_tab("x = 2\\n", [])
>>> print(tabbed)
/// tab | Keras 2
<BLANKLINE>
```python
x = 1
```
///
<BLANKLINE>
/// tab | Keras 3
<BLANKLINE>
<!-- keras3-migrated -->
```python
x = 2
```
///
<BLANKLINE>
>>> strip_keras3_tabs(tabbed) == page
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: The info strings of a runnable block's opening fence.
PYTHON_FENCES = ("python", "py")
_PYTHON = "|".join(PYTHON_FENCES)
#: A runnable block, from its opening fence to the end of its closing fence's line.
FENCE = re.compile(rf"^```(?:{_PYTHON})[^\n]*\n(?P<code>.*?)^```[ \t]*\n", re.S | re.M)

#: The comment that marks a block as failing in its source; it must come right before
#: the block's opening fence (blank lines allowed).
EXPECT_FAILURE = re.compile(
    r"<!--[ \t]*expect-failure:[ \t]*(?P<type>[A-Za-z_][\w.]*)[ \t]*:[ \t]*"
    r"(?P<fragment>[^\n]*?)[ \t]*-->\s*\Z"
)

#: The comment before a Keras 3 tab's block.
KERAS3_MARKER = "<!-- keras3-migrated -->"

#: A block's line of badges, from the blank line before it to its own newline.
BADGE_LINE = re.compile(r'\n\n<p class="impl-badges"[^\n]*\n')
_BADGES = f"(?:{BADGE_LINE.pattern})?"

#: The end of a tab (pymdownx "blocks" syntax: bodies are not indented).
TAB_END = "\n///\n"
_KERAS2_OPEN = "/// tab | Keras 2\n\n"
_KERAS3_OPEN = f"\n/// tab | Keras 3\n\n{KERAS3_MARKER}\n"
_KERAS3_TAB = re.compile(
    r"\n/// tab \| Keras 3\n\n" + re.escape(KERAS3_MARKER) + r"\n.*?^///\n", re.S | re.M
)
_KERAS2_TAB = re.compile(
    rf"^/// tab \| Keras 2\n\n(```(?:{_PYTHON})[^\n]*\n.*?^```[ \t]*)({_BADGES})\n///\n",
    re.S | re.M,
)
#: What follows the closing fence of a block that has a Keras 3 tab.
_HAS_TAB = re.compile(_BADGES + r"\n///\n\n/// tab \| Keras 3\n\n" + re.escape(KERAS3_MARKER))
_CONTAINER = re.compile(r"^/// (\w+)", re.M)


def keras3_tab(source: str, notes: Sequence[str], heading: str = "") -> str:
    """A Keras 3 tab holding `source`, then `notes` as a list under `heading` (what is
    left to do by hand), if there are any."""
    listed = ""
    if notes:
        items = "".join(f"- {note}\n" for note in notes)
        listed = f"\n{heading}\n\n{items}"
    return f"{_KERAS3_OPEN}```python\n{source}```\n{listed}///\n"


def keras2_tab(block: str) -> str:
    """`block` (from its opening fence to its closing fence, with its badge line if any:
    see `block_end`) inside a Keras 2 tab."""
    return f"{_KERAS2_OPEN}{block}{TAB_END}"


def strip_keras3_tabs(text: str) -> str:
    """The page without its Keras 3 tabs, each Keras 2 tab's block back on its own."""
    return _KERAS2_TAB.sub(r"\1\2\n", _KERAS3_TAB.sub("", text))


def is_keras3_tab(text: str, block: re.Match[str]) -> bool:
    """Whether `block` (a `FENCE` match in `text`) is a Keras 3 tab's code."""
    return text[: block.start()].rstrip().endswith(KERAS3_MARKER)


def has_keras3_tab(text: str, block: re.Match[str]) -> bool:
    """Whether a Keras 3 tab follows `block` (a `FENCE` match in `text`)."""
    return bool(_HAS_TAB.match(text, block.end() - 1))


def expected_failure(text: str, start: int) -> re.Match[str] | None:
    """The `expect-failure` comment before the block that starts at `start`, if any."""
    return EXPECT_FAILURE.search(text, 0, start)


def block_end(text: str, block: re.Match[str]) -> int:
    """Where `block` (a `FENCE` match) ends: at its closing fence's newline, or after
    the badge line under it if it has one."""
    end = block.end() - 1
    badges = BADGE_LINE.match(text, end)
    return badges.end() if badges else end


def ends_a_tab(text: str, block: re.Match[str]) -> bool:
    """Whether `block` is the last thing in a tab (a corrected variant, say)."""
    openers = _CONTAINER.findall(text, 0, block.start())
    inside_a_tab = bool(openers) and openers[-1] == "tab"
    return inside_a_tab and text.startswith(TAB_END, block_end(text, block))
