//! Calibration of a model's probabilities by temperature scaling (Guo et al., 2017), fitted on held-out
//! predictions (the cross-validation's), and the expected calibration error that says whether it helped.
//!
//! The probabilities are the song's, as the engine computes them ([`calibrated_mean`]): the mean of its
//! segments' probabilities `softmax(z)` (how held-out predictions are stored), tempered as one
//! distribution, so that the temperature moves how sure the answer is and never which label it is.

use genre::inference::{argmax, calibrated_mean};

/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 15;

/// Mean negative log-likelihood of the songs' labels at temperature `t`.
fn nll(clips: &[(usize, Vec<f32>)], k: usize, t: f32) -> f64 {
    clips
        .iter()
        .map(|(label, probs)| -(calibrated_mean(probs, k, t)[*label].max(1e-12) as f64).ln())
        .sum::<f64>()
        / clips.len().max(1) as f64
}

/// The temperature in [0.05, 20] that minimises the songs' negative log-likelihood (golden-section search
/// on ln T; the likelihood is unimodal in T for a fixed set of predictions in practice).
pub fn fit_temperature(clips: &[(usize, Vec<f32>)], k: usize) -> f32 {
    let (mut a, mut b) = (0.05f64.ln(), 20f64.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let f = |x: f64| nll(clips, k, x.exp() as f32);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d);
        }
    }
    ((a + b) / 2.0).exp() as f32
}

/// Expected calibration error of the songs' top predictions at temperature `t`: the mean over
/// [`ECE_BINS`] equal-width confidence bins of |accuracy − confidence|, weighted by the bin's share.
pub fn expected_calibration_error(clips: &[(usize, Vec<f32>)], k: usize, t: f32) -> f64 {
    let mut bins = vec![(0usize, 0.0f64, 0.0f64); ECE_BINS];
    for (label, probs) in clips {
        let p = calibrated_mean(probs, k, t);
        let top = argmax(&p);
        let conf = p[top] as f64;
        let b = ((conf * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += (top == *label) as u8 as f64;
    }
    let n = clips.len().max(1) as f64;
    bins.iter()
        .filter(|(c, _, _)| *c > 0)
        .map(|(c, conf, ok)| (*c as f64 / n) * ((ok - conf) / *c as f64).abs())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Songs of two labels whose one segment is right with probability `acc` but always claims `conf`.
    fn overconfident(acc: f64, conf: f32, n: usize) -> Vec<(usize, Vec<f32>)> {
        (0..n)
            .map(|i| {
                let right = (i as f64 + 0.5) / n as f64 <= acc;
                let p = if right {
                    vec![conf, 1.0 - conf]
                } else {
                    vec![1.0 - conf, conf]
                };
                (0, p)
            })
            .collect()
    }

    #[test]
    fn an_overconfident_model_gets_a_temperature_above_one_and_a_lower_ece() {
        let clips = overconfident(0.7, 0.99, 100);
        let t = fit_temperature(&clips, 2);
        assert!(t > 1.5, "temperature {t}");
        // at the fitted temperature the confidence of the right answers is about the accuracy
        let p = calibrated_mean(&clips[0].1, 2, t)[0];
        assert!((p - 0.7).abs() < 0.02, "confidence {p}");
        let (before, after) = (
            expected_calibration_error(&clips, 2, 1.0),
            expected_calibration_error(&clips, 2, t),
        );
        assert!((before - 0.29).abs() < 0.01, "ECE before {before}");
        assert!(after < 0.05, "ECE after {after}");
    }

    #[test]
    fn an_underconfident_model_gets_a_temperature_below_one() {
        let clips = overconfident(0.95, 0.6, 100);
        assert!(fit_temperature(&clips, 2) < 1.0);
    }
}
