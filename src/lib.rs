//! Music-genre classification, written once for the trainer (native) and the page (wasm):
//! [`audio`] decodes files to mono samples, [`resample`] is the one resampler, [`features`] turns audio into feature images, [`model`] is the multi-head CNN,
//! [`inference`] loads an exported model and classifies segments and songs, [`live`] is the
//! microphone's signal path (resampling, ring buffer, smoothing) outside the browser.

pub mod audio;
pub mod features;
pub mod inference;
pub mod live;
pub mod model;
pub mod palette;
pub mod resample;
#[cfg(feature = "teach")]
pub mod teach;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// GTZAN's ten genres, in the alphabetical order of its folders (and of a model's labels).
pub const GTZAN_GENRES: [&str; 10] = [
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
];
