//! Short-time power spectrum, as `numpy.abs(librosa.stft(y, n_fft, hop_length, window="hann", center=True,
//! pad_mode="constant")) ** 2`, one frame at a time.
//!
//! The real FFT of length `n_fft` is done as a complex FFT of length `n_fft / 2` (rustfft, planned once) on the
//! even/odd samples packed as real/imaginary parts, followed by the standard split step with precomputed twiddles.
//!
//! The window, the FFT and the split run in **f64**, as librosa's do (its window is float64, so numpy promotes
//! the frames and computes a float64 FFT before casting to complex64); only the power is rounded to f32. This
//! keeps the result within f32 rounding of librosa's, and makes it independent of which FFT algorithm rustfft
//! picks (AVX natively, scalar in wasm): an f32 FFT's rounding differs between those and shows in the
//! lowest-energy bins, while f64 rounding disappears in the cast to f32.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// `scipy.signal.get_window("hann", n, fftbins=True)`: the periodic Hann window `0.5 - 0.5 cos(2πi/n)`, in f64.
pub fn hann_periodic(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect()
}

/// Computes power spectra `|X[k]|²`, `k = 0 ..= n_fft/2`, of centred, windowed frames of a signal.
pub struct PowerSpectrum {
    n_fft: usize,
    hop: usize,
    fft: Arc<dyn Fft<f64>>,
    window: Vec<f64>,
    /// `exp(-2πik/n_fft)` for `k = 0 .. n_fft/2`.
    twiddles: Vec<Complex<f64>>,
    /// The real and imaginary parts of `twiddles[1 ..]` in groups of four, each group in the order
    /// `k, k+2, k+1, k+3` that the AVX2 split's unpack instructions produce.
    #[cfg(target_arch = "x86_64")]
    twiddles_avx: (Vec<f64>, Vec<f64>),
    buf: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
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
                Complex::new(a.cos(), a.sin())
            })
            .collect();
        #[cfg(target_arch = "x86_64")]
        let twiddles_avx = {
            let t: &Vec<Complex<f64>> = &twiddles;
            let groups = (half.saturating_sub(1) / 2) / 4;
            let order = |g: usize| [0, 2, 1, 3].map(|i| 1 + 4 * g + i);
            let re = (0..groups)
                .flat_map(|g| order(g).map(|k| t[k].re))
                .collect();
            let im = (0..groups)
                .flat_map(|g| order(g).map(|k| t[k].im))
                .collect();
            (re, im)
        };
        Self {
            n_fft,
            hop,
            fft,
            window: hann_periodic(n_fft),
            twiddles,
            #[cfg(target_arch = "x86_64")]
            twiddles_avx,
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

    /// Power spectrum of frame `t` of `samples` into `power[..1 + n_fft/2]` (later values are left alone). Frame `t` is
    /// `samples[t·hop − n_fft/2 .. t·hop + n_fft/2]`, with zeros outside the signal (`center=True`,
    /// `pad_mode="constant"`), multiplied by the window.
    ///
    /// `AVX2` selects the AVX2 split (x86-64 only; only pass `true` from an AVX2-enabled function on a CPU
    /// that has it); both give the same bits.
    #[inline(always)]
    pub fn frame_power<const AVX2: bool>(&mut self, samples: &[f32], t: usize, power: &mut [f32]) {
        self.load_frame(samples, t);
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        #[cfg(target_arch = "x86_64")]
        if AVX2 {
            // SAFETY: the caller guarantees AVX2 (see above)
            unsafe { self.split_avx2(power) };
            return;
        }
        self.split(power);
    }

    /// Packs the windowed frame into `buf` as `z[n] = x[2n] + i·x[2n+1]`.
    #[inline(always)]
    fn load_frame(&mut self, samples: &[f32], t: usize) {
        let n_fft = self.n_fft;
        let start = (t * self.hop) as isize - (n_fft / 2) as isize;
        let end = start + n_fft as isize;
        if start >= 0 && end <= samples.len() as isize {
            let frame = &samples[start as usize..end as usize];
            // SAFETY: `Complex<f64>` is `#[repr(C)] { re: f64, im: f64 }`, so `buf` is `2·len` f64s in the
            // order re₀ im₀ re₁ im₁ …, which is the order of the frame's samples.
            let flat = unsafe {
                std::slice::from_raw_parts_mut(
                    self.buf.as_mut_ptr().cast::<f64>(),
                    2 * self.buf.len(),
                )
            };
            for ((z, &x), &w) in flat.iter_mut().zip(frame).zip(&self.window) {
                *z = x as f64 * w;
            }
        } else {
            let get = |i: usize| -> f64 {
                let j = start + i as isize;
                if j >= 0 && (j as usize) < samples.len() {
                    samples[j as usize] as f64
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
    /// `X[k]` and `X[M−k]` are computed together from the same two values ([`split_pair`]).
    #[inline(always)]
    fn split(&self, power: &mut [f32]) {
        let m = self.n_fft / 2;
        let z = &self.buf;
        let power = &mut power[..=m];
        self.split_ends(power);
        for k in 1..=(m - 1) / 2 {
            (power[k], power[m - k]) = split_pair(z[k], z[m - k], self.twiddles[k]);
        }
    }

    /// Bins 0, M and (for even M) M/2, which have no partner.
    #[inline(always)]
    fn split_ends(&self, power: &mut [f32]) {
        let m = self.n_fft / 2;
        let z0 = self.buf[0];
        power[0] = ((z0.re + z0.im) * (z0.re + z0.im)) as f32;
        power[m] = ((z0.re - z0.im) * (z0.re - z0.im)) as f32;
        if m >= 2 && m.is_multiple_of(2) {
            let h = m / 2;
            power[h] = split_pair(self.buf[h], self.buf[h], self.twiddles[h]).0;
        }
    }

    /// [`split`](Self::split) with AVX2, four pairs at a time; every lane computes exactly what
    /// [`split_pair`] computes, so the result is the same to the bit.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn split_avx2(&self, power: &mut [f32]) {
        use std::arch::x86_64::*;
        let m = self.n_fft / 2;
        let power = &mut power[..=m];
        self.split_ends(power);
        let n_pairs = (m.max(1) - 1) / 2;
        let groups = n_pairs / 4;
        let (tw_re, tw_im) = &self.twiddles_avx;
        assert!(tw_re.len() >= 4 * groups && tw_im.len() >= 4 * groups);
        let z = self.buf.as_ptr().cast::<f64>(); // re₀ im₀ re₁ im₁ … (Complex is repr(C))
        let p = power.as_mut_ptr();
        for g in 0..groups {
            let k = 1 + 4 * g;
            // SAFETY: k + 3 <= n_pairs <= (m − 1)/2, so every Z index used (k ..= k+3, m−k−3 ..= m−k) is in
            // 1 ..= m−1, within `buf` (m values) and `power` (m + 1); twiddle loads stay below 4·groups.
            unsafe {
                // a = Z[k .. k+4] as (k, k+2, k+1, k+3)
                let a0 = _mm256_loadu_pd(z.add(2 * k));
                let a1 = _mm256_loadu_pd(z.add(2 * k + 4));
                let (ar, ai) = (_mm256_unpacklo_pd(a0, a1), _mm256_unpackhi_pd(a0, a1));
                // b_j = Z[m − k − j], j = 0..4, in the same order (j0, j2, j1, j3)
                let b0 = _mm256_loadu_pd(z.add(2 * (m - k - 3))); // Z[m−k−3], Z[m−k−2] = j3, j2
                let b1 = _mm256_loadu_pd(z.add(2 * (m - k - 1))); // Z[m−k−1], Z[m−k]   = j1, j0
                let b0 = _mm256_permute2f128_pd::<0x01>(b0, b0); // j2, j3
                let b1 = _mm256_permute2f128_pd::<0x01>(b1, b1); // j0, j1
                let (br, bi) = (_mm256_unpacklo_pd(b1, b0), _mm256_unpackhi_pd(b1, b0));
                let wr = _mm256_loadu_pd(tw_re.as_ptr().add(4 * g));
                let wi = _mm256_loadu_pd(tw_im.as_ptr().add(4 * g));
                let (s_re, s_im) = (_mm256_add_pd(ar, br), _mm256_add_pd(ai, bi));
                let (d_re, d_im) = (_mm256_sub_pd(ar, br), _mm256_sub_pd(ai, bi));
                let u = _mm256_add_pd(_mm256_mul_pd(wr, s_im), _mm256_mul_pd(wi, d_re));
                let v = _mm256_sub_pd(_mm256_mul_pd(wi, s_im), _mm256_mul_pd(wr, d_re));
                let (xr, xi) = (_mm256_add_pd(s_re, u), _mm256_add_pd(d_im, v));
                let (yr, yi) = (_mm256_sub_pd(s_re, u), _mm256_sub_pd(v, d_im));
                let quarter = _mm256_set1_pd(0.25);
                let px = _mm256_mul_pd(
                    quarter,
                    _mm256_add_pd(_mm256_mul_pd(xr, xr), _mm256_mul_pd(xi, xi)),
                );
                let py = _mm256_mul_pd(
                    quarter,
                    _mm256_add_pd(_mm256_mul_pd(yr, yr), _mm256_mul_pd(yi, yi)),
                );
                // px: bins (k, k+2, k+1, k+3) → k ..= k+3
                let fx = _mm_permute_ps::<0b11_01_10_00>(_mm256_cvtpd_ps(px));
                _mm_storeu_ps(p.add(k), fx);
                // py: bins (m−k, m−k−2, m−k−1, m−k−3) → m−k−3 ..= m−k
                let fy = _mm_permute_ps::<0b00_10_01_11>(_mm256_cvtpd_ps(py));
                _mm_storeu_ps(p.add(m - k - 3), fy);
            }
        }
        let z = &self.buf;
        for k in 1 + 4 * groups..=n_pairs {
            (power[k], power[m - k]) = split_pair(z[k], z[m - k], self.twiddles[k]);
        }
    }
}

/// `(|X[k]|², |X[M−k]|²)` from `a = Z[k]`, `b = Z[M−k]` and `w = W^k`. With `s = a + b`, `d = a − b`
/// (component-wise), `u = w.re·s.im + w.im·d.re`, `v = w.im·s.im − w.re·d.re`:
/// `2·X[k] = (s.re + u) + i(d.im + v)` and `2·X[M−k] = (s.re − u) + i(v − d.im)`.
#[inline(always)]
fn split_pair(a: Complex<f64>, b: Complex<f64>, w: Complex<f64>) -> (f32, f32) {
    let (s_re, s_im) = (a.re + b.re, a.im + b.im);
    let (d_re, d_im) = (a.re - b.re, a.im - b.im);
    let u = w.re * s_im + w.im * d_re;
    let v = w.im * s_im - w.re * d_re;
    let (xr, xi) = (s_re + u, d_im + v);
    let (yr, yi) = (s_re - u, v - d_im);
    (
        (0.25 * (xr * xr + xi * xi)) as f32,
        (0.25 * (yr * yr + yi * yi)) as f32,
    )
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
        let (a, b) = (0.146_446_609_406_726_24, 0.853_553_390_593_273_7);
        let expect = [0.0, a, 0.5, b, 1.0, b, 0.5, a];
        for (x, y) in w.iter().zip(expect) {
            assert!((x - y).abs() < 1e-15);
        }
    }

    #[test]
    fn matches_direct_dft_including_edges() {
        // even and odd half-lengths, tiny sizes, and hops that do and do not divide the length
        for (n_fft, hop) in [(2, 1), (4, 1), (6, 2), (64, 16), (66, 10), (2048, 512)] {
            check_against_dft(n_fft, hop, 150);
        }
        check_against_dft(2048, 512, 3000);
    }

    fn check_against_dft(n_fft: usize, hop: usize, n_samples: usize) {
        let samples: Vec<f32> = (0..n_samples)
            .map(|i| ((i as f32 * 0.37).sin() + 0.3 * ((i * i) as f32 * 0.01).cos()) * 0.5)
            .collect();
        let mut ps = PowerSpectrum::new(n_fft, hop);
        let n_frames = ps.n_frames(samples.len());
        assert_eq!(n_frames, 1 + n_samples / hop);
        let window = hann_periodic(n_fft);
        let mut power = vec![0.0f32; ps.n_bins()];
        for t in 0..n_frames {
            ps.frame_power::<false>(&samples, t, &mut power);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut p2 = vec![0.0f32; ps.n_bins()];
                ps.frame_power::<true>(&samples, t, &mut p2);
                assert_eq!(power, p2, "AVX2 split differs (n_fft {n_fft})");
            }
            let frame: Vec<f64> = (0..n_fft)
                .map(|i| {
                    let j = (t * hop + i) as isize - (n_fft / 2) as isize;
                    let x = if j >= 0 && (j as usize) < samples.len() {
                        samples[j as usize]
                    } else {
                        0.0
                    };
                    x as f64 * window[i]
                })
                .collect();
            let want = dft_power(&frame);
            let peak = want.iter().cloned().fold(0.0, f64::max);
            // f64 all the way, then one rounding to f32: every bin to f32 precision, not only the loud ones
            for (k, (&p, &w)) in power.iter().zip(&want).enumerate() {
                assert!(
                    (p as f64 - w).abs() <= 1e-7 * w + 1e-12 * peak,
                    "n_fft {n_fft} frame {t} bin {k}: {p} vs {w}"
                );
            }
        }
    }
}
