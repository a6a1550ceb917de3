//! Genre-preserving augmentation: of the waveform (gain and EQ, playback rate, mixing in
//! another crop) before the features, and of the normalised feature images (SpecAugment, key
//! shift, head dropout) and the mixup weights after them.

use genre::model::{HeadKind, ModelConfig};
use rand::Rng;
use rand::rngs::StdRng;

/// SpecAugment on normalised images: zero (= the band mean) one random run of frames, shared
/// by all conv heads, and one random run of bands per conv head (the pretrained embedding is no
/// spectrogram: left alone).
pub(crate) fn spec_augment(images: &mut [Vec<f32>], n: usize, cfg: &ModelConfig, rng: &mut StdRng) {
    let t = cfg.frames;
    for i in 0..n {
        let tw = rng.random_range(0..=t / 8);
        let t0 = rng.random_range(0..=t - tw);
        for ((img, &bands), _) in images
            .iter_mut()
            .zip(&cfg.input_heights)
            .zip(&cfg.heads)
            .filter(|(_, head)| head.is_conv())
        {
            let fw = rng.random_range(0..=bands / 8);
            let f0 = rng.random_range(0..=bands - fw);
            let base = i * bands * t;
            for b in 0..bands {
                let row = &mut img[base + b * t..base + (b + 1) * t];
                if (f0..f0 + fw).contains(&b) {
                    row.fill(0.0);
                } else {
                    row[t0..t0 + tw].fill(0.0);
                }
            }
        }
    }
}

/// Rolls each example's chromagram by a random 0–11 semitones (band b → (b + k) mod 12).
/// Applied to normalised images: the 12 bands' statistics are nearly equal, and centring
/// removes the band means in the model anyway.
pub(crate) fn key_shift(images: &mut [Vec<f32>], n: usize, cfg: &ModelConfig, rng: &mut StdRng) {
    let Some(h) = cfg.heads.iter().position(|&k| k == HeadKind::Chroma) else {
        return;
    };
    let (bands, t) = (cfg.input_heights[h], cfg.frames);
    for i in 0..n {
        let k = rng.random_range(0..bands);
        if k > 0 {
            // Rotating the rows right by k moves band b to b + k.
            images[h][i * bands * t..(i + 1) * bands * t].rotate_right(k * t);
        }
    }
}

/// Modality dropout on normalised images: with probability `p`, one randomly chosen head's
/// image of an example becomes all zeros (= the band means). Needs at least two heads.
pub(crate) fn head_dropout(
    images: &mut [Vec<f32>],
    n: usize,
    cfg: &ModelConfig,
    p: f32,
    rng: &mut StdRng,
) {
    if images.len() < 2 {
        return;
    }
    for i in 0..n {
        if rng.random::<f32>() < p {
            let h = rng.random_range(0..images.len());
            let per = cfg.input_heights[h] * cfg.head_frames(cfg.heads[h]);
            images[h][i * per..(i + 1) * per].fill(0.0);
        }
    }
}

/// Gaussian noise of standard deviation `sigma` on the normalised embedding head's input (the
/// cached embedding cannot see the waveform's augmentation; noise in its place).
pub(crate) fn embedding_noise(
    images: &mut [Vec<f32>],
    cfg: &ModelConfig,
    sigma: f32,
    rng: &mut StdRng,
) {
    let Some(h) = cfg.heads.iter().position(|k| !k.is_conv()) else {
        return;
    };
    for x in images[h].iter_mut() {
        // Box–Muller
        let (u1, u2): (f32, f32) = (rng.random::<f32>().max(1e-12), rng.random());
        *x += sigma * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos();
    }
}

/// A sample from Beta(α, α) via two Gamma draws (Marsaglia–Tsang for α ≥ 1, boosted below).
pub(crate) fn beta(alpha: f32, rng: &mut StdRng) -> f32 {
    fn gamma(a: f32, rng: &mut StdRng) -> f32 {
        if a < 1.0 {
            let u: f32 = rng.random::<f32>().max(1e-12);
            return gamma(a + 1.0, rng) * u.powf(1.0 / a);
        }
        let d = a - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let (u1, u2): (f32, f32) = (rng.random::<f32>().max(1e-12), rng.random());
            let x = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && rng.random::<f32>().max(1e-12).ln() < 0.5 * x * x + d - d * v + d * v.ln()
            {
                return d * v;
            }
        }
    }
    let (x, y) = (gamma(alpha, rng), gamma(alpha, rng));
    x / (x + y)
}

/// The target weight of example `a` in a mixup of `lam · a + (1 − lam) · b`: `lam`, except
/// under Remix (`kappa` > 0), where a pair of labels with clip counts `n_a`, `n_b` at least
/// `kappa` times apart gives the whole target to the rarer label whenever the commoner
/// example's share of the mix is below `tau`.
pub(crate) fn remix_weight(lam: f32, n_a: usize, n_b: usize, kappa: f32, tau: f32) -> f32 {
    if kappa <= 0.0 {
        return lam;
    }
    let (a, b) = (n_a as f32, n_b as f32);
    if a >= kappa * b && lam < tau {
        0.0
    } else if b >= kappa * a && 1.0 - lam < tau {
        1.0
    } else {
        lam
    }
}

