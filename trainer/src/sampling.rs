//! Which crops an epoch trains on: labels drawn by a tunable balance between their natural
//! frequencies and equal shares, a clip within the label, and where its crop starts; and the
//! label prior that this sampling teaches.

use rand::Rng;
use rand::rngs::StdRng;

use crate::clips::TrainClip;
use crate::options::TrainOptions;

/// How often, relative to the other labels, training draws a label with `count` clips:
/// count^(1 − balance) (0 for none); `epoch_draws` samples by it.
fn draw_weight(count: usize, balance: f32) -> f64 {
    if count == 0 {
        0.0
    } else {
        (count as f64).powf(1.0 - balance as f64)
    }
}

/// The logit offsets −τ·ln(prior) of the label prior that training teaches: each label's share
/// of the draws ([`draw_weight`]) times its loss weight (1/count with class weights). Centred
/// over the labels that have training clips; labels with none get 0.
pub(crate) fn prior_offsets(counts: &[usize], opts: &TrainOptions) -> Vec<f32> {
    // the prior of the last epochs, which the exported model ends on
    let balance = opts.balance_at(opts.epochs.saturating_sub(1));
    let logs: Vec<Option<f64>> = counts
        .iter()
        .map(|&n| {
            // ln of the loss weight, kept in logs so that weight × draws = 1 cancels exactly
            let log_loss_weight = if opts.class_weights {
                -(n as f64).ln()
            } else {
                0.0
            };
            (n > 0).then(|| draw_weight(n, balance).ln() + log_loss_weight)
        })
        .collect();
    let present: Vec<f64> = logs.iter().flatten().copied().collect();
    let mean = present.iter().sum::<f64>() / present.len().max(1) as f64;
    logs.iter()
        .map(|l| l.map_or(0.0, |v| (-(opts.logit_adjust as f64) * (v - mean)) as f32))
        .collect()
}

/// The indices of the training clips of each of `n_labels` labels.
pub(crate) fn clips_by_label(clips: &[TrainClip], n_labels: usize) -> Vec<Vec<usize>> {
    let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); n_labels];
    for (i, c) in clips.iter().enumerate() {
        by_label[c.label].push(i);
    }
    by_label
}

/// Picks which training clips the epoch's crops come from ([`clips_by_label`]): labels drawn
/// with probability ∝ count^(1 - balance), then a clip uniformly within the label.
pub(crate) fn epoch_draws(
    by_label: &[Vec<usize>],
    opts: &TrainOptions,
    balance: f32,
    rng: &mut StdRng,
) -> Vec<usize> {
    let weights: Vec<f64> = by_label
        .iter()
        .map(|v| draw_weight(v.len(), balance))
        .collect();
    let total: f64 = weights.iter().sum();
    let n = by_label.iter().map(Vec::len).sum::<usize>() * opts.crops_per_clip;
    (0..n)
        .map(|_| {
            let mut r = rng.random::<f64>() * total;
            let mut label = 0;
            for (l, w) in weights.iter().enumerate() {
                if r < *w {
                    label = l;
                    break;
                }
                r -= w;
                label = l;
            }
            let v = &by_label[label];
            v[rng.random_range(0..v.len())]
        })
        .collect()
}

/// Where a random crop of `seg` samples starts in a clip of `len`: anywhere, or (without
/// overlap) only at multiples of `seg`, i.e. one of the clip's fixed segments.
pub(crate) fn crop_start(len: usize, seg: usize, overlap: bool, rng: &mut StdRng) -> usize {
    let max_start = len.saturating_sub(seg);
    if overlap {
        rng.random_range(0..=max_start)
    } else {
        rng.random_range(0..=max_start / seg.max(1)) * seg
    }
}

