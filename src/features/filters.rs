//! Filterbanks that map a power spectrum (`1 + n_fft/2` bins) to mel bands and to chroma bins, built exactly
//! as librosa 0.11's `librosa.filters.mel` and `librosa.filters.chroma` build them (in f64, then cast to f32),
//! and stored sparsely: each row keeps only the runs of bins where its weights are non-zero.

/// A sparse filterbank: `n_rows` rows over `n_bins` spectrum bins. Each row is a list of runs of consecutive
/// bins (`Run`), so applying it is a few contiguous dot products per row instead of a dense `n_rows × n_bins`
/// product.
#[derive(Clone, Debug)]
pub struct SparseFilterbank {
    n_rows: usize,
    n_bins: usize,
    /// Runs sorted by row; `row_runs[r]..row_runs[r + 1]` index the runs of row `r`.
    row_runs: Vec<usize>,
    runs: Vec<Run>,
    weights: Vec<f32>,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    /// First spectrum bin of the run.
    start: usize,
    /// Offset of the run's first weight in `weights`.
    offset: usize,
    len: usize,
}

impl SparseFilterbank {
    /// Builds the sparse form of a dense row-major `n_rows × n_bins` matrix, keeping in each column the weights
    /// `>= rel_threshold ×` that column's largest weight (with `rel_threshold = 0` every non-zero is kept).
    /// Each run is widened with zero weights to a multiple of [`LANES`] bins (within
    /// `0..`[`padded_bins`](Self::padded_bins)), so that applying it needs no scalar tail; the added zeros do
    /// not change any sum.
    pub fn from_dense(dense: &[f32], n_rows: usize, n_bins: usize, rel_threshold: f32) -> Self {
        assert_eq!(dense.len(), n_rows * n_bins);
        let padded_bins = n_bins.next_multiple_of(LANES);
        let mut col_max = vec![0.0f32; n_bins];
        for row in dense.chunks_exact(n_bins) {
            for (m, &w) in col_max.iter_mut().zip(row) {
                *m = m.max(w.abs());
            }
        }
        let keep = |r: usize, k: usize| {
            let w = dense[r * n_bins + k];
            w != 0.0 && w.abs() >= rel_threshold * col_max[k]
        };
        let mut row_runs = Vec::with_capacity(n_rows + 1);
        let mut runs = Vec::new();
        let mut weights = Vec::new();
        for r in 0..n_rows {
            row_runs.push(runs.len());
            let row = &dense[r * n_bins..(r + 1) * n_bins];
            let mut k = 0;
            while k < n_bins {
                if !keep(r, k) {
                    k += 1;
                    continue;
                }
                let first = k;
                while k < n_bins && keep(r, k) {
                    k += 1;
                }
                // widen [first, k) to a multiple of LANES, shifting left at the top end
                let len = (k - first).next_multiple_of(LANES);
                let start = first.min(padded_bins - len);
                runs.push(Run {
                    start,
                    offset: weights.len(),
                    len,
                });
                weights.extend(
                    (start..start + len)
                        .map(|j| if (first..k).contains(&j) { row[j] } else { 0.0 }),
                );
            }
        }
        row_runs.push(runs.len());
        Self {
            n_rows,
            n_bins,
            row_runs,
            runs,
            weights,
        }
    }

    /// Number of stored weights (the multiply-adds per frame).
    #[cfg(test)]
    pub fn nnz(&self) -> usize {
        self.weights.len()
    }

    /// Length the spectrum given to [`apply`](Self::apply) must have: `n_bins` rounded up to a multiple of
    /// [`LANES`], the bins past `n_bins` being zero.
    pub fn padded_bins(&self) -> usize {
        self.n_bins.next_multiple_of(LANES)
    }

