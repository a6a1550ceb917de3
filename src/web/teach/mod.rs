//! "Teach the page": a person makes labels of their own, drops songs on each, and teaches a
//! model of their own in the browser.
//!
//! Songs are decoded here (the page's decoder, [`crate::web::audio`]); the teacher, a second
//! worker on the teaching wasm (`web/teach-worker.js`, [`crate::web::teacher`]) started on the
//! first song, embeds each with the shipped model's pretrained front end, once, and teaches,
//! checks (by song) and exports a head with the library's [`crate::teach`]. The labels, the songs
//! and their embeddings are kept in IndexedDB ([`crate::web::store`]), so a reload loses
//! nothing; the taught model becomes the page's model like any file the person brings
//! (`on_taught`), used at once for songs, the timeline and the microphone.
//!
//! `<script type="application/json" id="teach-state">` holds the state as JSON (for tests).

mod view;

use std::cell::{Cell, RefCell};

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{DragEvent, Element, Event, File, HtmlInputElement, MouseEvent};

use super::audio;
use super::client::{self, Which};
use super::dom::{self, by_id, now_ms, set_text};
use super::models;
use super::protocol::{LessonSpec, Progress, Reply, Request, SongSpec};
use super::song::read_file;
use super::state::{self, Source};
use crate::model::musicnn::EMBEDDING;

/// `TrainedOn::dataset` of a taught model.
const TAUGHT: &str = crate::inference::TAUGHT_IN_THE_BROWSER;

#[derive(Default)]
struct Lesson {
    spec: LessonSpec,
    /// Per song (in `spec.songs` order), its segments' embeddings, flat.
    embeddings: Vec<Vec<f32>>,
}

type OnTaught = Box<dyn Fn(String, Vec<u8>)>;

thread_local! {
    static LESSON: RefCell<Lesson> = RefCell::new(Lesson::default());
    static BUSY: Cell<bool> = const { Cell::new(false) };
    static ON_TAUGHT: RefCell<Option<OnTaught>> = const { RefCell::new(None) };
    /// The last teaching's figures, for the JSON.
    static LAST: RefCell<serde_json::Value> = const { RefCell::new(serde_json::Value::Null) };
}

fn with<R>(f: impl FnOnce(&mut Lesson) -> R) -> R {
    LESSON.with(|l| f(&mut l.borrow_mut()))
}

/// `f` on every `event` at the element `id`.
fn listen<E: JsCast + wasm_bindgen::convert::FromWasmAbi + 'static>(
    id: &str,
    event: &str,
    f: impl FnMut(E) + 'static,
) {
    dom::listen(&by_id::<Element>(id).into(), event, f);
}

/// `data-*` of the nearest element holding it, from an event's target.
fn data_of(e: &Event, attr: &str) -> Option<String> {
    e.target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(&format!("[{attr}]"))
        .ok()??
        .get_attribute(attr)
}

/// Installs the Teach view's handlers; `on_taught(name, bytes)` makes a taught model the page's.
pub fn install(on_taught: impl Fn(String, Vec<u8>) + 'static) {
    ON_TAUGHT.with(|o| *o.borrow_mut() = Some(Box::new(on_taught)));
    listen::<Event>("teach-add", "submit", |e| {
        e.prevent_default();
        let input: HtmlInputElement = by_id("teach-label-name");
        add_label(input.value().trim());
        input.set_value("");
        input.focus().ok();
    });
    listen::<MouseEvent>("teach-labels", "click", |e| {
        if let Some(i) = data_of(&e, "data-record").and_then(|s| s.parse().ok()) {
            record_into(i);
        } else if let Some(i) = data_of(&e, "data-remove-label").and_then(|s| s.parse().ok()) {
            remove_label(i);
        } else if let Some(j) = data_of(&e, "data-remove-song").and_then(|s| s.parse().ok()) {
            remove_song(j);
        }
    });
    listen::<Event>("teach-labels", "change", |e| {
        let Some(input) = e
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(i) = input.get_attribute("data-add").and_then(|s| s.parse().ok()) {
            let mut files = file_list(input.files());
            if input.has_attribute("webkitdirectory") {
                // a folder: its audio files, by path
                files.retain(|f| is_audio_name(&f.name()));
                files.sort_by_key(|f| dom::get(f, "webkitRelativePath").as_string());
            }
            input.set_value("");
            add_songs(i, files);
        } else if let Some(i) = input
            .get_attribute("data-rename")
            .and_then(|s| s.parse().ok())
        {
            rename_label(i, input.value().trim());
        }
    });
    listen::<DragEvent>("teach-labels", "dragover", |e| {
        e.prevent_default();
        e.stop_propagation();
    });
    listen::<DragEvent>("teach-labels", "drop", |e| {
        e.prevent_default();
        // a song dropped on a label is for teaching, not for the page's classifier
        e.stop_propagation();
        let label = data_of(&e, "data-label-index").and_then(|s| s.parse().ok());
        // the entries must be taken during the event; their files are read after it
        let entries = e
            .data_transfer()
            .map(|d| dropped_entries(&d))
            .unwrap_or_default();
        match label {
            Some(i) => spawn_local(async move {
                let files = files_of(entries).await;
                add_songs(i, files);
            }),
            None => view::error("Drop the songs on one of the labels."),
        }
    });
    listen::<Event>("teach-go", "click", |_| {
        if !start_busy() {
            return;
        }
        LAST.with(|x| *x.borrow_mut() = json!({ "teaching": true }));
        publish();
        spawn_local(async {
            teach().await;
            BUSY.with(|b| b.set(false));
            publish();
        });
    });
    listen::<Event>("teach-export", "click", |_| export());
    view::set_state("idle");
    view::labels(&LessonSpec::default());
}

