#!/usr/bin/env bash
# Make sure the system packages the test suite needs are present: Debian's Chromium (browser
# tests), the PostgreSQL server (integration tests) and a Hangul font (rendering Korean).
# As root, install what is missing; otherwise fail with the command to run.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
# pdftoppm renders printed documents to images, so the tests can read their QR codes back.
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
if ! { command -v fc-list >/dev/null && fc-list :lang=ko | grep -q .; }; then
  missing+=(fonts-nanum fontconfig)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "The test suite needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
