#!/usr/bin/env bash
# End-to-end tests of the page in headless Chromium (issue 4): builds the page with trunk
# (release, offline), builds the trainer (the native reference answer), and runs
# tests/e2e/*.test.mjs with node's test runner and playwright-core.
#
# Environment: CARGO_TARGET_DIR is honoured by both builds; TRAINER_BIN points at an already
# built trainer (skips its build); GENRE_DATA (default ../shared/data) holds the real clips
# (checks that need them are skipped, saying so, when it is absent); GENRE_SCREENSHOT_DIR
# (default /tmp) receives page.png and page-390.png.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR="${GENRE_TOOLS_DIR:-$HOME/.cache/genre-tools}"
if ! command -v trunk >/dev/null 2>&1 || [ ! -d "$TOOLS_DIR/node_modules/playwright-core" ]; then
  scripts/setup.sh
fi
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export GENRE_TOOLS_DIR="$TOOLS_DIR"

echo "[e2e] building the page (trunk build --release --offline)" >&2
trunk build --release --offline

if [ -z "${TRAINER_BIN:-}" ]; then
  echo "[e2e] building the trainer (native reference)" >&2
  cargo build -q -p trainer --release
  export TRAINER_BIN="${CARGO_TARGET_DIR:-target}/release/trainer"
fi

echo "[e2e] running tests/e2e in headless Chromium" >&2
exec node --test --test-concurrency=1 tests/e2e/*.test.mjs