    /// `out[r] = Σ_k W[r, k] · spectrum[k]` for every row `r`; `spectrum` has
    /// [`padded_bins`](Self::padded_bins) values, zero past `n_bins`.
    #[inline(always)]
    pub fn apply(&self, spectrum: &[f32], out: &mut [f32]) {
        debug_assert_eq!(spectrum.len(), self.padded_bins());
        debug_assert_eq!(out.len(), self.n_rows);
        for (o, rr) in out.iter_mut().zip(self.row_runs.windows(2)) {
            let mut acc = [[0.0f32; LANES]; 4];
            for run in &self.runs[rr[0]..rr[1]] {
                let (w, _) = self.weights[run.offset..run.offset + run.len].as_chunks::<LANES>();
                let (x, _) = spectrum[run.start..run.start + run.len].as_chunks::<LANES>();
                mac4(&mut acc, w, x);
            }
            *o = hsum4(&acc);
        }
    }

    /// The dense row-major `n_rows × n_bins` matrix (for tests).
    #[cfg(test)]
    pub fn to_dense(&self) -> Vec<f32> {
        let mut dense = vec![0.0f32; self.n_rows * self.n_bins];
        for r in 0..self.n_rows {
            for run in &self.runs[self.row_runs[r]..self.row_runs[r + 1]] {
                for i in 0..run.len {
                    let k = run.start + i;
                    if k < self.n_bins {
                        dense[r * self.n_bins + k] += self.weights[run.offset + i];
                    }
                }
            }
        }
        dense
    }
}

/// Width of the accumulators of [`dot`] and [`SparseFilterbank::apply`] (one AVX register of f32).
pub const LANES: usize = 8;

/// Sum of a [`LANES`]-wide accumulator in a fixed order, `((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))`: the order
/// the AVX2 kernels' `hadd` reductions produce, so every build adds in the same order.
#[inline(always)]
pub fn hsum(acc: &[f32; LANES]) -> f32 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// Sum of four accumulators: `hsum((a0 + a1) + (a2 + a3))`.
#[inline(always)]
pub fn hsum4(acc: &[[f32; LANES]; 4]) -> f32 {
    let s: [f32; LANES] =
        std::array::from_fn(|i| (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]));
    hsum(&s)
}

/// `acc[j % 4] += w[j] · x[j]` (lane-wise) for chunk `j` in groups of four, the 0–3 chunks left over going
/// to `acc[0]`, `acc[1]`, `acc[2]`: four independent dependency chains, in the order the AVX2 kernels use.
#[inline(always)]
fn mac4(acc: &mut [[f32; LANES]; 4], w: &[[f32; LANES]], x: &[[f32; LANES]]) {
    let n = w.len().min(x.len());
    let (w4, wr) = w[..n].as_chunks::<4>();
    let (x4, xr) = x[..n].as_chunks::<4>();
    for (wg, xg) in w4.iter().zip(x4) {
        for a in 0..4 {
            for i in 0..LANES {
                acc[a][i] += wg[a][i] * xg[a][i];
            }
        }
    }
    for (a, (wc, xc)) in wr.iter().zip(xr).enumerate() {
        for i in 0..LANES {
            acc[a][i] += wc[i] * xc[i];
        }
    }
}

/// Dot product of two equally long slices, with four [`LANES`]-wide accumulators so that it vectorises
/// and pipelines; a scalar tail past the last multiple of [`LANES`].
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, ra) = a[..n].as_chunks::<LANES>();
    let (cb, rb) = b[..n].as_chunks::<LANES>();
    let mut acc = [[0.0f32; LANES]; 4];
    mac4(&mut acc, ca, cb);
    let mut tail = 0.0f32;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    hsum4(&acc) + tail
}

