//! Decibels and the DCT used for MFCCs.

use super::filters::LANES;

/// `librosa.power_to_db(S, ref=ref_value, amin=amin, top_db=top_db)` in place, over the whole slice:
/// `10·log10(max(amin, S)) − 10·log10(max(amin, |ref|))`, then, with `top_db = Some(t)`, every value is
/// raised to at least `max − t` where `max` is the largest value of the slice. Returns that maximum.
///
/// Never produces NaN or ±inf for finite non-negative input (`amin > 0` bounds the logarithm below).
/// (The extractor runs the two halves, [`to_db_in_place`] and [`clip_below`], separately.)
#[cfg(test)]
pub fn power_to_db_in_place(s: &mut [f32], ref_value: f32, amin: f32, top_db: Option<f32>) -> f32 {
    let offset = db_offset(ref_value, amin);
    let max = to_db_in_place(s, amin, offset);
    if let Some(top_db) = top_db {
        assert!(top_db >= 0.0, "top_db must be non-negative");
        clip_below(s, max - top_db);
    }
    max
}

/// `10·log10(max(amin, |ref|))`, the dB value subtracted so that `ref` maps to 0 dB.
pub fn db_offset(ref_value: f32, amin: f32) -> f32 {
    assert!(amin > 0.0, "amin must be strictly positive");
    10.0 * amin.max(ref_value.abs()).log10()
}

/// `s[i] = 10·log10(max(amin, s[i])) − offset`; returns the largest result. The first half of
/// `power_to_db`; [`clip_below`] is the `top_db` half.
#[inline(always)]
pub fn to_db_in_place(s: &mut [f32], amin: f32, offset: f32) -> f32 {
    let db = |x: f32| 10.0 * log10_fast(if x > amin { x } else { amin }) - offset;
    let mut acc = [f32::NEG_INFINITY; LANES];
    let mut chunks = s.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            let v = db(c[i]);
            c[i] = v;
            acc[i] = if v > acc[i] { v } else { acc[i] };
        }
    }
    let mut max = acc.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    for x in chunks.into_remainder() {
        *x = db(*x);
        max = max.max(*x);
    }
    max
}

/// `s[i] = max(s[i], floor)`.
#[inline(always)]
pub fn clip_below(s: &mut [f32], floor: f32) {
    for x in s.iter_mut() {
        *x = if *x > floor { *x } else { floor };
    }
}

/// `log10(x)` to within a few f32 ulps, written without branches or calls so that loops over it vectorise
/// (the library `log10f` does not). Inputs below `f32::MIN_POSITIVE` (zero, subnormals) are taken as
/// `f32::MIN_POSITIVE` (−37.93); `power_to_db` never passes them since `amin` (1e-10) is far above.
#[inline(always)]
pub fn log10_fast(x: f32) -> f32 {
    const LOG10_2_HI: f32 = 1233.0 / 4096.0; // few mantissa bits: e · HI is exact
    const LOG10_2_LO: f32 = (std::f64::consts::LOG10_2 - 1233.0 / 4096.0) as f32; // log10(2) − HI
    let x = if x > f32::MIN_POSITIVE {
        x
    } else {
        f32::MIN_POSITIVE
    };
    let bits = x.to_bits();
    // x = 2^e · m with m in [√½, √2)
    let mut e = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = m > std::f32::consts::SQRT_2;
    m = if big { 0.5 * m } else { m };
    e += big as i32;
    // ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172: 2t(1 + t²/3 + t⁴/5 + t⁶/7 + t⁸/9)
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let p = 1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0))));
    let ln_m = 2.0 * t * p;
    let e = e as f32;
    e * LOG10_2_HI + (ln_m * std::f32::consts::LOG10_E + e * LOG10_2_LO)
}

/// The orthonormal DCT-II matrix, row-major `n_out × n_in`: `D[k, n] = s_k cos(π k (2n + 1) / (2 n_in))` with
/// `s_0 = √(1/n_in)` and `s_k = √(2/n_in)`, i.e. `scipy.fft.dct(x, type=2, norm="ortho")[:n_out]`
/// (what `librosa.feature.mfcc` applies along the mel axis). Computed in f64, cast to f32.
pub fn dct2_ortho_matrix(n_out: usize, n_in: usize) -> Vec<f32> {
    let mut m = vec![0.0f32; n_out * n_in];
    let nf = n_in as f64;
    for k in 0..n_out {
        let s = if k == 0 {
            (1.0 / nf).sqrt()
        } else {
            (2.0 / nf).sqrt()
        };
        for n in 0..n_in {
            let a = std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2.0 * nf);
            m[k * n_in + n] = (s * a.cos()) as f32;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_to_db_matches_definition() {
        let mut s = vec![1.0, 10.0, 100.0, 0.0, 1e-12, 1e-3];
        let max = power_to_db_in_place(&mut s, 1.0, 1e-10, Some(80.0));
        assert_eq!(max, 20.0);
        let want = [0.0, 10.0, 20.0, -60.0, -60.0, -30.0];
        for (a, b) in s.iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        let mut s = vec![0.0, 1e-12, 1e-10];
        power_to_db_in_place(&mut s, 1.0, 1e-10, None);
        assert!(s.iter().all(|&x| (x + 100.0).abs() < 1e-4));
    }

    #[test]
    fn power_to_db_silence_and_denormals_are_finite() {
        let mut s = vec![0.0, f32::MIN_POSITIVE / 4.0, 1e-45, f32::MIN_POSITIVE];
        let max = power_to_db_in_place(&mut s, 1.0, 1e-10, Some(80.0));
        assert!(max.is_finite());
        assert!(s.iter().all(|x| x.is_finite() && (x + 100.0).abs() < 1e-4));
    }

    #[test]
    fn log10_fast_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = f32::MIN_POSITIVE;
        while x < 1e30 {
            for f in [1.0f32, 1.1, 1.3, 1.41, 1.42, 1.5, 1.7, 1.99] {
                let v = x * f;
                let want = (v as f64).log10();
                // relative to max(1, |log10 v|): a couple of f32 ulps of the result
                let err = (log10_fast(v) as f64 - want).abs() / want.abs().max(1.0);
                worst = worst.max(err);
            }
            x *= 2.0;
        }
        assert!(worst < 2.5e-7, "max relative err {worst}");
        assert_eq!(log10_fast(1.0), 0.0);
        assert_eq!(log10_fast(0.0), log10_fast(f32::MIN_POSITIVE));
        assert!(log10_fast(1e-45).is_finite());
    }

    #[test]
    fn dct_is_orthonormal() {
        let n = 128;
        let m = dct2_ortho_matrix(n, n);
        for a in 0..n {
            for b in 0..n {
                let d: f64 = (0..n)
                    .map(|i| m[a * n + i] as f64 * m[b * n + i] as f64)
                    .sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((d - want).abs() < 1e-5, "rows {a},{b}: {d}");
            }
        }
    }
}
