//! The messages between the page (main thread) and the engine (a module worker on the same wasm).
//!
//! Each message is a JS object `{ id, json, f32?, bytes? }`: `json` is a [`Request`] or a [`Reply`]
//! as JSON, `f32` a `Float32Array` of samples and `bytes` a `Uint8Array` (a model file), both
//! transferred rather than copied. A request's replies carry its `id`; a classification sends
//! [`Reply::Progress`] messages before its final reply.

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
    /// Classify one live window (`f32`: the microphone's last 3 s at 22 050 Hz).
    Window,
    /// Destroy the WebGPU device, as a driver reset would (tests only).
    LoseGpu,
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

/// A classified live window.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowOutcome {
    /// Calibrated probabilities of the window.
    pub probabilities: Vec<f32>,
    /// The mel picture of the window (`n_mels × n_frames`).
    pub mel: Vec<f32>,
    pub n_frames: usize,
    pub pcen: bool,
    pub features_ms: f64,
    pub model_ms: f64,
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
    Window {
        outcome: WindowOutcome,
        backend: BackendState,
    },
    Done {
        value: bool,
    },
    Error {
        message: String,
        backend: Option<BackendState>,
    },
}