/// Audio a folder's files are taken for (others in a dropped folder are passed over).
const AUDIO: [&str; 11] = [
    "mp3", "ogg", "oga", "opus", "wav", "flac", "m4a", "aac", "webm", "au", "snd",
];

fn is_audio_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| AUDIO.contains(&e.to_ascii_lowercase().as_str()))
}

/// A dropped item: a file, or a folder's entry (`webkitGetAsEntry`) to read after the event.
enum Dropped {
    File(File),
    Entry(JsValue),
}

/// What was dropped, taken while the drop event lasts (the browser empties it after).
fn dropped_entries(dt: &web_sys::DataTransfer) -> Vec<Dropped> {
    let items = dom::get(dt, "items");
    let n = dom::get(&items, "length").as_f64().unwrap_or(0.0) as u32;
    let mut out = Vec::new();
    for i in 0..n {
        let item = js_sys::Reflect::get_u32(&items, i).unwrap_or(JsValue::UNDEFINED);
        let call = |name: &str| {
            dom::get(&item, name)
                .dyn_into::<js_sys::Function>()
                .ok()
                .and_then(|f| f.call0(&item).ok())
                .filter(|v| !v.is_null() && !v.is_undefined())
        };
        match call("webkitGetAsEntry") {
            Some(entry) if dom::get(&entry, "isDirectory").as_bool() == Some(true) => {
                out.push(Dropped::Entry(entry))
            }
            _ => {
                if let Some(f) = call("getAsFile").and_then(|f| f.dyn_into::<File>().ok()) {
                    out.push(Dropped::File(f));
                }
            }
        }
    }
    if out.is_empty() {
        // a browser without items: the plain file list
        out = file_list(dt.files())
            .into_iter()
            .map(Dropped::File)
            .collect();
    }
    out
}

/// Calls `obj.method(...args, resolve, reject)` and waits for the callback.
async fn callback(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let f = dom::get(obj, method)
        .dyn_into::<js_sys::Function>()
        .map_err(|_| format!("no {method}"))?;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let all = js_sys::Array::new();
        for a in args {
            all.push(a);
        }
        all.push(&resolve);
        all.push(&reject);
        let _ = f.apply(obj, &all);
    });
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| dom::js_error_text(&e))
}

