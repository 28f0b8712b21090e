"""Build the documentation site and check it in a real browser.

The session builds ``mkdocs.yml`` with ``mkdocs build --strict`` into a temporary folder,
serves it over HTTP on 127.0.0.1 and drives Debian's headless Chromium through selenium
(``/usr/bin/chromium`` with ``/usr/bin/chromedriver``; selenium-manager is never asked
to download anything). It checks what a reader meets: every page of every language
renders, the language switcher keeps the page, the Original/Corrected tabs switch,
search finds Chinese and Japanese words, the badges under the blocks are icons (inline
SVG, which need no emoji font: Debian's Chromium installed without recommends has none),
and the conformance report's tables fit a 1280-px screen.

Run with ``python -m pytest tests/site -m browser``. Without Chromium the tests fail and
say to run ``scripts/ci-install-browser.sh``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = PROJECT_ROOT / "docs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "run `bash scripts/ci-install-browser.sh` (Debian's chromium and chromium-driver)"

# Where each language lives on the built site. mkdocs-static-i18n builds the default
# language (en) at the site root and every other language in a folder named after it.
LANGUAGE_PREFIX = {"en": "", "zh": "zh/", "zh-TW": "zh-TW/", "ja": "ja/"}

# The page names every language has (CONTRIBUTING.md, "Pages").
PAGES = (
    "index",
    "sequential-model",
    "functional-api",
    "word-embeddings",
    "notes-sequential-basics",
    "notes-sequential-walkthrough",
    "conformance",
    "performance",
    "moving-to-keras3",
)

# A word to search for on each language's site, and the page-language folder that at
# least one hit must come from. The index is shared by all languages, so a hit from
# the right folder shows the word was segmented in that language's pages.
SEARCH_WORDS = {"zh": "模型", "ja": "モデル"}

# Chromium flags: headless, no sandbox (CI runs as root in a container), and nothing
# that reaches the network on its own (the CI network is closed).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--window-size=1280,1000",
)

WAIT_S = 20  # upper bound for one page event (search index load, navigation)

# Emoji characters, which show as empty boxes where no emoji font is installed.
EMOJI = re.compile("[\u2600-\u27bf\U0001f300-\U0001faff]")
# How many lines of text a row of the report's tables may take on a 1280-px screen.
MOST_LINES_PER_ROW = 4


def page_path(lang: str, page: str) -> str:
    """Return the site path (no leading slash) of ``page`` in ``lang``.

    >>> page_path("zh", "sequential-model")
    'zh/sequential-model/'
    >>> page_path("en", "index")
    ''
    """
    name = "" if page == "index" else f"{page}/"
    return LANGUAGE_PREFIX[lang] + name


# --------------------------------------------------------------------------- fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not log every request to stderr."""

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """Build the site with ``mkdocs build --strict`` and return the output folder."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "--config-file",
        str(PROJECT_ROOT / "mkdocs.yml"),
        "--site-dir",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (
        f"`mkdocs build --strict` exited with {done.returncode}, expected 0.\n"
        f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return out


@pytest.fixture(scope="session")
def base_url(site_dir):
    """Serve the built site on a free port of 127.0.0.1 and return its root URL."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    """Start Debian's headless Chromium through chromedriver, without selenium-manager."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: {INSTALL_HINT}", pytrace=False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        pytest.fail(f"selenium is not installed ({error}): pip install selenium", pytrace=False)

    options = webdriver.ChromeOptions()
    # Giving both paths explicitly is what keeps selenium-manager from running.
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(WAIT_S * 3)
    try:
        yield browser
    finally:
        browser.quit()


def _wait(browser, condition, message: str, timeout: float = WAIT_S):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(condition, message)


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=WAIT_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# ------------------------------------------------------------------ build-only checks


def test_no_python_files_published(site_dir):
    """conftest.py and other Python files in docs/ stay out of the site."""
    published = sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*.py"))
    assert published == [], f"expected no .py files on the site, found {published}"


@pytest.mark.parametrize(("word", "lang"), [("模型", "zh"), ("序贯", "zh"), ("模型", "zh-TW")])
def test_search_index_has_segmented_chinese_words(site_dir, word, lang):
    """Chinese text is cut into words by jieba at build time and split by the separator.

    lunr only finds whole index terms (or their prefixes), so an unsegmented run such as
    ``序贯模型是多个网络层的线性堆叠`` would make 模型 unfindable.
    """
    index = json.loads((site_dir / "search" / "search_index.json").read_text("utf-8"))
    separator = re.compile(index["config"]["separator"])
    assert separator.search("\u200b"), "the search separator must split at U+200B"
    prefix = LANGUAGE_PREFIX[lang]
    others = tuple(p for p in LANGUAGE_PREFIX.values() if p and p != prefix)
    terms = set()
    for doc in index["docs"]:
        location = doc["location"]
        if location.startswith(prefix) and not location.startswith(others):
            for field in ("title", "text"):
                terms.update(separator.split(re.sub(r"<[^>]+>", " ", doc[field])))
    assert any(word in term for term in terms), f"no page in {lang!r} contains {word!r}"
    assert word in terms, (
        f"expected {word!r} as a term of its own in the {lang!r} search index, "
        f"found it only inside {sorted(t for t in terms if word in t)[:10]}"
    )


