#!/bin/sh
# Headless Chromium and its driver for the report's browser tests (tests/report/test_browser.py).
#
# Installs Debian's chromium and chromium-driver when they are missing and this machine can
# (root, or password-less sudo, with apt-get). Otherwise it says why the browser tests will be
# skipped; pytest's summary then lists them as skipped with the same reason. With
# UNDERTOW_REQUIRE_BROWSER=1 (CI) a missing browser is an error instead.
set -u

have_browser() {
  { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } &&
    command -v chromedriver >/dev/null 2>&1
}

if have_browser; then
  echo "browser tests: headless Chromium and chromedriver found"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    as_root=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root="sudo -n"
  else
    as_root="none"
  fi
  if [ "$as_root" != none ]; then
    echo "browser tests: installing chromium and chromium-driver with apt-get"
    $as_root apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium chromium-driver \
        >/dev/null
  fi
fi

if have_browser; then
  echo "browser tests: headless Chromium and chromedriver installed"
  exit 0
fi
reason="no chromium/chromedriver on PATH, and they could not be installed here (needs apt-get and root)"
if [ "${UNDERTOW_REQUIRE_BROWSER:-0}" = 1 ]; then
  echo "browser tests: $reason; UNDERTOW_REQUIRE_BROWSER=1, so this is an error" >&2
  exit 1
fi
echo "browser tests will be SKIPPED: $reason"
exit 0
