//! Music-genre classification, written once for the trainer (native) and the page (wasm):
//! [`features`] turns audio into feature images, [`model`] is the multi-head CNN,
//! [`inference`] loads an exported model and classifies segments and songs.

pub mod features;
pub mod inference;
pub mod model;

#[cfg(target_arch = "wasm32")]
pub mod web;
