#!/usr/bin/env bash
# Installs everything the page build and the tests need, and only what is missing.
# Safe to run again: each step checks first. Proven recipe: ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR="${GENRE_TOOLS_DIR:-$HOME/.cache/genre-tools}"
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate in Cargo.lock
TRUNK_VERSION=0.21.14          # 0.22 needs a newer rustc than this machine has
BINARYEN_VERSION=132           # Debian's wasm-opt is too old for rustc 1.95's wasm
PLAYWRIGHT_VERSION=1.64.1

say() { printf '[setup] %s\n' "$*" >&2; }
has_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }

if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown
fi

# chromium + driver for the browser tests (the trainer's plots need no system font: one is
# compiled in, see trainer/assets/)
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing Debian packages: chromium chromium-driver"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver \
    pkg-config >/dev/null
fi

# sox and lame make the MP3s and 48 kHz WAVs that the page-vs-trainer test compares
if ! command -v sox >/dev/null 2>&1 || ! command -v lame >/dev/null 2>&1; then
  say "installing Debian packages: sox lame"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq sox lame >/dev/null
fi

mkdir -p "$TOOLS_DIR"
if [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ] || [ ! -d "$TOOLS_DIR/node_modules/playwright-core" ]; then
  say "installing wasm-opt (binaryen@$BINARYEN_VERSION) and playwright-core from npm"
  (cd "$TOOLS_DIR" && [ -f package.json ] || echo '{"private":true}' > "$TOOLS_DIR/package.json"
   cd "$TOOLS_DIR" && npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
fi

if ! has_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # not --locked: its lock file pins a webpki-roots release the registry no longer serves
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
if ! command -v wasm-pack >/dev/null 2>&1; then
  say "installing wasm-pack (a few minutes, once)"
  cargo install -q --locked wasm-pack
fi
if ! has_version trunk "$TRUNK_VERSION"; then
  say "installing trunk $TRUNK_VERSION (about 12 minutes, once)"
  cargo install -q --locked trunk --version "$TRUNK_VERSION" --force
fi
say "tools ready"
