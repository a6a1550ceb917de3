//! Audio features for genre classification: chromagram, log-mel spectrogram and MFCCs, matching librosa 0.11.
//!
//! Input: mono `f32` samples at [`SAMPLE_RATE`] = 22 050 Hz. Output, per input, three "feature images", each
//! row-major `[bands × frames]` (see [`Features`]):
//!
//! | feature | bands | librosa equivalent (librosa 0.11 defaults) |
//! |---|---|---|
//! | chroma | 12 | `librosa.feature.chroma_stft(y=y, sr=22050, tuning=0.0)` |
//! | mel dB | 128 | `librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))` |
//! | MFCC | 20 | `librosa.feature.mfcc(y=y, sr=22050)` |
//!
//! All three share one short-time Fourier transform: `n_fft = 2048`, `hop_length = 512`, periodic Hann window
//! (`scipy.signal.get_window("hann", 2048, fftbins=True)`), `center=True` with zero padding
//! (`pad_mode="constant"`), so an input of `n` samples has `1 + n / 512` frames; the power spectrogram `|X|²` is
//! what both the mel filterbank and the chroma filterbank are applied to.
//!
//! # Segments
//! The model looks at **segments**: [`SEGMENT_SAMPLES`] = 66 150 samples = 3 s at 22 050 Hz, which gives
//! [`SEGMENT_FRAMES`] = 130 frames. A clip is cut into segments by [`segment_starts`]: consecutive,
//! non-overlapping 3-s windows starting at sample 0 (overlapping ones when a smaller hop is given); a trailing
//! remainder shorter than a segment is dropped; a clip shorter than one segment gives one zero-padded segment
//! ([`segment_into`]). Each segment is then passed to [`FeatureExtractor::compute`] on its own, so every
//! segment's dB scale (`top_db` clipping) is relative to that segment's own maximum, as when librosa is called
//! on the 3-s excerpt.
//!
//! # Example
//! ```
//! use genre::features::{FeatureExtractor, FeatureParams, SEGMENT_FRAMES, segment_starts, segment_into};
//! let clip = vec![0.0f32; 22_050 * 7]; // 7 s of audio
//! let params = FeatureParams::default();
//! let mut fx = FeatureExtractor::new(params.clone());
//! let mut seg = vec![0.0f32; params.segment_samples];
//! let starts = segment_starts(clip.len(), params.segment_samples, params.segment_samples);
//! assert_eq!(starts, vec![0, 66_150]); // the last second is dropped
//! for s in starts {
//!     segment_into(&clip, s, &mut seg);
//!     let f = fx.compute(&seg);
//!     assert_eq!(f.n_frames, SEGMENT_FRAMES);
//!     assert_eq!(f.mel_db.len(), 128 * SEGMENT_FRAMES);
//! }
//! ```

mod db;
mod filters;
mod logmel;
mod pcen;
pub mod segment;
mod stft;

pub use filters::{chroma_filterbank, hz_to_mel, mel_filterbank, mel_to_hz};
pub use logmel::{LogMelExtractor, LogMelParams};
pub use pcen::PcenParams;
pub use segment::{segment_into, segment_starts};
pub use stft::hann_periodic;

use filters::SparseFilterbank;
use stft::PowerSpectrum;

/// Sample rate every feature expects, in Hz (librosa's `sr=22050`, its default).
pub const SAMPLE_RATE: u32 = 22_050;
/// Length of one segment in samples: 3 s at 22 050 Hz.
pub const SEGMENT_SAMPLES: usize = 66_150;
/// STFT frames in one segment: `1 + 66150 / 512` with `center=True`.
pub const SEGMENT_FRAMES: usize = 130;

/// Relative threshold below which chroma filterbank weights are not stored: in each FFT bin's column, weights
/// smaller than `1e-6 ×` the column's largest weight are skipped (the Gaussian tails `exp(-2·d²)` beyond about
/// 2.6 semitones). This bounds the change of a normalised chroma value by `12 × 1e-6`, far below the 1e-3 the
/// reference tests allow, and halves the chroma work.
const CHROMA_REL_THRESHOLD: f32 = 1e-6;