/// AVX2 versions of [`SparseFilterbank::apply`] and [`dot`] (LLVM vectorises the portable loops only
/// two lanes wide). They add in exactly the same order as the portable ones, so results are identical.
#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    use super::{LANES, SparseFilterbank};
    use std::arch::x86_64::*;

    /// `((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))`, the order of [`super::hsum`].
    #[inline]
    #[target_feature(enable = "avx2")]
    fn hsum(acc: __m256) -> f32 {
        let h = _mm256_hadd_ps(acc, acc); // a01 a23 a01 a23 | a45 a67 a45 a67
        let h = _mm256_hadd_ps(h, h); // (a01+a23) … | (a45+a67) …
        _mm_cvtss_f32(_mm_add_ss(
            _mm256_castps256_ps128(h),
            _mm256_extractf128_ps::<1>(h),
        ))
    }

    /// The [`hsum`] of each of eight accumulators, as one vector (same order of additions per row).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn hsum8(r: &[__m256; 8]) -> __m256 {
        let t0 = _mm256_hadd_ps(r[0], r[1]);
        let t1 = _mm256_hadd_ps(r[2], r[3]);
        let t2 = _mm256_hadd_ps(r[4], r[5]);
        let t3 = _mm256_hadd_ps(r[6], r[7]);
        // u0 = [r0..r3 low halves' sums | r0..r3 high halves' sums], u1 the same for r4..r7
        let u0 = _mm256_hadd_ps(t0, t1);
        let u1 = _mm256_hadd_ps(t2, t3);
        _mm256_add_ps(
            _mm256_permute2f128_ps::<0x20>(u0, u1),
            _mm256_permute2f128_ps::<0x31>(u0, u1),
        )
    }

    /// `(a0 + a1) + (a2 + a3)` lane-wise, as [`super::hsum4`] does before its [`hsum`].
    #[inline]
    #[target_feature(enable = "avx2")]
    fn combine4(a: &[__m256; 4]) -> __m256 {
        _mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3]))
    }

    /// [`super::mac4`] on `n_chunks · LANES` values at `w` and `x`.
    ///
    /// # Safety
    /// `w` and `x` must be valid for reads of `n_chunks · LANES` f32 each.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn mac4(acc: &mut [__m256; 4], w: *const f32, x: *const f32, n_chunks: usize) {
        // SAFETY (all loads): chunk c < n_chunks, within the caller's guarantee
        let mac = |a: __m256, c: usize| unsafe {
            _mm256_add_ps(
                a,
                _mm256_mul_ps(
                    _mm256_loadu_ps(w.add(c * LANES)),
                    _mm256_loadu_ps(x.add(c * LANES)),
                ),
            )
        };
        let groups = n_chunks / 4;
        for g in 0..groups {
            let c = 4 * g;
            acc[0] = mac(acc[0], c);
            acc[1] = mac(acc[1], c + 1);
            acc[2] = mac(acc[2], c + 2);
            acc[3] = mac(acc[3], c + 3);
        }
        for (a, c) in (4 * groups..n_chunks).enumerate() {
            acc[a] = mac(acc[a], c);
        }
    }

    /// [`SparseFilterbank::apply`] with AVX2: rows are reduced eight at a time.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub fn apply(fb: &SparseFilterbank, spectrum: &[f32], out: &mut [f32]) {
        // every run lies within 0..padded_bins of the spectrum and within the weights (from_dense builds
        // them so), so this one check makes every load below valid
        assert!(spectrum.len() >= fb.padded_bins() && out.len() == fb.n_rows);
        let (w, x) = (fb.weights.as_ptr(), spectrum.as_ptr());
        let row_sum = |r: usize| {
            let mut acc = [_mm256_setzero_ps(); 4];
            for run in &fb.runs[fb.row_runs[r]..fb.row_runs[r + 1]] {
                // SAFETY: see the assert above
                unsafe {
                    mac4(
                        &mut acc,
                        w.add(run.offset),
                        x.add(run.start),
                        run.len / LANES,
                    )
                };
            }
            combine4(&acc)
        };
        let full = fb.n_rows - fb.n_rows % 8;
        for r0 in (0..full).step_by(8) {
            let rows: [__m256; 8] = std::array::from_fn(|i| row_sum(r0 + i));
            // SAFETY: r0 + 8 <= full <= out.len()
            unsafe { _mm256_storeu_ps(out.as_mut_ptr().add(r0), hsum8(&rows)) };
        }
        for (r, o) in out.iter_mut().enumerate().skip(full) {
            *o = hsum(row_sum(r));
        }
    }

    /// [`super::dot`] with AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let full = n - n % LANES;
        let mut acc = [_mm256_setzero_ps(); 4];
        // SAFETY: full <= n <= a.len(), b.len()
        unsafe { mac4(&mut acc, a.as_ptr(), b.as_ptr(), full / LANES) };
        let mut tail = 0.0f32;
        for (x, y) in a[full..n].iter().zip(&b[full..n]) {
            tail += x * y;
        }
        hsum(combine4(&acc)) + tail
    }
}

