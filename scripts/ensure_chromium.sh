#!/usr/bin/env bash
# The browser test (tests/e2e/) drives Debian's chromium package through Playwright:
# Playwright's own browser download fails on these machines. Install the package when it
# is missing and we may; otherwise say what to do and fail.
set -euo pipefail
CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing chromium (Debian package) for the browser test"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  if [ -x "$CHROMIUM_PATH" ]; then
    exit 0
  fi
  echo "chromium installed, but not found at $CHROMIUM_PATH; set CHROMIUM_PATH." >&2
  exit 1
fi
echo "No Chromium at $CHROMIUM_PATH, and it cannot be installed from here (needs root and apt-get)." >&2
echo "Install it with 'sudo apt-get install chromium', or set CHROMIUM_PATH to a Chromium binary." >&2
exit 1