/// Every parameter of the feature computation, with librosa 0.11's names and defaults.
/// Stored in a model's manifest, so that a model is always fed the features it was trained on.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureParams {
    /// Sample rate of the input in Hz (librosa `sr`; default 22 050). The input must already be at this rate.
    pub sample_rate: u32,
    /// FFT length and window length in samples (librosa `n_fft`, `win_length = n_fft`; default 2048). Must be even.
    pub n_fft: usize,
    /// Samples between frame starts (librosa `hop_length`; default 512).
    pub hop_length: usize,
    /// Number of mel bands (librosa `n_mels` of `melspectrogram`; default 128).
    pub n_mels: usize,
    /// Number of MFCCs kept (librosa `n_mfcc` of `feature.mfcc`; default 20). At most `n_mels`.
    pub n_mfcc: usize,
    /// Number of chroma bins (librosa `n_chroma` of `chroma_stft`; default 12).
    pub n_chroma: usize,
    /// Lowest frequency of the mel filterbank in Hz (librosa `fmin`; default 0.0).
    pub fmin: f32,
    /// Highest frequency of the mel filterbank in Hz (librosa `fmax`; default `None` = `sample_rate / 2`).
    pub fmax: Option<f32>,
    /// Dynamic range of the mel dB image: values are clipped to at least `max − top_db`, with `max` taken over
    /// the whole input given to [`FeatureExtractor::compute`] (librosa `power_to_db(top_db=80.0)`; `None` = no
    /// clipping).
    pub top_db: Option<f32>,
    /// Smallest power before the logarithm, `10·log10(max(amin, S))` (librosa `power_to_db(amin=1e-10)`); keeps
    /// silence finite (−100 dB).
    pub amin: f32,
    /// Reference power that maps to 0 dB (librosa `power_to_db(ref=1.0)`).
    pub ref_db: f32,
    /// Tuning offset of the chroma filterbank in fractions of a chroma bin (librosa `chroma_stft(tuning=0.0)`;
    /// librosa estimates it when `tuning=None`, this crate does not: 0.0 is fixed for parity).
    pub tuning: f32,
    /// Length of one segment in samples (3 s = 66 150 at 22 050 Hz); see [`segment_starts`].
    pub segment_samples: usize,
    /// Per-channel energy normalisation instead of dB for the mel image (`None`, the default: dB as
    /// `power_to_db`). The MFCCs are computed from the dB image either way. Absent from (and `None` in)
    /// manifests written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcen: Option<PcenParams>,
}

impl Default for FeatureParams {
    /// librosa 0.11's defaults: sr 22 050, n_fft 2048, hop 512, 128 mels, 20 MFCCs, 12 chroma, fmin 0,
    /// fmax sr/2, top_db 80, amin 1e-10, ref 1.0, tuning 0.0, and 3-s segments.
    fn default() -> Self {
        Self {
            sample_rate: SAMPLE_RATE,
            n_fft: 2048,
            hop_length: 512,
            n_mels: 128,
            n_mfcc: 20,
            n_chroma: 12,
            fmin: 0.0,
            fmax: None,
            top_db: Some(80.0),
            amin: 1e-10,
            ref_db: 1.0,
            tuning: 0.0,
            segment_samples: SEGMENT_SAMPLES,
            pcen: None,
        }
    }
}

impl FeatureParams {
    /// Frames for an input of `n_samples` samples with `center=True`: `1 + n_samples / hop_length`.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length
    }

    /// Frames in one segment: `n_frames(segment_samples)` (130 with the defaults).
    pub fn segment_frames(&self) -> usize {
        self.n_frames(self.segment_samples)
    }
}