/// `numpy.linspace(start, stop, num, endpoint)` in f64, computed the way numpy does (`i * step + start`,
/// with the last point set to `stop` when `endpoint`).
fn linspace(start: f64, stop: f64, num: usize, endpoint: bool) -> Vec<f64> {
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let step = if div > 0 {
        (stop - start) / div as f64
    } else {
        0.0
    };
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if endpoint && num > 1 {
        v[num - 1] = stop;
    }
    v
}

/// librosa's `hz_to_mel(f, htk=False)`: the Slaney mel scale (linear below 1 kHz, logarithmic above).
pub fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

/// librosa's `mel_to_hz(m, htk=False)`: inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// The dense mel filterbank, row-major `n_mels × (1 + n_fft/2)`, exactly as
/// `librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm="slaney")`:
/// triangular filters between consecutive Slaney-mel-spaced frequencies, each scaled by `2 / (f[i+2] - f[i])`
/// (area normalisation). `fmax = None` means `sr / 2`.
pub fn mel_filterbank(
    sr: f64,
    n_fft: usize,
    n_mels: usize,
    fmin: f64,
    fmax: Option<f64>,
) -> Vec<f32> {
    let fmax = fmax.unwrap_or(sr / 2.0);
    let n_bins = 1 + n_fft / 2;
    // np.fft.rfftfreq(n_fft, d=1/sr)
    let val = 1.0 / (n_fft as f64 * (1.0 / sr));
    let fftfreqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * val).collect();
    // mel_frequencies(n_mels + 2, fmin, fmax)
    let mel_f: Vec<f64> = linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2, true)
        .into_iter()
        .map(mel_to_hz)
        .collect();
    let mut weights = vec![0.0f32; n_mels * n_bins];
    for i in 0..n_mels {
        let fdiff_lo = mel_f[i + 1] - mel_f[i];
        let fdiff_hi = mel_f[i + 2] - mel_f[i + 1];
        // librosa assigns into a float32 array, then multiplies in place by the f64 norm
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (k, &f) in fftfreqs.iter().enumerate() {
            let lower = -(mel_f[i] - f) / fdiff_lo;
            let upper = (mel_f[i + 2] - f) / fdiff_hi;
            let w = 0.0f64.max(lower.min(upper)) as f32;
            weights[i * n_bins + k] = (w as f64 * enorm) as f32;
        }
    }
    weights
}

