//! The model and the backend: the shipped model (downloaded with progress) or the person's own
//! (kept in IndexedDB, [`super::store`]), checked, shown ("trained on", labels, source) and
//! loaded in the engine on the backend asked for, with the engine's fallbacks shown as notices.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, Response};

use super::backend::{Choice, DEFAULT_CPU, Kind};
use super::client;
use super::dom::{self, by_id, set_hidden, set_text};
use super::protocol::{BackendState, Reply, Request};
use super::render;
use super::state::{Model, Source, with};
use super::status::{backend_notice, progress, show_error, show_info, status};
use super::store;
use crate::inference::decode_model_file;

/// Where the shipped model is, relative to the page.
const MODEL_URL: &str = "model/model.genre";

/// The person's saved model if there is a usable one, else the shipped one.
pub async fn initial_model() -> Result<Model, String> {
    match store::load().await {
        Ok(Some(stored)) => match decode_model_file(&stored.bytes) {
            Ok((manifest, _)) => {
                return Ok(Model {
                    bytes: Rc::new(stored.bytes),
                    manifest,
                    source: Source::User(stored.name),
                });
            }
            Err(e) => {
                let _ = store::remove().await;
                show_info(&format!(
                    "Your saved model “{}” can no longer be used ({e}); it was removed and the shipped model is used.",
                    stored.name
                ));
            }
        },
        Ok(None) => {}
        Err(e) => dom::log(&format!("no saved model: {e}")),
    }
    shipped_model().await
}

/// Downloads the shipped model with a progress bar and checks it.
pub async fn shipped_model() -> Result<Model, String> {
    status("Loading the model…");
    let bytes = fetch_with_progress(MODEL_URL).await?;
    let (manifest, _) = decode_model_file(&bytes)
        .map_err(|e| format!("The shipped model ({MODEL_URL}) cannot be used: {e}"))?;
    Ok(Model {
        bytes: Rc::new(bytes),
        manifest,
        source: Source::Shipped,
    })
}

async fn fetch_with_progress(url: &str) -> Result<Vec<u8>, String> {
    let fail = |why: String| format!("The model could not be downloaded from {url}: {why}");
    let resp: Response = JsFuture::from(dom::window().fetch_with_str(url))
        .await
        .map_err(|e| fail(dom::js_error_text(&e)))?
        .dyn_into()
        .map_err(|_| fail("no response".into()))?;
    if !resp.ok() {
        return Err(fail(format!(
            "HTTP {} {}",
            resp.status(),
            resp.status_text()
        )));
    }
    let total: f64 = resp
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    let Some(body) = resp.body() else {
        let buf = JsFuture::from(
            resp.array_buffer()
                .map_err(|e| fail(dom::js_error_text(&e)))?,
        )
        .await
        .map_err(|e| fail(dom::js_error_text(&e)))?;
        return Ok(js_sys::Uint8Array::new(&buf).to_vec());
    };
    let reader: web_sys::ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| fail("unreadable body".into()))?;
    let mut bytes = Vec::with_capacity(total as usize);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| fail(dom::js_error_text(&e)))?;
        if dom::get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let value: js_sys::Uint8Array = dom::get(&chunk, "value").unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        let mb = bytes.len() as f64 / 1e6;
        if total > 0.0 {
            progress(Some((bytes.len() as f64, total)));
            status(&format!(
                "Loading the model… {:.0}% ({mb:.1} of {:.1} MB)",
                100.0 * bytes.len() as f64 / total,
                total / 1e6
            ));
        } else {
            status(&format!("Loading the model… {mb:.1} MB"));
        }
    }
    Ok(bytes)
}

/// The "trained on" line, the warning for a model not trained on music, the model's source.
pub fn show_model(model: &Model) {
    let m = &model.manifest;
    set_text("model-line", &format!("Model: {}", m.summary()));
    set_text(
        "model-labels",
        &format!("{} labels: {}", m.labels.len(), m.labels.join(", ")),
    );
    set_hidden("model-warning", m.trained_on.real_music);
    match &model.source {
        Source::Shipped => {
            set_text("model-source", "the model shipped with this page");
            set_hidden("model-remove", true);
        }
        Source::User(name) => {
            set_text(
                "model-source",
                &format!("your model “{name}” (kept in this browser)"),
            );
            set_hidden("model-remove", false);
        }
    }
    by_id::<Element>("app")
        .set_attribute(
            "data-model",
            match model.source {
                Source::Shipped => "shipped",
                Source::User(_) => "user",
            },
        )
        .ok();
    render::legend(&m.labels);
}

