"""The parser of documentation blocks (conformance/docblocks.py): its two readings."""

from __future__ import annotations

import pytest
from sybil import Document

from conformance.docblocks import KERAS3_MARKER, CodeBlockParser, block_key

PAGE = f"""Prose.

```python
a = 1
```

/// tab | Keras 2

```python
opt = SGD(lr=0.1)
```
///

/// tab | Keras 3

{KERAS3_MARKER}
```python
opt = SGD(learning_rate=0.1)
```
///

<!-- expect-failure: NameError: name 'b' is not defined -->
```py
print(b)
```
"""


def _blocks(reading: str, text: str = PAGE) -> list[tuple[str, str, bool]]:
    document = Document(text, "page.md")
    regions = CodeBlockParser(lambda: reading)(document)
    return [(r.parsed.key, r.parsed.source, r.parsed.expected_failure is not None)
            for r in regions]  # fmt: skip


def test_as_written_runs_every_block_but_the_keras3_tabs():
    assert _blocks("as-written") == [
        (block_key("a = 1\n"), "a = 1\n", False),
        (block_key("opt = SGD(lr=0.1)\n"), "opt = SGD(lr=0.1)\n", False),
        (block_key("print(b)\n"), "print(b)\n", True),
    ]


def test_migrated_runs_each_keras3_tab_under_the_name_of_the_block_it_replaces():
    assert _blocks("migrated") == [
        (block_key("a = 1\n"), "a = 1\n", False),
        (block_key("opt = SGD(lr=0.1)\n"), "opt = SGD(learning_rate=0.1)\n", False),
        (block_key("print(b)\n"), "print(b)\n", True),
    ]


def test_a_keras3_tab_with_no_block_before_it_is_an_error():
    text = f"{KERAS3_MARKER}\n```python\nx = 1\n```\n"
    with pytest.raises(ValueError, match="must follow the block it replaces"):
        _blocks("migrated", text)


def test_an_unknown_reading_is_an_error():
    with pytest.raises(ValueError, match=r"expected one of .*received 'sideways'"):
        _blocks("sideways")
