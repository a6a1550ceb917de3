//! Decoding a file the person chose into the samples the features expect: mono `f32` at
//! 22 050 Hz. The browser decodes (any format it knows: mp3, ogg, wav, flac, m4a, ...) and
//! resamples: `decodeAudioData` of an `OfflineAudioContext` running at 22 050 Hz returns the
//! audio at that rate. Channels are then averaged, as the trainer does.

use js_sys::ArrayBuffer;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, OfflineAudioContext};

use super::dom;
use crate::features::SAMPLE_RATE;

pub struct Decoded {
    /// Mono samples at 22 050 Hz.
    pub samples: Vec<f32>,
    /// Channels of the file.
    pub channels: u32,
}

impl Decoded {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / SAMPLE_RATE as f64
    }
}

/// Decodes `bytes` (the whole file; the buffer is detached afterwards). The error says in
/// words what went wrong.
pub async fn decode(bytes: ArrayBuffer) -> Result<Decoded, String> {
    let ctx = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(
        1,
        1,
        SAMPLE_RATE as f32,
    )
    .map_err(|e| {
        format!(
            "this browser cannot decode audio at 22 050 Hz ({})",
            dom::js_error_text(&e)
        )
    })?;
    let promise = ctx
        .decode_audio_data(&bytes)
        .map_err(|e| dom::js_error_text(&e))?;
    let buffer: AudioBuffer = JsFuture::from(promise)
        .await
        .map_err(|e| dom::js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "the browser returned no audio".to_string())?;
    let channels = buffer.number_of_channels();
    let n = buffer.length() as usize;
    let mut samples = vec![0.0f32; n];
    for c in 0..channels {
        let data = buffer
            .get_channel_data(c)
            .map_err(|e| dom::js_error_text(&e))?;
        for (m, x) in samples.iter_mut().zip(&data) {
            *m += x;
        }
    }
    if channels > 1 {
        let inv = 1.0 / channels as f32;
        samples.iter_mut().for_each(|s| *s *= inv);
    }
    for s in &mut samples {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
    Ok(Decoded { samples, channels })
}

/// Root mean square of a slice (0 for an empty one).
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len() as f64).sqrt() as f32
}