fn show_backend(kind: Kind, detail: &str) {
    let label: Element = by_id("backend-label");
    label.set_attribute("data-backend", kind.name()).ok();
    label.set_text_content(Some(&if detail.is_empty() {
        format!("Running on {}", kind.label())
    } else {
        format!("Running on {} ({detail})", kind.label())
    }));
}

/// Shows the backend a reply says is running (and why, when it is not what was asked for).
pub fn apply_backend(b: &BackendState) {
    let kind = Kind::from_name(&b.kind).unwrap_or(DEFAULT_CPU);
    with(|s| s.running = Some(kind));
    show_backend(kind, &b.detail);
    backend_notice(b.notice.as_deref());
}

/// Loads `bytes` in the engine on `choice` (`None`: the backend running now). WebGPU that fails
/// to start falls back to the CPU with a notice; on failure the engine keeps its model.
pub async fn load_in_engine(bytes: &[u8], choice: Option<Choice>) -> Result<(), String> {
    let req = Request::Load {
        choice: choice.map(|c| c.as_str().to_string()),
    };
    match client::request(&req, None, Some(bytes)).await {
        Reply::Loaded { backend } => {
            apply_backend(&backend);
            with(|s| s.engine_ready = true);
            Ok(())
        }
        Reply::Error { message, backend } => {
            if let Some(b) = backend {
                apply_backend(&b);
            }
            Err(message)
        }
        other => Err(format!("the page's engine answered {other:?}")),
    }
}

/// Starts the backend `choice` resolves to, with the model loaded on it.
pub async fn start_backend(choice: Choice) -> Result<(), String> {
    let bytes = with(|s| s.model.as_ref().map(|m| m.bytes.clone())).ok_or("no model is loaded")?;
    status("Starting the backend…");
    with(|a| {
        a.engine_ready = false;
        a.running = None;
    });
    load_in_engine(&bytes, Some(choice)).await
}

/// Checks a model file, runs it on the current backend, keeps it in IndexedDB. On any failure
/// the page keeps the model it had (and false is returned).
pub async fn use_model_bytes(name: String, bytes: Vec<u8>) -> bool {
    let refuse = |why: String| {
        show_error(&format!(
            "“{name}” is not a usable model: {why}. The page keeps its current model."
        ));
    };
    let manifest = match decode_model_file(&bytes) {
        Ok((m, _)) => m,
        Err(e) => {
            refuse(e.to_string());
            return false;
        }
    };
    // the engine loads it on the backend running now, or keeps the model it had
    if let Err(e) = load_in_engine(&bytes, None).await {
        refuse(e);
        return false;
    }
    let saved = store::save(&name, &bytes).await;
    let model = Model {
        bytes: Rc::new(bytes),
        manifest,
        source: Source::User(name.clone()),
    };
    show_model(&model);
    with(|s| s.model = Some(model));
    match saved {
        Ok(()) => show_info(&format!(
            "Now using your model “{name}”; it is kept in this browser until you remove it."
        )),
        Err(e) => show_info(&format!(
            "Now using your model “{name}”, but it could not be kept for the next visit ({e})."
        )),
    }
    true
}

/// Back to the shipped model: removed from this browser, the shipped one loaded in the engine.
pub async fn remove_own_model() -> Result<(), String> {
    if let Err(e) = store::remove().await {
        show_error(&format!(
            "Your model could not be removed from this browser: {e}"
        ));
    }
    let model = shipped_model().await?;
    load_in_engine(&model.bytes, None)
        .await
        .map_err(|e| format!("The shipped model cannot be loaded: {e}"))?;
    show_model(&model);
    with(|s| s.model = Some(model));
    show_info("Your model was removed: back to the shipped model.");
    Ok(())
}

/// See [`super::debug_lose_gpu_device`].
pub async fn lose_gpu_for_test() -> bool {
    matches!(
        client::request(&Request::LoseGpu, None, None).await,
        Reply::Done { value: true }
    )
}

/// The shipped model's file (the base a taught model is built on): the one in use, else
/// downloaded again.
pub async fn shipped_bytes() -> Result<Vec<u8>, String> {
    let in_use = with(|s| {
        s.model
            .as_ref()
            .filter(|m| m.source == Source::Shipped)
            .map(|m| m.bytes.to_vec())
    });
    match in_use {
        Some(b) => Ok(b),
        None => fetch_with_progress(MODEL_URL).await,
    }
}
