//! The page's state and flow.
//!
//! `#app[data-state]` tells people (and tests) where the page is: `loading` (model or backend
//! starting), `ready` (drop a song), `working` (decoding, classifying), `done` (a result is
//! shown), `error` (the last action failed; the page still takes the next file).
//! `<script type="application/json" id="result">` holds the last result (or error) as JSON.
//!
//! The page decodes (a few packets at a time) and draws; the engine ([`super::engine`], a Web
//! Worker reached through [`super::client`]) computes the features and runs the model, so the
//! page stays usable however long the song. A new song dropped while one is being classified
//! cancels it.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    DragEvent, Element, Event, File, HtmlAudioElement, HtmlButtonElement, HtmlElement,
    HtmlInputElement, HtmlProgressElement, HtmlSelectElement, MouseEvent, Response,
};

use super::audio;
use super::backend::{Choice, DEFAULT_CPU, Kind};
use super::client;
use super::dom::{self, by_id, now_ms, set_hidden, set_text};
use super::protocol::{BackendState, Progress, Reply, Request, WindowOutcome};
use super::render::{self, SegmentResult};
use super::store;
use crate::features::SAMPLE_RATE;
use crate::inference::{MAGIC, Manifest, argmax, decode_model_file};

/// Where the shipped model is, relative to the page.
const MODEL_URL: &str = "model/model.genre";
/// Longest song the page takes, in seconds (the decoded audio is kept in memory).
pub const MAX_DURATION_S: f64 = 20.0 * 60.0;
/// Largest file the page reads at all.
const MAX_FILE_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;
/// Below this top probability (calibrated, when the model carries a calibration) the page says the
/// song fits none of the labels well.
const FITS_NONE_BELOW: f32 = 0.5;

#[derive(Clone, Debug, PartialEq)]
enum Source {
    Shipped,
    User(String),
}

struct Model {
    bytes: Rc<Vec<u8>>,
    manifest: Manifest,
    source: Source,
}

#[derive(Clone, Copy, Debug, Default)]
struct Timings {
    decode_ms: f64,
    features_ms: f64,
    inference_ms: f64,
    total_ms: f64,
    /// From the end of decoding to the first overall answer on screen (after the first batch, a
    /// spread of the song's segments).
    first_answer_ms: Option<f64>,
}

struct Song {
    name: String,
    samples: Rc<Vec<f32>>,
    channels: u32,
    source_rate: u32,
    decoded_by: audio::DecodedBy,
    decode_ms: f64,
    /// Filled once classified.
    result: Option<SongResult>,
}

