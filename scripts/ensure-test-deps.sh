#!/usr/bin/env bash
# Make sure the system packages the test suite needs are present, then prove the browser works.
#
# Needed: Debian's Chromium (browser tests), the PostgreSQL server (integration tests), a
# Hangul font (rendering Korean), poppler-utils (reading printed documents back), and the
# libraries that Playwright's bundled Node.js driver links to (libatomic1 is not in a minimal
# Debian 12; `ldd` on the driver names any other).
# As root, install what is missing; otherwise fail with the command to run. Finally start the
# Playwright driver and launch Chromium headless once with the project's Python, so that a
# broken browser set-up fails here, by name, instead of as nine errors in the browser tests.
#
# Environment: PYTHON_BIN (default .venv/bin/python), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON_BIN=${PYTHON_BIN:-.venv/bin/python}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# Debian package of each library the driver's node binary loads (Debian 12).
declare -A LIB_PACKAGE=(
  [libatomic.so.1]=libatomic1
  [libstdc++.so.6]=libstdc++6
  [libgcc_s.so.1]=libgcc-s1
  [libdl.so.2]=libc6
  [libm.so.6]=libc6
  [libpthread.so.0]=libc6
  [libc.so.6]=libc6
)

missing=()
unknown_libs=()

is_installed() {  # is_installed PACKAGE: true when dpkg knows it as installed
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

driver_node() {  # the node binary Playwright will run, or nothing before the venv exists
  [ -x "$PYTHON_BIN" ] || return 0
  if [ -n "${PLAYWRIGHT_NODEJS_PATH:-}" ]; then
    echo "$PLAYWRIGHT_NODEJS_PATH"
    return 0
  fi
  "$PYTHON_BIN" - <<'EOF' 2>/dev/null || true
import pathlib, playwright
node = pathlib.Path(playwright.__file__).parent / "driver" / "node"
print(node if node.is_file() else "")
EOF
}

missing_driver_libs() {  # the driver's libraries the dynamic loader cannot find
  local node
  node=$(driver_node)
  [ -n "$node" ] && [ -f "$node" ] || return 0
  ldd "$node" 2>/dev/null | awk '/=> not found/ {print $1}'
}

check() {
  missing=()
  unknown_libs=()
  [ -x "$CHROMIUM" ] || missing+=(chromium)
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
  # pdftoppm renders printed documents to images, so the tests can read their QR codes back.
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  if ! { command -v fc-list >/dev/null && fc-list :lang=ko | grep -q .; }; then
    missing+=(fonts-nanum fontconfig)
  fi
  # Always needed by the driver; checked by package too, for a run before the venv exists.
  if command -v dpkg-query >/dev/null && ! is_installed libatomic1; then
    missing+=(libatomic1)
  fi
  local lib
  for lib in $(missing_driver_libs); do
    if [ -n "${LIB_PACKAGE[$lib]:-}" ]; then
      missing+=("${LIB_PACKAGE[$lib]}")
    else
      unknown_libs+=("$lib")
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  fi
}

check
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "The test suite needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  check
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Still missing after apt-get install: ${missing[*]}" >&2
    exit 1
  fi
fi
if [ ${#unknown_libs[@]} -gt 0 ]; then
  echo "Playwright's driver ($(driver_node)) cannot load: ${unknown_libs[*]}" >&2
  echo "Find the Debian package that ships each (apt-file search NAME) and install it." >&2
  exit 1
fi

# The proof: the driver starts, Chromium launches headless and renders a page.
if [ ! -x "$PYTHON_BIN" ]; then
  echo "No Python at $PYTHON_BIN to check the browser with: run 'make .venv/.installed-test'" \
    "first (make test does)." >&2
  exit 1
fi
if ! CHROMIUM="$CHROMIUM" timeout 120 "$PYTHON_BIN" - <<'EOF'; then
import os
import sys

from playwright.sync_api import sync_playwright

chromium = os.environ["CHROMIUM"]
step = "start Playwright's driver (Node.js)"
try:
    with sync_playwright() as playwright:
        step = f"launch {chromium} headless"
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        step = "render a page in Chromium"
        page = browser.new_page()
        page.set_content("<p>조선어 test</p>")
        assert page.inner_text("p") == "조선어 test", page.inner_text("p")
        browser.close()
except Exception as error:  # report the step and the reason, not a traceback
    print(f"Browser check failed: could not {step}.", file=sys.stderr)
    print(f"  {type(error).__name__}: {str(error).strip()[:1500]}", file=sys.stderr)
    print(
        "  A missing shared library is named above ('error while loading shared libraries');"
        " install its Debian package (as root: scripts/ensure-test-deps.sh).",
        file=sys.stderr,
    )
    sys.exit(1)
print(f"Browser check passed: Playwright's driver started and {chromium} rendered a page.")
EOF
  echo "The browser tests cannot run on this machine (see above)." >&2
  exit 1
fi
