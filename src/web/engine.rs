//! The engine: runs in a dedicated module worker (`web/worker.js` loads the same wasm and calls
//! [`super::engine_main`]) and does everything that computes: the backend (WebGPU when a hardware adapter
//! is offered in the worker, else the CPU, with the fallbacks), the model, the song pipeline
//! ([`crate::inference`]) and the microphone's windows. The page only decodes and draws, so its
//! thread stays free however long a song is.
//!
//! Requests are handled concurrently (each in its own task); a long classification hands the
//! event loop back between batches, so a cancel, a picture or a live window is answered meanwhile.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::backend::{self, Choice, DEFAULT_CPU, Kind};
use super::dom::{self, now_ms};
use super::protocol::{BackendState, Progress, Reply, Request, SongOutcome, WindowOutcome};
use crate::inference::{BATCH, Classifier, SegmentInput, SongAudio};

/// Segments of the first forward pass of a model with the pretrained front end: a spread of the
/// song, so that its overall answer shows in about a second.
const FIRST_BATCH: usize = 4;
/// A segment whose RMS is below this (−60 dBFS) counts as near-silent.
const SILENCE_RMS: f32 = 1e-3;

#[derive(Default)]
struct Engine {
    bytes: Option<Rc<Vec<u8>>>,
    classifier: Option<Classifier>,
    running: Option<Kind>,
    detail: String,
    notice: Option<String>,
    /// The last classified song (for its pictures).
    song: Option<Rc<Vec<f32>>>,
}

thread_local! {
    static ENGINE: RefCell<Engine> = RefCell::new(Engine::default());
    /// The classification that may run: any other stops at its next batch.
    static CURRENT_JOB: Cell<u32> = const { Cell::new(0) };
}

fn with<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    ENGINE.with(|e| f(&mut e.borrow_mut()))
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn backend_state() -> BackendState {
    with(|e| BackendState {
        kind: e.running.unwrap_or(DEFAULT_CPU).name().to_string(),
        detail: e.detail.clone(),
        notice: e.notice.clone(),
    })
}

