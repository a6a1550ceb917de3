//! Per-channel energy normalisation (PCEN) of the mel spectrogram, an alternative to dB scaling:
//! each band is divided by a smoothed version of itself (automatic gain control over about
//! `time_constant` seconds), then root-compressed. Matches `librosa.pcen` (0.11) applied to the mel
//! power of the input scaled to 32-bit integer range, with the smoother starting at steady state on the
//! first frame (see [`PcenParams`]).

use serde::{Deserialize, Serialize};

/// The parameters of `librosa.pcen`, with its names and defaults, plus the input's scale.
///
/// With these, the mel image of a segment `y` is
/// `librosa.pcen(librosa.feature.melspectrogram(y=y, sr=22050) * input_scale, sr=22050, hop_length=512,
/// gain, bias, power, time_constant, eps, zi=lfilter_zi([b], [1, b - 1]) * S[:, :1])`:
/// the smoother `M[t] = (1 − b)·M[t − 1] + b·S[t]` starts at `M[0] = S[0]`, as if the segment's first frame had
/// lasted forever. (librosa's own default, `zi = lfilter_zi`, starts it at 1, which makes the first ~0.4 s
/// of every 3-s segment far louder than the rest.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PcenParams {
    /// Exponent of the gain control, `S / (eps + M)^gain` (librosa `gain`; default 0.98).
    pub gain: f32,
    /// Offset before the compression, `(… + bias)^power − bias^power` (librosa `bias`; default 2.0).
    pub bias: f32,
    /// Compression exponent (librosa `power`; default 0.5). Must be > 0.
    pub power: f32,
    /// Time constant of the smoother in seconds (librosa `time_constant`; default 0.4).
    pub time_constant: f32,
    /// Keeps the gain finite in silence (librosa `eps`; default 1e-6).
    pub eps: f32,
    /// Factor on the mel power before PCEN: 2^62, the power of samples scaled from [−1, 1) to 32-bit integer
    /// range, the scale librosa's defaults (from the original publication) assume.
    pub input_scale: f32,
}

impl Default for PcenParams {
    fn default() -> Self {
        Self {
            gain: 0.98,
            bias: 2.0,
            power: 0.5,
            time_constant: 0.4,
            eps: 1e-6,
            input_scale: 2f32.powi(62),
        }
    }
}

impl PcenParams {
    /// The smoother's coefficient `b = (√(1 + 4T²) − 1) / (2T²)`, `T = time_constant · sr / hop_length`
    /// (librosa's rule when `b` is not given).
    pub fn smoothing(&self, sample_rate: u32, hop_length: usize) -> f32 {
        let t = self.time_constant as f64 * sample_rate as f64 / hop_length as f64;
        (((1.0 + 4.0 * t * t).sqrt() - 1.0) / (2.0 * t * t)) as f32
    }

    /// Refuses values librosa rejects (and non-finite ones), naming the parameter.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("power", self.power),
            ("bias", self.bias),
            ("eps", self.eps),
            ("time_constant", self.time_constant),
            ("input_scale", self.input_scale),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("PCEN {name} must be a positive number, got {v}"));
        }
        if !(self.gain.is_finite() && self.gain >= 0.0) {
            return Err(format!("PCEN gain must be >= 0, got {}", self.gain));
        }
        Ok(())
    }
}

/// PCEN in place over frame-major `frames` (`T × n_bands`) of already scaled mel power; `smooth`
/// (`n_bands` long) holds the smoother's state. `b` is [`PcenParams::smoothing`].
pub(super) fn pcen_in_place(
    frames: &mut [f32],
    n_bands: usize,
    p: &PcenParams,
    b: f32,
    smooth: &mut [f32],
) {
    let Some(first) = frames.get(..n_bands) else {
        return;
    };
    smooth.copy_from_slice(first);
    let ln_eps = p.eps.ln();
    let bias_pow = p.bias.powf(p.power);
    for frame in frames.chunks_exact_mut(n_bands) {
        for (s, m) in frame.iter_mut().zip(smooth.iter_mut()) {
            *m = (1.0 - b) * *m + b * *s;
            // (eps + M)^−gain, written as librosa writes it for stability.
            let agc = (-p.gain * (ln_eps + (*m / p.eps).ln_1p())).exp();
            *s = bias_pow * (p.power * (*s * agc / p.bias).ln_1p()).exp_m1();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_coefficient_follows_librosa() {
        // T = 0.4 · 22050 / 512 = 17.2266; b = (√(1 + 4T²) − 1) / (2T²)
        let b = PcenParams::default().smoothing(22_050, 512);
        assert!((b - 0.056_36).abs() < 1e-4, "b = {b}");
    }

    #[test]
    fn a_steady_band_is_flat_and_a_louder_band_reads_the_same() {
        // Steady input: M = S from the first frame on, so every frame gives (S^(1−gain) + bias)^power −
        // bias^power; two bands 40 dB apart differ only through S^0.02.
        let p = PcenParams::default();
        let b = p.smoothing(22_050, 512);
        let (quiet, loud) = (1e10f32, 1e14f32);
        let mut frames: Vec<f32> = (0..50).flat_map(|_| [quiet, loud]).collect();
        let mut state = vec![0.0; 2];
        pcen_in_place(&mut frames, 2, &p, b, &mut state);
        let want = |s: f32| ((s / (p.eps + s).powf(p.gain)) + 2.0).sqrt() - 2f32.sqrt();
        for f in frames.chunks_exact(2) {
            assert!((f[0] - want(quiet)).abs() < 1e-5 * want(quiet), "{f:?}");
            assert!((f[1] - want(loud)).abs() < 1e-5 * want(loud), "{f:?}");
        }
        assert!(frames[1] / frames[0] < 1.3, "gain control: {frames:?}");
    }

    #[test]
    fn an_onset_stands_out_then_fades_as_the_gain_adapts() {
        let p = PcenParams::default();
        let b = p.smoothing(22_050, 512);
        let mut frames: Vec<f32> = (0..60).map(|t| if t < 20 { 1e8 } else { 1e12 }).collect();
        let mut state = vec![0.0; 1];
        pcen_in_place(&mut frames, 1, &p, b, &mut state);
        assert!(
            frames[20] > 5.0 * frames[19],
            "onset: {:?}",
            &frames[18..22]
        );
        assert!(
            frames[59] < 0.5 * frames[20],
            "adapted: {} vs {}",
            frames[59],
            frames[20]
        );
        assert!(
            frames.windows(2).skip(20).all(|w| w[1] <= w[0]),
            "fades monotonically"
        );
    }

    #[test]
    fn validation_names_the_bad_parameter() {
        assert!(PcenParams::default().validate().is_ok());
        let bad = PcenParams {
            power: 0.0,
            ..PcenParams::default()
        };
        assert!(bad.validate().unwrap_err().contains("power"));
        let bad = PcenParams {
            gain: f32::NAN,
            ..PcenParams::default()
        };
        assert!(bad.validate().unwrap_err().contains("gain"));
    }

    #[test]
    fn silence_gives_zero() {
        let p = PcenParams::default();
        let mut frames = vec![0.0f32; 10 * 4];
        let mut state = vec![1.0; 4];
        pcen_in_place(&mut frames, 4, &p, p.smoothing(22_050, 512), &mut state);
        assert!(frames.iter().all(|&x| x == 0.0));
    }
}
