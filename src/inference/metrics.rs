//! Honest figures: segment- and track-level accuracy with Wilson 95% intervals, balanced
//! accuracy (mean per-label recall), per-label precision/recall/F1 and the confusion matrix.
//! One place for the trainer's reports, its validation and cross-validation, and the page's
//! held-out check of a model taught in the browser.

use serde::{Deserialize, Serialize};

use super::manifest::Figure;
use super::song::{argmax, mean_probabilities};

/// Wilson score interval (95%) for `ok` successes out of `n`.
pub fn wilson(ok: usize, n: usize) -> Figure {
    if n == 0 {
        return Figure {
            value: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            n,
        };
    }
    let (p, n_f, z) = (ok as f64 / n as f64, n as f64, 1.96f64);
    let denom = 1.0 + z * z / n_f;
    let centre = (p + z * z / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z * z / (4.0 * n_f * n_f)).sqrt() / denom;
    Figure {
        value: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
        n,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LabelScores {
    pub label: String,
    pub support: usize,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metrics {
    pub split: String,
    pub tracks: usize,
    pub segments: usize,
    pub segment_accuracy: Figure,
    pub track_accuracy: Figure,
    /// Mean recall over the labels that have at least one track here.
    pub balanced_accuracy: f64,
    pub labels_present: usize,
    pub per_label: Vec<LabelScores>,
    /// `confusion[true][predicted]`, tracks.
    pub confusion: Vec<Vec<u32>>,
    pub segment_loss: f64,
}

/// `clips`: (true label, segment probabilities `[segments, k]` row-major).
pub fn metrics(split: &str, labels: &[String], clips: &[(usize, Vec<f32>)]) -> Metrics {
    let k = labels.len();
    let mut confusion = vec![vec![0u32; k]; k];
    let (mut seg_ok, mut segs, mut loss) = (0usize, 0usize, 0.0f64);
    for (label, probs) in clips {
        for row in probs.chunks(k) {
            segs += 1;
            seg_ok += (argmax(row) == *label) as usize;
            loss -= (row[*label].max(1e-7) as f64).ln();
        }
        confusion[*label][argmax(&mean_probabilities(probs, k))] += 1;
    }
    let track_ok: usize = (0..k).map(|i| confusion[i][i] as usize).sum();
    let per_label: Vec<LabelScores> = (0..k)
        .map(|i| {
            let support: u32 = confusion[i].iter().sum();
            let predicted: u32 = (0..k).map(|j| confusion[j][i]).sum();
            let tp = confusion[i][i] as f64;
            let recall = (support > 0).then(|| tp / support as f64);
            let precision = (predicted > 0).then(|| tp / predicted as f64);
            let f1 = match (precision, recall) {
                (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
                (Some(_), Some(_)) => Some(0.0),
                _ => None,
            };
            LabelScores {
                label: labels[i].clone(),
                support: support as usize,
                precision,
                recall,
                f1,
            }
        })
        .collect();
    let recalls: Vec<f64> = per_label.iter().filter_map(|l| l.recall).collect();
    Metrics {
        split: split.to_string(),
        tracks: clips.len(),
        segments: segs,
        segment_accuracy: wilson(seg_ok, segs),
        track_accuracy: wilson(track_ok, clips.len()),
        balanced_accuracy: recalls.iter().sum::<f64>() / recalls.len().max(1) as f64,
        labels_present: recalls.len(),
        per_label,
        confusion,
        segment_loss: loss / segs.max(1) as f64,
    }
}

impl Metrics {
    /// The confusion matrix and per-label table as plain text.
    pub fn text(&self) -> String {
        let w = self
            .per_label
            .iter()
            .map(|l| l.label.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut s = format!(
            "{}: {} tracks, {} segments\n  track accuracy   {:.1}% (95% CI {:.1}–{:.1})\n  segment accuracy {:.1}% (95% CI {:.1}–{:.1})\n  balanced accuracy {:.1}% over {} labels present\n\n",
            self.split,
            self.tracks,
            self.segments,
            100.0 * self.track_accuracy.value,
            100.0 * self.track_accuracy.low,
            100.0 * self.track_accuracy.high,
            100.0 * self.segment_accuracy.value,
            100.0 * self.segment_accuracy.low,
            100.0 * self.segment_accuracy.high,
            100.0 * self.balanced_accuracy,
            self.labels_present
        );
        s += &format!("{:>w$}  predicted →\n{:>w$}", "true ↓", "");
        for l in &self.per_label {
            s += &format!(" {:>5}", &l.label[..l.label.len().min(5)]);
        }
        s += "   prec  recall   F1\n";
        let f = |x: Option<f64>| x.map_or("   – ".to_string(), |v| format!("{:>5.2}", v));
        for (i, l) in self.per_label.iter().enumerate() {
            s += &format!("{:>w$}", l.label);
            for c in &self.confusion[i] {
                s += &format!(" {c:>5}");
            }
            s += &format!("  {}  {}  {}\n", f(l.precision), f(l.recall), f(l.f1));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_known_values() {
        let f = wilson(81, 100);
        assert!(
            (f.low - 0.7222).abs() < 1e-3 && (f.high - 0.8749).abs() < 1e-3,
            "{f:?}"
        );
        let f = wilson(0, 10);
        assert_eq!(f.low, 0.0);
        assert!((f.high - 0.2775).abs() < 1e-3);
    }

    #[test]
    fn metrics_count_tracks_by_mean_probability_and_balance_labels() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        // track 1: segments say a, a → a (right). track 2: b, a(strong) → a (wrong, true b).
        // track 3: c → c (right). track 4: a → a (right).
        let clips = vec![
            (0, vec![0.8, 0.1, 0.1, 0.6, 0.3, 0.1]),
            (1, vec![0.4, 0.5, 0.1, 0.9, 0.05, 0.05]),
            (2, vec![0.1, 0.1, 0.8]),
            (0, vec![0.7, 0.2, 0.1]),
        ];
        let m = metrics("valid", &labels, &clips);
        assert_eq!(m.track_accuracy.value, 0.75);
        assert_eq!(m.segments, 6);
        assert!((m.segment_accuracy.value - 5.0 / 6.0).abs() < 1e-9);
        assert_eq!(m.confusion[1], vec![1, 0, 0]);
        // recalls: a 1.0, b 0.0, c 1.0
        assert!((m.balanced_accuracy - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(m.per_label[0].precision, Some(2.0 / 3.0));
        assert!(m.text().contains("balanced accuracy 66.7%"));
    }
}