/// One input's three feature images, each row-major `[bands × frames]`: element `(band, t)` is at
/// `band * n_frames + t`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Features {
    /// Number of frames `T` (130 for a 3-s segment).
    pub n_frames: usize,
    /// Chromagram, `n_chroma × T` (12 × T), each frame scaled so its largest bin is 1 (all-zero frames stay 0).
    pub chroma: Vec<f32>,
    /// Log-mel spectrogram in dB, `n_mels × T` (128 × T); PCEN instead when [`FeatureParams::pcen`] is set.
    pub mel_db: Vec<f32>,
    /// MFCCs, `n_mfcc × T` (20 × T).
    pub mfcc: Vec<f32>,
    /// The pretrained front end's 200-d embedding of the segment, for models with a musicnn head. Not
    /// computed here (it is a network's output, [`crate::model::musicnn`]): empty unless the trainer's
    /// embedding cache fills it.
    pub musicnn: Vec<f32>,
}

/// Computes [`Features`]. Plans the FFT and builds the filterbanks and DCT once; reuse one extractor for every
/// segment. Nothing is allocated per frame; buffers only grow when an input is longer than any before.
pub struct FeatureExtractor {
    params: FeatureParams,
    spectrum: PowerSpectrum,
    mel_fb: SparseFilterbank,
    chroma_fb: SparseFilterbank,
    /// Orthonormal DCT-II, `n_mfcc × n_mels`.
    dct: Vec<f32>,
    /// Power spectrum of the current frame, `1 + n_fft/2` values then zeros up to a multiple of 8.
    power: Vec<f32>,
    /// Mel power then mel dB, frame-major `T × n_mels`.
    mel_frames: Vec<f32>,
    /// Raw then normalised chroma, frame-major `T × n_chroma`.
    chroma_frames: Vec<f32>,
    /// MFCCs, frame-major `T × n_mfcc`.
    mfcc_frames: Vec<f32>,
    /// With PCEN: scaled mel power then PCEN, frame-major `T × n_mels`, and the smoother's state.
    pcen_frames: Vec<f32>,
    pcen_state: Vec<f32>,
}

impl FeatureExtractor {
    /// Plans the FFT and builds the mel filterbank (Slaney scale and norm, `librosa.filters.mel`), the chroma
    /// filterbank (`librosa.filters.chroma` with `ctroct=5.0, octwidth=2, norm=2, base_c=True`) and the DCT.
    ///
    /// # Panics
    /// On parameters librosa would also reject: odd or zero `n_fft`, zero `hop_length`, `n_mels` or `n_chroma`,
    /// `n_mfcc > n_mels`, `amin <= 0`, negative `top_db`, PCEN parameters [`PcenParams::validate`] refuses.
    pub fn new(params: FeatureParams) -> Self {
        assert!(params.n_mels > 0, "n_mels must be > 0");
        assert!(params.n_chroma > 0, "n_chroma must be > 0");
        assert!(
            params.n_mfcc <= params.n_mels,
            "n_mfcc ({}) must be <= n_mels ({})",
            params.n_mfcc,
            params.n_mels
        );
        assert!(params.amin > 0.0, "amin must be strictly positive");
        assert!(
            params.top_db.is_none_or(|t| t >= 0.0),
            "top_db must be non-negative"
        );
        if let Some(Err(e)) = params.pcen.as_ref().map(PcenParams::validate) {
            panic!("{e}");
        }
        let spectrum = PowerSpectrum::new(params.n_fft, params.hop_length);
        let n_bins = spectrum.n_bins();
        let sr = params.sample_rate as f64;
        let mel = mel_filterbank(
            sr,
            params.n_fft,
            params.n_mels,
            params.fmin as f64,
            params.fmax.map(|f| f as f64),
        );
        let mel_fb = SparseFilterbank::from_dense(&mel, params.n_mels, n_bins, 0.0);
        let chroma = chroma_filterbank(sr, params.n_fft, params.n_chroma, params.tuning as f64);
        let chroma_fb =
            SparseFilterbank::from_dense(&chroma, params.n_chroma, n_bins, CHROMA_REL_THRESHOLD);
        let dct = db::dct2_ortho_matrix(params.n_mfcc, params.n_mels);
        let padded_bins = mel_fb.padded_bins();
        debug_assert_eq!(padded_bins, chroma_fb.padded_bins());
        Self {
            spectrum,
            mel_fb,
            chroma_fb,
            dct,
            power: vec![0.0; padded_bins],
            mel_frames: Vec::new(),
            chroma_frames: Vec::new(),
            mfcc_frames: Vec::new(),
            pcen_frames: Vec::new(),
            pcen_state: vec![0.0; params.n_mels],
            params,
        }
    }

