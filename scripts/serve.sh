#!/usr/bin/env bash
# Serves the page on http://127.0.0.1:8080 (the README's serve command).
# Installs what is missing first (scripts/setup.sh), then builds the wasm with trunk in release
# mode and serves dist/. Extra arguments go to `trunk serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
TOOLS_DIR="${GENRE_TOOLS_DIR:-$HOME/.cache/genre-tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt (binaryen 132), trunk, wasm-bindgen
# cargo's output outside the clone, shared with the test command's wasm builds
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/genre-target}-wasm"

if [ ! -f web/model/model.genre ]; then
  echo "There is no model in web/model/ yet: train one first (see the README), e.g." >&2
  echo "  cargo run -p trainer --release -- --data ../shared/data/gtzan" >&2
  exit 1
fi
echo "Serving the page on http://127.0.0.1:8080/ (Ctrl-C to stop)" >&2
exec trunk serve --release --offline "$@"
