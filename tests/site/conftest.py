"""Pytest configuration for the documentation site tests (tests/site)."""


def pytest_configure(config):
    """Register the ``browser`` marker used by tests that build the site and drive Chromium."""
    config.addinivalue_line(
        "markers",
        "browser: builds the mkdocs site and checks it in headless Chromium "
        "(needs /usr/bin/chromium and /usr/bin/chromedriver; see scripts/ci-install-browser.sh)",
    )