    /// The parameters this extractor was built with.
    pub fn params(&self) -> &FeatureParams {
        &self.params
    }

    /// Features of `samples` (mono, at `params().sample_rate`; any length, normally one segment of
    /// `segment_samples`). An input of `n` samples gives `1 + n / hop_length` frames.
    pub fn compute(&mut self, samples: &[f32]) -> Features {
        let mut out = Features::default();
        self.compute_into(samples, &mut out);
        out
    }

    /// As [`compute`](Self::compute), writing into `out` and reusing its buffers.
    pub fn compute_into(&mut self, samples: &[f32], out: &mut Features) {
        // The same code, compiled twice on x86-64: for AVX2 (picked at run time) and for the baseline.
        // Both add in exactly the same order (no FMA contraction), so they give identical results.
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.compute_avx2(samples, out) };
            return;
        }
        self.compute_body::<false>(samples, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn compute_avx2(&mut self, samples: &[f32], out: &mut Features) {
        self.compute_body::<true>(samples, out);
    }

    /// The whole computation; `AVX2` selects the explicit AVX2 filterbank and DCT kernels (x86-64 only, and
    /// only called from [`compute_avx2`](Self::compute_avx2)).
    #[inline(always)]
    fn compute_body<const AVX2: bool>(&mut self, samples: &[f32], out: &mut Features) {
        let p = &self.params;
        let (n_mels, n_chroma, n_mfcc) = (p.n_mels, p.n_chroma, p.n_mfcc);
        let t_len = p.n_frames(samples.len());
        self.mel_frames.resize(t_len * n_mels, 0.0);
        self.chroma_frames.resize(t_len * n_chroma, 0.0);
        self.mfcc_frames.resize(t_len * n_mfcc, 0.0);
        let offset = db::db_offset(p.ref_db, p.amin);
        let pcen_scale = p.pcen.as_ref().map(|pc| pc.input_scale);
        if pcen_scale.is_some() {
            self.pcen_frames.resize(t_len * n_mels, 0.0);
        }

        // 1. per frame: power spectrum → mel power → dB (unclipped), and raw chroma; all frame-major
        let mut max = f32::NEG_INFINITY;
        for (t, (mel, chroma)) in self
            .mel_frames
            .chunks_exact_mut(n_mels)
            .zip(self.chroma_frames.chunks_exact_mut(n_chroma))
            .enumerate()
        {
            self.spectrum
                .frame_power::<AVX2>(samples, t, &mut self.power);
            apply::<AVX2>(&self.mel_fb, &self.power, mel);
            if let Some(scale) = pcen_scale {
                let dst = &mut self.pcen_frames[t * n_mels..(t + 1) * n_mels];
                for (d, &m) in dst.iter_mut().zip(mel.iter()) {
                    *d = m * scale;
                }
            }
            max = max.max(db::to_db_in_place(mel, p.amin, offset));
            apply::<AVX2>(&self.chroma_fb, &self.power, chroma);
        }

        // 2. top_db relative to the maximum over the whole input; MFCC = DCT-II (ortho) of each dB frame
        let floor = p.top_db.map_or(f32::NEG_INFINITY, |t| max - t);
        for (mel, mfcc) in self
            .mel_frames
            .chunks_exact_mut(n_mels)
            .zip(self.mfcc_frames.chunks_exact_mut(n_mfcc))
        {
            db::clip_below(mel, floor);
            for (c, row) in mfcc.iter_mut().zip(self.dct.chunks_exact(n_mels)) {
                *c = dot::<AVX2>(row, mel);
            }
        }

        // 3. chroma: per-frame infinity norm (librosa.util.normalize(norm=inf, threshold=tiny, fill=None):
        //    a frame whose max is below f32::MIN_POSITIVE is left as it is, so silence stays 0)
        for frame in self.chroma_frames.chunks_exact_mut(n_chroma) {
            let max = frame.iter().fold(0.0f32, |m, &x| m.max(x.abs()));
            if max >= f32::MIN_POSITIVE {
                for x in frame.iter_mut() {
                    *x /= max;
                }
            }
        }

        // 4. PCEN of the mel power, which replaces the dB image
        if let Some(pc) = &p.pcen {
            let b = pc.smoothing(p.sample_rate, p.hop_length);
            pcen::pcen_in_place(&mut self.pcen_frames, n_mels, pc, b, &mut self.pcen_state);
        }

        // 5. frame-major → band-major
        out.n_frames = t_len;
        let mel = if p.pcen.is_some() {
            &self.pcen_frames
        } else {
            &self.mel_frames
        };
        transpose_into(mel, t_len, n_mels, &mut out.mel_db);
        transpose_into(&self.mfcc_frames, t_len, n_mfcc, &mut out.mfcc);
        transpose_into(&self.chroma_frames, t_len, n_chroma, &mut out.chroma);
    }
}

