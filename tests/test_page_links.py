"""The site's pages link with relative paths only, so the site works below any path prefix
(`https://example.org/keras-docs/zh/...`) as well as at a domain's root.

A link with an absolute path (`/zh/notes-sequential-basics/`) points at the domain's root
and breaks under a prefix. mkdocs checks Markdown links against the pages of the page's
own language only, so a link to another language's page is written as raw HTML with a
relative URL; this test also checks that such a URL names a page that exists.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: The site's default language is built at the root, the others in a folder each
#: (mkdocs-static-i18n, as mkdocs.yml configures it).
DEFAULT_LANGUAGE = "en"
PAGES = sorted(DOCS.glob("*/*.md"))

_FENCED = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
#: Markdown links and images `[text](target)`, and HTML `href="..."` / `src="..."`.
_TARGETS = re.compile(r"\]\(\s*<?([^)\s>]+)|\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']")


def _targets(text: str) -> list[str]:
    """Every link target of a page's prose (code blocks and inline code left out)."""
    prose = _INLINE_CODE.sub("", _FENCED.sub("", text))
    return [markdown or html for markdown, html in _TARGETS.findall(prose)]


def _url_of(page: Path) -> str:
    """The page's URL path on the built site (directory URLs)."""
    language, name = page.parent.name, page.stem
    folder = "" if language == DEFAULT_LANGUAGE else f"{language}/"
    return f"/{folder}" + ("" if name == "index" else f"{name}/")


def _page_at(url: str) -> Path | None:
    """The page a site URL path names, if any."""
    parts = [part for part in url.strip("/").split("/") if part]
    language = DEFAULT_LANGUAGE
    if parts and (DOCS / parts[0]).is_dir():
        language, parts = parts[0], parts[1:]
    name = parts[0] if parts else "index"
    page = DOCS / language / f"{name}.md"
    return page if len(parts) <= 1 and page.is_file() else None


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_no_link_has_an_absolute_path(page):
    targets = _targets(page.read_text(encoding="utf-8"))
    absolute = [t for t in targets if t.startswith("/") and not t.startswith("//")]
    assert not absolute, (
        f"{page.relative_to(ROOT)}: links with an absolute path break when the site is "
        f"served below a path prefix: {absolute}; write them relative to the page"
    )


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_relative_html_link_names_a_page(page):
    """Raw HTML links (which mkdocs does not check) that leave the page's folder."""
    text = _FENCED.sub("", page.read_text(encoding="utf-8"))
    for target in re.findall(r"<a\s[^>]*href=\"(\.\./[^\"#]*)", text):
        url = posixpath.normpath(posixpath.join(_url_of(page), target)) + "/"
        assert _page_at(url) is not None, (
            f"{page.relative_to(ROOT)}: {target!r} leads to {url}, which is no page of the site"
        )


def test_the_check_finds_absolute_links():
    """The pattern itself: Markdown and HTML links with absolute paths are found,
    relative ones and code are not."""
    text = (
        '[a](/zh/x/) <a href="/ja/">b</a> [c](../zh/x/) [d](https://example.org/e)\n'
        "```text\n[f](/in/code/)\n```\n`[g](/inline/)`\n"
    )
    assert _targets(text) == ["/zh/x/", "/ja/", "../zh/x/", "https://example.org/e"]
