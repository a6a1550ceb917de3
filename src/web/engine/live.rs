//! The microphone in the engine. The AudioWorklet posts its blocks (mono, at the device rate)
//! over a `MessagePort` straight to this worker, so the audio never waits for the page's thread.
//! Each block goes through [`LiveInput`] (the one resampler to the model's rate, a ring of the
//! last seconds, the level); at most every [`INTERVAL_MS`] the latest window is classified and
//! smoothed ([`Smoother`]); a window that comes due while one is in flight is skipped, not queued
//! ([`Scheduler`]). The page gets [`LiveEvent`]s and only draws them.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{MessageEvent, MessagePort};

use super::{backend_state, fall_back_if_lost, run_batch, with};
use crate::features::SAMPLE_RATE;
use crate::live::{
    INTERVAL_MS, KEEP_S, LiveInput, QUIET_DBFS, SMOOTHING_TAU_S, Scheduler, Smoother, rms_dbfs,
};
use crate::web::dom::{self, epoch_ms, now_ms};
use crate::web::protocol::{LiveEvent, LiveUpdate, Reply};
use crate::web::worker::{post, post_with};

/// The level is reported at most this often.
const LEVEL_MS: f64 = 50.0;

struct Listener {
    /// The `Listen` request: its events carry its id.
    id: u32,
    generation: u32,
    port: MessagePort,
    _on_block: Closure<dyn FnMut(MessageEvent)>,
    input: LiveInput,
    block: Vec<f32>,
    window: Vec<f32>,
    sched: Scheduler,
    smoother: Smoother,
    last_update_ms: Option<f64>,
    last_level_ms: f64,
    /// A recording under way: its request, the samples so far and how many it wants.
    recording: Option<(u32, Vec<f32>, usize)>,
}

thread_local! {
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
    static GENERATION: Cell<u32> = const { Cell::new(0) };
}

fn with_listener<R>(f: impl FnOnce(&mut Listener) -> R) -> Option<R> {
    LISTENER.with(|l| l.borrow_mut().as_mut().map(f))
}

fn event(id: u32, event: LiveEvent) {
    post(id, &Reply::Live { event });
}

/// Starts listening to the blocks that arrive on `port` (replacing any earlier listening).
pub(super) fn listen(id: u32, port: Option<MessagePort>, device_rate: f32) {
    stop();
    let fail = |message: String| event(id, LiveEvent::Failed { message });
    let Some(port) = port else {
        return fail("no audio port came with the request to listen".into());
    };
    let Some(seg) = with(|e| {
        e.classifier
            .as_ref()
            .map(|c| c.manifest.features.segment_samples)
    }) else {
        return fail("no model is loaded".into());
    };
    if !(device_rate.is_finite() && device_rate >= 1.0) {
        return fail(format!(
            "the microphone's rate ({device_rate} Hz) is not usable"
        ));
    }
    let generation = GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    });
    let on_block =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_block(generation, e));
    port.set_onmessage(Some(on_block.as_ref().unchecked_ref()));
    let labels = with(|e| e.classifier.as_ref().map(|c| c.labels().len())).unwrap_or(0);
    let keep = (KEEP_S * SAMPLE_RATE as usize).max(seg + SAMPLE_RATE as usize);
    LISTENER.with(|l| {
        *l.borrow_mut() = Some(Listener {
            id,
            generation,
            port,
            _on_block: on_block,
            input: LiveInput::new(device_rate.round() as u32, SAMPLE_RATE, keep),
            block: Vec::with_capacity(1024),
            window: vec![0.0; seg],
            sched: Scheduler::new(INTERVAL_MS),
            smoother: Smoother::new(labels, SMOOTHING_TAU_S),
            last_update_ms: None,
            last_level_ms: 0.0,
            recording: None,
        })
    });
}

/// Starts recording the next `seconds` for request `id`; false when not listening (or a
/// recording is under way).
pub(super) fn record(id: u32, seconds: f32) -> bool {
    let want = (seconds.clamp(1.0, 60.0) * SAMPLE_RATE as f32) as usize;
    with_listener(|l| {
        if l.recording.is_some() {
            return false;
        }
        l.recording = Some((id, Vec::with_capacity(want), want));
        true
    })
    .unwrap_or(false)
}

/// Stops listening; false when nothing was listening.
pub(super) fn stop() -> bool {
    let Some(mut l) = LISTENER.with(|l| l.borrow_mut().take()) else {
        return false;
    };
    if let Some((id, _, _)) = l.recording.take() {
        post(
            id,
            &Reply::Error {
                message: "the microphone stopped before the recording was complete".into(),
                backend: None,
            },
        );
    }
    l.port.set_onmessage(None);
    l.port.close();
    // `l` may hold the closure running now: drop it after this event
    spawn_local(async move { drop(l) });
    true
}