/// [`SparseFilterbank::apply`], with AVX2 when `AVX2` (only inside an AVX2-enabled function).
#[inline(always)]
fn apply<const AVX2: bool>(fb: &SparseFilterbank, spectrum: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 is only true inside `compute_avx2`, which runs after the CPU check
        unsafe { filters::avx2::apply(fb, spectrum, out) };
        return;
    }
    fb.apply(spectrum, out);
}

/// [`filters::dot`], with AVX2 when `AVX2` (only inside an AVX2-enabled function).
#[inline(always)]
fn dot<const AVX2: bool>(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: as in `apply`
        return unsafe { filters::avx2::dot(a, b) };
    }
    filters::dot(a, b)
}

/// `dst` (resized to `rows × cols`) = the transpose of the row-major `rows × cols` matrix `src`… i.e.
/// `dst[c · rows + r] = src[r · cols + c]`, in tiles so that both sides stay in cache.
#[inline(always)]
fn transpose_into(src: &[f32], rows: usize, cols: usize, dst: &mut Vec<f32>) {
    const TILE: usize = 16;
    debug_assert_eq!(src.len(), rows * cols);
    dst.resize(rows * cols, 0.0);
    for r0 in (0..rows).step_by(TILE) {
        let r1 = (r0 + TILE).min(rows);
        for c0 in (0..cols).step_by(TILE) {
            let c1 = (c0 + TILE).min(cols);
            for c in c0..c1 {
                let d = &mut dst[c * rows + r0..c * rows + r1];
                for (i, x) in d.iter_mut().enumerate() {
                    *x = src[(r0 + i) * cols + c];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_librosa_defaults() {
        let p = FeatureParams::default();
        assert_eq!(p.sample_rate, 22_050);
        assert_eq!(
            (p.n_fft, p.hop_length, p.n_mels, p.n_mfcc, p.n_chroma),
            (2048, 512, 128, 20, 12)
        );
        assert_eq!((p.fmin, p.fmax, p.top_db), (0.0, None, Some(80.0)));
        assert_eq!((p.amin, p.ref_db, p.tuning), (1e-10, 1.0, 0.0));
        assert_eq!(p.segment_samples, SEGMENT_SAMPLES);
        assert_eq!(p.segment_frames(), SEGMENT_FRAMES);
        assert_eq!(p.n_frames(661_500), 1 + 661_500 / 512);
        assert_eq!(p.n_frames(1), 1);
    }

    #[test]
    fn params_round_trip_through_json() {
        let p = FeatureParams::default();
        let s = serde_json::to_string(&p).unwrap();
        let q: FeatureParams = serde_json::from_str(&s).unwrap();
        assert_eq!(p, q);
    }

    fn assert_finite(f: &Features) {
        for (name, v) in [
            ("chroma", &f.chroma),
            ("mel_db", &f.mel_db),
            ("mfcc", &f.mfcc),
        ] {
            assert!(v.iter().all(|x| x.is_finite()), "{name} has NaN or inf");
        }
    }

    #[test]
    fn shapes_for_a_segment_and_odd_lengths() {
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        for n in [1usize, 100, 1023, 1024, 2048, 5000, SEGMENT_SAMPLES] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.05).sin()).collect();
            let f = fx.compute(&x);
            let t = 1 + n / 512;
            assert_eq!(f.n_frames, t);
            assert_eq!(f.chroma.len(), 12 * t);
            assert_eq!(f.mel_db.len(), 128 * t);
            assert_eq!(f.mfcc.len(), 20 * t);
            assert_finite(&f);
        }
    }

    #[test]
    fn silence_is_finite_and_flat() {
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        let f = fx.compute(&vec![0.0; SEGMENT_SAMPLES]);
        assert_finite(&f);
        assert!(f.mel_db.iter().all(|&x| x == -100.0));
        assert!(f.chroma.iter().all(|&x| x == 0.0));
        // MFCC of a constant −100 dB column: only c0 = −100·√128 is non-zero
        for k in 0..20 {
            let want = if k == 0 { -100.0 * 128f32.sqrt() } else { 0.0 };
            for t in 0..SEGMENT_FRAMES {
                assert!((f.mfcc[k * SEGMENT_FRAMES + t] - want).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn denormal_and_tiny_input_is_finite() {
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        for amp in [1e-40f32, f32::MIN_POSITIVE, 1e-30, 1e-20, 1e-6] {
            let x: Vec<f32> = (0..SEGMENT_SAMPLES)
                .map(|i| amp * (i as f32 * 0.1).sin())
                .collect();
            let f = fx.compute(&x);
            assert_finite(&f);
            assert!(f.chroma.iter().all(|&c| (0.0..=1.0).contains(&c)));
        }
        // a single denormal sample
        let mut x = vec![0.0f32; SEGMENT_SAMPLES];
        x[1000] = 1e-42;
        assert_finite(&fx.compute(&x));
    }

    #[test]
    fn compute_into_reuses_and_matches_compute() {
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        let a: Vec<f32> = (0..SEGMENT_SAMPLES)
            .map(|i| (i as f32 * 0.125).sin())
            .collect();
        let b: Vec<f32> = (0..SEGMENT_SAMPLES)
            .map(|i| (i as f32 * 0.01).cos() * 0.3)
            .collect();
        let fa = fx.compute(&a);
        let mut out = Features::default();
        fx.compute_into(&b, &mut out);
        fx.compute_into(&a, &mut out);
        assert_eq!(out, fa);
        // a shorter input after a longer one
        fx.compute_into(&a[..10_000], &mut out);
        assert_eq!(out.n_frames, 1 + 10_000 / 512);
        assert_eq!(out.mel_db.len(), 128 * out.n_frames);
    }

    #[test]
    fn sine_peaks_in_the_right_bands() {
        let mut fx = FeatureExtractor::new(FeatureParams::default());
        let x: Vec<f32> = (0..SEGMENT_SAMPLES)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22_050.0).sin())
            .collect();
        let f = fx.compute(&x);
        let t = 60;
        let col = |v: &[f32], n: usize| (0..n).map(|b| v[b * f.n_frames + t]).collect::<Vec<_>>();
        let chroma = col(&f.chroma, 12);
        assert_eq!(chroma[9], 1.0, "A is the loudest pitch class: {chroma:?}");
        let mel = col(&f.mel_db, 128);
        let peak = (0..128).max_by(|&a, &b| mel[a].total_cmp(&mel[b])).unwrap();
        let centre = mel_to_hz(hz_to_mel(0.0) + (peak + 1) as f64 * hz_to_mel(11_025.0) / 129.0);
        assert!(
            (centre - 440.0).abs() < 40.0,
            "peak band {peak} centred at {centre} Hz"
        );
    }
}
