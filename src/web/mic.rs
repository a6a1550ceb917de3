//! The live microphone: classify what the room is playing, continuously.
//!
//! `getUserMedia` (echo cancellation, noise suppression and automatic gain control off: they
//! damage music) → `MediaStreamAudioSourceNode` → an `AudioWorkletNode` running
//! `web/mic-processor.js`, which posts mono blocks of 512 frames at the device rate to this
//! thread. Each block goes through [`crate::live::LiveInput`] (resampled to 22 050 Hz, kept in a
//! ring of the last seconds, level measured). At most every [`INTERVAL_MS`] the latest 3-s
//! window is classified by the page's [`crate::inference::Classifier`] (the same model and
//! backend as the file path); its probabilities are smoothed by [`Smoother`]. A window that comes
//! due while one is still being classified is skipped, not queued ([`Scheduler`]).
//!
//! `#live[data-live]` says where it is: `off`, `starting`, `listening` (less than 3 s heard),
//! `running`, `quiet` (too quiet to judge), `paused` (tab hidden), `error`.
//! `<script type="application/json" id="live-result">` holds the live state as JSON.

use std::cell::RefCell;
use std::collections::VecDeque;

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    AudioContext, AudioWorkletNode, CanvasRenderingContext2d, Element, Event, HtmlButtonElement,
    HtmlCanvasElement, HtmlElement, ImageData, MediaStream, MediaStreamAudioSourceNode,
    MediaStreamTrack, MessageEvent,
};

use super::app;
use super::dom::{self, by_id, now_ms, set_hidden, set_text};
use super::render::{self, percent};
use crate::features::SAMPLE_RATE;
use crate::inference::argmax;
use crate::live::{History, LiveInput, QUIET_DBFS, RateMeter, Scheduler, Smoother, rms_dbfs};
use crate::palette::{label_colour, viridis_lut};

/// Least time between the starts of two classifications: about 5 per second (the start waits
/// for the next audio block, ~11 ms apart), when they fit.
pub const INTERVAL_MS: f64 = 180.0;
/// Time constant of the smoothing of the probabilities, seconds.
pub const SMOOTHING_TAU_S: f32 = 1.5;
/// Frames per block the worklet posts.
const CHUNK: u32 = 512;
/// Seconds of audio kept (more than a window, for a window that straddles a late block).
const KEEP_S: usize = 4;
/// Updates kept in the history strip (about a minute at 5 per second).
const HISTORY: usize = 300;
/// Columns of the scrolling mel spectrogram (hop 512 at 22 050 Hz: ~43 per second, ~8 s).
const MEL_COLUMNS: usize = 344;
/// Frames at the end of a window whose STFT frame reaches past it (n_fft / 2 / hop).
const MEL_EDGE_FRAMES: usize = 2;
/// The level meter and the "Listening…" countdown are redrawn at most this often.
const METER_MS: f64 = 50.0;

struct Live {
    ctx: AudioContext,
    stream: MediaStream,
    node: AudioWorkletNode,
    _source: MediaStreamAudioSourceNode,
    /// Handlers kept alive while listening.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_ended: Closure<dyn FnMut(Event)>,
    generation: u32,
    input: LiveInput,
    block: Vec<f32>,
    window: Vec<f32>,
    smoother: Smoother,
    history: History,
    rate: RateMeter,
    sched: Scheduler,
    labels: Vec<String>,
    updates: u64,
    last_update_ms: Option<f64>,
    started_ms: f64,
    paused: bool,
    quiet: bool,
    last_meter_ms: f64,
    /// Window end (its last block's arrival) → bars changed, ms, recent updates.
    latencies: VecDeque<f64>,
    compute: VecDeque<(f64, f64)>,
    mel_rgba: Vec<u8>,
    /// The followed peak of the mel image, and whether it is PCEN (else dB).
    mel_ref: f32,
    mel_pcen: bool,
    mel_drawn_total: u64,
    device_rate: f32,
    track_label: String,
}

