#!/usr/bin/env bash
# The teaching worker's wasm: the same library built with the `teach` feature (burn's autodiff
# and optimisers), bound for `web/teach-worker.js` as teach/genre_teach.js + _bg.wasm. Trunk runs
# this after each build (Trunk.toml, post_build hook) into its staging folder; the page loads it
# only when a person teaches, so the page's own download stays as it is.
# Its cargo output is apart from the page's (other features: sharing would rebuild both each time).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_DIR="${GENRE_TOOLS_DIR:-$HOME/.cache/genre-tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-$HOME/.cache/genre-target-wasm}-teach"
out="${TRUNK_STAGING_DIR:-dist}/teach"
profile=wasm-release
echo "[teach] building the teaching wasm (cargo --features teach, $target)" >&2
CARGO_TARGET_DIR="$target" cargo build --quiet --lib --target wasm32-unknown-unknown \
  --profile "$profile" --features teach
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name genre_teach \
  "$target/wasm32-unknown-unknown/$profile/genre.wasm"
wasm-opt -Oz --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue --enable-simd \
  "$out/genre_teach_bg.wasm" -o "$out/genre_teach_bg.wasm"
echo "[teach] $(gzip -9c "$out/genre_teach_bg.wasm" | wc -c) bytes gzip" >&2
