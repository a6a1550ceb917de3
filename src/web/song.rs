//! A song: read, refused when too long or not audio, decoded on the page (a few packets at a
//! time, [`super::audio`]), sent to the engine and classified there with progress (a spread of
//! segments first), then shown: probabilities, tags, the timeline, the feature pictures of the
//! selected segment, warnings, and the machine-readable result. A new song cancels the one being
//! decoded or classified.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Element, Event, File, HtmlAudioElement, HtmlElement};

use super::audio;
use super::backend::{DEFAULT_CPU, Kind};
use super::client;
use super::dom::{self, by_id, now_ms, set_hidden, set_text};
use super::models::apply_backend;
use super::protocol::{Progress, Reply, Request};
use super::render::{self, SegmentResult};
use super::state::{self, Source};
use super::status::{clear_message, fail, progress, set_result_json, set_state, status};
use crate::features::SAMPLE_RATE;
use crate::inference::{MAGIC, argmax};

/// Longest song the page takes, in seconds (the decoded audio is kept in memory).
pub const MAX_DURATION_S: f64 = 20.0 * 60.0;
/// Largest file the page reads at all.
const MAX_FILE_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;
/// Below this top probability (calibrated, when the model carries a calibration) the page says the
/// song fits none of the labels well.
const FITS_NONE_BELOW: f32 = 0.5;

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
struct Current {
    song: Option<Song>,
    /// The engine request of the song being classified (to cancel it).
    job: Option<u32>,
    audio_url: Option<String>,
}

thread_local! {
    static CURRENT: RefCell<Current> = RefCell::new(Current::default());
    /// The file being read or decoded; a newer file bumps it and the older one stops.
    static FILE: Cell<u32> = const { Cell::new(0) };
    /// Songs being read, decoded or classified (a file's classification nests in it).
    static ACTIVE: Cell<u32> = const { Cell::new(0) };
}

/// Counts a song as in progress while it lives.
struct Active;

impl Active {
    fn new() -> Self {
        ACTIVE.with(|a| a.set(a.get() + 1));
        Active
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(a.get().saturating_sub(1)));
    }
}

/// A song is being read, decoded or classified.
pub fn in_progress() -> bool {
    ACTIVE.with(|a| a.get()) > 0
}

fn with<R>(f: impl FnOnce(&mut Current) -> R) -> R {
    CURRENT.with(|c| f(&mut c.borrow_mut()))
}

/// A song is loaded (a backend or model change classifies it again).
pub fn has_song() -> bool {
    with(|c| c.song.is_some())
}

/// Stops the song being read, decoded or classified (it ends without a result); true when
/// there was one.
pub fn cancel() -> bool {
    FILE.with(|f| f.set(f.get() + 1));
    match with(|c| c.job.take()) {
        Some(job) => {
            let _ = client::send(&Request::Cancel { job }, None, None, None);
            true
        }
        None => false,
    }
}

/// What a dropped file turned out to be, when it was not a song.
pub enum NotASong {
    /// A model file (by its magic bytes, whatever its name): its name and bytes.
    Model(String, Vec<u8>),
}

pub fn on_time(player: &HtmlAudioElement) {
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

pub async fn read_file(file: &File) -> Result<js_sys::ArrayBuffer, String> {
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

pub async fn classify_file(file: File) -> Option<NotASong> {
    let _active = Active::new();
    let name = file.name();
    clear_message();
    set_result_json(&json!({}));
    set_state("working");
    progress(Some((0.0, 0.0)));
    status(&format!("Reading “{name}”…"));
    let t0 = now_ms();
    // a newer file (or a cancel) bumps FILE: this one then stops where it is, silently
    let ticket = FILE.with(|f| f.get());
    let stale = move || FILE.with(|f| f.get()) != ticket;

    if file.size() > MAX_FILE_BYTES {
        fail(
            Some(&name),
            &format!(
                "“{name}” is {:.1} GB: this page reads files up to 1 GB.",
                file.size() / 1e9
            ),
        );
        return None;
    }
    // A file that is a model goes to the model path whatever its name.
    let buf = match read_file(&file).await {
        Ok(b) => b,
        Err(e) => {
            fail(Some(&name), &e);
            return None;
        }
    };
    if stale() {
        return None;
    }
    let head =
        js_sys::Uint8Array::new_with_byte_offset_and_length(&buf, 0, buf.byte_length().min(8))
            .to_vec();
    if head.as_slice() == MAGIC.as_slice() {
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        set_state(
            if with(|c| c.song.as_ref().is_some_and(|s| s.result.is_some())) {
                "done"
            } else {
                "ready"
            },
        );
        progress(None);
        return Some(NotASong::Model(name, bytes));
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
        return None;
    }
    let revoke = |url: &Option<String>| {
        if let Some(u) = url {
            web_sys::Url::revoke_object_url(u).ok();
        }
    };
    if stale() {
        revoke(&url);
        return None;
    }

    status(&format!("Decoding “{name}”…"));
    dom::mark("genre:read");
    dom::yield_now().await;
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let decoded = match audio::decode(buf, ext.as_deref(), |f| {
        if stale() {
            return false;
        }
        progress(Some((f, 1.0)));
        status(&format!("Decoding “{name}”… {:.0}%", 100.0 * f));
        true
    })
    .await
    {
        Ok(Some(d)) => d,
        Ok(None) => {
            revoke(&url);
            return None;
        }
        Err(e) => {
            revoke(&url);
            fail(
                Some(&name),
                &format!(
                    "“{name}” could not be read as audio: neither the page's decoder nor the browser's can read it. It may not be an audio file, or it may be damaged or truncated. ({e})"
                ),
            );
            return None;
        }
    };
    let decode_ms = now_ms() - t0;
    dom::mark("genre:decoded");
    dom::yield_now().await;
    let fail_with = |msg: String| {
        revoke(&url);
        fail(Some(&name), &msg);
        None
    };
    if stale() {
        revoke(&url);
        return None;
    }
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
    let old_url = with(|c| c.audio_url.take());
    if let Some(u) = old_url {
        web_sys::Url::revoke_object_url(&u).ok();
    }
    if let Some(u) = &url {
        player.set_src(u);
    }
    with(|c| {
        c.audio_url = url.clone();
        c.song = Some(Song {
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
    None
}

/// Classifies the current song on the current backend and shows the result.
pub async fn classify_song() {
    let _active = Active::new();
    let ticket = FILE.with(|f| f.get());
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
    let Some((seg_len, labels, real_music)) = state::with(|a| {
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
    // a newer file came while the samples were being copied
    if FILE.with(|f| f.get()) != ticket {
        cancel();
    }
    dom::mark("genre:sent");
    let reply = reply.await;
    dom::mark("genre:classified");
    // the result is built and drawn in a few tasks, so that none holds the page long; a newer
    // file meanwhile makes this one stop
    let stale = move || FILE.with(|f| f.get()) != ticket;
    dom::yield_now().await;
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
    let backend = state::backend().unwrap_or(DEFAULT_CPU);

    dom::mark("genre:built");
    dom::yield_now().await;
    if stale() {
        return;
    }
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
        "model": state::with(|a| a.model.as_ref().map(|m| json!({
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
    dom::yield_now().await;
    if stale() {
        return;
    }
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
pub fn select_segment(i: usize, seek: bool) {
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