def test_badges_are_inline_svg_icons(site_dir):
    """Every badge under a block holds Material's icon as inline SVG (pymdownx.emoji), and
    no emoji character, on every page of every language that has badges."""
    badge_lines = 0
    for html in sorted(site_dir.rglob("index.html")):
        text = html.read_text("utf-8")
        for line in re.findall(r'<p class="impl-badges".*?</p>', text):
            badge_lines += 1
            spans = re.findall(r'<span class="(?:ok|no|skip)">(.*?</svg></span>)</span>', line)
            assert spans and len(spans) == line.count('<span class="twemoji">'), (
                f"{html.relative_to(site_dir)}: a badge without its SVG icon: {line[:300]}"
            )
            assert not EMOJI.search(line), f"{html.relative_to(site_dir)}: emoji in {line[:300]}"
    assert badge_lines, "expected badge lines under the blocks of the built pages"


def test_search_languages(site_dir):
    """The search index asks lunr for English, Japanese and Chinese support."""
    index = json.loads((site_dir / "search" / "search_index.json").read_text("utf-8"))
    assert set(index["config"]["lang"]) >= {"en", "ja", "zh"}, index["config"]["lang"]


# ------------------------------------------------------------------- browser checks


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", list(LANGUAGE_PREFIX))
def test_page_renders(driver, base_url, lang, page):
    """Each page of each language exists in docs/, is served, and shows a title and an h1."""
    from selenium.webdriver.common.by import By

    source = DOCS_DIR / lang / f"{page}.md"
    assert source.is_file(), f"{source} is missing: the site would show the English fallback"
    url = base_url + page_path(lang, page)
    status = _http_status(url)
    assert status == 200, f"GET {url} returned HTTP {status}, expected 200"

    driver.get(url)
    html_lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    assert html_lang == lang, f"{url}: <html lang> is {html_lang!r}, expected {lang!r}"
    title = driver.title.strip()
    assert title and not title.startswith(("404", "Error")), f"{url}: bad <title> {title!r}"
    headings = driver.find_elements(By.CSS_SELECTOR, "article.md-content__inner h1")
    assert len(headings) == 1, f"{url}: expected one h1 in the article, found {len(headings)}"
    assert headings[0].text.strip(), f"{url}: the h1 is empty"