/// Gain and a linear spectral tilt (a broad EQ), applied to the waveform so that the three
/// features stay consistent with each other. A first-order shelf: y = x + k·(x - lowpass(x)).
pub(crate) fn augment_waveform(seg: &mut [f32], gain_db: f32, tilt_db: f32, rng: &mut StdRng) {
    let gain = 10f32.powf(rng.random_range(-gain_db..=gain_db) / 20.0);
    let k = 10f32.powf(rng.random_range(-tilt_db..=tilt_db) / 20.0) - 1.0;
    let a = 0.85f32; // one-pole low-pass, corner ≈ 550 Hz at 22 050 Hz
    let mut lp = 0.0f32;
    for x in seg.iter_mut() {
        lp = a * lp + (1.0 - a) * *x;
        *x = gain * (*x + k * (*x - lp));
    }
}

/// `seg` ← (1 − w)·seg + w·other, with `other` first scaled to `seg`'s RMS so that `w` and not
/// the recordings' levels sets the blend (a silent side is left out of the scaling).
pub(crate) fn mix_in(seg: &mut [f32], other: &[f32], w: f32) {
    let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt();
    let (a, b) = (rms(seg), rms(other));
    let scale = if a > 0.0 && b > 0.0 { a / b } else { 1.0 };
    for (x, y) in seg.iter_mut().zip(other) {
        *x = (1.0 - w) * *x + w * scale * y;
    }
}

/// A random playback rate, log-uniform in [1/(1+speed), 1+speed] (1 when speed is 0).
pub(crate) fn playback_rate(speed: f32, rng: &mut StdRng) -> f64 {
    if speed <= 0.0 {
        return 1.0;
    }
    let m = (1.0 + speed as f64).ln();
    rng.random_range(-m..=m).exp()
}

/// A playback rate of a whole number of semitones, 2^(k/12) with k uniform in −max..=max.
pub(crate) fn semitone_rate(max: u32, rng: &mut StdRng) -> f64 {
    let k = rng.random_range(-(max as i32)..=max as i32);
    2f64.powf(k as f64 / 12.0)
}