thread_local! {
    static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
    static GENERATION: RefCell<u32> = const { RefCell::new(0) };
    static STARTING: RefCell<bool> = const { RefCell::new(false) };
}

fn with_live<R>(f: impl FnOnce(&mut Live) -> R) -> Option<R> {
    LIVE.with(|l| l.borrow_mut().as_mut().map(f))
}

pub fn is_on() -> bool {
    LIVE.with(|l| l.borrow().is_some())
}

// ---------------------------------------------------------------------------------------------
// What the person sees

fn set_live_state(state: &str) {
    by_id::<Element>("live")
        .set_attribute("data-live", state)
        .ok();
    let on = !matches!(state, "off" | "error" | "starting");
    let button: HtmlButtonElement = by_id("mic-toggle");
    button
        .set_attribute("aria-pressed", if on { "true" } else { "false" })
        .ok();
    button.set_text_content(Some(if on {
        "Stop listening"
    } else {
        "Listen with the microphone"
    }));
    button.set_disabled(state == "starting");
}

fn live_status(text: &str) {
    set_text("live-status", text);
}

fn live_error(text: &str) {
    dom::show_message("live-message", text, "error");
}

fn live_info(text: &str) {
    dom::show_message("live-message", text, "info");
}

fn clear_live_message() {
    set_hidden("live-message", true);
}

fn set_live_json(v: &serde_json::Value) {
    set_text("live-result", &v.to_string());
}

/// A failure: the message, `data-live="error"`, the JSON, and the button to try again.
fn live_fail(kind: &str, text: &str) {
    live_error(text);
    set_live_state("error");
    live_status("The file path above still works. Press the button to try the microphone again.");
    set_live_json(&json!({ "state": "error", "error": kind, "message": text }));
}

// ---------------------------------------------------------------------------------------------
// Start and stop

/// Installs the button and the page-visibility handler (once, at start-up).
pub fn install() {
    let button: HtmlButtonElement = by_id("mic-toggle");
    let on_click = Closure::<dyn FnMut(Event)>::new(|_e: Event| {
        if is_on() {
            stop(None);
        } else {
            spawn_local(start());
        }
    });
    button
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok();
    on_click.forget();
    let on_visibility = Closure::<dyn FnMut(Event)>::new(|_e: Event| on_visibility_change());
    dom::document()
        .add_event_listener_with_callback(
            "visibilitychange",
            on_visibility.as_ref().unchecked_ref(),
        )
        .ok();
    on_visibility.forget();
    set_live_state("off");
}

/// The words for a `getUserMedia` failure, by the DOMException's name.
fn media_error(e: &JsValue) -> (&'static str, String) {
    let name = dom::get(e, "name").as_string().unwrap_or_default();
    let detail = dom::js_error_text(e);
    match name.as_str() {
        "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => (
            "denied",
            "Microphone access was denied. To listen, allow the microphone for this page in the browser (the icon at the left of the address bar, or the site settings), then press the button again. Dropping a file still works.".into(),
        ),
        "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" => (
            "no-microphone",
            "No microphone was found. Plug one in (or enable it in the system settings), then press the button again. Dropping a file still works.".into(),
        ),
        "NotReadableError" | "TrackStartError" | "AbortError" => (
            "unreadable",
            format!("The microphone could not be opened: another application may be using it, or the system blocked it ({detail}). Close the other application, then press the button again."),
        ),
        _ => ("failed", format!("The microphone could not be started: {detail}.")),
    }
}

async fn start() {
    if STARTING.with(|s| std::mem::replace(&mut *s.borrow_mut(), true)) {
        return;
    }
    let result = start_inner().await;
    STARTING.with(|s| *s.borrow_mut() = false);
    if let Err((kind, text)) = result {
        live_fail(kind, &text);
    }
}

