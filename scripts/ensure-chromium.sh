#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing. Never fails the build:
# without Chromium the browser tests are skipped with a loud message.
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests (apt-get)…"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "WARNING: could not install Chromium; browser tests will be SKIPPED" >&2
elif command -v sudo >/dev/null 2>&1; then
  (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "WARNING: could not install Chromium; browser tests will be SKIPPED" >&2
else
  echo "WARNING: Chromium is not installed and cannot be installed here; browser tests will be SKIPPED" >&2
fi
exit 0
