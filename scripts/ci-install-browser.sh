#!/usr/bin/env bash
# Install the headless browser that tests/site/test_browser.py drives.
#
# The browser test uses Debian's own Chromium and its matching chromedriver
# (/usr/bin/chromium, /usr/bin/chromedriver) so that selenium never has to
# download a driver: CI machines have no network beyond the package mirrors.
# Does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo unknown)"
    exit 0
fi

# apt-get needs root; use sudo when we are not root and it is available.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: installing chromium needs root (or sudo); running as uid $(id -u)" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver

/usr/bin/chromium --version
/usr/bin/chromedriver --version