async fn start_inner() -> Result<(), (&'static str, String)> {
    clear_live_message();
    if !app::has_classifier() {
        return Err(("no-model", "The model is not loaded yet: wait until the page says it is ready, then press the button again.".into()));
    }
    if app::is_busy() {
        return Err((
            "busy",
            "A file is being classified: wait until it is done, then press the button again."
                .into(),
        ));
    }
    set_live_state("starting");
    live_status("Asking for the microphone…");
    set_live_json(&json!({ "state": "starting" }));

    let navigator = dom::window().navigator();
    let devices = navigator
        .media_devices()
        .ok()
        .filter(|d| !JsValue::from(d).is_undefined());
    let Some(devices) = devices else {
        return Err((
            "unsupported",
            "This browser gives no access to a microphone here (it needs a secure page: https or localhost).".into(),
        ));
    };
    // Music, not speech: no echo cancellation, noise suppression or automatic gain.
    let audio = js_sys::Object::new();
    for key in ["echoCancellation", "noiseSuppression", "autoGainControl"] {
        js_sys::Reflect::set(&audio, &key.into(), &JsValue::FALSE).ok();
    }
    let constraints = js_sys::Object::new();
    js_sys::Reflect::set(&constraints, &"audio".into(), &audio).ok();
    js_sys::Reflect::set(&constraints, &"video".into(), &JsValue::FALSE).ok();
    let promise = devices
        .get_user_media_with_constraints(constraints.unchecked_ref())
        .map_err(|e| media_error(&e))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|e| media_error(&e))?
        .unchecked_into();
    let stop_stream = |s: &MediaStream| {
        for t in s.get_tracks().iter() {
            t.unchecked_into::<MediaStreamTrack>().stop();
        }
    };
    let track: Option<MediaStreamTrack> = stream.get_audio_tracks().get(0).dyn_into().ok();
    let Some(track) = track else {
        stop_stream(&stream);
        return Err((
            "no-microphone",
            "The browser returned no audio track: no microphone is available.".into(),
        ));
    };
    if app::is_busy() {
        stop_stream(&stream);
        return Err((
            "busy",
            "A file is being classified: wait until it is done, then press the button again."
                .into(),
        ));
    }

    let graph = build_graph(&stream).await;
    let (ctx, source, node) = match graph {
        Ok(g) => g,
        Err(e) => {
            stop_stream(&stream);
            return Err((
                "audio",
                format!("The browser's audio engine could not start: {e}"),
            ));
        }
    };
    let generation = GENERATION.with(|g| {
        *g.borrow_mut() += 1;
        *g.borrow()
    });
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_block(generation, e));
    let port = node.port().map_err(|e| ("audio", dom::js_error_text(&e)))?;
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_ended = Closure::<dyn FnMut(Event)>::new(move |_e: Event| on_track_ended(generation));
    track.set_onended(Some(on_ended.as_ref().unchecked_ref()));

    let device_rate = ctx.sample_rate();
    let seg = app::segment_samples();
    let labels = app::labels();
    let live = Live {
        stream,
        node,
        _source: source,
        _on_message: on_message,
        _on_ended: on_ended,
        generation,
        input: LiveInput::new(
            device_rate as u32,
            SAMPLE_RATE,
            (KEEP_S * SAMPLE_RATE as usize).max(seg + SAMPLE_RATE as usize),
        ),
        block: Vec::with_capacity(CHUNK as usize),
        window: vec![0.0; seg],
        smoother: Smoother::new(labels.len(), SMOOTHING_TAU_S),
        history: History::new(HISTORY),
        rate: RateMeter::new(3000.0),
        sched: Scheduler::new(INTERVAL_MS),
        labels: Vec::new(),
        updates: 0,
        last_update_ms: None,
        started_ms: now_ms(),
        paused: false,
        quiet: false,
        last_meter_ms: 0.0,
        latencies: VecDeque::with_capacity(64),
        compute: VecDeque::with_capacity(64),
        mel_rgba: vec![0; MEL_COLUMNS * 128 * 4],
        mel_ref: f32::NAN,
        mel_pcen: false,
        mel_drawn_total: 0,
        device_rate,
        track_label: track.label(),
        ctx,
    };
    LIVE.with(|l| *l.borrow_mut() = Some(live));
    // The context may start suspended (autoplay policy); the click that started us allows it.
    if let Ok(p) = with_live(|l| l.ctx.resume()).unwrap_or(Err(JsValue::NULL)) {
        let _ = JsFuture::from(p).await;
    }
    reset_view(&labels);
    set_live_state("listening");
    live_status("Listening…");
    set_hidden("live-view", false);
    dom::log(&format!(
        "microphone: {} at {device_rate} Hz",
        track.label()
    ));
    publish("listening");
    Ok(())
}

