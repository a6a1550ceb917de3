//! The engine: runs in a dedicated module worker (`web/worker.js` loads the same wasm and calls
//! [`super::engine_main`]) and does everything that computes: the backend (WebGPU when a hardware adapter
//! is offered in the worker, else the CPU, with the fallbacks), the model, the song pipeline
//! ([`crate::inference`]) and the microphone's windows. The page only decodes and draws, so its
//! thread stays free however long a song is.
//!
//! Requests are handled concurrently (each in its own task); a long classification hands the
//! event loop back between batches, so a cancel or a picture is answered meanwhile.
//!
//! - this module: the messages in and out, the backend and the model (start, fallbacks);
//! - [`song`]: a song → segments → batches → probabilities, with progress and cancellation;
//! - [`live`]: the microphone, whose blocks come straight from the AudioWorklet over a
//!   `MessagePort`, classified window by window and smoothed.

mod live;
mod song;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use super::backend::{self, Choice, DEFAULT_CPU, Kind};
use super::dom;
use super::protocol::{BackendState, Reply, Request};
use super::worker::{self, post};
use crate::inference::{Classifier, SegmentInput};

#[derive(Default)]
pub(super) struct Engine {
    bytes: Option<Rc<Vec<u8>>>,
    pub(super) classifier: Option<Classifier>,
    pub(super) running: Option<Kind>,
    detail: String,
    notice: Option<String>,
    /// The last classified song (for its pictures).
    pub(super) song: Option<Rc<Vec<f32>>>,
}

thread_local! {
    static ENGINE: RefCell<Engine> = RefCell::new(Engine::default());
    /// The classification that may run: any other stops at its next batch.
    pub(super) static CURRENT_JOB: Cell<u32> = const { Cell::new(0) };
}

pub(super) fn with<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    ENGINE.with(|e| f(&mut e.borrow_mut()))
}

pub(super) fn backend_state() -> BackendState {
    with(|e| BackendState {
        kind: e.running.unwrap_or(DEFAULT_CPU).name().to_string(),
        detail: e.detail.clone(),
        notice: e.notice.clone(),
    })
}

/// Started by `web/worker.js` (through [`super::engine_main`]) once the wasm is loaded.
pub fn main() {
    worker::serve(|m| match m.request {
        // listening answers with events, not one reply
        Request::Listen { device_rate } => live::listen(m.id, m.port, device_rate),
        // answered when the recording is complete
        Request::Record { seconds } => {
            if !live::record(m.id, seconds) {
                post(
                    m.id,
                    &Reply::Error {
                        message: "the microphone is not listening (or is recording already)".into(),
                        backend: None,
                    },
                );
            }
        }
        req => spawn_local(handle(m.id, req, m.samples, m.bytes)),
    });
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
            match song::classify(id, samples.unwrap_or_default()).await {
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
        Request::Listen { .. } | Request::Record { .. } => {
            error("listening is not a one-reply request".into())
        }
        Request::Unlisten => Reply::Done {
            value: live::stop(),
        },
        Request::LoseGpu => Reply::Done {
            value: backend::destroy_gpu_device_for_test(),
        },
        Request::TeachBase | Request::Embed | Request::Teach { .. } => {
            error("teaching is the teacher's work, not the engine's".into())
        }
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
pub(super) fn fall_back_if_lost() -> Result<(), String> {
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
pub(super) async fn run_batch(
    inputs: &[SegmentInput],
) -> Result<(Vec<f32>, Option<Vec<f32>>), String> {
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