/// Another clip of `clips[i]`'s label (None when it is the only one), a crop start in it and the
/// weight of its mix, with probability `p`; draws nothing from `rng` when `p` is 0, so runs
/// without the mix are unchanged.
pub(crate) fn same_genre_partner(
    clips: &[TrainClip],
    by_label: &[Vec<usize>],
    i: usize,
    p: f32,
    seg: usize,
    overlap: bool,
    rng: &mut StdRng,
) -> Option<(usize, usize, f32)> {
    if p <= 0.0 || rng.random::<f32>() >= p {
        return None;
    }
    let others = &by_label[clips[i].label];
    if others.len() < 2 {
        return None;
    }
    // Uniform over the label's other clips: skip i by shifting the draw past it.
    let k = rng.random_range(0..others.len() - 1);
    let pos = others.iter().position(|&j| j == i).unwrap_or(others.len());
    let j = others[if k >= pos { k + 1 } else { k }];
    let start = crop_start(clips[j].samples.len(), seg, overlap, rng);
    Some((j, start, rng.random_range(0.0..=0.5)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::test_options;
    use rand::SeedableRng;

    #[test]
    fn balanced_draws_equalise_labels() {
        let clips: Vec<TrainClip> = (0..50)
            .map(|i| TrainClip {
                label: usize::from(i >= 45),
                samples: vec![],
                grid: vec![],
            })
            .collect();
        let by_label = clips_by_label(&clips, 2);
        let mut o = test_options();
        o.crops_per_clip = 40;
        o.balance = 1.0;
        let d = epoch_draws(&by_label, &o, o.balance, &mut StdRng::seed_from_u64(1));
        let small = d.iter().filter(|&&i| clips[i].label == 1).count() as f32 / d.len() as f32;
        assert!((small - 0.5).abs() < 0.05, "{small}");
        o.balance = 0.0;
        let d = epoch_draws(&by_label, &o, o.balance, &mut StdRng::seed_from_u64(1));
        let small = d.iter().filter(|&&i| clips[i].label == 1).count() as f32 / d.len() as f32;
        assert!((small - 0.1).abs() < 0.03, "{small}");
    }

    #[test]
    fn grid_crops_start_on_segment_boundaries_and_overlapping_ones_do_not() {
        let mut rng = StdRng::seed_from_u64(5);
        let (len, seg) = (10 * 1000 + 300, 1000);
        let grid: Vec<usize> = (0..500)
            .map(|_| crop_start(len, seg, false, &mut rng))
            .collect();
        assert!(grid.iter().all(|s| s % seg == 0 && s + seg <= len));
        assert_eq!(
            grid.iter().collect::<std::collections::BTreeSet<_>>().len(),
            10,
            "the ten whole segments of the clip"
        );
        let free: Vec<usize> = (0..500)
            .map(|_| crop_start(len, seg, true, &mut rng))
            .collect();
        assert!(free.iter().all(|s| s + seg <= len));
        assert!(free.iter().filter(|s| *s % seg != 0).count() > 400);
        assert_eq!(
            crop_start(500, seg, true, &mut rng),
            0,
            "a short clip starts at 0"
        );
    }

    #[test]
    fn prior_offsets_undo_the_sampled_label_frequencies() {
        let labels = [40, 10, 0]; // clips per label
        let mut o = test_options();
        o.logit_adjust = 1.0;
        o.balance = 0.0;
        let off = prior_offsets(&labels, &o);
        // Drawn 4:1, so the frequent label loses ln 4 against the rare one; the absent label
        // (no training clip) is left alone, and the present ones are centred.
        assert!((off[0] - off[1] + 4f32.ln()).abs() < 1e-6, "{off:?}");
        assert!((off[0] + off[1]).abs() < 1e-6 && off[2] == 0.0, "{off:?}");
        o.balance = 0.5; // drawn 2:1
        let half = prior_offsets(&labels, &o);
        assert!((half[0] - half[1] + 2f32.ln()).abs() < 1e-6, "{half:?}");
        o.logit_adjust = 0.5; // half the adjustment
        let weak = prior_offsets(&labels, &o);
        assert!((weak[0] - half[0] / 2.0).abs() < 1e-6, "{weak:?}");
        o.balance = 1.0; // drawn equally: nothing to undo
        assert!(prior_offsets(&labels, &o).iter().all(|&v| v == 0.0));
        o.balance = 0.0;
        o.class_weights = true; // the weighted loss already treats labels as equally frequent
        assert!(prior_offsets(&labels, &o).iter().all(|&v| v == 0.0));
        o.logit_adjust = 1.0;
        o.balance = 0.5; // drawn 2:1 but weighted 1:4: the rare label is favoured 2:1
        let both = prior_offsets(&labels, &o);
        assert!((both[0] - both[1] - 2f32.ln()).abs() < 1e-6, "{both:?}");
    }

    #[test]
    fn same_genre_partners_share_the_label_and_are_other_clips() {
        let clips: Vec<TrainClip> = [0, 1, 0, 0, 1, 2]
            .iter()
            .map(|&label| TrainClip {
                label,
                samples: vec![0.0; 100],
                grid: vec![],
            })
            .collect();
        let by_label = clips_by_label(&clips, 3);
        assert_eq!(by_label, vec![vec![0, 2, 3], vec![1, 4], vec![5]]);
        let mut rng = StdRng::seed_from_u64(3);
        let mut seen = [[false; 6]; 6];
        for _ in 0..500 {
            for i in 0..clips.len() {
                if let Some((j, start, w)) =
                    same_genre_partner(&clips, &by_label, i, 1.0, 40, true, &mut rng)
                {
                    assert_eq!(clips[j].label, clips[i].label);
                    assert_ne!(j, i);
                    assert!(start <= 60 && (0.0..=0.5).contains(&w));
                    seen[i][j] = true;
                } else {
                    assert_eq!(i, 5, "only the lone clip of label 2 has no partner");
                }
            }
        }
        // Every other clip of the label is drawn.
        assert!(seen[0][2] && seen[0][3] && seen[2][0] && seen[2][3] && seen[3][0] && seen[3][2]);
        assert!(seen[1][4] && seen[4][1]);
        // p = 0 draws nothing from the generator.
        let (mut a, b) = (StdRng::seed_from_u64(9), StdRng::seed_from_u64(9));
        assert!(same_genre_partner(&clips, &by_label, 0, 0.0, 40, true, &mut a).is_none());
        assert_eq!(a, b);
    }
}
