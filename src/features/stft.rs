//! Short-time power spectrum, as `numpy.abs(librosa.stft(y, n_fft, hop_length, window="hann", center=True,
//! pad_mode="constant")) ** 2`, one frame at a time.
//!
//! The real FFT of length `n_fft` is done as a complex FFT of length `n_fft / 2` (rustfft, planned once) on the
//! even/odd samples packed as real/imaginary parts, followed by the standard split step with precomputed twiddles.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// `scipy.signal.get_window("hann", n, fftbins=True)`: the periodic Hann window `0.5 - 0.5 cos(2πi/n)`,
/// computed in f64 and cast to f32.
pub fn hann_periodic(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos()) as f32)
        .collect()
}

/// Computes power spectra `|X[k]|²`, `k = 0 ..= n_fft/2`, of centred, windowed frames of a signal.
pub struct PowerSpectrum {
    n_fft: usize,
    hop: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    /// `exp(-2πik/n_fft)` for `k = 0 .. n_fft/2`.
    twiddles: Vec<Complex<f32>>,
    buf: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl PowerSpectrum {
    /// `n_fft` must be even and ≥ 2; `hop` ≥ 1.
    pub fn new(n_fft: usize, hop: usize) -> Self {
        assert!(
            n_fft >= 2 && n_fft.is_multiple_of(2),
            "n_fft must be even and >= 2, got {n_fft}"
        );
        assert!(hop >= 1, "hop_length must be >= 1");
        let half = n_fft / 2;
        let fft = FftPlanner::new().plan_fft_forward(half);
        let scratch = vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        let twiddles = (0..half)
            .map(|k| {
                let a = -2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
                Complex::new(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        Self {
            n_fft,
            hop,
            fft,
            window: hann_periodic(n_fft),
            twiddles,
            buf: vec![Complex::new(0.0, 0.0); half],
            scratch,
        }
    }

    /// Number of output bins, `1 + n_fft/2`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for `n_samples` samples with `center=True`: `1 + n_samples / hop`.
    #[cfg(test)]
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop
    }

    /// Power spectrum of frame `t` of `samples` into `power` (length `1 + n_fft/2`). Frame `t` is
    /// `samples[t·hop − n_fft/2 .. t·hop + n_fft/2]`, with zeros outside the signal (`center=True`,
    /// `pad_mode="constant"`), multiplied by the window.
    pub fn frame_power(&mut self, samples: &[f32], t: usize, power: &mut [f32]) {
        self.load_frame(samples, t);
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        self.split(power);
    }

    /// Packs the windowed frame into `buf` as `z[n] = x[2n] + i·x[2n+1]`.
    fn load_frame(&mut self, samples: &[f32], t: usize) {
        let n_fft = self.n_fft;
        let start = (t * self.hop) as isize - (n_fft / 2) as isize;
        let end = start + n_fft as isize;
        if start >= 0 && end <= samples.len() as isize {
            let frame = &samples[start as usize..end as usize];
            for ((z, x), w) in self
                .buf
                .iter_mut()
                .zip(frame.chunks_exact(2))
                .zip(self.window.chunks_exact(2))
            {
                z.re = x[0] * w[0];
                z.im = x[1] * w[1];
            }
        } else {
            let get = |i: usize| -> f32 {
                let j = start + i as isize;
                if j >= 0 && (j as usize) < samples.len() {
                    samples[j as usize]
                } else {
                    0.0
                }
            };
            for (n, z) in self.buf.iter_mut().enumerate() {
                z.re = get(2 * n) * self.window[2 * n];
                z.im = get(2 * n + 1) * self.window[2 * n + 1];
            }
        }
    }

    /// Turns the half-length complex FFT `Z` of the packed frame into the power of the real FFT `X`:
    /// `X[k] = (Z[k] + conj Z[M−k]) / 2 − i·W^k (Z[k] − conj Z[M−k]) / 2`, `M = n_fft/2`, `W = e^{−2πi/n_fft}`.
    fn split(&self, power: &mut [f32]) {
        let m = self.n_fft / 2;
        let z = &self.buf;
        debug_assert_eq!(power.len(), m + 1);
        let z0 = z[0];
        power[0] = (z0.re + z0.im) * (z0.re + z0.im);
        power[m] = (z0.re - z0.im) * (z0.re - z0.im);
        // k and m-k together: both use Z[k] and Z[m-k]
        for k in 1..=m / 2 {
            let a = z[k];
            let b = z[m - k];
            let (pk, pmk) = split_pair(a, b, self.twiddles[k]);
            power[k] = pk;
            power[m - k] = pmk;
        }
    }
}

/// Power of `X[k]` and `X[M−k]` from `a = Z[k]`, `b = Z[M−k]` and the twiddle `W^k`.
#[inline(always)]
fn split_pair(a: Complex<f32>, b: Complex<f32>, wk: Complex<f32>) -> (f32, f32) {
    // X[k] = E + W^k O with E = (a + conj b)/2, O = (a - conj b)/(2i)
    let e_re = 0.5 * (a.re + b.re);
    let e_im = 0.5 * (a.im - b.im);
    let o_re = 0.5 * (a.im + b.im);
    let o_im = -0.5 * (a.re - b.re);
    let x_re = e_re + wk.re * o_re - wk.im * o_im;
    let x_im = e_im + wk.re * o_im + wk.im * o_re;
    // X[M-k] = conj E + W^{M-k} conj O, and W^{M-k} = -conj W^k
    let y_re = e_re - wk.re * o_re + wk.im * o_im;
    let y_im = -e_im + wk.re * o_im + wk.im * o_re;
    (x_re * x_re + x_im * x_im, y_re * y_re + y_im * y_im)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct DFT power in f64, for checking.
    fn dft_power(frame: &[f64]) -> Vec<f64> {
        let n = frame.len();
        (0..=n / 2)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (i, &x) in frame.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * (k * i % n) as f64 / n as f64;
                    re += x * a.cos();
                    im += x * a.sin();
                }
                re * re + im * im
            })
            .collect()
    }