/// AudioContext at the device rate, the worklet module, and source → worklet → destination
/// (the worklet outputs silence; being connected keeps it running).
async fn build_graph(
    stream: &MediaStream,
) -> Result<(AudioContext, MediaStreamAudioSourceNode, AudioWorkletNode), String> {
    let ctx = AudioContext::new().map_err(|e| dom::js_error_text(&e))?;
    let worklet = ctx.audio_worklet().map_err(|e| dom::js_error_text(&e))?;
    let added = worklet
        .add_module("mic-processor.js")
        .map_err(|e| dom::js_error_text(&e))?;
    if let Err(e) = JsFuture::from(added).await {
        let _ = ctx.close();
        return Err(format!(
            "the capture script mic-processor.js could not be loaded ({})",
            dom::js_error_text(&e)
        ));
    }
    let source = ctx
        .create_media_stream_source(stream)
        .map_err(|e| dom::js_error_text(&e))?;
    let options = js_sys::Object::new();
    let processor_options = js_sys::Object::new();
    js_sys::Reflect::set(&processor_options, &"chunk".into(), &JsValue::from(CHUNK)).ok();
    js_sys::Reflect::set(&options, &"processorOptions".into(), &processor_options).ok();
    js_sys::Reflect::set(&options, &"numberOfInputs".into(), &JsValue::from(1)).ok();
    js_sys::Reflect::set(&options, &"numberOfOutputs".into(), &JsValue::from(1)).ok();
    let counts = js_sys::Array::of1(&JsValue::from(1));
    js_sys::Reflect::set(&options, &"outputChannelCount".into(), &counts).ok();
    let node = AudioWorkletNode::new_with_options(&ctx, "mic-processor", options.unchecked_ref())
        .map_err(|e| dom::js_error_text(&e))?;
    source
        .connect_with_audio_node(&node)
        .map_err(|e| dom::js_error_text(&e))?;
    node.connect_with_audio_node(&ctx.destination())
        .map_err(|e| dom::js_error_text(&e))?;
    Ok((ctx, source, node))
}

/// Stops listening; `why` is shown as information (e.g. a file was dropped).
pub fn stop(why: Option<&str>) {
    let Some(live) = LIVE.with(|l| l.borrow_mut().take()) else {
        return;
    };
    release(&live);
    set_live_state("off");
    match why {
        Some(w) => live_info(w),
        None => clear_live_message(),
    }
    live_status("Stopped. Press the button to listen again.");
    let mut v = live_json(&live, "off");
    v["state"] = json!("off");
    set_live_json(&v);
}

fn release(live: &Live) {
    if let Ok(port) = live.node.port() {
        port.post_message(&JsValue::from_str("stop")).ok();
        port.set_onmessage(None);
    }
    live.node.disconnect().ok();
    for t in live.stream.get_tracks().iter() {
        let t: MediaStreamTrack = t.unchecked_into();
        t.set_onended(None);
        t.stop();
    }
    let _ = live.ctx.close();
}

/// Called by the file path before it classifies a file: one thing at a time.
pub fn stop_for_file() {
    if is_on() {
        stop(Some(
            "The microphone was stopped to classify the file. Press the button to listen again.",
        ));
    }
}

fn on_track_ended(generation: u32) {
    let Some(live) = LIVE.with(|l| {
        let mut l = l.borrow_mut();
        if l.as_ref().is_some_and(|x| x.generation == generation) {
            l.take()
        } else {
            None
        }
    }) else {
        return;
    };
    release(&live);
    let text = format!(
        "The microphone{} stopped sending sound: it was unplugged, switched off, or taken by the system. Plug it back in and press the button to listen again.",
        if live.track_label.is_empty() {
            String::new()
        } else {
            format!(" (“{}”)", live.track_label)
        }
    );
    live_fail("ended", &text);
    // `live` holds the closure running now: drop it after this event, not inside it
    spawn_local(async move { drop(live) });
}