/// The files dropped, a folder's audio files (at every depth, by name) in place of the folder.
async fn files_of(dropped: Vec<Dropped>) -> Vec<File> {
    let mut files = Vec::new();
    let mut folders: Vec<JsValue> = Vec::new();
    for d in dropped {
        match d {
            Dropped::File(f) => files.push(f),
            Dropped::Entry(e) => folders.push(e),
        }
    }
    while let Some(dir) = folders.pop() {
        let Ok(reader) = dom::get(&dir, "createReader")
            .dyn_into::<js_sys::Function>()
            .and_then(|f| f.call0(&dir).map_err(|_| JsValue::NULL))
        else {
            continue;
        };
        let mut in_folder = Vec::new();
        // readEntries gives a batch at a time, then an empty one
        loop {
            let Ok(batch) = callback(&reader, "readEntries", &[]).await else {
                break;
            };
            let batch: js_sys::Array = batch.unchecked_into();
            if batch.length() == 0 {
                break;
            }
            for entry in batch.iter() {
                if dom::get(&entry, "isDirectory").as_bool() == Some(true) {
                    folders.push(entry);
                } else {
                    let name = dom::get(&entry, "name").as_string().unwrap_or_default();
                    if is_audio_name(&name)
                        && let Ok(f) = callback(&entry, "file", &[]).await
                        && let Ok(f) = f.dyn_into::<File>()
                    {
                        in_folder.push(f);
                    }
                }
            }
        }
        in_folder.sort_by_key(|f| f.name());
        files.extend(in_folder);
    }
    files
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<File> {
    list.map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
        .unwrap_or_default()
}

/// True (and a message) while a step of teaching is under way.
fn refuse_if_busy() -> bool {
    let busy = BUSY.with(|b| b.get());
    if busy {
        view::info("Still working on the last step: wait until it is done.");
    }
    busy
}

/// Takes the teaching's one-at-a-time flag; false (and a message) when it is taken.
fn start_busy() -> bool {
    if refuse_if_busy() {
        return false;
    }
    BUSY.with(|b| b.set(true));
    view::clear_message();
    true
}

/// The page runs a model taught here.
fn taught_in_use() -> bool {
    state::with(|s| {
        s.model
            .as_ref()
            .is_some_and(|m| m.manifest.trained_on.dataset == TAUGHT)
    })
}

/// The lesson kept in this browser, if any.
pub async fn restore() {
    match super::store::load_lesson().await {
        Ok(Some((json, flat))) => match serde_json::from_str::<LessonSpec>(&json) {
            Ok(spec)
                if flat.len()
                    == spec.songs.iter().map(|s| s.segments).sum::<usize>() * EMBEDDING =>
            {
                let mut at = 0;
                let embeddings = spec
                    .songs
                    .iter()
                    .map(|s| {
                        let n = s.segments * EMBEDDING;
                        let e = flat[at..at + n].to_vec();
                        at += n;
                        e
                    })
                    .collect();
                with(|l| {
                    l.spec = spec;
                    l.embeddings = embeddings;
                });
            }
            _ => {
                view::error("The labels kept in this browser could not be read back; start afresh.")
            }
        },
        Ok(None) => {}
        Err(e) => dom::log(&format!("no kept lesson: {e}")),
    }
    refresh();
    if taught_in_use() {
        view::set_state("taught");
        view::status(
            "Your taught model is in use. Add songs or labels and press “Teach” to teach it again.",
        );
    }
    publish();
}

/// Redraws the labels and keeps the lesson.
fn refresh() {
    with(|l| view::labels(&l.spec));
    dom::set_hidden("teach-export", !taught_in_use());
    publish();
}

fn save() {
    let (json, flat) = with(|l| {
        (
            serde_json::to_string(&l.spec).unwrap_or_default(),
            l.embeddings.concat(),
        )
    });
    spawn_local(async move {
        if let Err(e) = super::store::save_lesson(&json, &flat).await {
            view::error(&format!(
                "Your labels could not be kept in this browser for the next visit ({e})."
            ));
        }
    });
}

fn publish() {
    let v = with(|l| {
        json!({
            "labels": l.spec.labels.iter().enumerate().map(|(i, name)| json!({
                "name": name,
                "songs": l.spec.songs.iter().filter(|s| s.label == i).map(|s| json!({"name": s.name, "segments": s.segments})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "state": by_id::<Element>("teach").get_attribute("data-teach"),
            "busy": BUSY.with(|b| b.get()),
            "last": LAST.with(|x| x.borrow().clone()),
        })
    });
    set_text("teach-state", &v.to_string());
}

fn add_label(name: &str) {
    if name.is_empty() {
        view::error("Type a name for the label first.");
        return;
    }
    if refuse_if_busy() {
        return;
    }
    let exists = with(|l| l.spec.labels.iter().any(|x| x.eq_ignore_ascii_case(name)));
    if exists {
        view::error(&format!("There is a label “{name}” already."));
        return;
    }
    view::clear_message();
    with(|l| l.spec.labels.push(name.to_string()));
    save();
    refresh();
    view::status(&format!(
        "Label “{name}” added: drop songs on it, or press its “Add songs” button."
    ));
}

fn rename_label(i: usize, name: &str) {
    let clash = with(|l| {
        l.spec
            .labels
            .iter()
            .enumerate()
            .any(|(k, x)| k != i && x.eq_ignore_ascii_case(name))
    });
    if name.is_empty() || clash {
        view::error(if name.is_empty() {
            "A label needs a name."
        } else {
            "Another label has that name already."
        });
        refresh();
        return;
    }
    with(|l| {
        if let Some(x) = l.spec.labels.get_mut(i) {
            *x = name.to_string();
        }
    });
    save();
    refresh();
}

fn remove_label(i: usize) {
    if refuse_if_busy() {
        return;
    }
    let name = with(|l| {
        if i >= l.spec.labels.len() {
            return None;
        }
        let name = l.spec.labels.remove(i);
        let mut k = 0;
        l.embeddings.retain(|_| {
            let keep = l.spec.songs[k].label != i;
            k += 1;
            keep
        });
        l.spec.songs.retain(|s| s.label != i);
        for s in &mut l.spec.songs {
            if s.label > i {
                s.label -= 1;
            }
        }
        Some(name)
    });
    if let Some(name) = name {
        save();
        refresh();
        view::status(&format!("Label “{name}” and its songs removed."));
    }
}

fn remove_song(j: usize) {
    if refuse_if_busy() {
        return;
    }
    let name = with(|l| {
        (j < l.spec.songs.len()).then(|| {
            l.embeddings.remove(j);
            l.spec.songs.remove(j).name
        })
    });
    if let Some(name) = name {
        save();
        refresh();
        view::status(&format!("“{name}” removed."));
    }
}

/// The teacher, started (and given the shipped model) on first use.
async fn teacher() -> Result<(), String> {
    if client::is_running(Which::Teacher) {
        return Ok(());
    }
    view::status("Starting the teacher (a second engine, loaded once)…");
    client::start_worker(Which::Teacher).await?;
    let base = models::shipped_bytes().await?;
    let (_, reply) = client::send_to(Which::Teacher, &Request::TeachBase, None, Some(&base), None);
    match client::parse(reply.await) {
        Reply::Done { .. } => Ok(()),
        Reply::Error { message, .. } => {
            Err(format!("The teacher could not load the model: {message}"))
        }
        other => Err(format!("The teacher answered {other:?}")),
    }
}

fn add_songs(label: usize, files: Vec<File>) {
    if files.is_empty() {
        return;
    }
    if !start_busy() {
        return;
    }
    LAST.with(|x| *x.borrow_mut() = json!({ "adding": files.len() }));
    publish();
    spawn_local(async move {
        add_songs_inner(label, files).await;
        BUSY.with(|b| b.set(false));
        view::progress(None);
        publish();
    });
}

async fn add_songs_inner(label: usize, files: Vec<File>) {
    view::set_state("embedding");
    if let Err(e) = teacher().await {
        view::error(&e);
        view::set_state("error");
        LAST.with(|x| *x.borrow_mut() = json!({ "added": 0, "failed": [e] }));
        return;
    }
    let label_name = with(|l| l.spec.labels.get(label).cloned()).unwrap_or_default();
    let n = files.len();
    let mut failed = Vec::new();
    for (k, file) in files.into_iter().enumerate() {
        let name = file.name();
        view::status(&format!("“{name}” ({} of {n}): decoding…", k + 1));
        view::progress(Some((k as f64, n as f64)));
        let t0 = now_ms();
        match embed_file(&file, k, n).await {
            Ok(embeddings) => {
                let segments = keep_song(&name, label, embeddings);
                dom::log(&format!(
                    "teach: {name} → {segments} segments in {:.0} ms",
                    now_ms() - t0
                ));
            }
            Err(why) => failed.push(format!("“{name}”: {why}")),
        }
    }
    view::progress(None);
    view::set_state("idle");
    if failed.is_empty() {
        view::status(&format!(
            "{n} song{} added to “{label_name}”.",
            if n == 1 { "" } else { "s" }
        ));
    } else {
        view::error(&format!(
            "Not added (not audio, or damaged): {}",
            failed.join("; ")
        ));
        view::status(&format!(
            "{} of {n} songs added to “{label_name}”.",
            n - failed.len()
        ));
    }
    LAST.with(|x| {
        *x.borrow_mut() = json!({ "added": n - failed.len(), "failed": failed });
    });
}

/// Decodes `file` and has the teacher embed its segments.
async fn embed_file(file: &File, k: usize, n: usize) -> Result<Vec<f32>, String> {
    let name = file.name();
    let buf = read_file(file).await?;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let decoded = audio::decode(buf, ext.as_deref(), |f| {
        view::progress(Some((k as f64 + 0.5 * f, n as f64)));
        true
    })
    .await
    .map_err(|_| "it could not be read as audio".to_string())?
    .ok_or("stopped")?;
    if decoded.samples.is_empty() {
        return Err("it holds no audio".into());
    }
    if decoded.duration_s() > super::song::MAX_DURATION_S {
        return Err("it is longer than 20 minutes".into());
    }
    embed_samples(&name, &decoded.samples, k, n).await
}

/// Has the teacher embed the segments of `samples` (mono, 22 050 Hz), with progress.
async fn embed_samples(
    name: &str,
    samples: &[f32],
    k: usize,
    n: usize,
) -> Result<Vec<f32>, String> {
    let samples = client::float32_yielding(samples).await;
    let name2 = name.to_string();
    let on_progress = move |p: Progress| {
        if p.total > 0 {
            view::status(&format!(
                "“{name2}” ({} of {n}): listening… {} of {} segments",
                k + 1,
                p.done,
                p.total
            ));
            view::progress(Some((
                k as f64 + 0.5 + 0.5 * p.done as f64 / p.total as f64,
                n as f64,
            )));
        }
    };
    let (_, reply) = client::send_to(
        Which::Teacher,
        &Request::Embed,
        Some(samples),
        None,
        Some(Box::new(on_progress)),
    );
    let msg = reply.await;
    let data = msg.clone().unwrap_or(JsValue::NULL);
    match client::parse(msg) {
        Reply::Embedded { segments } => {
            let e = dom::get(&data, "f32")
                .dyn_into::<js_sys::Float32Array>()
                .map_err(|_| "the teacher sent no embeddings".to_string())?
                .to_vec();
            if e.len() != segments * EMBEDDING || segments == 0 {
                return Err("the teacher's embeddings do not fit".into());
            }
            Ok(e)
        }
        Reply::Error { message, .. } => Err(message),
        other => Err(format!("the teacher answered {other:?}")),
    }
}

async fn teach() {
    view::hide_result();
    view::set_state("teaching");
    if let Err(e) = teacher().await {
        view::error(&e);
        view::set_state("error");
        LAST.with(|x| *x.borrow_mut() = json!({ "refused": e }));
        return;
    }
    let (spec, flat) = with(|l| (l.spec.clone(), l.embeddings.concat()));
    let date = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default()
        .chars()
        .take(10)
        .collect::<String>();
    view::status("Teaching…");
    view::progress(Some((0.0, 1.0)));
    let t0 = now_ms();
    let on_progress = |p: Progress| {
        view::progress(Some((p.done as f64, p.total.max(1) as f64)));
        match (p.stage.as_str(), p.loss) {
            ("teaching", Some(loss)) => view::status(&format!(
                "Teaching: epoch {} of {}, loss {loss:.3}",
                p.done, p.total
            )),
            ("checking", _) => view::status(&format!(
                "Checking it on songs it was not taught with: {} of {}…",
                p.done, p.total
            )),
            _ => {}
        }
    };
    let req = Request::Teach {
        lesson: spec.clone(),
        date: date.clone(),
    };
    let samples = js_sys::Float32Array::from(flat.as_slice());
    let (_, reply) = client::send_to(
        Which::Teacher,
        &req,
        Some(samples),
        None,
        Some(Box::new(on_progress)),
    );
    let msg = reply.await;
    let data = msg.clone().unwrap_or(JsValue::NULL);
    view::progress(None);
    match client::parse(msg) {
        Reply::Taught {
            held_out,
            split,
            warnings,
            teach_ms,
            check_ms,
        } => {
            let Ok(bytes) = dom::get(&data, "bytes").dyn_into::<js_sys::Uint8Array>() else {
                view::error("The teacher sent no model.");
                view::set_state("error");
                return;
            };
            let total_ms = now_ms() - t0;
            view::result(&spec.labels, held_out.as_ref(), &split, &warnings);
            LAST.with(|x| {
                *x.borrow_mut() = json!({
                    "held_out": held_out,
                    "split": split,
                    "warnings": warnings,
                    "timings_ms": { "teach": teach_ms, "check": check_ms, "total": total_ms },
                });
            });
            let name = format!(
                "taught in this browser ({}), {date}",
                spec.labels.join(", ")
            );
            view::set_state("taught");
            view::status(&format!(
                "Taught in {:.1} s (checked in {:.1} s more): the page now uses your model. Drop a song, or listen, to try it.",
                teach_ms / 1000.0,
                check_ms / 1000.0
            ));
            ON_TAUGHT.with(|o| {
                if let Some(f) = o.borrow().as_ref() {
                    f(name, bytes.to_vec());
                }
            });
        }
        Reply::Error { message, .. } => {
            view::error(&format!("Cannot teach yet: {message}."));
            view::set_state("error");
            view::status("Fix what the message says, then press “Teach” again.");
            LAST.with(|x| *x.borrow_mut() = json!({ "refused": message }));
        }
        other => {
            view::error(&format!("The teacher answered {other:?}"));
            view::set_state("error");
            LAST.with(|x| *x.borrow_mut() = json!({ "refused": format!("{other:?}") }));
        }
    }
}

/// Seconds a recording from the microphone lasts.
const RECORD_S: f32 = 15.0;

/// Records [`RECORD_S`] seconds from the microphone (started if it is off) into label `i`.
fn record_into(label: usize) {
    if !start_busy() {
        return;
    }
    LAST.with(|x| *x.borrow_mut() = json!({ "adding": 1 }));
    publish();
    spawn_local(async move {
        let result = record_inner(label).await;
        BUSY.with(|b| b.set(false));
        view::progress(None);
        view::set_state("idle");
        match result {
            Ok(name) => {
                view::status(&format!("“{name}” added."));
                LAST.with(|x| *x.borrow_mut() = json!({ "added": 1, "failed": [] }));
            }
            Err(why) => {
                view::error(&format!("Nothing was recorded: {why}."));
                LAST.with(|x| *x.borrow_mut() = json!({ "added": 0, "failed": [why] }));
            }
        }
        publish();
    });
}

async fn record_inner(label: usize) -> Result<String, String> {
    view::set_state("embedding");
    teacher().await?;
    super::mic::ensure_on().await?;
    let (_, reply) = client::send_to(
        Which::Engine,
        &Request::Record { seconds: RECORD_S },
        None,
        None,
        None,
    );
    // a countdown while the engine records
    let t0 = now_ms();
    let done = std::rc::Rc::new(Cell::new(false));
    let done2 = done.clone();
    spawn_local(async move {
        while !done2.get() {
            let s = ((now_ms() - t0) / 1000.0) as f32;
            view::progress(Some((s.min(RECORD_S) as f64, RECORD_S as f64)));
            view::status(&format!(
                "Recording from the microphone: {:.0} of {RECORD_S:.0} s…",
                s.min(RECORD_S)
            ));
            dom::sleep_ms(250).await;
        }
    });
    let msg = reply.await;
    done.set(true);
    let data = msg.clone().unwrap_or(JsValue::NULL);
    let samples = match client::parse(msg) {
        Reply::Recorded { .. } => dom::get(&data, "f32")
            .dyn_into::<js_sys::Float32Array>()
            .map_err(|_| "the engine sent no samples".to_string())?
            .to_vec(),
        Reply::Error { message, .. } => return Err(message),
        other => return Err(format!("the engine answered {other:?}")),
    };
    let time = js_sys::Date::new_0()
        .to_iso_string()
        .as_string()
        .unwrap_or_default();
    let name = format!("microphone {}", time.get(11..19).unwrap_or(""));
    let embeddings = embed_samples(&name, &samples, 0, 1).await?;
    keep_song(&name, label, embeddings);
    Ok(name)
}

/// Adds a song and its embeddings to `label`, keeps the lesson and redraws; its segments.
fn keep_song(name: &str, label: usize, embeddings: Vec<f32>) -> usize {
    let segments = embeddings.len() / EMBEDDING;
    with(|l| {
        l.spec.songs.push(SongSpec {
            name: name.to_string(),
            label,
            segments,
        });
        l.embeddings.push(embeddings);
    });
    save();
    refresh();
    segments
}

/// After the page's model changed: the export button follows it.
pub fn model_changed() {
    refresh();
}

/// Downloads the taught model in use as a `.genre` file.
fn export() {
    let Some(bytes) = state::with(|s| {
        s.model
            .as_ref()
            .filter(|m| {
                m.manifest.trained_on.dataset == TAUGHT && matches!(m.source, Source::User(_))
            })
            .map(|m| m.bytes.clone())
    }) else {
        view::error("There is no taught model to export: press “Teach” first.");
        return;
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence(&parts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let a: web_sys::HtmlElement = dom::document()
        .create_element("a")
        .expect("an element")
        .unchecked_into();
    a.set_attribute("href", &url).ok();
    a.set_attribute("download", "taught-model.genre").ok();
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    view::info(
        "Exported as taught-model.genre: drop it on the page to use it again, or read it with `trainer classify --model taught-model.genre`.",
    );
}
