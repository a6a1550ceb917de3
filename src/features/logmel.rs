//! The pretrained front end's input (musicnn, see `crate::model::musicnn`): a compressed mel spectrogram of
//! 16 kHz audio, as the network was trained on it.
//!
//! ```text
//! S = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)   # float32
//! x = np.log10(10000 * S + 1).T                                                              # [frames, 96]
//! ```
//!
//! i.e. periodic Hann window, `center=True` with zero padding, power 2, 96 Slaney mel bands over 0–8 kHz with
//! Slaney area normalisation, then `log10(10000·S + 1)` in float32 (musicnn's own extractor casts `S` to
//! float16 first, which overflows to infinity on most real music: not copied). No dB, no other normalisation.
//! Unlike [`crate::features::Features`], the output is **frame-major** (`[frames][bands]`), the layout the
//! network reads (TF's `[time, freq]`).
//!
//! A **patch** is [`LogMelParams::patch_frames`] = 187 frames: the first 187 of the 188 frames of one 3-s
//! segment (48 000 samples at 16 kHz), the same 3 s the seed model's segment covers at 22 050 Hz.

use super::filters::{SparseFilterbank, mel_filterbank};
use super::stft::PowerSpectrum;

/// Every parameter of the log-mel computation, named as librosa names them, with musicnn's values as defaults.
/// Stored in a model's manifest beside the front end that reads it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogMelParams {
    /// Input sample rate in Hz (librosa `sr`; 16 000).
    pub sample_rate: u32,
    /// FFT and window length (librosa `n_fft`; 512).
    pub n_fft: usize,
    /// Samples between frames (librosa `hop_length`; 256).
    pub hop_length: usize,
    /// Mel bands (librosa `n_mels`; 96), Slaney scale and area normalisation.
    pub n_mels: usize,
    /// Lowest and highest filterbank frequency in Hz (librosa `fmin`, `fmax`; 0 and `sr / 2`).
    pub fmin: f32,
    pub fmax: f32,
    /// `log10(compression · S + 1)` (10 000).
    pub compression: f32,
    /// Frames the network reads at once (187: 3 s).
    pub patch_frames: usize,
    /// Samples of one segment at `sample_rate` (48 000: 3 s), cut as the seed model's segments are.
    pub segment_samples: usize,
}

impl Default for LogMelParams {
    fn default() -> Self {
        Self {
            sample_rate: 16_000,
            n_fft: 512,
            hop_length: 256,
            n_mels: 96,
            fmin: 0.0,
            fmax: 8_000.0,
            compression: 10_000.0,
            patch_frames: 187,
            segment_samples: 48_000,
        }
    }
}

impl LogMelParams {
    /// Frames of an input of `n_samples` (`center=True`): `1 + n_samples / hop_length`.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length
    }

    /// Checks what a manifest could get wrong before an extractor is built.
    pub fn validate(&self) -> Result<(), String> {
        let ok = self.sample_rate > 0
            && self.n_fft >= 2
            && self.n_fft.is_multiple_of(2)
            && self.hop_length > 0
            && self.n_mels > 0
            && self.fmin >= 0.0
            && self.fmax > self.fmin
            && self.fmax <= self.sample_rate as f32 / 2.0
            && self.compression > 0.0
            && self.patch_frames > 0
            && self.n_frames(self.segment_samples) >= self.patch_frames;
        if ok {
            Ok(())
        } else {
            Err(format!("log-mel parameters out of range: {self:?}"))
        }
    }
}

/// Computes log-mel images. Plans the FFT and builds the filterbank once; reuse one extractor.
pub struct LogMelExtractor {
    params: LogMelParams,
    spectrum: PowerSpectrum,
    mel_fb: SparseFilterbank,
    power: Vec<f32>,
}

