//! The live microphone: classify what the room is playing, continuously.
//!
//! The page opens the microphone ([`capture`]: `getUserMedia` → `MediaStreamAudioSourceNode` → an
//! `AudioWorkletNode` running `web/mic-processor.js`) and hands the worklet's port to the engine:
//! the worklet's mono blocks go from the audio thread straight to the worker
//! ([`super::engine`]'s `live`), which resamples them with the one resampler, classifies the
//! latest 3-s window several times a second with the page's model and backend, smooths the
//! probabilities and sends [`LiveEvent`]s back. This module follows those events and [`view`]
//! draws them: the main thread computes nothing.
//!
//! `#live[data-live]` says where it is: `off`, `starting`, `listening` (less than 3 s heard),
//! `running`, `quiet` (too quiet to judge), `paused` (tab hidden), `error`.
//! `<script type="application/json" id="live-result">` holds the live state as JSON.

mod capture;
mod view;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use serde_json::json;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Event, HtmlButtonElement, MediaStream, MediaStreamTrack};

use super::client;
use super::dom::{self, by_id, epoch_ms, now_ms, set_hidden, set_text};
use super::models::apply_backend;
use super::protocol::{LiveEvent, LiveUpdate};
use super::state;
use crate::features::SAMPLE_RATE;
use crate::inference::argmax;
use crate::live::{History, INTERVAL_MS, RateMeter, SMOOTHING_TAU_S};
use capture::{Failure, Graph};
use view::MelView;

/// Updates kept in the history strip (about a minute at 5 per second).
const HISTORY: usize = 300;
/// The "Listening…" countdown is redrawn at most this often (the level comes every ~50 ms).
const COUNTDOWN_MS: f64 = 100.0;

struct Live {
    graph: Graph,
    stream: MediaStream,
    /// Kept alive while listening.
    _on_ended: Closure<dyn FnMut(Event)>,
    generation: u32,
    /// The engine's current listening (a new one each time the tab comes back): events of an
    /// older one are dropped.
    listening: u32,
    labels: Vec<String>,
    history: History,
    rate: RateMeter,
    updates: u64,
    skipped: u64,
    smoothed: Vec<f32>,
    started_ms: f64,
    paused: bool,
    quiet: bool,
    heard_s: f64,
    level_db: f32,
    last_countdown_ms: f64,
    /// Window end (its last block's arrival in the engine) → bars changed, ms, recent updates.
    latencies: VecDeque<f64>,
    compute: VecDeque<(f64, f64)>,
    mel: MelView,
    device_rate: f32,
    track_label: String,
}

thread_local! {
    static LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
    static GENERATION: Cell<u32> = const { Cell::new(0) };
    static STARTING: Cell<bool> = const { Cell::new(false) };
}

fn with_live<R>(f: impl FnOnce(&mut Live) -> R) -> Option<R> {
    LIVE.with(|l| l.borrow_mut().as_mut().map(f))
}

pub fn is_on() -> bool {
    LIVE.with(|l| l.borrow().is_some())
}

/// A failure: the message, `data-live="error"`, the JSON, and the button to try again.
fn fail(kind: &str, text: &str) {
    view::error(text);
    view::set_state("error");
    view::status("The file path above still works. Press the button to try the microphone again.");
    view::set_json(&json!({ "state": "error", "error": kind, "message": text }));
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
    view::set_state("off");
}

/// Starts listening unless it is on; the failure is shown in the microphone's card and said.
pub async fn ensure_on() -> Result<(), String> {
    if !is_on() {
        start().await;
    }
    if is_on() {
        Ok(())
    } else {
        Err("the microphone could not be started (its card above says why)".into())
    }
}

async fn start() {
    if STARTING.with(|s| s.replace(true)) {
        return;
    }
    let result = start_inner().await;
    STARTING.with(|s| s.set(false));
    if let Err((kind, text)) = result {
        fail(kind, &text);
    }
}

fn busy() -> Failure {
    (
        "busy",
        "A file is being classified: wait until it is done, then press the button again.".into(),
    )
}