/// The dense chroma filterbank, row-major `n_chroma × (1 + n_fft/2)`, exactly as
/// `librosa.filters.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=tuning, ctroct=5.0, octwidth=2,
/// norm=2, base_c=True)`: for every FFT bin a Gaussian bump over the chroma bins centred on the bin's pitch
/// class, each column scaled to unit L2 norm, weighted by a Gaussian over octaves centred on octave `ctroct`
/// (`ctroct = 5` octaves above A0 = 27.5 Hz, i.e. 880 Hz) with width `octwidth = 2` octaves, rows rotated so that row 0 is C.
pub fn chroma_filterbank(sr: f64, n_fft: usize, n_chroma: usize, tuning: f64) -> Vec<f32> {
    let ctroct = 5.0f64;
    let octwidth = 2.0f64;
    let nc = n_chroma as f64;
    // frequencies = linspace(0, sr, n_fft, endpoint=False)[1:]
    let freqs = linspace(0.0, sr, n_fft, false);
    let a440 = 440.0 * 2.0f64.powf(tuning / nc);
    let mut frqbins = Vec::with_capacity(n_fft);
    frqbins.push(0.0);
    for &f in &freqs[1..] {
        frqbins.push(nc * (f / (a440 / 16.0)).log2());
    }
    frqbins[0] = frqbins[1] - 1.5 * nc;
    let mut binwidth: Vec<f64> = frqbins.windows(2).map(|w| (w[1] - w[0]).max(1.0)).collect();
    binwidth.push(1.0);
    let n_chroma2 = (nc / 2.0).round();
    // wts[c][k], f64, n_chroma × n_fft
    let mut wts = vec![0.0f64; n_chroma * n_fft];
    for c in 0..n_chroma {
        for k in 0..n_fft {
            let d = (frqbins[k] - c as f64 + n_chroma2 + 10.0 * nc).rem_euclid(nc) - n_chroma2;
            let x = 2.0 * d / binwidth[k];
            wts[c * n_fft + k] = (-0.5 * x * x).exp();
        }
    }
    // normalize(wts, norm=2, axis=0): each column to unit L2 norm
    for k in 0..n_fft {
        let norm = (0..n_chroma)
            .map(|c| wts[c * n_fft + k].powi(2))
            .sum::<f64>()
            .powf(0.5);
        if norm >= f64::MIN_POSITIVE {
            for c in 0..n_chroma {
                wts[c * n_fft + k] /= norm;
            }
        }
    }
    // octave weighting
    for k in 0..n_fft {
        let x = (frqbins[k] / nc - ctroct) / octwidth;
        let g = (-0.5 * x * x).exp();
        for c in 0..n_chroma {
            wts[c * n_fft + k] *= g;
        }
    }
    // base_c: np.roll(wts, -3 * (n_chroma // 12), axis=0), then keep the first 1 + n_fft/2 columns
    let shift = 3 * (n_chroma / 12);
    let n_bins = 1 + n_fft / 2;
    let mut out = vec![0.0f32; n_chroma * n_bins];
    for r in 0..n_chroma {
        let src = (r + shift) % n_chroma;
        for k in 0..n_bins {
            out[r * n_bins + k] = wts[src * n_fft + k] as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_scale_round_trips() {
        for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
            assert!((mel_to_hz(hz_to_mel(hz)) - hz).abs() < 1e-9 * hz.max(1.0));
        }
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
    }

    #[test]
    fn mel_filterbank_shape_and_area_normalisation() {
        let (sr, n_fft, n_mels) = (22050.0, 2048, 128);
        let w = mel_filterbank(sr, n_fft, n_mels, 0.0, None);
        let n_bins = 1 + n_fft / 2;
        assert_eq!(w.len(), n_mels * n_bins);
        let df = sr / n_fft as f64;
        let mel_f: Vec<f64> = linspace(0.0, hz_to_mel(sr / 2.0), n_mels + 2, true)
            .into_iter()
            .map(mel_to_hz)
            .collect();
        for m in 0..n_mels {
            let row = &w[m * n_bins..(m + 1) * n_bins];
            assert!(row.iter().all(|&x| x >= 0.0 && x.is_finite()));
            assert!(row.iter().any(|&x| x > 0.0), "mel band {m} is empty");
            // a triangle of height 2/(f[m+2]-f[m]) has area 1 (in Hz): row sum × bin width ≈ 1 for wide bands
            let area = row.iter().map(|&x| x as f64).sum::<f64>() * df;
            let width = mel_f[m + 2] - mel_f[m];
            if width > 8.0 * df {
                assert!((area - 1.0).abs() < 0.05, "band {m}: area {area}");
            }
        }
        // librosa's value for band 10 at its peak bin (librosa.filters.mel(sr=22050, n_fft=2048)[10].max())
        let peak = w[10 * n_bins..11 * n_bins]
            .iter()
            .cloned()
            .fold(0.0f32, f32::max);
        assert!((peak - 0.033_060_946).abs() < 1e-7, "{peak}");
    }

    #[test]
    fn chroma_filterbank_shape() {
        let w = chroma_filterbank(22050.0, 2048, 12, 0.0);
        assert_eq!(w.len(), 12 * 1025);
        assert!(w.iter().all(|&x| x >= 0.0 && x.is_finite()));
        // A4 = 440 Hz is bin 440 / (22050 / 2048) ≈ 40.9; its column peaks at pitch class A (row 9 with C = 0)
        let k = 41;
        let col: Vec<f32> = (0..12).map(|c| w[c * 1025 + k]).collect();
        let argmax = (0..12).max_by(|&a, &b| col[a].total_cmp(&col[b])).unwrap();
        assert_eq!(argmax, 9);
        // librosa.filters.chroma(sr=22050, n_fft=2048)[9, 41]
        assert!((col[9] - 0.866_205_63).abs() < 1e-6, "{}", col[9]);
    }

    #[test]
    fn sparse_matches_dense() {
        let mel = mel_filterbank(22050.0, 2048, 128, 0.0, None);
        let chroma = chroma_filterbank(22050.0, 2048, 12, 0.0);
        let mut spec: Vec<f32> = (0..1025)
            .map(|k| ((k * 7919) % 101) as f32 / 101.0)
            .collect();
        spec.resize(1025usize.next_multiple_of(LANES), 0.0);
        // (matrix, rows, threshold, exact): chroma at threshold 0 has full-width rows (padding past n_bins)
        for (w, rows, thr, exact) in [
            (&mel, 128, 0.0, true),
            (&chroma, 12, 0.0, true),
            (&chroma, 12, 1e-6, false),
        ] {
            let fb = SparseFilterbank::from_dense(w, rows, 1025, thr);
            assert_eq!(fb.padded_bins(), spec.len());
            if exact {
                assert_eq!(&fb.to_dense(), w);
            }
            let mut out = vec![0.0; rows];
            fb.apply(&spec, &mut out);
            for (r, &o) in out.iter().enumerate() {
                let dense: f64 = (0..1025)
                    .map(|k| w[r * 1025 + k] as f64 * spec[k] as f64)
                    .sum();
                assert!((o as f64 - dense).abs() <= 1e-5 * dense.abs().max(1e-6));
            }
        }
        let fb = SparseFilterbank::from_dense(&mel, 128, 1025, 0.0);
        assert!(fb.nnz() < 2 * 1025 + 128 * LANES);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_kernels_equal_portable_ones_bit_for_bit() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let chroma = chroma_filterbank(22050.0, 2048, 12, 0.0);
        let mel = mel_filterbank(22050.0, 2048, 128, 0.0, None);
        // 12 rows (one group of eight + four single rows), 128 rows, 13 rows
        for (w, rows, thr) in [
            (&chroma, 12, 1e-6),
            (&mel, 128, 0.0),
            (&mel[..13 * 1025].to_vec(), 13, 0.0),
        ] {
            let fb = SparseFilterbank::from_dense(w, rows, 1025, thr);
            let spec: Vec<f32> = (0..fb.padded_bins())
                .map(|k| {
                    if k < 1025 {
                        (k as f32 * 0.37).sin().abs() * 1e3
                    } else {
                        0.0
                    }
                })
                .collect();
            let (mut a, mut b) = (vec![0.0; rows], vec![0.0; rows]);
            fb.apply(&spec, &mut a);
            // SAFETY: AVX2 checked above
            unsafe { avx2::apply(&fb, &spec, &mut b) };
            assert_eq!(a, b, "{rows} rows");
        }
        for n in [0, 1, 7, 8, 9, 31, 32, 33, 40, 128, 131, 200] {
            let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.9).cos()).collect();
            let y: Vec<f32> = (0..n).map(|i| (i as f32 * 0.3).sin() * 100.0).collect();
            // SAFETY: AVX2 checked above
            assert_eq!(
                dot(&x, &y).to_bits(),
                unsafe { avx2::dot(&x, &y) }.to_bits()
            );
        }
    }
}
