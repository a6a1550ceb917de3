//! What the page knows about its engine: the model it shows (and where it came from), whether
//! the engine has it loaded, the backend running, the backend asked for, and whether an action
//! holds the page. The song has its own state ([`super::song`]), as has the microphone.

use std::cell::RefCell;
use std::rc::Rc;

use super::backend::{Choice, Kind};
use crate::features::SAMPLE_RATE;
use crate::inference::Manifest;

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Shipped,
    /// A person's own model, by its file name.
    User(String),
}

pub struct Model {
    pub bytes: Rc<Vec<u8>>,
    pub manifest: Manifest,
    pub source: Source,
}

#[derive(Default)]
pub struct Session {
    pub model: Option<Model>,
    /// The engine has `model` loaded.
    pub engine_ready: bool,
    pub running: Option<Kind>,
    pub choice: Option<Choice>,
    /// A file is being read or classified, or the backend or model is changing.
    pub busy: bool,
}

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::default());
}

pub fn with<R>(f: impl FnOnce(&mut Session) -> R) -> R {
    SESSION.with(|s| f(&mut s.borrow_mut()))
}

pub fn engine_ready() -> bool {
    with(|s| s.engine_ready)
}

pub fn is_busy() -> bool {
    with(|s| s.busy)
}

/// The backend running, once one is.
pub fn backend() -> Option<Kind> {
    with(|s| s.running)
}

/// The loaded model's labels (from its manifest).
pub fn labels() -> Vec<String> {
    with(|s| {
        s.model
            .as_ref()
            .map(|m| m.manifest.labels.clone())
            .unwrap_or_default()
    })
}

/// Samples of one classified window (3 s at 22 050 Hz for the shipped model).
pub fn segment_samples() -> usize {
    with(|s| {
        s.model
            .as_ref()
            .map(|m| m.manifest.features.segment_samples)
    })
    .unwrap_or(3 * SAMPLE_RATE as usize)
}
