//! Decibels and the DCT used for MFCCs.

/// `librosa.power_to_db(S, ref=ref_value, amin=amin, top_db=top_db)` in place, over the whole slice:
/// `10·log10(max(amin, S)) − 10·log10(max(amin, |ref|))`, then, with `top_db = Some(t)`, every value is
/// raised to at least `max − t` where `max` is the largest value of the slice. Returns that maximum.
///
/// Never produces NaN or ±inf for finite non-negative input (`amin > 0` bounds the logarithm below).
pub fn power_to_db_in_place(s: &mut [f32], ref_value: f32, amin: f32, top_db: Option<f32>) -> f32 {
    assert!(amin > 0.0, "amin must be strictly positive");
    let offset = 10.0 * amin.max(ref_value.abs()).log10();
    let mut max = f32::NEG_INFINITY;
    for x in s.iter_mut() {
        let v = 10.0 * log10_fast(amin.max(*x)) - offset;
        *x = v;
        max = max.max(v);
    }
    if let Some(top_db) = top_db {
        assert!(top_db >= 0.0, "top_db must be non-negative");
        let floor = max - top_db;
        for x in s.iter_mut() {
            *x = x.max(floor);
        }
    }
    max
}

/// `log10(x)` for positive, finite, normal `x`.
#[inline(always)]
pub fn log10_fast(x: f32) -> f32 {
    x.log10()
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