/// Posts `reply` for request `id`.
fn post(id: u32, reply: &Reply) {
    let msg = js_sys::Object::new();
    js_sys::Reflect::set(&msg, &"id".into(), &JsValue::from(id)).ok();
    let json = serde_json::to_string(reply).unwrap_or_else(|e| {
        format!(r#"{{"kind":"error","message":"reply not serialisable: {e}","backend":null}}"#)
    });
    js_sys::Reflect::set(&msg, &"json".into(), &JsValue::from_str(&json)).ok();
    scope().post_message(&msg).ok();
}

/// Started by `web/worker.js` (through [`super::engine_main`]) once the wasm is loaded.
pub fn main() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let data = e.data();
        let id = dom::get(&data, "id").as_f64().unwrap_or(0.0) as u32;
        let json = dom::get(&data, "json").as_string().unwrap_or_default();
        let samples = dom::get(&data, "f32")
            .dyn_into::<js_sys::Float32Array>()
            .ok()
            .map(|a| a.to_vec());
        let bytes = dom::get(&data, "bytes")
            .dyn_into::<js_sys::Uint8Array>()
            .ok()
            .map(|a| a.to_vec());
        match serde_json::from_str::<Request>(&json) {
            Ok(req) => spawn_local(handle(id, req, samples, bytes)),
            Err(e) => post(
                id,
                &Reply::Error {
                    message: format!("the engine did not understand a request: {e}"),
                    backend: None,
                },
            ),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // the worker lives as long as the page
    post(0, &Reply::Ready);
}

async fn handle(id: u32, req: Request, samples: Option<Vec<f32>>, bytes: Option<Vec<u8>>) {
    let error = |message: String| Reply::Error {
        message,
        backend: Some(backend_state()),
    };
    let reply = match req {
        Request::Load { choice } => match bytes {
            None => error("no model file came with the request".into()),
            Some(b) => match load(Rc::new(b), choice.as_deref().and_then(Choice::parse)).await {
                Ok(()) => Reply::Loaded {
                    backend: backend_state(),
                },
                Err(e) => error(e),
            },
        },
        Request::Classify => {
            CURRENT_JOB.with(|j| j.set(id));
            match classify(id, samples.unwrap_or_default()).await {
                Ok(Some(outcome)) => Reply::Song {
                    outcome,
                    backend: backend_state(),
                },
                Ok(None) => Reply::Cancelled,
                Err(e) => error(e),
            }
        }
        Request::Cancel { job } => {
            CURRENT_JOB.with(|j| {
                if j.get() == job {
                    j.set(0)
                }
            });
            Reply::Done { value: true }
        }
        Request::Features { start } => {
            match with(|e| {
                let song = e.song.clone()?;
                let c = e.classifier.as_mut()?;
                Some((
                    c.segment_features(&song, start),
                    c.manifest.features.pcen.is_some(),
                ))
            }) {
                Some((features, pcen)) => Reply::Features { features, pcen },
                None => error("no song or no model".into()),
            }
        }
        Request::Window => match window(samples.unwrap_or_default()).await {
            Ok(Some(outcome)) => Reply::Window {
                outcome,
                backend: backend_state(),
            },
            Ok(None) => Reply::Cancelled,
            Err(e) => error(e),
        },
        Request::LoseGpu => Reply::Done {
            value: backend::destroy_gpu_device_for_test(),
        },
    };
    post(id, &reply);
}

// ---------------------------------------------------------------------------------------------
// Backend and model

/// Loads `bytes` on the backend `choice` resolves to (`None`: the one running now, else the
/// automatic choice). WebGPU that fails to start falls back to the CPU with a notice. On failure
/// the engine keeps the model it had.
async fn load(bytes: Rc<Vec<u8>>, choice: Option<Choice>) -> Result<(), String> {
    let choice = choice.unwrap_or_else(|| match with(|e| e.running) {
        Some(Kind::WebGpu) => Choice::WebGpu,
        Some(Kind::Flex) => Choice::Flex,
        Some(Kind::Ndarray) => Choice::Ndarray,
        None => Choice::Auto,
    });
    let mut notice: Option<String> = None;
    let mut detail = String::new();
    let mut kind = match choice {
        Choice::Ndarray => Kind::Ndarray,
        Choice::Flex => Kind::Flex,
        Choice::WebGpu => Kind::WebGpu,
        Choice::Auto => {
            let probe = backend::probe_adapter().await;
            if backend::gpu_lost() {
                notice = Some(format!(
                    "WebGPU was lost earlier ({}): running on the CPU.",
                    backend::gpu_lost_reason()
                ));
                DEFAULT_CPU
            } else if probe.available && !probe.software {
                detail = probe.description.clone();
                Kind::WebGpu
            } else if probe.available {
                notice = Some(format!(
                    "The only WebGPU adapter here is a software one ({}), slower than the CPU: running on the CPU. Pick WebGPU in the switch to use it anyway.",
                    probe.description
                ));
                DEFAULT_CPU
            } else {
                notice = Some(format!("No WebGPU ({}): running on the CPU.", probe.reason));
                DEFAULT_CPU
            }
        }
    };
    let mut classifier = None;
    if kind == Kind::WebGpu {
        if detail.is_empty() {
            detail = backend::probe_adapter().await.description;
        }
        match start_gpu(&bytes).await {
            Ok(c) => classifier = Some(c),
            Err(e) => {
                notice = Some(format!("{e}. Running on the CPU instead."));
                kind = DEFAULT_CPU;
                detail.clear();
            }
        }
    }
    let classifier = match classifier {
        Some(c) => c,
        None => {
            let mut c = Classifier::from_bytes(&bytes, &kind.cpu_device())
                .map_err(|e| format!("The model cannot be loaded: {e}"))?;
            warm_up(&mut c).await;
            c
        }
    };
    with(|e| {
        e.bytes = Some(bytes);
        e.classifier = Some(classifier);
        e.running = Some(kind);
        e.detail = detail;
        e.notice = notice;
    });
    Ok(())
}

/// A forward pass on a silent segment while the page is still loading: the browser optimises the
/// hot wasm functions (it compiles them fast first, well once they run often) now rather than
/// during the first song.
async fn warm_up(classifier: &mut Classifier) {
    let silence = vec![0.0f32; classifier.manifest.features.segment_samples];
    let s = classifier.window_input(&silence);
    // the pretrained front end costs ~0.3 s a segment on the CPU: once is enough for it
    let rounds = if classifier.has_front_end() { 1 } else { 3 };
    for _ in 0..rounds {
        let _ = classifier.forward(&[&s, &s]).logits.into_data_async().await;
        dom::yield_now().await;
    }
}

/// The model on WebGPU, checked with one forward pass (which also compiles the shaders).
async fn start_gpu(bytes: &[u8]) -> Result<Classifier, String> {
    let device = backend::gpu_device().await?;
    let mut classifier = Classifier::from_bytes(bytes, &device)
        .map_err(|e| format!("The model cannot be loaded on WebGPU: {e}"))?;
    let silence = vec![0.0f32; classifier.manifest.features.segment_samples];
    let s = classifier.window_input(&silence);
    let data = classifier
        .forward(&[&s])
        .logits
        .into_data_async()
        .await
        .map_err(|e| format!("WebGPU failed its first run ({e:?})"))?;
    let ok = data
        .as_slice::<f32>()
        .map(|v| v.iter().all(|x| x.is_finite()))
        .unwrap_or(false);
    if !ok || backend::gpu_lost() {
        return Err("WebGPU gave no usable numbers on its first run".into());
    }
    Ok(classifier)
}

/// After a lost WebGPU device: the model on the CPU, with a notice. Nothing to do on the CPU.
fn fall_back_if_lost() -> Result<(), String> {
    if with(|e| e.running) != Some(Kind::WebGpu) || !backend::gpu_lost() {
        return Ok(());
    }
    let bytes = with(|e| e.bytes.clone()).ok_or("no model is loaded")?;
    let classifier = Classifier::from_bytes(&bytes, &DEFAULT_CPU.cpu_device())
        .map_err(|e| format!("The model cannot be loaded: {e}"))?;
    with(|e| {
        e.classifier = Some(classifier);
        e.running = Some(DEFAULT_CPU);
        e.detail.clear();
        e.notice = Some(format!(
            "The WebGPU device was lost ({}): switched to the CPU without reloading. Reload the page to try WebGPU again.",
            backend::gpu_lost_reason()
        ));
    });
    Ok(())
}

/// Logits (and taggram) of a batch, checked; a WebGPU failure marks the device lost.
async fn run_batch(inputs: &[SegmentInput]) -> Result<(Vec<f32>, Option<Vec<f32>>), String> {
    let refs: Vec<&SegmentInput> = inputs.iter().collect();
    let (out, labels, kind) = with(|e| {
        let c = e.classifier.as_ref()?;
        Some((c.forward(&refs), c.labels().len(), e.running))
    })
    .ok_or("no model is loaded")?;
    let data = out.logits.into_data_async().await;
    let tags = match out.taggram {
        Some(t) => t
            .into_data_async()
            .await
            .ok()
            .and_then(|d| d.try_to_vec::<f32>().ok()),
        None => None,
    };
    let gpu = kind == Some(Kind::WebGpu);
    match data.as_ref().ok().and_then(|d| d.as_slice::<f32>().ok()) {
        Some(v)
            if v.len() == inputs.len() * labels
                && v.iter().all(|x| x.is_finite())
                && !(gpu && backend::gpu_lost()) =>
        {
            Ok((v.to_vec(), tags))
        }
        _ => {
            let why = match data.err() {
                Some(e) => format!("a run failed: {e:?}"),
                None => "a run gave no usable numbers".to_string(),
            };
            if gpu && !backend::gpu_lost() {
                backend::mark_lost(why.clone());
            }
            Err(why)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A song

/// Classifies `samples` (22 050 Hz) as request `id`, with progress; `Ok(None)` when cancelled.
async fn classify(id: u32, samples: Vec<f32>) -> Result<Option<SongOutcome>, String> {
    let t_start = now_ms();
    let cancelled = || CURRENT_JOB.with(|j| j.get()) != id;
    let progress = |stage: &str, done: usize, total: usize, probabilities: Vec<f32>| {
        post(
            id,
            &Reply::Progress(Progress {
                stage: stage.to_string(),
                done,
                total,
                probabilities,
            }),
        )
    };
    let (seg_len, front_end_rate, rate) = with(|e| {
        e.classifier.as_ref().map(|c| {
            (
                c.manifest.features.segment_samples,
                c.manifest.front_end.as_ref().map(|f| f.input.sample_rate),
                c.manifest.features.sample_rate,
            )
        })
    })
    .ok_or("No backend is running: pick one in the switch.")?;
    let samples = Rc::new(samples);
    with(|e| e.song = Some(samples.clone()));
    let mut features_ms = 0.0;
    let mut inference_ms = 0.0;
    // the pretrained front end's 16 kHz view of the song, by the library's one resampler
    let t = now_ms();
    let samples_front_end = match front_end_rate {
        Some(to) => {
            progress("resampling", 0, 0, Vec::new());
            Some(super::audio::resample_yielding(&samples, rate, to).await)
        }
        None => None,
    };
    features_ms += now_ms() - t;
    if cancelled() {
        return Ok(None);
    }
    let song = SongAudio {
        samples: samples.to_vec(),
        samples_front_end,
    };
    let (starts, mut job) = with(|e| e.classifier.as_ref().map(|c| c.song_job(&song, true)))
        .ok_or("The backend stopped while classifying.")?;
    let total = starts.len();
    let silent: Vec<bool> = starts
        .iter()
        .map(|&s| {
            let end = (s + seg_len).min(samples.len());
            crate::audio::rms(&samples[s.min(end)..end]) < SILENCE_RMS
        })
        .collect();
    progress("classifying", 0, total, Vec::new());

    // a spread of segments first (the overall answer after the first batch), then the rest
    let mut batch_size = if front_end_rate.is_some() {
        FIRST_BATCH
    } else {
        BATCH
    };
    let mut first_answer_ms = None;
    let mut pending: Vec<usize> = Vec::new();
    loop {
        if cancelled() {
            return Ok(None);
        }
        if pending.is_empty() {
            pending = job.next_batch(batch_size);
            batch_size = BATCH;
            if pending.is_empty() {
                break;
            }
        }
        fall_back_if_lost()?;
        // features, handing the event loop back every ~40 ms (so that a cancel is seen)
        let mut t = now_ms();
        let mut inputs = Vec::with_capacity(pending.len());
        for &i in &pending {
            let input = with(|e| {
                e.classifier
                    .as_mut()
                    .map(|c| c.segment_input(&song, starts[i]))
            })
            .ok_or("The backend stopped while classifying.")?;
            inputs.push(input);
            if now_ms() - t > 40.0 {
                features_ms += now_ms() - t;
                dom::yield_now().await;
                t = now_ms();
            }
        }
        features_ms += now_ms() - t;
        let t = now_ms();
        let (values, tags) = match run_batch(&inputs).await {
            Ok(v) => v,
            // the GPU failed under us: redo this batch on the CPU
            Err(_) if backend::gpu_lost() && with(|e| e.running) == Some(Kind::WebGpu) => continue,
            Err(why) => return Err(format!("The model failed on this song: {why}")),
        };
        inference_ms += now_ms() - t;
        job.accept(&pending, &values, tags.as_deref());
        pending.clear();
        let partial = job.result();
        if partial.top().is_some() {
            first_answer_ms.get_or_insert(now_ms() - t_start);
        }
        progress("classifying", partial.done, total, partial.probabilities);
        dom::yield_now().await;
    }
    let finished = job.result();
    let k = finished.probabilities.len().max(1);
    Ok(Some(SongOutcome {
        starts,
        segments: finished
            .finished_rows()
            .chunks(k)
            .map(|r| r.to_vec())
            .collect(),
        silent,
        probabilities: finished.probabilities,
        tags: finished.tags,
        features_ms,
        inference_ms,
        first_answer_ms,
    }))
}

// ---------------------------------------------------------------------------------------------
// A live window

/// One microphone window; `Ok(None)` when no model is ready (a switch is under way).
async fn window(samples: Vec<f32>) -> Result<Option<WindowOutcome>, String> {
    fall_back_if_lost()?;
    let t0 = now_ms();
    let Some((input, picture, pcen)) = with(|e| {
        let c = e.classifier.as_mut()?;
        let pcen = c.manifest.features.pcen.is_some();
        let input = c.window_input(&samples);
        // the live picture is the mel spectrogram, also for a model that reads only the front end
        let picture = (input.features.n_frames == 0).then(|| c.segment_features(&samples, 0));
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
    Ok(Some(WindowOutcome {
        probabilities,
        mel: features.mel_db,
        n_frames: features.n_frames,
        pcen,
        features_ms: t1 - t0,
        model_ms: t2 - t1,
    }))
}