fn on_block(generation: u32, e: MessageEvent) {
    let t = now_ms();
    let t_epoch = epoch_ms();
    let Ok(samples) = dom::get(&e.data(), "samples").dyn_into::<js_sys::Float32Array>() else {
        return;
    };
    let due = with_listener(|l| {
        if l.generation != generation {
            return false;
        }
        l.block.resize(samples.length() as usize, 0.0);
        samples.copy_to(&mut l.block);
        let block = std::mem::take(&mut l.block);
        l.input.push(&block);
        l.block = block;
        if let Some((_, buf, want)) = l.recording.as_mut() {
            buf.extend_from_slice(l.input.last_resampled());
            if buf.len() >= *want {
                buf.truncate(*want);
                let (id, buf, _) = l.recording.take().expect("a recording");
                post_with(
                    id,
                    &Reply::Recorded { samples: buf.len() },
                    Some(&buf),
                    None,
                );
            }
        }
        let heard = l.input.ring().total() as usize;
        if t - l.last_level_ms >= LEVEL_MS {
            l.last_level_ms = t;
            let level = l.input.level();
            event(
                l.id,
                LiveEvent::Level {
                    fraction: level.fraction(),
                    peak: level.peak(),
                    db: level.db(),
                    heard_s: heard as f64 / SAMPLE_RATE as f64,
                },
            );
        }
        heard >= l.window.len() && l.sched.try_start(t)
    })
    .unwrap_or(false);
    if due {
        spawn_local(classify_latest(generation, t_epoch));
    }
}

/// Classifies the most recent window; `t_end` is when its last block arrived (epoch ms).
async fn classify_latest(generation: u32, t_end: f64) {
    // the window, out of the ring (the buffer is lent out and returned: no allocation)
    let Some((id, window, heard)) = with_listener(|l| {
        let seg = with(|e| {
            e.classifier
                .as_ref()
                .map(|c| c.manifest.features.segment_samples)
        })
        .unwrap_or(l.window.len());
        let mut w = std::mem::take(&mut l.window);
        // another model may read another window length
        w.resize(seg, 0.0);
        l.input.ring().latest(&mut w);
        (l.id, w, l.input.ring().total())
    }) else {
        return;
    };
    let current = |l: &Listener| l.generation == generation;
    let heard_s = heard as f64 / SAMPLE_RATE as f64;
    let give_back = |w: Vec<f32>| {
        with_listener(|l| {
            if l.generation == generation {
                l.window = w;
                l.sched.finish();
            }
        });
    };
    let level_db = rms_dbfs(&window);
    if level_db < QUIET_DBFS {
        give_back(window);
        return event(id, LiveEvent::Quiet { level_db, heard_s });
    }
    let result = classify_window(&window).await;
    let outcome = match result {
        Ok(Some(o)) => o,
        // the model is being switched: try again with the next window
        Ok(None) => return give_back(window),
        Err(message) => {
            give_back(window);
            return event(id, LiveEvent::Failed { message });
        }
    };
    let Heard {
        probabilities,
        mel,
        n_frames,
        pcen,
        features_ms,
        model_ms,
    } = outcome;
    let update = with_listener(|l| {
        if !current(l) {
            return None;
        }
        let now = now_ms();
        let dt = l
            .last_update_ms
            .map(|t| ((now - t) / 1000.0) as f32)
            .unwrap_or(0.0);
        l.last_update_ms = Some(now);
        // (a model with other labels restarts the smoothing)
        let smoothed = l.smoother.update(&probabilities, dt).to_vec();
        Some(LiveUpdate {
            probabilities,
            smoothed,
            n_frames,
            pcen,
            features_ms,
            model_ms,
            window_end_epoch_ms: t_end,
            heard,
            skipped: l.sched.skipped(),
            backend: backend_state(),
        })
    })
    .flatten();
    give_back(window);
    if let Some(u) = update {
        post_with(
            id,
            &Reply::Live {
                event: LiveEvent::Update(u),
            },
            Some(&mel),
            None,
        );
    }
}

/// One classified window.
struct Heard {
    probabilities: Vec<f32>,
    /// The mel picture, `n_mels × n_frames`, PCEN or dB.
    mel: Vec<f32>,
    n_frames: usize,
    pcen: bool,
    features_ms: f64,
    model_ms: f64,
}

/// Classifies one window; `Ok(None)` when no model is ready (a switch is under way).
async fn classify_window(samples: &[f32]) -> Result<Option<Heard>, String> {
    fall_back_if_lost()?;
    let t0 = now_ms();
    let Some((input, picture, pcen)) = with(|e| {
        let c = e.classifier.as_mut()?;
        let pcen = c.manifest.features.pcen.is_some();
        let input = c.window_input(samples);
        // the live picture is the mel spectrogram, also for a model that reads only the front end
        let picture = (input.features.n_frames == 0).then(|| c.segment_features(samples, 0));
        Some((input, picture, pcen))
    }) else {
        return Ok(None);
    };
    let features = picture.unwrap_or_else(|| input.features.clone());
    let t1 = now_ms();
    let (logits, _) = run_batch(std::slice::from_ref(&input))
        .await
        .map_err(|why| format!("a live run failed: {why}"))?;
    let t2 = now_ms();
    let probabilities = with(|e| e.classifier.as_ref().map(|c| c.probabilities(&logits)))
        .ok_or("no model is loaded")?;
    Ok(Some(Heard {
        probabilities,
        mel: features.mel_db,
        n_frames: features.n_frames,
        pcen,
        features_ms: t1 - t0,
        model_ms: t2 - t1,
    }))
}
