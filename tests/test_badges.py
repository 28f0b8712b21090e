"""The badge line under each block of the site (conformance/badges.py), and how it lives
with the Keras 3 tabs that `refimpl migrate --tabs` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sample_page import PAGE

from conformance import badges
from conformance.docblocks import block_key

ROOT = Path(__file__).resolve().parents[1]
SGD_BLOCK = block_key("from keras.optimizers import SGD\nsgd = SGD(lr=0.1)\n")
TESTS = {
    f"docs/en/p.md::{SGD_BLOCK}": {"refimpl": "passed", "keras3": "known",
                                   "keras3-migrated": "passed", "other": "failed"},
    f"docs/en/p.md::{block_key('y = lstm.get_output_at（1）' + chr(10))}": {"refimpl": "passed"},
    f"docs/en/p.md::{block_key('y = lstm.get_output_at(1)' + chr(10))}": {"refimpl": "passed"},
}  # fmt: skip


def test_a_line_after_every_block_with_results_and_strip_undoes_it():
    text = badges.apply(PAGE, "docs/en/p.md", "en", TESTS)
    assert text.count('<p class="impl-badges"') == 3  # the unchanged block has no results
    assert '<span class="ok">refimpl ✅</span> <span class="no">Keras 3 ❌</span></p>' in text
    assert "other" not in text  # only the implementations of BADGES
    assert "Keras 3 tab" not in text  # no Keras 3 tab on this page
    assert "```\n\n<p class" in text and "</p>\n\n///\n" in text  # blank lines around it
    assert badges.strip(text) == PAGE
    assert badges.apply(text, "docs/en/p.md", "en", TESTS) == text


def test_keras3_tabs_keep_the_badges_and_the_badges_see_the_tabs():
    from refimpl import migrate

    tabs_first = badges.apply(migrate.add_keras3_tabs(PAGE).source, "docs/en/p.md", "ja", TESTS)
    badges_first = migrate.add_keras3_tabs(badges.apply(PAGE, "docs/en/p.md", "ja", TESTS)).source
    assert badges_first.count('<p class="impl-badges"') == 3
    assert migrate.add_keras3_tabs(tabs_first).source == tabs_first
    assert badges.apply(badges_first, "docs/en/p.md", "ja", TESTS) == tabs_first
    assert "Keras 3 タブ ✅" in tabs_first
    assert migrate.strip_keras3_tabs(badges.strip(tabs_first)) == PAGE


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_badges_of_the_site_match_its_results_summary(language):
    """`python -m conformance report --results DIR` rebuilds both."""
    summary = json.loads((ROOT / "docs" / badges.SUMMARY).read_text(encoding="utf-8"))
    for page in sorted((ROOT / "docs" / language).glob("*.md")):
        text = page.read_text(encoding="utf-8")
        expected = badges.apply(text, f"docs/{language}/{page.name}", language, summary["tests"])
        assert text == expected, f"{page}: stale badges; rebuild the report"