async fn start_inner() -> Result<(), Failure> {
    view::clear_message();
    if !state::engine_ready() {
        return Err(("no-model", "The model is not loaded yet: wait until the page says it is ready, then press the button again.".into()));
    }
    if state::is_busy() {
        return Err(busy());
    }
    view::set_state("starting");
    view::status("Asking for the microphone…");
    view::set_json(&json!({ "state": "starting" }));

    let (stream, track) = capture::open().await?;
    if state::is_busy() {
        capture::stop_stream(&stream);
        return Err(busy());
    }
    let graph = match Graph::build(&stream).await {
        Ok(g) => g,
        Err(e) => {
            capture::stop_stream(&stream);
            return Err((
                "audio",
                format!("The browser's audio engine could not start: {e}"),
            ));
        }
    };
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    // the worklet's blocks go straight to the engine
    let handed = graph
        .engine_port()
        .map_err(|e| ("audio", e))
        .and_then(|port| {
            client::listen(
                graph.ctx.sample_rate(),
                port,
                Box::new(move |event, mel| on_event(generation, event, mel)),
            )
            .then_some(())
            .ok_or((
                "engine",
                "The page's engine is not running: reload the page.".into(),
            ))
        });
    if let Err(e) = handed {
        graph.close();
        capture::stop_stream(&stream);
        return Err(e);
    }
    let on_ended = Closure::<dyn FnMut(Event)>::new(move |_e: Event| on_track_ended(generation));
    track.set_onended(Some(on_ended.as_ref().unchecked_ref()));

    let device_rate = graph.ctx.sample_rate();
    let labels = state::labels();
    let mut mel = MelView::new();
    view::reset(&labels, &mut mel);
    let live = Live {
        stream,
        _on_ended: on_ended,
        generation,
        listening: generation,
        history: History::new(HISTORY),
        rate: RateMeter::new(3000.0),
        updates: 0,
        skipped: 0,
        smoothed: Vec::new(),
        started_ms: now_ms(),
        paused: false,
        quiet: false,
        heard_s: 0.0,
        level_db: -100.0,
        last_countdown_ms: 0.0,
        latencies: VecDeque::with_capacity(64),
        compute: VecDeque::with_capacity(64),
        mel,
        device_rate,
        track_label: track.label(),
        labels,
        graph,
    };
    LIVE.with(|l| *l.borrow_mut() = Some(live));
    // The context may start suspended (autoplay policy); the click that started us allows it.
    if let Some(Ok(p)) = with_live(|l| l.graph.ctx.resume()) {
        let _ = JsFuture::from(p).await;
    }
    with_live(|l| view::history(&l.history, &l.labels));
    view::set_state("listening");
    view::status("Listening…");
    set_hidden("live-view", false);
    dom::log(&format!(
        "microphone: {} at {device_rate} Hz",
        track.label()
    ));
    publish("listening");
    Ok(())
}

/// Stops listening; `why` is shown as information (e.g. a file was dropped).
pub fn stop(why: Option<&str>) {
    let Some(live) = LIVE.with(|l| l.borrow_mut().take()) else {
        return;
    };
    release(&live);
    view::set_state("off");
    match why {
        Some(w) => view::info(w),
        None => view::clear_message(),
    }
    view::status("Stopped. Press the button to listen again.");
    view::set_json(&live_json(&live, "off"));
}

