//! Decoding a file the person chose into the samples the features expect: mono `f32` at
//! 22 050 Hz, by the library's decoder ([`crate::audio`]: the trainer's, so both see the same
//! samples) and its one resampler, a few packets at a time with the event loop handed back
//! between steps. Only what that decoder cannot read (Opus, WebM, HE-AAC, …) goes to the
//! browser's decoder, at the rate the file declares (else 48 kHz), and is resampled here too, so
//! the browser's resampler never decides the numbers.

use js_sys::ArrayBuffer;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, OfflineAudioContext};

use super::dom::{self, now_ms};
use crate::audio::{DecodeError, Decoding, RawAudio};
use crate::features::SAMPLE_RATE;

/// Which decoder read the file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DecodedBy {
    /// The library's (symphonia), as the trainer.
    Library,
    /// The browser's, for a format the library does not read.
    Browser,
}

impl DecodedBy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Library => "library",
            Self::Browser => "browser",
        }
    }
}

pub struct Decoded {
    /// Mono samples at 22 050 Hz.
    pub samples: Vec<f32>,
    /// Channels of the file.
    pub channels: u32,
    /// The file's own sample rate.
    pub source_rate: u32,
    pub by: DecodedBy,
}

impl Decoded {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / SAMPLE_RATE as f64
    }
}

/// Decodes `bytes` (the whole file); `extension` helps the library's probe; `progress` gets the
/// fraction done now and then, and returns false to stop (then `Ok(None)`: a newer file came).
/// The error says in words what went wrong.
pub async fn decode(
    bytes: ArrayBuffer,
    extension: Option<&str>,
    mut progress: impl FnMut(f64) -> bool,
) -> Result<Option<Decoded>, String> {
    let raw = match decode_library(&bytes, extension, &mut progress).await {
        Ok(None) => return Ok(None),
        Ok(Some(raw)) => (raw, DecodedBy::Library),
        Err(e) => {
            let rate = match &e {
                DecodeError::Codec { rate: Some(r), .. } => *r,
                DecodeError::NotAudio(_) | DecodeError::Codec { .. } => 48_000,
                // a file the library read but found broken: the browser will not do better
                other => return Err(other.to_string()),
            };
            dom::log(&format!(
                "library decoder: {e}; trying the browser's at {rate} Hz"
            ));
            (decode_browser(bytes, rate).await?, DecodedBy::Browser)
        }
    };
    let (raw, by) = raw;
    dom::mark("genre:decoded-raw");
    let channels = raw.channels as u32;
    let source_rate = raw.rate;
    if !progress(1.0) {
        return Ok(None);
    }
    let samples = resample_yielding(&raw.mono, raw.rate, SAMPLE_RATE).await;
    drop(raw);
    dom::yield_now().await;
    Ok(Some(Decoded {
        samples,
        channels,
        source_rate,
        by,
    }))
}

async fn decode_library(
    bytes: &ArrayBuffer,
    extension: Option<&str>,
    progress: &mut impl FnMut(f64) -> bool,
) -> Result<Option<RawAudio>, DecodeError> {
    let mut d = Decoding::start(copy_yielding(bytes).await, extension)?;
    let mut t = now_ms();
    while d.step(8)? {
        if now_ms() - t > 10.0 {
            if !progress(d.progress()) {
                return Ok(None);
            }
            dom::yield_now().await;
            t = now_ms();
        }
    }
    d.finish().map(Some)
}

/// The file's bytes in wasm memory, 4 MB at a time with the event loop handed back between
/// (a copy of a 200 MB WAV at once would hold the page for a while).
async fn copy_yielding(bytes: &ArrayBuffer) -> Vec<u8> {
    const STEP: u32 = 4 << 20;
    let all = js_sys::Uint8Array::new(bytes);
    let n = all.length();
    let mut out = vec![0u8; n as usize];
    let mut at = 0;
    while at < n {
        let end = (at + STEP).min(n);
        all.subarray(at, end)
            .copy_to(&mut out[at as usize..end as usize]);
        at = end;
        if at < n {
            dom::yield_now().await;
        }
    }
    out
}

/// The browser's decoder, into an `OfflineAudioContext` at `rate` (the file's own, so that it
/// does not resample), channels averaged.
async fn decode_browser(bytes: ArrayBuffer, rate: u32) -> Result<RawAudio, String> {
    let rate = rate.clamp(8_000, 384_000);
    let ctx = OfflineAudioContext::new_with_number_of_channels_and_length_and_sample_rate(
        1,
        1,
        rate as f32,
    )
    .map_err(|e| {
        format!(
            "this browser cannot decode audio at {rate} Hz ({})",
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
    let mut mono = vec![0.0f32; n];
    for c in 0..channels {
        let data = buffer
            .get_channel_data(c)
            .map_err(|e| dom::js_error_text(&e))?;
        for (m, x) in mono.iter_mut().zip(&data) {
            *m += x;
        }
    }
    if channels > 1 {
        let inv = 1.0 / channels as f32;
        mono.iter_mut().for_each(|s| *s *= inv);
    }
    Ok(RawAudio {
        mono,
        rate,
        channels: channels as usize,
        skipped_packets: 0,
        declared_frames: None,
    })
}

/// `samples` at `to` Hz by the library's one resampler (a copy at equal rates), with non-finite
/// samples replaced by 0, in blocks of a quarter of a second of input with the event loop handed
/// back every ~10 ms (a long song takes a second or more).
pub async fn resample_yielding(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    let mut r = crate::resample::Resampler::new(from, to);
    let mut out = Vec::with_capacity(crate::resample::output_len(samples.len(), from, to) + 1);
    let mut t = now_ms();
    for block in samples.chunks((from as usize / 4).max(1)) {
        let at = out.len();
        if from == to {
            out.extend_from_slice(block);
        } else {
            r.process(block, &mut out);
        }
        crate::audio::sanitise(&mut out[at..]);
        if now_ms() - t > 10.0 {
            dom::yield_now().await;
            t = now_ms();
        }
    }
    if from != to {
        let at = out.len();
        r.flush(&mut out);
        crate::audio::sanitise(&mut out[at..]);
    }
    out
}
