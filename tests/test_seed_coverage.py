"""Every code block of the five source documents appears on its page, byte for byte.

The sources live in `../shared/seeds` beside the checkout (see its README), or in the
folder named by `KERAS_DOCS_SEEDS`. They are not part of the repository; where neither
is present, these tests are skipped with that reason. Each source block must be on
the page listed in `PAGES`, in the source's order, with the same fence info string
(`python` or `py`) and exactly the same content; that page's doc tests then run it.
Printed output (fences without a language) must be shown as `text` blocks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("KERAS_DOCS_SEEDS") or ROOT.parent / "shared" / "seeds")
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<content>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

#: source file -> [(heading that starts a part, page that holds that part's blocks)].
#: A part runs from its heading (or the start) to the next part's heading.
PAGES: dict[str, list[tuple[str | None, str]]] = {
    "000_6527ea31049fb335.txt": [(None, "zh-TW/sequential-model.md")],
    "001_dd856087c9639d90.txt": [(None, "zh/notes-sequential-basics.md")],
    "002_099c40e384568910.txt": [(None, "ja/sequential-model.md")],
    "003_3554cc87c050c401.txt": [
        (None, "en/sequential-model.md"),
        ("# 开始使用 Keras 函数式 API", "zh/functional-api.md"),
        ("#　关于使用 pre-trained word embedding", "zh/word-embeddings.md"),
    ],
    "004_71e6bb2dc0cc8fdb.txt": [(None, "zh/notes-sequential-walkthrough.md")],
}
PYTHON = {"python", "py"}

pytestmark = pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason=f"the source documents are not in {SEEDS}: check out shared/ beside the "
    "repository, or set KERAS_DOCS_SEEDS to their folder",
)


def blocks(text: str) -> list[tuple[str, str]]:
    """(info string, content) of every unindented fenced block."""
    return [(m["info"].strip(), m["content"]) for m in FENCE.finditer(text)]


def source_parts(name: str) -> list[tuple[str, list[tuple[str, str]]]]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    parts = PAGES[name]
    starts = [0 if heading is None else text.index(heading) for heading, _ in parts]
    ends = starts[1:] + [len(text)]
    return [(page, blocks(text[a:b])) for (_, page), a, b in zip(parts, starts, ends, strict=True)]


CASES = (
    [
        (name, page, index, block)
        for name in PAGES
        for page, part in source_parts(name)
        if SEEDS.exists()
        for index, block in enumerate(part)
    ]
    if SEEDS.exists()
    else []
)


def test_seeds_are_present():
    python_blocks = [c for c in CASES if c[3][0] in PYTHON]
    assert len(python_blocks) == 68, "the seeds' README counts 68 fenced Python blocks"


@pytest.mark.parametrize(
    "name, page, index, block", CASES, ids=[f"{c[0][:3]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_source_block_is_on_its_page(name, page, index, block):
    info, content = block
    page_path = DOCS / page
    assert page_path.exists(), f"{page} is missing (it holds the blocks of {name})"
    page_blocks = blocks(page_path.read_text(encoding="utf-8"))
    if info in PYTHON:
        assert (info, content) in page_blocks, (
            f"block {index} of {name} (```{info}) is not on {page} byte for byte"
        )
    else:
        assert ("text", content) in page_blocks, (
            f"printed output {index} of {name} should be a ```text block on {page}"
        )


@pytest.mark.parametrize("name", list(PAGES))
def test_source_blocks_keep_their_order(name):
    for page, part in source_parts(name):
        page_blocks = blocks((DOCS / page).read_text(encoding="utf-8"))
        position = 0
        for info, content in part:
            wanted = (info if info in PYTHON else "text", content)
            assert wanted in page_blocks[position:], f"{name} block out of order on {page}"
            position = page_blocks.index(wanted, position) + 1