    #[test]
    fn window_is_periodic_hann() {
        let w = hann_periodic(8);
        let expect = [
            0.0,
            0.146_446_6,
            0.5,
            0.853_553_4,
            1.0,
            0.853_553_4,
            0.5,
            0.146_446_6,
        ];
        for (a, b) in w.iter().zip(expect) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn matches_direct_dft_including_edges() {
        let (n_fft, hop) = (64, 16);
        let samples: Vec<f32> = (0..150)
            .map(|i| ((i as f32 * 0.37).sin() + 0.3 * ((i * i) as f32 * 0.01).cos()) * 0.5)
            .collect();
        let mut ps = PowerSpectrum::new(n_fft, hop);
        let n_frames = ps.n_frames(samples.len());
        assert_eq!(n_frames, 1 + 150 / 16);
        let window = hann_periodic(n_fft);
        let mut power = vec![0.0f32; ps.n_bins()];
        for t in 0..n_frames {
            ps.frame_power(&samples, t, &mut power);
            let frame: Vec<f64> = (0..n_fft)
                .map(|i| {
                    let j = (t * hop + i) as isize - (n_fft / 2) as isize;
                    let x = if j >= 0 && (j as usize) < samples.len() {
                        samples[j as usize]
                    } else {
                        0.0
                    };
                    x as f64 * window[i] as f64
                })
                .collect();
            let want = dft_power(&frame);
            let peak = want.iter().cloned().fold(0.0, f64::max);
            for (k, (&p, &w)) in power.iter().zip(&want).enumerate() {
                assert!(
                    (p as f64 - w).abs() <= 1e-5 * peak,
                    "frame {t} bin {k}: {p} vs {w}"
                );
            }
        }
    }
}