@pytest.mark.parametrize("target", [lang for lang in LANGUAGE_PREFIX if lang != "en"])
def test_language_switcher_keeps_page(driver, base_url, target):
    """The switcher on the English Sequential guide links to the same guide in ``target``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    page = "sequential-model"
    driver.get(base_url + page_path("en", page))
    links = {
        a.get_attribute("hreflang"): a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "a.md-select__link[hreflang]")
    }
    expected = {lang: base_url + page_path(lang, page) for lang in LANGUAGE_PREFIX}
    assert links == expected, f"switcher links {links}, expected {expected}"

    # The list opens on hover; click the link as a reader would.
    button = driver.find_element(By.CSS_SELECTOR, ".md-header__option .md-select > button")
    ActionChains(driver).move_to_element(button).perform()
    link = driver.find_element(By.CSS_SELECTOR, f'a.md-select__link[hreflang="{target}"]')
    _wait(driver, ec.visibility_of(link), "the language list did not open on hover")
    link.click()
    _wait(driver, ec.url_to_be(expected[target]), f"clicking {target} did not reach its page")
    html_lang = driver.find_element(By.TAG_NAME, "html").get_attribute("lang")
    assert html_lang == target, f"landed on a page with <html lang={html_lang!r}>"
    assert driver.find_elements(By.CSS_SELECTOR, "article.md-content__inner h1")


def _pages_with_tabs(site_dir: Path) -> list[str]:
    """Site path of the first built page holding a tab set, for each language that has one."""
    found = []
    for lang in LANGUAGE_PREFIX:
        for page in PAGES:
            html = site_dir / page_path(lang, page) / "index.html"
            if html.is_file() and 'class="tabbed-set' in html.read_text("utf-8"):
                found.append(page_path(lang, page))
                break
    return found


def _shown(blocks) -> list[int]:
    return [i for i, block in enumerate(blocks) if block.is_displayed()]


def test_tabs_switch(driver, base_url, site_dir):
    """Clicking a tab label shows that tab's block and hides the others (a page per language).

    With material's ``content.tabs.link`` a choice made on one page is remembered on the
    next, so the test clicks the second label, then the first, rather than assuming the
    first tab is the one shown on arrival.
    """
    from selenium.webdriver.common.by import By

    paths = _pages_with_tabs(site_dir)
    assert paths, "expected at least one page with Original/Corrected tabs (.tabbed-set)"
    for path in paths:
        driver.get(base_url + path)
        tab_set = driver.find_element(By.CSS_SELECTOR, ".tabbed-set")
        labels = tab_set.find_elements(By.CSS_SELECTOR, ":scope > .tabbed-labels > label")
        blocks = tab_set.find_elements(By.CSS_SELECTOR, ":scope > .tabbed-content > .tabbed-block")
        assert len(labels) >= 2 and len(blocks) == len(labels), (
            f"{path}: expected >= 2 tab labels and as many blocks, "
            f"got {len(labels)} labels and {len(blocks)} blocks"
        )
        assert len(_shown(blocks)) == 1, f"{path}: blocks shown on arrival: {_shown(blocks)}"
        for index in (1, 0):
            label = labels[index]
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
            label.click()
            _wait(
                driver,
                lambda _, blocks=blocks, index=index: _shown(blocks) == [index],
                f"{path}: clicking tab {label.text!r} did not show block {index} alone "
                f"(shown: {_shown(blocks)})",
            )


@pytest.mark.parametrize(("lang", "word"), list(SEARCH_WORDS.items()))
def test_search_finds_cjk_word(driver, base_url, lang, word):
    """Typing a Chinese / Japanese word in the search box lists results from that language."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(base_url + page_path(lang, "index"))
    box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    _wait(driver, ec.element_to_be_clickable(box), "the search box is not clickable")
    box.click()
    started = time.monotonic()
    box.send_keys(word)
    _wait(
        driver,
        ec.presence_of_element_located((By.CSS_SELECTOR, ".md-search-result__item")),
        f"searching {word!r} on the {lang} site listed no result within {WAIT_S} s",
    )
    elapsed = time.monotonic() - started
    items = driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item")
    hrefs = [
        a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item a")
    ]
    in_language = [h for h in hrefs if h.startswith(base_url + LANGUAGE_PREFIX[lang])]
    assert in_language, (
        f"searching {word!r} listed {len(items)} results, none in /{LANGUAGE_PREFIX[lang]}: {hrefs}"
    )
    marked = driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item mark")
    assert any(word in m.text for m in marked), (
        f"no highlighted {word!r} in the results: {[m.text for m in marked][:10]}"
    )
    print(f"search {lang} {word!r}: {len(items)} results in {elapsed:.1f} s")


@pytest.mark.parametrize("lang", list(LANGUAGE_PREFIX))
def test_badges_show_as_icons(driver, base_url, lang):
    """The badges of the Sequential guide show an icon each (an SVG with a size), with
    no emoji character in their text."""
    from selenium.webdriver.common.by import By

    driver.get(base_url + page_path(lang, "sequential-model"))
    badges = driver.find_elements(By.CSS_SELECTOR, ".impl-badges > span")
    assert badges, f"{lang}: no badge under the blocks of the Sequential guide"
    for badge in badges[:12]:
        icons = badge.find_elements(By.CSS_SELECTOR, "svg")
        assert len(icons) == 1, f"{lang}: badge {badge.text!r} has {len(icons)} icons, expected 1"
        size = icons[0].size
        assert size["width"] > 0 and size["height"] > 0, f"{lang}: an icon of size {size}"
        assert not EMOJI.search(badge.text), f"{lang}: emoji in the badge {badge.text!r}"


@pytest.mark.parametrize("lang", list(LANGUAGE_PREFIX))
def test_report_tables_fit_a_1280px_screen(driver, base_url, lang):
    """On a 1280-px window, no table of the conformance report overflows its column
    (a horizontal scroll bar) and no row takes more than a few lines."""
    from selenium.webdriver.common.by import By

    driver.set_window_size(1280, 1000)
    driver.get(base_url + page_path(lang, "conformance"))
    tables = driver.find_elements(By.CSS_SELECTOR, "article.md-content__inner table")
    assert tables, f"{lang}: no table on the conformance page"
    measured = driver.execute_script(
        """
        return arguments[0].map((table) => {
          const wrap = table.closest('.md-typeset__scrollwrap') || table.parentElement;
          const cell = table.querySelector('td');
          const style = getComputedStyle(cell);
          const line = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
          const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
          const rows = [...table.querySelectorAll('tbody tr')];
          const tallest = Math.max(...rows.map((row) => row.getBoundingClientRect().height));
          return {overflow: wrap.scrollWidth - wrap.clientWidth,
                  lines: (tallest - padding) / line,
                  first: rows[0].innerText.slice(0, 60)};
        });
        """,
        tables,
    )
    for table in measured:
        assert table["overflow"] <= 1, f"{lang}: a table wider than its column: {table}"
        assert table["lines"] <= MOST_LINES_PER_ROW, f"{lang}: a row of many lines: {table}"
