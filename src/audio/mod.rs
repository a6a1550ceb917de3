//! Audio files → mono `f32` samples at the features' rate, the same way for the trainer and the
//! page: symphonia (WAV, Ogg Vorbis, MP3, FLAC, M4A/AAC) or a small parser of our own for Sun
//! `.au` (GTZAN's original files), channels averaged, then the library's one resampler
//! ([`crate::resample`]). The page falls back to the browser's decoder only for what this cannot
//! read (Opus, WebM, HE-AAC, …), and resamples that here too.
//!
//! - A packet that fails to decode in the middle of a file is skipped (and counted); a file that
//!   yields no samples at all is an error.
//! - Errors say in plain words what is wrong; callers add the file's name.

mod au;
mod stream;

use std::fmt;

pub use au::is_au;
pub use stream::StreamDecoding;

/// Mono samples at the file's own rate.
#[derive(Debug, Clone)]
pub struct RawAudio {
    pub mono: Vec<f32>,
    /// The file's sample rate.
    pub rate: u32,
    /// The file's channel count (of its first decoded block).
    pub channels: usize,
    /// Packets that failed to decode and were skipped.
    pub skipped_packets: usize,
    /// The length the container declares, in frames at the file's rate, when it declares one.
    pub declared_frames: Option<u64>,
}

/// A decoded file at the rate asked for.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Mono samples at the rate asked for (non-finite samples replaced by 0).
    pub samples: Vec<f32>,
    pub source_rate: u32,
    pub source_channels: usize,
    pub skipped_packets: usize,
    pub declared_frames: Option<u64>,
}

/// Why a file gave no audio.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    Empty,
    /// No reader recognised the container (a text file, an unknown or damaged format).
    NotAudio(String),
    NoTrack,
    /// The container was read but its codec is not supported here; `rate` is the sample rate
    /// the container declares, if any (the page's browser fallback decodes at it).
    Codec {
        why: String,
        rate: Option<u32>,
    },
    Stream(String),
    RateChange(u32, u32),
    NoSamples,
    ZeroRate,
    Au(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the file is empty, so it contains no audio"),
            Self::NotAudio(why) => write!(
                f,
                "not an audio file symphonia can decode (wav, ogg/vorbis, mp3, flac, m4a/aac or Sun .au are read): {why}"
            ),
            Self::NoTrack => write!(f, "the container holds no audio track"),
            Self::Codec { why, .. } => write!(f, "its audio codec is not supported ({why})"),
            Self::Stream(why) => write!(f, "cannot read the audio stream ({why})"),
            Self::RateChange(a, b) => write!(
                f,
                "the sample rate changes in the middle of the file ({a} Hz, then {b} Hz)"
            ),
            Self::NoSamples => write!(f, "contains no audio samples"),
            Self::ZeroRate => write!(f, "declares a sample rate of 0 Hz"),
            Self::Au(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A file being decoded, a step at a time.
pub enum Decoding {
    /// Parsed at once (a `.au` file needs no decoding).
    Done(RawAudio),
    Stream(Box<StreamDecoding>),
}

impl Decoding {
    /// Starts decoding `bytes` (the whole file); `extension` helps symphonia's probe.
    pub fn start(bytes: Vec<u8>, extension: Option<&str>) -> Result<Self, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::Empty);
        }
        if is_au(&bytes) {
            return Ok(Self::Done(au::parse_au(&bytes)?));
        }
        Ok(Self::Stream(Box::new(StreamDecoding::start(
            bytes, extension,
        )?)))
    }

    /// Decodes up to `packets` more packets; `Ok(false)` once done.
    pub fn step(&mut self, packets: usize) -> Result<bool, DecodeError> {
        match self {
            Self::Done(_) => Ok(false),
            Self::Stream(s) => s.step(packets),
        }
    }

    /// Fraction decoded (0 when the length is not declared).
    pub fn progress(&self) -> f64 {
        match self {
            Self::Done(_) => 1.0,
            Self::Stream(s) => s.progress(),
        }
    }

    /// The samples at the file's own rate; an error when there are none.
    pub fn finish(self) -> Result<RawAudio, DecodeError> {
        let raw = match self {
            Self::Done(r) => r,
            Self::Stream(s) => s.finish()?,
        };
        if raw.mono.is_empty() {
            return Err(DecodeError::NoSamples);
        }
        Ok(raw)
    }
}

/// Decodes `bytes` to mono at the file's own rate, all at once.
pub fn decode_raw(bytes: Vec<u8>, extension: Option<&str>) -> Result<RawAudio, DecodeError> {
    let mut d = Decoding::start(bytes, extension)?;
    while d.step(256)? {}
    d.finish()
}

/// Decodes `bytes` to mono at `rate` Hz (the features' rate: [`crate::features::SAMPLE_RATE`]).
pub fn decode(bytes: Vec<u8>, extension: Option<&str>, rate: u32) -> Result<Decoded, DecodeError> {
    Ok(at_rate(decode_raw(bytes, extension)?, rate))
}

/// `raw` at `rate` Hz by the library's one resampler (passed through at its own rate), with
/// non-finite samples (a float file may hold NaN) replaced by 0.
pub fn at_rate(raw: RawAudio, rate: u32) -> Decoded {
    let mut samples = if raw.rate == rate {
        raw.mono
    } else {
        crate::resample::resample(&raw.mono, raw.rate, rate)
    };
    sanitise(&mut samples);
    Decoded {
        samples,
        source_rate: raw.rate,
        source_channels: raw.channels,
        skipped_packets: raw.skipped_packets,
        declared_frames: raw.declared_frames,
    }
}

/// Replaces non-finite samples by 0: features of NaN would be meaningless.
pub fn sanitise(samples: &mut [f32]) {
    for s in samples {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
}

/// Appends the average of the channels of each frame of `interleaved` to `mono`.
pub fn downmix_into(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    if channels <= 1 {
        mono.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

/// Root mean square of a slice (0 for an empty one).
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / x.len() as f64).sqrt() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages_channels_and_drops_a_partial_frame() {
        let mut m = Vec::new();
        downmix_into(&[1.0, 0.0, 0.5, 0.5, 9.0], 2, &mut m);
        assert_eq!(m, vec![0.5, 0.5]);
        downmix_into(&[0.25], 1, &mut m);
        assert_eq!(m, vec![0.5, 0.5, 0.25]);
    }

    #[test]
    fn empty_and_text_bytes_are_errors_in_words() {
        assert_eq!(
            decode_raw(Vec::new(), None).unwrap_err(),
            DecodeError::Empty
        );
        let e =
            decode_raw(b"Milk\nBread\nnot a sound at all\n".repeat(40), Some("wav")).unwrap_err();
        assert!(matches!(e, DecodeError::NotAudio(_)), "{e:?}");
        assert!(e.to_string().contains("not an audio file"), "{e}");
    }

    #[test]
    fn rms_of_a_square_wave() {
        assert_eq!(rms(&[]), 0.0);
        assert!((rms(&[0.5, -0.5, 0.5, -0.5]) - 0.5).abs() < 1e-7);
    }
}