impl LogMelExtractor {
    /// # Panics
    /// On parameters [`LogMelParams::validate`] refuses.
    pub fn new(params: LogMelParams) -> Self {
        if let Err(e) = params.validate() {
            panic!("{e}");
        }
        let spectrum = PowerSpectrum::new(params.n_fft, params.hop_length);
        let n_bins = spectrum.n_bins();
        let mel = mel_filterbank(
            params.sample_rate as f64,
            params.n_fft,
            params.n_mels,
            params.fmin as f64,
            Some(params.fmax as f64),
        );
        let mel_fb = SparseFilterbank::from_dense(&mel, params.n_mels, n_bins, 0.0);
        Self {
            power: vec![0.0; mel_fb.padded_bins()],
            spectrum,
            mel_fb,
            params,
        }
    }

    pub fn params(&self) -> &LogMelParams {
        &self.params
    }

    /// The log-mel image of `samples` (mono, at `params().sample_rate`), frame-major
    /// `[n_frames(len)][n_mels]`, appended to `out` (cleared first).
    pub fn compute_into(&mut self, samples: &[f32], out: &mut Vec<f32>) {
        let p = &self.params;
        let n_mels = p.n_mels;
        out.clear();
        out.resize(p.n_frames(samples.len()) * n_mels, 0.0);
        for (t, frame) in out.chunks_exact_mut(n_mels).enumerate() {
            // the scalar split and filterbank: this image is small (96 × 188 per 3 s), the FFT dominates
            self.spectrum
                .frame_power::<false>(samples, t, &mut self.power);
            self.mel_fb.apply(&self.power, frame);
            for x in frame.iter_mut() {
                *x = (p.compression * *x + 1.0).log10();
            }
        }
    }

    /// The network's input for one segment (`segment_samples` samples; shorter ones are zero-padded):
    /// its first `patch_frames` frames, frame-major `[patch_frames][n_mels]`.
    pub fn patch(&mut self, segment: &[f32]) -> Vec<f32> {
        let n = self.params.segment_samples;
        let mut padded;
        let seg = if segment.len() >= n {
            &segment[..n]
        } else {
            padded = segment.to_vec();
            padded.resize(n, 0.0);
            &padded[..]
        };
        let mut out = Vec::new();
        self.compute_into(seg, &mut out);
        out.truncate(self.params.patch_frames * self.params.n_mels);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_gives_one_patch_of_187_frames() {
        let p = LogMelParams::default();
        assert_eq!(p.n_frames(p.segment_samples), 188);
        let mut fx = LogMelExtractor::new(p);
        let x: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.07).sin() * 0.3).collect();
        let patch = fx.patch(&x);
        assert_eq!(patch.len(), 187 * 96);
        assert!(patch.iter().all(|v| v.is_finite() && *v >= 0.0));
        // a short input is padded with silence: the same first frames, log10(1) = 0 later
        let short = fx.patch(&x[..24_000]);
        assert_eq!(short.len(), 187 * 96);
        assert_eq!(&short[..90 * 96], &patch[..90 * 96]);
        assert!(short[100 * 96..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn silence_is_zero_and_a_tone_peaks_in_its_band() {
        let mut fx = LogMelExtractor::new(LogMelParams::default());
        assert!(fx.patch(&[0.0; 48_000]).iter().all(|&v| v == 0.0));
        let x: Vec<f32> = (0..48_000)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let patch = fx.patch(&x);
        let frame = &patch[90 * 96..91 * 96];
        let peak = (0..96)
            .max_by(|&a, &b| frame[a].total_cmp(&frame[b]))
            .unwrap();
        let centre =
            super::super::mel_to_hz((peak + 1) as f64 * super::super::hz_to_mel(8000.0) / 97.0);
        assert!((centre - 1000.0).abs() < 60.0, "band {peak} at {centre} Hz");
    }

    #[test]
    fn bad_parameters_are_refused() {
        let ok = LogMelParams::default();
        assert!(ok.validate().is_ok());
        for bad in [
            LogMelParams {
                fmax: 9_000.0,
                ..ok.clone()
            },
            LogMelParams {
                n_fft: 511,
                ..ok.clone()
            },
            LogMelParams {
                hop_length: 0,
                ..ok.clone()
            },
            LogMelParams {
                patch_frames: 189,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