/// For testing the unplugged path: ends the microphone's track as a removed device would.
pub fn end_track_for_test() -> bool {
    let track = with_live(|l| l.stream.get_audio_tracks().get(0));
    match track.and_then(|t| t.dyn_into::<MediaStreamTrack>().ok()) {
        Some(t) => {
            t.stop();
            t.dispatch_event(&Event::new("ended").expect("an event"))
                .ok();
            true
        }
        None => false,
    }
}

fn on_visibility_change() {
    let hidden = dom::document().hidden();
    let changed = with_live(|l| {
        if hidden && !l.paused {
            l.paused = true;
            if let Ok(p) = l.ctx.suspend() {
                drop(p);
            }
            true
        } else if !hidden && l.paused {
            // Resume cleanly: nothing heard before is classified, nothing missed is caught up.
            l.paused = false;
            l.input.reset();
            l.sched.reset();
            l.rate.clear();
            l.smoother.reset();
            l.quiet = false;
            l.last_update_ms = None;
            l.started_ms = now_ms();
            if let Ok(p) = l.ctx.resume() {
                drop(p);
            }
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    if changed {
        if hidden {
            set_live_state("paused");
            live_status("Paused while the page is hidden.");
            publish("paused");
        } else {
            set_live_state("listening");
            live_status("Listening again…");
            publish("listening");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Audio blocks and classification

fn on_block(generation: u32, e: MessageEvent) {
    let t = now_ms();
    let data = e.data();
    let samples = dom::get(&data, "samples");
    let Ok(samples) = samples.dyn_into::<js_sys::Float32Array>() else {
        return;
    };
    let due = with_live(|l| {
        if l.generation != generation || l.paused {
            return None;
        }
        let n = samples.length() as usize;
        l.block.resize(n, 0.0);
        samples.copy_to(&mut l.block);
        let block = std::mem::take(&mut l.block);
        l.input.push(&block);
        l.block = block;
        let heard = l.input.ring().total() as usize;
        let seg = l.window.len();
        if t - l.last_meter_ms >= METER_MS {
            l.last_meter_ms = t;
            draw_meter(l);
            if heard < seg {
                live_status(&format!(
                    "Listening… {:.1} s of {:.0} s",
                    heard as f64 / SAMPLE_RATE as f64,
                    seg as f64 / SAMPLE_RATE as f64
                ));
            }
        }
        Some(heard >= seg && l.sched.try_start(t))
    })
    .flatten();
    if due == Some(true) {
        spawn_local(classify_latest(generation, t));
    }
}

fn draw_meter(l: &Live) {
    let level = l.input.level();
    let fill: HtmlElement = by_id("level-fill");
    fill.style()
        .set_property("width", &format!("{:.1}%", 100.0 * level.fraction()))
        .ok();
    fill.class_list()
        .toggle_with_force("clip", level.peak() > 0.99)
        .ok();
    let db = level.db();
    set_text(
        "level-text",
        &if db <= -100.0 {
            "silence".to_string()
        } else {
            format!("{db:.0} dBFS")
        },
    );
}

/// Classifies the most recent window; `t_end` is when its last block arrived.
async fn classify_latest(generation: u32, t_end: f64) {
    let finish = || {
        with_live(|l| {
            if l.generation == generation {
                l.sched.finish();
            }
        });
    };
    // the window, out of the ring (no allocation: the buffer is lent out and returned)
    let Some(mut window) = with_live(|l| {
        let mut w = std::mem::take(&mut l.window);
        l.input.ring().latest(&mut w);
        w
    }) else {
        return;
    };
    let level_db = rms_dbfs(&window);
    if level_db < QUIET_DBFS {
        with_live(|l| {
            l.window = std::mem::take(&mut window);
            l.quiet = true;
        });
        finish();
        set_live_state("quiet");
        live_status(&format!(
            "Too quiet to judge ({level_db:.0} dBFS over the last 3 s): turn the music up or bring the microphone closer."
        ));
        publish("quiet");
        return;
    }
    // the engine computes the features and runs the model; the window is copied to it
    let reply = app::classify_window(&window).await;
    with_live(|l| l.window = std::mem::take(&mut window));
    let outcome = match reply {
        Ok(Some(o)) => o,
        // the model is being switched: try again with the next window
        Ok(None) => {
            finish();
            return;
        }
        Err(why) => {
            finish();
            dom::log(&why);
            live_error("The model failed on the last window; trying the next one.");
            return;
        }
    };
    let labels = app::labels();
    if outcome.probabilities.len() != labels.len() {
        // a window of the previous model
        finish();
        return;
    }
    let probs = outcome.probabilities.clone();
    let still_on = with_live(|l| l.generation == generation && !l.paused).unwrap_or(false);
    if !still_on {
        return;
    }
    let drawn = with_live(|l| {
        let now = now_ms();
        let dt = l
            .last_update_ms
            .map(|t| ((now - t) / 1000.0) as f32)
            .unwrap_or(0.0);
        l.last_update_ms = Some(now);
        if l.labels != labels {
            l.labels = labels.clone();
            build_bars(&labels);
            l.smoother = Smoother::new(labels.len(), SMOOTHING_TAU_S);
            l.history.clear();
        }
        let smoothed = l.smoother.update(&probs, dt).to_vec();
        let top = argmax(&smoothed);
        l.history.push(now, top);
        l.rate.record(now);
        l.updates += 1;
        l.quiet = false;
        update_bars(&labels, &smoothed, top);
        draw_mel(l, &outcome.mel, outcome.n_frames, outcome.pcen);
        draw_history(l);
        // the bars changed now
        let latency = now_ms() - t_end;
        push_capped(&mut l.latencies, latency);
        push_capped(&mut l.compute, (outcome.features_ms, outcome.model_ms));
        l.sched.finish();
        (top, smoothed[top], argmax(&probs))
    });
    let Some((top, p, _raw)) = drawn else { return };
    set_text("live-top", &labels[top]);
    by_id::<Element>("live-top")
        .set_attribute("data-label", &labels[top])
        .ok();
    set_text("live-prob", &percent(p));
    set_live_state("running");
    // a passing failure (one window) is over once a window went through
    let message: HtmlElement = by_id("live-message");
    if !message.hidden() && message.class_name().contains("error") {
        clear_live_message();
    }
    let rate_text = with_live(|l| {
        let (lat, feat, model) = means(l);
        format!(
            "{:.1} updates/s (at most every {:.0} ms) · {} · window → bars {:.0} ms (features {:.0} ms, model {:.0} ms){} · {:.0} Hz input",
            l.rate.per_second(),
            INTERVAL_MS,
            app::backend_label(),
            lat,
            feat,
            model,
            if l.sched.skipped() > 0 { format!(" · {} windows skipped", l.sched.skipped()) } else { String::new() },
            l.device_rate
        )
    })
    .unwrap_or_default();
    set_text("live-rate", &rate_text);
    live_status(
        "Listening: the genre is updated several times a second, smoothed over the last seconds.",
    );
    publish("running");
}

fn push_capped<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() == 64 {
        q.pop_front();
    }
    q.push_back(v);
}

/// Mean latency, features and model times over the recent updates.
fn means(l: &Live) -> (f64, f64, f64) {
    let n = l.latencies.len().max(1) as f64;
    let lat = l.latencies.iter().sum::<f64>() / n;
    let m = l.compute.len().max(1) as f64;
    let feat = l.compute.iter().map(|c| c.0).sum::<f64>() / m;
    let model = l.compute.iter().map(|c| c.1).sum::<f64>() / m;
    (lat, feat, model)
}

fn live_json(l: &Live, state: &str) -> serde_json::Value {
    let labels = &l.labels;
    let top = l.smoother.top();
    let (lat, feat, model) = means(l);
    let last_latency = l.latencies.back().copied();
    json!({
        "state": state,
        "top": top.and_then(|t| labels.get(t)),
        "labels": labels,
        "probabilities": if l.smoother.is_started() { l.smoother.probabilities().to_vec() } else { Vec::new() },
        "updates": l.updates,
        "updates_per_s": l.rate.per_second(),
        "skipped": l.sched.skipped(),
        "history": l.history.iter().map(|&(_, t)| labels.get(t).cloned().unwrap_or_default()).collect::<Vec<_>>(),
        "latency_ms": { "last": last_latency, "mean": lat, "recent": l.latencies.iter().copied().collect::<Vec<_>>() },
        "compute_ms": { "features": feat, "model": model },
        "heard_s": l.input.ring().total() as f64 / SAMPLE_RATE as f64,
        "listening_s": (now_ms() - l.started_ms) / 1000.0,
        "level_dbfs": l.input.level().db(),
        "quiet": l.quiet,
        "device_rate": l.device_rate,
        "backend": app::backend_name(),
        "interval_ms": INTERVAL_MS,
        "smoothing_tau_s": SMOOTHING_TAU_S,
    })
}

fn publish(state: &str) {
    if let Some(v) = with_live(|l| live_json(l, state)) {
        set_live_json(&v);
    }
}

// ---------------------------------------------------------------------------------------------
// Drawing

fn reset_view(labels: &[String]) {
    build_bars(labels);
    set_text("live-top", "");
    set_text("live-prob", "");
    set_text("live-rate", "");
    with_live(|l| {
        l.labels = labels.to_vec();
        draw_history(l);
        l.mel_rgba.fill(0);
        let c: HtmlCanvasElement = by_id("live-mel");
        c.set_width(MEL_COLUMNS as u32);
        c.set_height(128);
        if let Some(ctx) = ctx2d(&c) {
            ctx.clear_rect(0.0, 0.0, MEL_COLUMNS as f64, 128.0);
        }
    });
}

/// One bar per label, in the manifest's order (a live display that reorders itself flickers).
fn build_bars(labels: &[String]) {
    let container: Element = by_id("live-bars");
    dom::clear(&container);
    for (i, label) in labels.iter().enumerate() {
        let row = dom::el("div", "bar-row", None);
        row.set_attribute("data-label", label).ok();
        let name = dom::el("span", "bar-name", Some(label));
        let track = dom::el("span", "bar-track", None);
        let fill = dom::el("span", "bar-fill", None);
        fill.style().set_property("width", "0%").ok();
        fill.style()
            .set_property("background", &label_colour(i, labels.len()))
            .ok();
        track.append_child(&fill).ok();
        row.append_child(&name).ok();
        row.append_child(&track).ok();
        row.append_child(&dom::el("span", "bar-value", Some("–")))
            .ok();
        container.append_child(&row).ok();
    }
}

fn update_bars(labels: &[String], probs: &[f32], top: usize) {
    let rows = by_id::<Element>("live-bars").children();
    let n = labels.len().min(rows.length() as usize);
    for (i, &p) in probs.iter().enumerate().take(n) {
        let Some(row) = rows.item(i as u32) else {
            continue;
        };
        row.set_class_name(if i == top { "bar-row top" } else { "bar-row" });
        let cells = row.children();
        if let Some(fill) = cells.item(1).and_then(|t| t.first_element_child()) {
            fill.unchecked_ref::<HtmlElement>()
                .style()
                .set_property("width", &format!("{:.2}%", 100.0 * p))
                .ok();
        }
        if let Some(v) = cells.item(2) {
            v.set_text_content(Some(&percent(p)));
        }
    }
}

fn ctx2d(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d")
        .ok()
        .flatten()
        .and_then(|x| x.dyn_into().ok())
}

/// Scrolls the mel spectrogram by the frames heard since the last update and paints the newest
/// columns of this window's mel spectrogram under a slowly following peak (dB: the top 80 dB;
/// `pcen`, a PCEN image: 0 to the peak; see [`render::mel_unit`]).
fn draw_mel(l: &mut Live, mel_db: &[f32], frames: usize, pcen: bool) {
    if frames == 0 {
        return;
    }
    let bands = mel_db.len() / frames;
    let hop = 512u64;
    let total = l.input.ring().total();
    let new = if l.mel_drawn_total == 0 {
        l.mel_drawn_total = total;
        frames
    } else {
        let n = (total.saturating_sub(l.mel_drawn_total) / hop) as usize;
        l.mel_drawn_total += n as u64 * hop;
        n
    };
    let new = new.min(frames - 1 - MEL_EDGE_FRAMES).min(MEL_COLUMNS);
    if new == 0 {
        return;
    }
    let max = mel_db.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if l.mel_pcen != pcen {
        // another model, with the other scale: start the peak afresh
        (l.mel_ref, l.mel_pcen) = (f32::NAN, pcen);
    }
    // the peak falls by 3 dB (PCEN: 10 %) per update when the sound gets quieter
    let fallen = if pcen {
        l.mel_ref * 0.9
    } else {
        l.mel_ref - 3.0
    };
    l.mel_ref = if l.mel_ref.is_finite() {
        max.max(fallen)
    } else {
        max
    };
    let lut = viridis_lut();
    let w = MEL_COLUMNS;
    let h = bands.min(128);
    for y in 0..h {
        let row = &mut l.mel_rgba[y * w * 4..(y + 1) * w * 4];
        row.copy_within(new * 4.., 0);
        let band = h - 1 - y;
        // the last frames reach past the window's end (padded): draw those just before them
        for k in 0..new {
            let t = frames - 1 - MEL_EDGE_FRAMES - new + k;
            let v = mel_db[band * frames + t];
            let u = render::mel_unit(v, l.mel_ref, pcen);
            let c = lut[(u * 255.0).round() as usize];
            let o = (w - new + k) * 4;
            row[o..o + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
        }
    }
    let c: HtmlCanvasElement = by_id("live-mel");
    if let (Some(ctx), Ok(img)) = (
        ctx2d(&c),
        ImageData::new_with_u8_clamped_array_and_sh(
            wasm_bindgen::Clamped(&l.mel_rgba),
            w as u32,
            h as u32,
        ),
    ) {
        ctx.put_image_data(&img, 0.0, 0.0).ok();
    }
}

/// The strip of recent tops: one column per update, newest at the right.
fn draw_history(l: &Live) {
    let c: HtmlCanvasElement = by_id("live-history");
    let cap = l.history.capacity();
    if c.width() != cap as u32 {
        c.set_width(cap as u32);
        c.set_height(1);
    }
    let Some(ctx) = ctx2d(&c) else { return };
    ctx.clear_rect(0.0, 0.0, cap as f64, 1.0);
    let n = l.history.len();
    let k = l.labels.len().max(1);
    for (i, &(_, top)) in l.history.iter().enumerate() {
        ctx.set_fill_style_str(&label_colour(top, k));
        ctx.fill_rect((cap - n + i) as f64, 0.0, 1.0, 1.0);
    }
    let seconds = match (l.history.iter().next(), l.history.iter().last()) {
        (Some(a), Some(b)) => (b.0 - a.0) / 1000.0,
        _ => 0.0,
    };
    set_text("live-history-span", &format!("last {seconds:.0} s"));
    let legend: Element = by_id("live-legend");
    if legend.child_element_count() as usize != l.labels.len() {
        dom::clear(&legend);
        for (i, label) in l.labels.iter().enumerate() {
            let item = dom::el("span", "legend-item", None);
            let swatch = dom::el("span", "swatch", None);
            swatch
                .style()
                .set_property("background", &label_colour(i, k))
                .ok();
            item.append_child(&swatch).ok();
            item.append_child(&dom::el("span", "", Some(label))).ok();
            legend.append_child(&item).ok();
        }
    }
}
