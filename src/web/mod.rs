//! The page (wasm32 only): drop a song, see its genre.
//!
//! Everything the page does lives here, in Rust; `index.html` holds the static structure and
//! `web/styles.css` the looks. The audio is decoded by the library's decoder ([`crate::audio`]),
//! the features and the model are the library's own code ([`crate::inference::Classifier`]), the
//! same the trainer runs natively.
//!
//! Two threads, one wasm module: the **page** (main thread: [`app`], [`mic`], [`audio`],
//! [`render`], [`store`]) decodes, draws and listens to people; the **engine** ([`engine`], a
//! module worker started by [`client`] from `web/worker.js`) holds the backend and the model and
//! runs the song pipeline and the live windows. They speak [`protocol`]'s messages.
//!
//! - [`backend`]: which burn device runs the model (WebGPU on a hardware adapter, else the CPU),
//!   the start-up fallback and the lost-device fallback.
//! - [`audio`]: the library's decoder a few packets at a time (the browser's for formats it lacks),
//!   downmixed to mono, resampled to 22 050 Hz by the one resampler.
//! - [`app`]: the page's state machine (`data-state` = loading | ready | working | done | error),
//!   model loading with progress, the classification loop, and the machine-readable result.
//! - [`render`]: bars, timeline, legend and the feature pictures.
//! - [`store`]: a person's own model kept in IndexedDB.
//! - [`mic`]: the live microphone (AudioWorklet capture, rolling classification, live view);
//!   its signal path is [`crate::live`].

mod app;
mod audio;
mod backend;
mod client;
mod dom;
mod engine;
mod mic;
mod protocol;
mod render;
mod store;

use wasm_bindgen::prelude::*;

/// Entry point: starts the page when the document has the page's `#app` element (and does
/// nothing elsewhere, e.g. under `wasm-bindgen-test`).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let has_app = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .is_some();
    if has_app {
        wasm_bindgen_futures::spawn_local(app::run());
    }
}

/// The engine's entry point, called by `web/worker.js` in the worker once the wasm is loaded.
#[wasm_bindgen]
pub fn engine_main() {
    engine::main();
}

/// Destroys the WebGPU device the engine runs on, as a driver reset would: for testing the
/// lost-device fallback. Resolves to false when no WebGPU device is in use.
#[wasm_bindgen]
pub async fn debug_lose_gpu_device() -> bool {
    app::lose_gpu_for_test().await
}

/// Ends the live microphone's track as an unplugged device would: for testing that path.
/// Returns false when the microphone is not on.
#[wasm_bindgen]
pub fn debug_end_mic_track() -> bool {
    mic::end_track_for_test()
}
