"""The badge line under each block of the site (conformance/badges.py), and how it lives
with the Keras 3 tabs that `refimpl migrate --tabs` writes."""

from __future__ import annotations

import json
import re
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
    assert (
        '<span class="ok">refimpl :material-check:</span> '
        '<span class="no">Keras 3 :material-close:</span></p>'
    ) in text
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
    assert "Keras 3 タブ :material-check:" in tabs_first
    assert migrate.strip_keras3_tabs(badges.strip(tabs_first)) == PAGE


@pytest.mark.parametrize("language", ["en", "zh", "zh-TW", "ja"])
def test_the_badges_of_the_site_match_its_results_summary(language):
    """`python -m conformance report --results DIR` rebuilds both."""
    summary = json.loads((ROOT / "docs" / badges.SUMMARY).read_text(encoding="utf-8"))
    for page in sorted((ROOT / "docs" / language).glob("*.md")):
        text = page.read_text(encoding="utf-8")
        expected = badges.apply(text, f"docs/{language}/{page.name}", language, summary["tests"])
        assert text == expected, f"{page}: stale badges; rebuild the report"


def test_the_badges_are_icons_material_bundles_not_emoji():
    """Each outcome is a `:material-NAME:` shortcode of an icon mkdocs-material ships
    (pymdownx.emoji inlines it as SVG; tests/site/test_browser.py checks the page), and
    no badge line or title holds an emoji character, which shows as an empty box where
    no emoji font is installed."""
    import material  # mkdocs-material, the docs extra (CI installs it)

    icons = Path(material.__file__).parent / "templates" / ".icons" / "material"
    for shortcode, _ in badges.SHOWN.values():
        name = shortcode.removeprefix(":material-").removesuffix(":")
        assert (icons / f"{name}.svg").is_file(), f"{shortcode}: no such Material icon"
    emoji = re.compile("[\u2600-\u27bf\U0001f300-\U0001faff]")
    for page in sorted((ROOT / "docs").glob("*/*.md")):
        lines = badges.LINE.findall(page.read_text(encoding="utf-8"))
        assert not [line for line in lines if emoji.search(line)], page
