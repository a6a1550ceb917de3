//! The page (wasm32 only): drop a song, see its genre.
//!
//! Everything the page does lives here, in Rust; `index.html` holds the static structure and
//! `web/styles.css` the looks. The audio is decoded by the library's decoder ([`crate::audio`]),
//! the features and the model are the library's own code ([`crate::inference::Classifier`]), the
//! same the trainer runs natively.
//!
//! Two threads, one wasm module. They speak [`protocol`]'s messages.
//!
//! The **engine** ([`engine`], a module worker started by [`client`] from `web/worker.js`) holds
//! the backend and the model and runs the song pipeline and the microphone's windows:
//! - [`backend`]: which burn device runs the model (WebGPU on a hardware adapter, else the CPU),
//!   the start-up fallback and the lost-device fallback.
//!
//! The **page** (main thread) decodes, draws and listens to people:
//! - [`app`]: start-up and what people do (drop a file, switch the backend, remove a model);
//! - [`state`]: what the page knows of its engine (model, backend, busy);
//! - [`status`]: what the page says (`data-state` = loading | ready | working | done | error,
//!   the status line, progress, messages, the machine-readable result);
//! - [`models`]: the shipped model or the person's own, loaded in the engine;
//! - [`song`]: a song from the file to the result on screen;
//! - [`audio`]: the library's decoder a few packets at a time (the browser's for formats it
//!   lacks), downmixed to mono, resampled to 22 050 Hz by the one resampler;
//! - [`render`]: bars, timeline, legend and the feature pictures;
//! - [`store`]: a person's own model kept in IndexedDB;
//! - [`mic`]: the live microphone (capture, the worklet's port handed to the engine, live view).

mod app;
mod audio;
mod backend;
mod client;
mod dom;
mod engine;
mod mic;
mod models;
mod protocol;
mod render;
mod song;
mod state;
mod status;
mod store;
mod teach;
#[cfg(feature = "teach")]
mod teacher;
mod worker;

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

/// The teacher's entry point, called by `web/teach-worker.js` in its worker once the teaching
/// wasm (the library built with the `teach` feature) is loaded.
#[cfg(feature = "teach")]
#[wasm_bindgen]
pub fn teach_main() {
    teacher::main();
}

/// Destroys the WebGPU device the engine runs on, as a driver reset would: for testing the
/// lost-device fallback. Resolves to false when no WebGPU device is in use.
#[wasm_bindgen]
pub async fn debug_lose_gpu_device() -> bool {
    models::lose_gpu_for_test().await
}

/// Ends the live microphone's track as an unplugged device would: for testing that path.
/// Returns false when the microphone is not on.
#[wasm_bindgen]
pub fn debug_end_mic_track() -> bool {
    mic::end_track_for_test()
}