struct SongResult {
    segments: Vec<SegmentResult>,
    probabilities: Vec<f32>,
    top: usize,
    selected: usize,
    warnings: Vec<String>,
    backend: Kind,
    labels: Vec<String>,
    /// The pretrained front end's most probable tags for the song (a model with it only).
    tags: Option<Vec<(&'static str, f32)>>,
}

#[derive(Default)]
struct App {
    model: Option<Model>,
    /// The engine has `model` loaded.
    engine_ready: bool,
    running: Option<Kind>,
    /// The engine request of the song being classified (to cancel it).
    job: Option<u32>,
    choice: Option<Choice>,
    busy: bool,
    song: Option<Song>,
    audio_url: Option<String>,
}

thread_local! {
    static APP: RefCell<App> = RefCell::new(App::default());
}

fn with<R>(f: impl FnOnce(&mut App) -> R) -> R {
    APP.with(|a| f(&mut a.borrow_mut()))
}

// ---------------------------------------------------------------------------------------------
// Page state and messages

fn set_state(state: &str) {
    by_id::<Element>("app")
        .set_attribute("data-state", state)
        .ok();
    let busy = state == "loading" || state == "working";
    by_id::<HtmlSelectElement>("backend").set_disabled(busy);
    by_id::<Element>("app")
        .set_attribute("aria-busy", if busy { "true" } else { "false" })
        .ok();
}

fn status(text: &str) {
    set_text("status", text);
}

/// Shows progress `done / total` (an indeterminate bar when `total` is 0); `None` hides it.
fn progress(value: Option<(f64, f64)>) {
    let p: HtmlProgressElement = by_id("progress");
    match value {
        None => p.set_hidden(true),
        Some((_, total)) if total <= 0.0 => {
            p.remove_attribute("value").ok();
            p.set_hidden(false);
        }
        Some((done, total)) => {
            p.set_max(total);
            p.set_value(done);
            p.set_hidden(false);
        }
    }
}

fn show_error(text: &str) {
    dom::show_message("message", text, "error");
}

fn show_info(text: &str) {
    dom::show_message("message", text, "info");
}

fn clear_message() {
    set_hidden("message", true);
}

fn backend_notice(text: Option<&str>) {
    let n: HtmlElement = by_id("backend-notice");
    n.set_text_content(text);
    n.set_hidden(text.is_none());
}

fn set_result_json(value: &serde_json::Value) {
    set_text("result", &value.to_string());
}

/// A failed action: the message, `data-state="error"`, and the error in `#result`.
fn fail(file: Option<&str>, text: &str) {
    show_error(text);
    progress(None);
    status("Drop another file, or choose one.");
    set_result_json(&json!({ "error": text, "file": file }));
    set_state("error");
}

// ---------------------------------------------------------------------------------------------
// Start-up

pub async fn run() {
    install_handlers();
    let params = web_sys::UrlSearchParams::new_with_str(
        &dom::window().location().search().unwrap_or_default(),
    )
    .ok();
    let choice = params
        .and_then(|p| p.get("backend"))
        .and_then(|s| Choice::parse(&s))
        .unwrap_or(Choice::Auto);
    by_id::<HtmlSelectElement>("backend").set_value(choice.as_str());
    with(|a| a.choice = Some(choice));
    set_state("loading");
    progress(Some((0.0, 0.0)));
    status("Starting the page's engine…");
    if let Err(e) = client::start().await {
        fail(None, &e);
        status("The page cannot classify without its engine.");
        return;
    }

    let model = match initial_model().await {
        Ok(m) => m,
        Err(e) => {
            fail(None, &e);
            status("The page cannot classify without a model.");
            return;
        }
    };
    show_model(&model);
    with(|a| a.model = Some(model));
    match start_backend(choice).await {
        Ok(()) => {
            progress(None);
            status("Ready: drop a song here, or choose a file.");
            set_state("ready");
        }
        Err(e) => fail(None, &e),
    }
}

/// The person's saved model if there is a usable one, else the shipped one.
async fn initial_model() -> Result<Model, String> {
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
async fn shipped_model() -> Result<Model, String> {
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
fn show_model(model: &Model) {
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
fn apply_backend(b: &BackendState) {
    let kind = Kind::from_name(&b.kind).unwrap_or(DEFAULT_CPU);
    with(|a| a.running = Some(kind));
    show_backend(kind, &b.detail);
    backend_notice(b.notice.as_deref());
}

/// Loads `bytes` in the engine on `choice` (`None`: the backend running now). WebGPU that fails
/// to start falls back to the CPU with a notice; on failure the engine keeps its model.
async fn load_in_engine(bytes: &[u8], choice: Option<Choice>) -> Result<(), String> {
    let req = Request::Load {
        choice: choice.map(|c| c.as_str().to_string()),
    };
    match client::request(&req, None, Some(bytes)).await {
        Reply::Loaded { backend } => {
            apply_backend(&backend);
            with(|a| a.engine_ready = true);
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
async fn start_backend(choice: Choice) -> Result<(), String> {
    let bytes = with(|a| a.model.as_ref().map(|m| m.bytes.clone())).ok_or("no model is loaded")?;
    status("Starting the backend…");
    with(|a| {
        a.engine_ready = false;
        a.running = None;
    });
    load_in_engine(&bytes, Some(choice)).await
}

// ---------------------------------------------------------------------------------------------
// Event handlers

fn listen<E: JsCast + wasm_bindgen::convert::FromWasmAbi + 'static>(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(E) + 'static,
) {
    let closure = Closure::<dyn FnMut(E)>::new(f);
    target
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .ok();
    closure.forget(); // the page's handlers live as long as the page
}

fn install_handlers() {
    super::mic::install();
    let doc = dom::document();
    let body: web_sys::EventTarget = doc.body().expect("a body").into();

    listen::<DragEvent>(&body, "dragover", |e| {
        e.prevent_default();
        if let Some(dt) = e.data_transfer() {
            dt.set_drop_effect("copy");
        }
        by_id::<Element>("app").class_list().add_1("dragging").ok();
    });
    listen::<DragEvent>(&body, "dragleave", |e| {
        if e.related_target().is_none() {
            by_id::<Element>("app")
                .class_list()
                .remove_1("dragging")
                .ok();
        }
    });
    listen::<DragEvent>(&body, "drop", |e| {
        e.prevent_default();
        by_id::<Element>("app")
            .class_list()
            .remove_1("dragging")
            .ok();
        let file = e
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|f| f.get(0));
        match file {
            Some(f) => on_file(f),
            None => show_error(
                "Nothing to read in what was dropped: drop an audio file (or a .genre model file).",
            ),
        }
    });

    let input: HtmlInputElement = by_id("file-input");
    let input2 = input.clone();
    listen::<Event>(&input.into(), "change", move |_| {
        if let Some(f) = input2.files().and_then(|f| f.get(0)) {
            on_file(f);
        }
        input2.set_value("");
    });

    let model_input: HtmlInputElement = by_id("model-input");
    let model_input2 = model_input.clone();
    listen::<Event>(&model_input.into(), "change", move |_| {
        if let Some(f) = model_input2.files().and_then(|f| f.get(0)) {
            on_model_file(f);
        }
        model_input2.set_value("");
    });

    let remove: HtmlButtonElement = by_id("model-remove");
    listen::<Event>(&remove.into(), "click", |_| on_remove_model());

    let select: HtmlSelectElement = by_id("backend");
    let select2 = select.clone();
    listen::<Event>(&select.into(), "change", move |_| {
        let choice = Choice::parse(&select2.value()).unwrap_or(Choice::Auto);
        on_backend_change(choice);
    });

    let timeline: Element = by_id("timeline-segments");
    listen::<MouseEvent>(&timeline.into(), "click", |e| {
        let index = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-index]").ok().flatten())
            .and_then(|t| t.get_attribute("data-index"))
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(i) = index {
            select_segment(i, true);
        }
    });

    let player: HtmlAudioElement = by_id("player");
    let player2 = player.clone();
    listen::<Event>(&player.into(), "timeupdate", move |_| on_time(&player2));
}

fn on_time(player: &HtmlAudioElement) {
    let t = player.current_time();
    let info = with(|a| {
        let song = a.song.as_ref()?;
        let r = song.result.as_ref()?;
        let duration = song.samples.len() as f64 / SAMPLE_RATE as f64;
        let current = r
            .segments
            .iter()
            .position(|s| t >= s.start_s && t < s.end_s);
        Some((duration, current, r.selected))
    });
    if let Some((duration, current, selected)) = info {
        render::cursor(t / duration.max(1e-9));
        if let Some(i) = current
            && i != selected
            && !player.paused()
        {
            select_segment(i, false);
        }
    }
}

fn busy_message() {
    show_info("Still working on the previous request: wait until it is done.");
}

/// Runs `task` unless the page is busy, with the busy flag held meanwhile.
fn exclusive(task: impl std::future::Future<Output = ()> + 'static) {
    let was_busy = with(|a| std::mem::replace(&mut a.busy, true));
    if was_busy {
        busy_message();
        return;
    }
    spawn_local(async move {
        task.await;
        with(|a| a.busy = false);
    });
}

fn on_file(file: File) {
    super::mic::stop_for_file();
    if file.name().to_ascii_lowercase().ends_with(".genre") {
        on_model_file(file);
        return;
    }
    if with(|a| a.model.is_none() || !a.engine_ready) && !with(|a| a.busy) {
        show_error("No model is loaded, so nothing can be classified. Reload the page.");
        return;
    }
    // a song being classified gives way to the new one
    if let Some(job) = with(|a| a.job) {
        let _ = client::send(&Request::Cancel { job }, None, None, None);
        spawn_local(async move {
            while with(|a| a.busy) {
                dom::sleep_ms(5).await;
            }
            exclusive(classify_file(file));
        });
        return;
    }
    exclusive(classify_file(file));
}

fn on_backend_change(choice: Choice) {
    let was_busy = with(|a| std::mem::replace(&mut a.busy, true));
    if was_busy {
        busy_message();
        return;
    }
    spawn_local(async move {
        with(|a| a.choice = Some(choice));
        set_state("loading");
        let result = start_backend(choice).await;
        match result {
            Err(e) => fail(None, &e),
            Ok(()) => {
                if with(|a| a.song.is_some()) {
                    classify_song().await;
                } else {
                    status("Ready: drop a song here, or choose a file.");
                    set_state("ready");
                }
            }
        }
        with(|a| a.busy = false);
    });
}

// ---------------------------------------------------------------------------------------------
// A song

async fn read_file(file: &File) -> Result<js_sys::ArrayBuffer, String> {
    let buf = JsFuture::from(file.array_buffer()).await.map_err(|e| {
        format!(
            "“{}” could not be read: {}",
            file.name(),
            dom::js_error_text(&e)
        )
    })?;
    Ok(buf.unchecked_into())
}

/// The duration the browser's media element reads from the file's header, without decoding
/// it (so that a 3-hour file is refused before it fills the memory). `None` when it cannot tell.
async fn header_duration(url: &str) -> Option<f64> {
    let media = HtmlAudioElement::new().ok()?;
    media.set_preload("metadata");
    let media2 = media.clone();
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let r1 = resolve.clone();
        let m = media2.clone();
        let on_meta = Closure::once_into_js(move |_e: Event| {
            let _ = r1.call1(&JsValue::NULL, &JsValue::from_f64(m.duration()));
        });
        let r2 = resolve.clone();
        let on_error = Closure::once_into_js(move |_e: Event| {
            let _ = r2.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
        });
        media2
            .add_event_listener_with_callback("loadedmetadata", on_meta.unchecked_ref())
            .ok();
        media2
            .add_event_listener_with_callback("error", on_error.unchecked_ref())
            .ok();
        let r3 = resolve.clone();
        let timeout = Closure::once_into_js(move || {
            let _ = r3.call1(&JsValue::NULL, &JsValue::from_f64(f64::NAN));
        });
        dom::window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(timeout.unchecked_ref(), 3000)
            .ok();
    });
    media.set_src(url);
    let d = JsFuture::from(promise).await.ok()?.as_f64()?;
    media.remove_attribute("src").ok();
    media.load();
    d.is_finite().then_some(d)
}

async fn classify_file(file: File) {
    let name = file.name();
    clear_message();
    set_result_json(&json!({}));
    set_state("working");
    progress(Some((0.0, 0.0)));
    status(&format!("Reading “{name}”…"));
    let t0 = now_ms();

    if file.size() > MAX_FILE_BYTES {
        fail(
            Some(&name),
            &format!(
                "“{name}” is {:.1} GB: this page reads files up to 1 GB.",
                file.size() / 1e9
            ),
        );
        return;
    }
    // A file that is a model goes to the model path whatever its name.
    let buf = match read_file(&file).await {
        Ok(b) => b,
        Err(e) => return fail(Some(&name), &e),
    };
    let head =
        js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, buf.byte_length().min(8))
            .to_vec();
    if head.as_slice() == MAGIC.as_slice() {
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        set_state(
            if with(|a| a.song.as_ref().is_some_and(|s| s.result.is_some())) {
                "done"
            } else {
                "ready"
            },
        );
        progress(None);
        use_model_bytes(name, bytes).await;
        return;
    }

    // The song, playable, and its length from its header before anything is decoded.
    let url = web_sys::Url::create_object_url_with_blob(&file).ok();
    if let Some(d) = match &url {
        Some(u) => header_duration(u).await,
        None => None,
    } && d > MAX_DURATION_S
    {
        if let Some(u) = url {
            web_sys::Url::revoke_object_url(&u).ok();
        }
        fail(
            Some(&name),
            &format!(
                "“{name}” is {} long: this page classifies songs up to {} minutes. Cut it shorter and try again.",
                render::fmt_time(d),
                MAX_DURATION_S / 60.0
            ),
        );
        return;
    }

    status(&format!("Decoding “{name}”…"));
    dom::mark("genre:read");
    dom::yield_now().await;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let decoded = match audio::decode(buf, ext.as_deref(), |f| {
        progress(Some((f, 1.0)));
        status(&format!("Decoding “{name}”… {:.0}%", 100.0 * f));
    })
    .await
    {
        Ok(d) => d,
        Err(e) => {
            if let Some(u) = url {
                web_sys::Url::revoke_object_url(&u).ok();
            }
            fail(
                Some(&name),
                &format!(
                    "“{name}” could not be read as audio: neither the page's decoder nor the browser's can read it. It may not be an audio file, or it may be damaged or truncated. ({e})"
                ),
            );
            return;
        }
    };
    let decode_ms = now_ms() - t0;
    dom::mark("genre:decoded");
    dom::yield_now().await;
    let fail_with = |msg: String| {
        if let Some(u) = &url {
            web_sys::Url::revoke_object_url(u).ok();
        }
        fail(Some(&name), &msg);
    };
    if decoded.samples.is_empty() {
        return fail_with(format!("“{name}” contains no audio samples."));
    }
    if decoded.duration_s() > MAX_DURATION_S {
        return fail_with(format!(
            "“{name}” is {} long: this page classifies songs up to {} minutes. Cut it shorter and try again.",
            render::fmt_time(decoded.duration_s()),
            MAX_DURATION_S / 60.0
        ));
    }

    // Keep the song: the player plays it, a backend switch re-classifies it.
    let player: HtmlAudioElement = by_id("player");
    let old_url = with(|a| a.audio_url.take());
    if let Some(u) = old_url {
        web_sys::Url::revoke_object_url(&u).ok();
    }
    if let Some(u) = &url {
        player.set_src(u);
    }
    with(|a| {
        a.audio_url = url.clone();
        a.song = Some(Song {
            name: name.clone(),
            samples: Rc::new(decoded.samples),
            channels: decoded.channels,
            source_rate: decoded.source_rate,
            decoded_by: decoded.by,
            decode_ms,
            result: None,
        });
    });
    set_text("song-name", &name);
    classify_song().await;
}

/// Classifies the current song on the current backend and shows the result.
async fn classify_song() {
    let Some((name, samples, channels, decode_ms, source_rate, decoded_by)) = with(|a| {
        a.song.as_ref().map(|s| {
            (
                s.name.clone(),
                s.samples.clone(),
                s.channels,
                s.decode_ms,
                s.source_rate,
                s.decoded_by,
            )
        })
    }) else {
        return;
    };
    set_state("working");
    let t_start = now_ms();
    let Some((seg_len, labels, real_music)) = with(|a| {
        let m = &a.model.as_ref()?.manifest;
        a.engine_ready.then(|| {
            (
                m.features.segment_samples,
                m.labels.clone(),
                m.trained_on.real_music,
            )
        })
    }) else {
        fail(
            Some(&name),
            "No backend is running: pick one in the switch.",
        );
        return;
    };
    let duration_s = samples.len() as f64 / SAMPLE_RATE as f64;

    let mut warnings = Vec::new();
    if samples.len() < seg_len {
        warnings.push(format!(
            "The clip is only {duration_s:.1} s long, shorter than one 3-s segment: it was classified as one segment padded with silence, so the answer is less reliable."
        ));
    }

    progress(Some((0.0, 0.0)));
    status(&format!("Classifying “{name}”…"));
    // progress from the engine: a spread of segments first, so the overall answer comes early
    let (name2, labels2) = (name.clone(), labels.clone());
    let on_progress = move |p: Progress| {
        if p.total == 0 {
            status(&format!("Preparing “{name2}” for the pretrained network…"));
            return;
        }
        progress(Some((p.done as f64, p.total as f64)));
        if p.probabilities.is_empty() {
            status(&format!(
                "Classifying “{name2}”: 0 of {} segments…",
                p.total
            ));
            return;
        }
        let top = argmax(&p.probabilities);
        render::bars(&labels2, &p.probabilities);
        status(&format!(
            "Classifying “{name2}”: {} of {} segments… so far {} ({})",
            p.done,
            p.total,
            labels2[top],
            render::percent(p.probabilities[top])
        ));
    };
    let samples_js = client::float32_yielding(&samples).await;
    let (id, reply) = client::send(
        &Request::Classify,
        Some(samples_js),
        None,
        Some(Box::new(on_progress)),
    );
    with(|a| a.job = Some(id));
    dom::mark("genre:sent");
    let reply = reply.await;
    dom::mark("genre:classified");
    with(|a| {
        if a.job == Some(id) {
            a.job = None;
        }
    });
    let outcome = match reply {
        Reply::Song { outcome, backend } => {
            apply_backend(&backend);
            outcome
        }
        // a newer song took over
        Reply::Cancelled => return,
        Reply::Error { message, backend } => {
            if let Some(b) = backend {
                apply_backend(&b);
            }
            return fail(Some(&name), &message);
        }
        other => {
            return fail(
                Some(&name),
                &format!("The page's engine answered {other:?}"),
            );
        }
    };
    let timings = Timings {
        decode_ms,
        features_ms: outcome.features_ms,
        inference_ms: outcome.inference_ms,
        total_ms: decode_ms + now_ms() - t_start,
        first_answer_ms: outcome.first_answer_ms,
    };
    let total = outcome.starts.len();
    let probabilities = outcome.probabilities.clone();
    let tags: Option<Vec<(&'static str, f32)>> = outcome
        .tags
        .as_ref()
        .map(|t| crate::model::musicnn::top_tags(t, 5));
    let top = argmax(&probabilities);
    let segments: Vec<SegmentResult> = outcome
        .starts
        .iter()
        .zip(&outcome.segments)
        .zip(&outcome.silent)
        .map(|((&s, p), &quiet)| SegmentResult {
            start_s: s as f64 / SAMPLE_RATE as f64,
            end_s: (s + seg_len) as f64 / SAMPLE_RATE as f64,
            probabilities: p.to_vec(),
            top: argmax(p),
            silent: quiet,
        })
        .collect();
    let n_silent = outcome.silent.iter().filter(|&&q| q).count();
    if n_silent == total {
        warnings.push(
            "The audio is silent: every 3-s segment is near-silent (below −60 dBFS), so the answer below means nothing."
                .to_string(),
        );
    } else if n_silent > 0 {
        warnings.push(format!(
            "{n_silent} of {total} segments are near-silent (below −60 dBFS); they are shown faded in the timeline."
        ));
    }
    if !real_music {
        warnings.push(
            "This model was trained on generated signals, not music: its answers are not about real genres."
                .to_string(),
        );
    }
    // a song no label fits: the calibrated probabilities stay low everywhere
    let best = probabilities.iter().copied().fold(0.0f32, f32::max);
    if n_silent < total && best < FITS_NONE_BELOW {
        let heard = tags
            .as_ref()
            .map(|t| {
                let names: Vec<&str> = t.iter().take(3).map(|(n, _)| *n).collect();
                format!(" The pretrained network hears {}.", names.join(", "))
            })
            .unwrap_or_default();
        warnings.push(format!(
            "This song fits none of the model's labels well: its best guess, {}, has only {}.{heard}",
            labels[argmax(&probabilities)],
            render::percent(best)
        ));
    }
    // The most typical segment of the top label is shown first.
    let selected = (0..segments.len())
        .max_by(|&a, &b| segments[a].probabilities[top].total_cmp(&segments[b].probabilities[top]))
        .unwrap_or(0);
    let backend = with(|a| a.running).unwrap_or(DEFAULT_CPU);

    dom::mark("genre:built");
    let result_json = json!({
        "file": name,
        "duration_s": duration_s,
        "channels": channels,
        "source_rate": source_rate,
        "decoder": decoded_by.name(),
        "top": labels[top],
        "labels": labels,
        "probabilities": probabilities,
        "segments": segments.iter().map(|s| json!({
            "start_s": s.start_s,
            "end_s": s.end_s,
            "top": labels[s.top],
            "probabilities": s.probabilities,
            "silent": s.silent,
        })).collect::<Vec<_>>(),
        "backend": backend.name(),
        "tags": tags.as_ref().map(|t| t.iter().map(|(n, p)| json!([n, p])).collect::<Vec<_>>()),
        "warnings": warnings,
        "timings_ms": {
            "decode": timings.decode_ms,
            "features": timings.features_ms,
            "inference": timings.inference_ms,
            "after_decode": timings.total_ms - timings.decode_ms,
            "first_answer": timings.first_answer_ms,
            "total": timings.total_ms,
        },
        "model": with(|a| a.model.as_ref().map(|m| json!({
            "source": match &m.source { Source::Shipped => "shipped".to_string(), Source::User(n) => format!("user:{n}") },
            "trained_on": m.manifest.summary(),
        }))),
    });

    with(|a| {
        if let Some(song) = a.song.as_mut() {
            song.result = Some(SongResult {
                segments,
                probabilities,
                top,
                selected,
                warnings: warnings.clone(),
                backend,
                labels: labels.clone(),
                tags: tags.clone(),
            });
        }
    });
    dom::mark("genre:json");
    show_result(&timings);
    dom::mark("genre:drawn");
    select_segment(selected, false);
    set_result_json(&result_json);
    dom::mark("genre:shown");
    progress(None);
    status("Done. Drop another song to classify it.");
    set_state("done");
}

fn show_result(t: &Timings) {
    with(|a| {
        let Some(song) = a.song.as_ref() else { return };
        let Some(r) = song.result.as_ref() else {
            return;
        };
        let duration_s = song.samples.len() as f64 / SAMPLE_RATE as f64;
        set_text("top-label", &r.labels[r.top]);
        set_text("top-prob", &render::percent(r.probabilities[r.top]));
        by_id::<Element>("top-label")
            .set_attribute("data-label", &r.labels[r.top])
            .ok();
        render::bars(&r.labels, &r.probabilities);
        render::tags(r.tags.as_deref());
        render::legend(&r.labels);
        dom::mark("genre:bars");
        render::timeline(&r.labels, &r.segments, duration_s, r.selected);
        dom::mark("genre:timeline");
        render::cursor(0.0);
        let list: Element = by_id("warnings");
        dom::clear(&list);
        for w in &r.warnings {
            list.append_child(&dom::el("li", "", Some(w))).ok();
        }
        list.unchecked_ref::<HtmlElement>()
            .set_hidden(r.warnings.is_empty());
        set_text(
            "timing",
            &format!(
                "{} · {} segments · {} · decoding {:.0} ms, features {:.0} ms, model {:.0} ms",
                render::fmt_time(duration_s),
                r.segments.len(),
                r.backend.label(),
                t.decode_ms,
                t.features_ms,
                t.inference_ms
            ),
        );
    });
    set_hidden("result-view", false);
}

/// Selects segment `i`: timeline, feature pictures, caption; `seek` moves the player there.
fn select_segment(i: usize, seek: bool) {
    let picked = with(|a| {
        let song = a.song.as_mut()?;
        let r = song.result.as_mut()?;
        if i >= r.segments.len() {
            return None;
        }
        r.selected = i;
        let seg = r.segments[i].clone();
        let labels = r.labels.clone();
        let n = r.segments.len();
        let start = (seg.start_s * SAMPLE_RATE as f64).round() as usize;
        Some((seg, labels, n, start))
    });
    let Some((seg, labels, n, start)) = picked else {
        return;
    };
    // the pictures come from the engine, which holds the song; drawn if still selected then
    spawn_local(async move {
        if let Reply::Features { features, pcen } =
            client::request(&Request::Features { start }, None, None).await
        {
            let selected = with(|a| Some(a.song.as_ref()?.result.as_ref()?.selected));
            if selected == Some(i) {
                render::features(&features, pcen);
            }
        }
    });
    render::select_in_timeline(i);
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| seg.probabilities[b].total_cmp(&seg.probabilities[a]));
    let runner_up = order
        .get(1)
        .map(|&k| {
            format!(
                ", then {} {}",
                labels[k],
                render::percent(seg.probabilities[k])
            )
        })
        .unwrap_or_default();
    set_text(
        "segment-info",
        &format!(
            "Segment {} of {n} ({}–{}): {} {}{runner_up}{}",
            i + 1,
            render::fmt_time(seg.start_s),
            render::fmt_time(seg.end_s),
            labels[seg.top],
            render::percent(seg.probabilities[seg.top]),
            if seg.silent { " · near-silent" } else { "" }
        ),
    );
    if seek {
        let player: HtmlAudioElement = by_id("player");
        player.set_current_time(seg.start_s);
        let duration = with(|a| {
            a.song
                .as_ref()
                .map(|s| s.samples.len() as f64 / SAMPLE_RATE as f64)
        })
        .unwrap_or(1.0);
        render::cursor(seg.start_s / duration.max(1e-9));
    }
}

// ---------------------------------------------------------------------------------------------
// A person's own model

fn on_model_file(file: File) {
    exclusive(async move {
        let name = file.name();
        let bytes = match read_file(&file).await {
            Ok(b) => js_sys::Uint8Array::new(&b).to_vec(),
            Err(e) => return show_error(&e),
        };
        use_model_bytes(name, bytes).await;
    });
}

/// Checks a model file, runs it on the current backend, keeps it in IndexedDB. On any failure
/// the page keeps the model it had.
async fn use_model_bytes(name: String, bytes: Vec<u8>) {
    let refuse = |why: String| {
        show_error(&format!(
            "“{name}” is not a usable model: {why}. The page keeps its current model."
        ));
    };
    let manifest = match decode_model_file(&bytes) {
        Ok((m, _)) => m,
        Err(e) => return refuse(e.to_string()),
    };
    // the engine loads it on the backend running now, or keeps the model it had
    if let Err(e) = load_in_engine(&bytes, None).await {
        return refuse(e);
    }
    let saved = store::save(&name, &bytes).await;
    let model = Model {
        bytes: Rc::new(bytes),
        manifest,
        source: Source::User(name.clone()),
    };
    show_model(&model);
    with(|a| a.model = Some(model));
    match saved {
        Ok(()) => show_info(&format!(
            "Now using your model “{name}”; it is kept in this browser until you remove it."
        )),
        Err(e) => show_info(&format!(
            "Now using your model “{name}”, but it could not be kept for the next visit ({e})."
        )),
    }
    after_model_change().await;
}

fn on_remove_model() {
    exclusive(async move {
        set_state("loading");
        if let Err(e) = store::remove().await {
            show_error(&format!(
                "Your model could not be removed from this browser: {e}"
            ));
        }
        let model = match shipped_model().await {
            Ok(m) => m,
            Err(e) => return fail(None, &e),
        };
        if let Err(e) = load_in_engine(&model.bytes, None).await {
            return fail(None, &format!("The shipped model cannot be loaded: {e}"));
        }
        show_model(&model);
        with(|a| a.model = Some(model));
        show_info("Your model was removed: back to the shipped model.");
        after_model_change().await;
    });
}

/// After the model changed: the current song is classified again (its labels may differ).
async fn after_model_change() {
    progress(None);
    if with(|a| a.song.is_some()) {
        classify_song().await;
    } else {
        status("Ready: drop a song here, or choose a file.");
        set_state("ready");
    }
}

// ---------------------------------------------------------------------------------------------
// For the live microphone (`super::mic`): the same engine, model and backend as the file path.

/// The engine has a model loaded.
pub(super) fn has_classifier() -> bool {
    with(|a| a.engine_ready)
}

/// A file is being read or classified, or the backend or model is changing.
pub(super) fn is_busy() -> bool {
    with(|a| a.busy)
}

/// Classifies one live window in the engine; `Ok(None)` when its model is being changed.
pub(super) async fn classify_window(window: &[f32]) -> Result<Option<WindowOutcome>, String> {
    let samples = js_sys::Float32Array::from(window);
    match client::request(&Request::Window, Some(samples), None).await {
        Reply::Window { outcome, backend } => {
            apply_backend(&backend);
            Ok(Some(outcome))
        }
        Reply::Cancelled => Ok(None),
        Reply::Error { message, backend } => {
            if let Some(b) = backend {
                apply_backend(&b);
            }
            Err(message)
        }
        other => Err(format!("the page's engine answered {other:?}")),
    }
}

/// The loaded model's labels (from its manifest).
pub(super) fn labels() -> Vec<String> {
    with(|a| {
        a.model
            .as_ref()
            .map(|m| m.manifest.labels.clone())
            .unwrap_or_default()
    })
}

/// Samples of one classified window (3 s at 22 050 Hz for the shipped model).
pub(super) fn segment_samples() -> usize {
    with(|a| {
        a.model
            .as_ref()
            .map(|m| m.manifest.features.segment_samples)
    })
    .unwrap_or(3 * SAMPLE_RATE as usize)
}

pub(super) fn backend_label() -> &'static str {
    with(|a| a.running)
        .map(|k| k.label())
        .unwrap_or("no backend")
}

pub(super) fn backend_name() -> &'static str {
    with(|a| a.running).map(|k| k.name()).unwrap_or("")
}

/// See [`super::debug_lose_gpu_device`].
pub(super) async fn lose_gpu_for_test() -> bool {
    matches!(
        client::request(&Request::LoseGpu, None, None).await,
        Reply::Done { value: true }
    )
}
