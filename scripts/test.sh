#!/usr/bin/env bash
# Runs every test: native (library + trainer), the browser tests (wasm-pack, headless
# Chromium, WebGPU through SwiftShader and the CPU backends) and the page end to end.
# Installs what is missing first (scripts/setup.sh). Build output goes to caches outside the
# clone (native: CARGO_TARGET_DIR, default ~/.cache/genre-target; wasm: the same path with
# -wasm appended) so reruns are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$HOME/.cache/genre-tools/node_modules/.bin:$PATH"
NATIVE_TARGET="${CARGO_TARGET_DIR:-$HOME/.cache/genre-target}"
WASM_TARGET="$NATIVE_TARGET-wasm"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

echo "== native tests (library and trainer; the trainer's smoke runs train a small CNN)"
CARGO_TARGET_DIR="$NATIVE_TARGET" cargo test --workspace

echo "== browser tests (wasm-pack test --headless --chrome)"
# the pretrained network on headless Chromium's software WebGPU adapter takes a while per test
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"
CARGO_TARGET_DIR="$WASM_TARGET" wasm-pack test --headless --chrome --release

echo "== page end to end (trunk build + playwright-core in headless Chromium)"
CARGO_TARGET_DIR="$WASM_TARGET" TRAINER_BIN="$NATIVE_TARGET/debug/trainer" bash scripts/e2e.sh
echo "all tests passed"
