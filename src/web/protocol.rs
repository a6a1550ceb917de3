//! The messages between the page (main thread) and the engine (a module worker on the same wasm).
//!
//! Each message is a JS object `{ id, json, f32?, bytes?, port? }`: `json` is a [`Request`] or a
//! [`Reply`] as JSON, `f32` a `Float32Array` of samples and `bytes` a `Uint8Array` (a model file),
//! both transferred rather than copied, and `port` a `MessagePort` (the microphone's). A request's
//! replies carry its `id`; a classification sends [`Reply::Progress`] messages before its final
//! reply, and listening sends [`Reply::Live`] events until it is stopped.

use serde::{Deserialize, Serialize};

use crate::features::Features;

/// Page → engine.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Load the attached model file (`bytes`) on the backend `choice` resolves to ("auto",
    /// "webgpu", "flex", "ndarray"); `None` keeps the backend running now.
    Load { choice: Option<String> },
    /// Classify the attached samples (`f32`: mono at the model's rate, 22 050 Hz). A new
    /// classification cancels the one running.
    Classify,
    /// Stop the classification `job` (the id of its request) at the next batch.
    Cancel { job: u32 },
    /// The feature pictures of the last classified song's segment starting at `start`.
    Features { start: usize },
    /// Listen to the microphone: the attached `port` receives the AudioWorklet's blocks (mono
    /// `Float32Array`s at `device_rate`) straight from the audio thread; the engine resamples,
    /// classifies the latest window several times a second and answers with [`Reply::Live`]
    /// events until [`Request::Unlisten`] (this request's final reply is then `Done`).
    Listen { device_rate: f32 },
    /// Stop listening.
    Unlisten,
    /// While listening: the next `seconds` of what the microphone hears, at 22 050 Hz, answered
    /// by [`Reply::Recorded`] with the samples as its `f32` (a song to teach from).
    Record { seconds: f32 },
    /// Destroy the WebGPU device, as a driver reset would (tests only).
    LoseGpu,
    /// Teacher: load the attached model file (`bytes`), whose pretrained front end embeds the
    /// songs and which a taught model is built on.
    TeachBase,
    /// Teacher: the front end's embedding of each segment of the attached song (`f32`, mono at
    /// 22 050 Hz); answered by [`Reply::Embedded`] with the embeddings as its `f32`.
    Embed,
    /// Teacher: teach `lesson` (its songs' embeddings, in song order, are the attached `f32`),
    /// check it by song and export it; `date` is today's, YYYY-MM-DD. Answered by
    /// [`Reply::Taught`] with the model file as its `bytes`.
    Teach { lesson: LessonSpec, date: String },
}

/// A lesson without its embeddings (they travel as one `Float32Array`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonSpec {
    pub labels: Vec<String>,
    pub songs: Vec<SongSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SongSpec {
    pub name: String,
    pub label: usize,
    /// Its segments (each a 200-d embedding in the attached array).
    pub segments: usize,
}

/// The backend running, after a request that may have changed it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BackendState {
    /// `Kind::name()`: "webgpu", "flex", "ndarray".
    pub kind: String,
    /// The adapter's description, for WebGPU.
    pub detail: String,
    /// Why it is not what was asked for (no WebGPU, a software adapter, a lost device).
    pub notice: Option<String>,
}

/// A classification's progress: the segments done, and the song's answer so far.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Progress {
    pub stage: String,
    pub done: usize,
    pub total: usize,
    /// Mean probabilities of the segments done (empty before the first batch).
    pub probabilities: Vec<f32>,
    /// Teaching: the last epoch's training loss.
    #[serde(default)]
    pub loss: Option<f32>,
}

/// A classified song.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SongOutcome {
    /// Start sample of each segment (at 22 050 Hz), in time order.
    pub starts: Vec<usize>,
    /// Per segment, in time order, its probabilities.
    pub segments: Vec<Vec<f32>>,
    /// Per segment: near-silent (below −60 dBFS).
    pub silent: Vec<bool>,
    /// The song's probabilities (mean of its segments').
    pub probabilities: Vec<f32>,
    /// Mean taggram of the pretrained front end, for a model with it.
    pub tags: Option<Vec<f32>>,
    pub features_ms: f64,
    pub inference_ms: f64,
    /// From the request to the first overall answer.
    pub first_answer_ms: Option<f64>,
}

/// What the engine hears while listening.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum LiveEvent {
    /// The input level, about every 50 ms: `fraction` of the meter, `peak` (clipping near 1),
    /// `db` (dBFS); `heard_s`, seconds of audio since listening (re)started.
    Level {
        fraction: f32,
        peak: f32,
        db: f32,
        heard_s: f64,
    },
    /// The last window was too quiet to judge.
    Quiet { level_db: f32, heard_s: f64 },
    /// A window classified (its mel picture, `n_mels × n_frames`, is the attached `f32`).
    Update(LiveUpdate),
    /// The model failed on a window; the next one is tried.
    Failed { message: String },
}

/// A classified live window.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveUpdate {
    /// Calibrated probabilities of the window.
    pub probabilities: Vec<f32>,
    /// Smoothed over the last seconds ([`crate::live::Smoother`]): what is shown.
    pub smoothed: Vec<f32>,
    pub n_frames: usize,
    pub pcen: bool,
    pub features_ms: f64,
    pub model_ms: f64,
    /// When the window's last audio block reached the engine, in ms since the Unix epoch (the
    /// page and the worker have different `performance.now()` origins).
    pub window_end_epoch_ms: f64,
    /// Samples heard at the model's rate since listening (re)started.
    pub heard: u64,
    /// Windows skipped because the previous one was still being classified.
    pub skipped: u64,
    pub backend: BackendState,
}

/// Engine → page.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The engine has started and takes requests (id 0).
    Ready,
    Loaded {
        backend: BackendState,
    },
    Progress(Progress),
    Song {
        outcome: SongOutcome,
        backend: BackendState,
    },
    Cancelled,
    Features {
        features: Features,
        pcen: bool,
    },
    Live {
        event: LiveEvent,
    },
    Done {
        value: bool,
    },
    /// A recording from the microphone (the attached `f32`, mono at 22 050 Hz).
    Recorded {
        samples: usize,
    },
    /// A song's segment embeddings (the attached `f32`, `segments × 200`).
    Embedded {
        segments: usize,
    },
    /// A taught model (the attached `bytes`), its held-out check and the warnings to show.
    Taught {
        held_out: Option<crate::inference::metrics::Metrics>,
        split: String,
        warnings: Vec<String>,
        teach_ms: f64,
        check_ms: f64,
    },
    Error {
        message: String,
        backend: Option<BackendState>,
    },
}

/// One message `{ id, json, f32?, bytes? }` and the list of its buffers to transfer.
pub fn envelope(
    id: u32,
    json: &str,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
) -> (js_sys::Object, js_sys::Array) {
    use js_sys::Reflect;
    use wasm_bindgen::JsValue;
    let msg = js_sys::Object::new();
    let transfer = js_sys::Array::new();
    Reflect::set(&msg, &"id".into(), &JsValue::from(id)).ok();
    Reflect::set(&msg, &"json".into(), &JsValue::from_str(json)).ok();
    if let Some(a) = samples {
        transfer.push(&a.buffer());
        Reflect::set(&msg, &"f32".into(), &a).ok();
    }
    if let Some(b) = bytes {
        let a = js_sys::Uint8Array::from(b);
        transfer.push(&a.buffer());
        Reflect::set(&msg, &"bytes".into(), &a).ok();
    }
    (msg, transfer)
}