/// `out.len()` samples of `samples` played at `rate` from `start` (linear interpolation; zeros
/// past the end): rate 1.1 makes the crop 10 % faster and higher, as a turntable would.
pub(crate) fn resample_into(samples: &[f32], start: usize, rate: f64, out: &mut [f32]) {
    let at = |i: usize| samples.get(i).copied().unwrap_or(0.0);
    for (i, o) in out.iter_mut().enumerate() {
        let x = start as f64 + i as f64 * rate;
        let i0 = x as usize;
        let frac = (x - i0 as f64) as f32;
        let (a, b) = (at(i0), at(i0 + 1));
        *o = a + (b - a) * frac;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn beta_samples_lie_in_the_unit_interval_with_mean_one_half() {
        let mut rng = StdRng::seed_from_u64(3);
        let xs: Vec<f32> = (0..4000).map(|_| beta(0.4, &mut rng)).collect();
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
        let mean = xs.iter().sum::<f32>() / xs.len() as f32;
        assert!((mean - 0.5).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn resampling_plays_a_tone_faster_and_higher_and_pads_with_zeros() {
        let sr = 22_050.0f64;
        let tone = |f: f64, n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / sr).sin() as f32)
                .collect()
        };
        let src = tone(440.0, 4_000);
        for rate in [1.1, 1.0 / 1.1] {
            let mut out = vec![1.0f32; 3_000];
            resample_into(&src, 100, rate, &mut out);
            // Expected: the 440 Hz tone read from sample 100 on, at rate × 440 Hz.
            let phase = 2.0 * std::f64::consts::PI * 440.0 * 100.0 / sr;
            for (i, &y) in out.iter().enumerate() {
                let want =
                    (phase + 2.0 * std::f64::consts::PI * 440.0 * rate * i as f64 / sr).sin();
                assert!(
                    (y as f64 - want).abs() < 0.01,
                    "rate {rate}, sample {i}: {y} vs {want}"
                );
            }
        }
        let mut out = vec![1.0f32; 100];
        resample_into(&src[..50], 0, 1.1, &mut out);
        assert!(
            out[50..].iter().all(|&v| v == 0.0),
            "past the end must be silence"
        );
    }

    #[test]
    fn playback_rates_stay_within_the_speed_range_on_both_sides() {
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(playback_rate(0.0, &mut rng), 1.0);
        let rates: Vec<f64> = (0..2_000).map(|_| playback_rate(0.1, &mut rng)).collect();
        assert!(
            rates
                .iter()
                .all(|&r| (1.0 / 1.1 - 1e-12..=1.1 + 1e-12).contains(&r))
        );
        assert!(rates.iter().any(|&r| r > 1.08) && rates.iter().any(|&r| r < 1.0 / 1.08));
        let faster = rates.iter().filter(|&&r| r > 1.0).count();
        assert!(
            (800..1_200).contains(&faster),
            "{faster} of 2000 faster: not symmetric"
        );
    }

    #[test]
    fn key_shift_transposes_whole_chroma_rows_and_leaves_other_heads_alone() {
        let cfg = ModelConfig::new(2, &HeadKind::SEED, genre::model::Fusion::Concat);
        let h = cfg
            .heads
            .iter()
            .position(|&k| k == HeadKind::Chroma)
            .unwrap();
        let (n, t) = (40, cfg.frames);
        // Every value names its example and band: 100·i + b.
        let mut images: Vec<Vec<f32>> = cfg
            .input_heights
            .iter()
            .map(|&bands| {
                (0..n * bands * t)
                    .map(|j| (100 * (j / (bands * t)) + (j / t) % bands) as f32)
                    .collect()
            })
            .collect();
        let before = images.clone();
        key_shift(&mut images, n, &cfg, &mut StdRng::seed_from_u64(4));
        let mut shifts = std::collections::BTreeSet::new();
        for i in 0..n {
            let row = |b: usize| &images[h][(i * 12 + b) * t..(i * 12 + b + 1) * t];
            // Band 0 now holds band (12 - shift) mod 12.
            let shift = (12 - row(0)[0] as usize % 100) % 12;
            shifts.insert(shift);
            for b in 0..12 {
                let src = (b + 12 - shift) % 12;
                assert!(
                    row(b).iter().all(|&x| x == (100 * i + src) as f32),
                    "example {i} band {b}"
                );
            }
        }
        assert!(shifts.len() > 6, "random shifts, not one: {shifts:?}");
        for (j, (a, b)) in images.iter().zip(&before).enumerate() {
            if j != h {
                assert_eq!(a, b, "head {j} untouched");
            }
        }
    }

    #[test]
    fn head_dropout_blanks_exactly_one_whole_head_per_example() {
        let cfg = ModelConfig::new(2, &HeadKind::SEED, genre::model::Fusion::Concat);
        let n = 6;
        let mut images: Vec<Vec<f32>> = cfg
            .input_heights
            .iter()
            .map(|&h| vec![1.0; n * h * cfg.frames])
            .collect();
        head_dropout(&mut images, n, &cfg, 1.0, &mut StdRng::seed_from_u64(2));
        for i in 0..n {
            let blank: Vec<bool> = images
                .iter()
                .zip(&cfg.input_heights)
                .map(|(img, &h)| {
                    let part = &img[i * h * cfg.frames..(i + 1) * h * cfg.frames];
                    assert!(part.iter().all(|&x| x == 0.0) || part.iter().all(|&x| x == 1.0));
                    part[0] == 0.0
                })
                .collect();
            assert_eq!(blank.iter().filter(|b| **b).count(), 1, "example {i}");
        }
        let mut untouched = images.clone();
        untouched.iter_mut().for_each(|v| v.fill(1.0));
        let before = untouched.clone();
        head_dropout(&mut untouched, n, &cfg, 0.0, &mut StdRng::seed_from_u64(2));
        assert_eq!(untouched, before);
    }

    #[test]
    fn remix_gives_a_lopsided_pair_the_rarer_label_and_leaves_others_mixed() {
        // Off: plain mixup whatever the counts.
        assert_eq!(remix_weight(0.3, 50, 5, 0.0, 0.5), 0.3);
        // a common (50), b rare (5): a weighs < τ, so the target is all b's.
        assert_eq!(remix_weight(0.3, 50, 5, 3.0, 0.5), 0.0);
        // a weighs ≥ τ: plain mixup.
        assert_eq!(remix_weight(0.7, 50, 5, 3.0, 0.5), 0.7);
        // a rare, b common weighing 1 − 0.8 = 0.2 < τ: all a's.
        assert_eq!(remix_weight(0.8, 5, 50, 3.0, 0.5), 1.0);
        assert_eq!(remix_weight(0.4, 5, 50, 3.0, 0.5), 0.4);
        // Counts closer than κ: plain mixup.
        assert_eq!(remix_weight(0.1, 12, 5, 3.0, 0.5), 0.1);
        assert_eq!(remix_weight(0.1, 15, 5, 3.0, 0.5), 0.0);
    }

    #[test]
    fn mixing_in_matches_the_level_before_blending() {
        let mut seg = vec![1.0f32, -1.0, 1.0, -1.0];
        // Ten times louder and of the opposite sign: scaled to RMS 1 first.
        mix_in(&mut seg, &[-10.0, 10.0, -10.0, 10.0], 0.25);
        for (x, e) in seg.iter().zip([0.5f32, -0.5, 0.5, -0.5]) {
            assert!((x - e).abs() < 1e-6, "{seg:?}");
        }
        let mut seg = vec![0.5f32; 4];
        mix_in(&mut seg, &[0.0; 4], 0.0);
        assert_eq!(seg, vec![0.5; 4]);
    }
}