fn release(live: &Live) {
    client::unlisten();
    live.graph.close();
    capture::stop_stream(&live.stream);
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
    fail("ended", &text);
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
            let _ = l.graph.ctx.suspend();
            true
        } else if !hidden && l.paused {
            // Resume cleanly: nothing heard before is classified, nothing missed is caught up.
            l.paused = false;
            // The engine listens afresh (a new port, a new listening): nothing it heard or
            // classified before, not even an event already on its way, is shown.
            let listening = GENERATION.with(|g| {
                g.set(g.get() + 1);
                g.get()
            });
            l.listening = listening;
            let handed = l.graph.engine_port().is_ok_and(|port| {
                client::listen(
                    l.graph.ctx.sample_rate(),
                    port,
                    Box::new(move |event, mel| on_event(listening, event, mel)),
                )
            });
            if !handed {
                dom::log("the microphone could not be handed to the engine again");
            }
            l.rate.clear();
            l.quiet = false;
            l.heard_s = 0.0;
            l.started_ms = now_ms();
            let _ = l.graph.ctx.resume();
            true
        } else {
            false
        }
    })
    .unwrap_or(false);
    if changed {
        if hidden {
            view::set_state("paused");
            view::status("Paused while the page is hidden.");
            publish("paused");
        } else {
            view::set_state("listening");
            view::status("Listening again…");
            publish("listening");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the engine hears

fn on_event(generation: u32, event: LiveEvent, mel: Option<js_sys::Float32Array>) {
    let current = with_live(|l| l.listening == generation && !l.paused).unwrap_or(false);
    if !current {
        return;
    }
    match event {
        LiveEvent::Level {
            fraction,
            peak,
            db,
            heard_s,
        } => {
            view::meter(fraction, peak, db);
            let countdown = with_live(|l| {
                l.heard_s = heard_s;
                l.level_db = db;
                let t = now_ms();
                let seg_s = state::segment_samples() as f64 / SAMPLE_RATE as f64;
                (heard_s < seg_s && t - l.last_countdown_ms >= COUNTDOWN_MS).then(|| {
                    l.last_countdown_ms = t;
                    seg_s
                })
            })
            .flatten();
            if let Some(seg_s) = countdown {
                view::status(&format!("Listening… {heard_s:.1} s of {seg_s:.0} s"));
            }
        }
        LiveEvent::Quiet { level_db, heard_s } => {
            with_live(|l| {
                l.quiet = true;
                l.heard_s = heard_s;
            });
            view::set_state("quiet");
            view::status(&format!(
                "Too quiet to judge ({level_db:.0} dBFS over the last 3 s): turn the music up or bring the microphone closer."
            ));
            publish("quiet");
        }
        LiveEvent::Failed { message } => {
            dom::log(&message);
            view::error("The model failed on the last window; trying the next one.");
        }
        LiveEvent::Update(u) => {
            let mel = mel.map(|m| m.to_vec()).unwrap_or_default();
            show_update(u, &mel);
        }
    }
}

fn show_update(u: LiveUpdate, mel: &[f32]) {
    apply_backend(&u.backend);
    let labels = state::labels();
    if u.smoothed.len() != labels.len() {
        // a window of the previous model
        return;
    }
    let top = argmax(&u.smoothed);
    with_live(|l| {
        let now = now_ms();
        if l.labels != labels {
            l.labels = labels.clone();
            view::bars(&labels);
            l.history.clear();
        }
        l.history.push(now, top);
        l.rate.record(now);
        l.updates += 1;
        l.skipped = u.skipped;
        l.quiet = false;
        l.heard_s = u.heard as f64 / SAMPLE_RATE as f64;
        view::update_bars(&u.smoothed, top);
        l.mel.draw(mel, u.n_frames, u.pcen, u.heard);
        view::history(&l.history, &l.labels);
        l.smoothed = u.smoothed.clone();
        // the bars changed now
        push_capped(&mut l.latencies, epoch_ms() - u.window_end_epoch_ms);
        push_capped(&mut l.compute, (u.features_ms, u.model_ms));
    });
    view::top(&labels[top], u.smoothed[top]);
    view::set_state("running");
    view::clear_error();
    let rate_text = with_live(|l| {
        let (lat, feat, model) = means(l);
        format!(
            "{:.1} updates/s (at most every {:.0} ms) · {} · window → bars {:.0} ms (features {:.0} ms, model {:.0} ms){} · {:.0} Hz input",
            l.rate.per_second(),
            INTERVAL_MS,
            state::backend().map(|k| k.label()).unwrap_or("no backend"),
            lat,
            feat,
            model,
            if l.skipped > 0 { format!(" · {} windows skipped", l.skipped) } else { String::new() },
            l.device_rate
        )
    })
    .unwrap_or_default();
    set_text("live-rate", &rate_text);
    view::status(
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
    let (lat, feat, model) = means(l);
    let started = !l.smoothed.is_empty();
    json!({
        "state": state,
        "top": started.then(|| labels.get(argmax(&l.smoothed))).flatten(),
        "labels": labels,
        "probabilities": l.smoothed,
        "updates": l.updates,
        "updates_per_s": l.rate.per_second(),
        "skipped": l.skipped,
        "history": l.history.iter().map(|&(_, t)| labels.get(t).cloned().unwrap_or_default()).collect::<Vec<_>>(),
        "latency_ms": { "last": l.latencies.back().copied(), "mean": lat, "recent": l.latencies.iter().copied().collect::<Vec<_>>() },
        "compute_ms": { "features": feat, "model": model },
        "heard_s": l.heard_s,
        "listening_s": (now_ms() - l.started_ms) / 1000.0,
        "level_dbfs": l.level_db,
        "quiet": l.quiet,
        "device_rate": l.device_rate,
        "backend": state::backend().map(|k| k.name()).unwrap_or(""),
        "interval_ms": INTERVAL_MS,
        "smoothing_tau_s": SMOOTHING_TAU_S,
    })
}

fn publish(state: &str) {
    if let Some(v) = with_live(|l| live_json(l, state)) {
        view::set_json(&v);
    }
}
