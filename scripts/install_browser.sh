#!/bin/sh
# Install headless Chromium (the Debian package) for the browser tests (tests/assistant/test_app_browser.py).
# Playwright drives it with executable_path=/usr/bin/chromium, so Playwright's own browser download is never
# needed (it would reach a blob store this machine cannot). Idempotent: does nothing when chromium is present.
set -eu

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "error: installing chromium needs root (apt-get); run: sudo $0" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# fonts-noto-core: glyphs for Vietnamese tone marks in screenshots.
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core
echo "chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
