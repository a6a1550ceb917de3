//! The held-out check of a lesson, split by song (a song's segments are never on both sides):
//! leave-one-song-out while there are few songs, else [`FOLDS`] folds with each label's songs
//! dealt round-robin. Every song is predicted once by a head that never saw it; the figures are
//! the library's [`metrics`] over those predictions (track accuracy with its interval, per-label
//! recall, the confusion matrix).

use burn::tensor::Device;

use super::Lesson;
use super::head::{SplitMix, TeachOptions, Teacher};
use crate::inference::metrics::{Metrics, metrics};

/// Up to this many songs, every song is held out on its own.
pub const LEAVE_ONE_OUT_MAX: usize = 12;
/// Folds by song above that.
pub const FOLDS: usize = 5;

/// The check's figures and how it was split.
#[derive(Clone, Debug)]
pub struct HeldOut {
    pub metrics: Metrics,
    /// e.g. "leave-one-song-out, 9 songs".
    pub split: String,
    /// Per song (lesson order): its held-out segment probabilities.
    pub predictions: Vec<Vec<f32>>,
}

/// The fold of each song: one per song (leave-one-out) or [`FOLDS`], each label's songs dealt
/// in a shuffled order so that every fold holds some of every label.
pub fn folds(lesson: &Lesson, seed: u64) -> (Vec<usize>, usize, String) {
    let n = lesson.songs.len();
    if n <= LEAVE_ONE_OUT_MAX {
        return (
            (0..n).collect(),
            n,
            format!("leave-one-song-out, {n} songs"),
        );
    }
    let mut rng = SplitMix(seed);
    let mut fold = vec![0; n];
    let mut next = 0;
    for label in 0..lesson.labels.len() {
        let mut songs: Vec<usize> = (0..n).filter(|&i| lesson.songs[i].label == label).collect();
        rng.shuffle(&mut songs);
        for i in songs {
            fold[i] = next % FOLDS;
            next += 1;
        }
    }
    (fold, FOLDS, format!("{FOLDS} folds by song, {n} songs"))
}

/// The check, one fold at a time (the page's teacher hands the event loop back between folds).
pub struct Check<'a> {
    lesson: &'a Lesson,
    opts: &'a TeachOptions,
    fold: Vec<usize>,
    folds: usize,
    split: String,
    predictions: Vec<Vec<f32>>,
}

impl<'a> Check<'a> {
    pub fn new(lesson: &'a Lesson, opts: &'a TeachOptions) -> Self {
        let (fold, folds, split) = folds(lesson, opts.seed);
        Self {
            lesson,
            opts,
            fold,
            folds,
            split,
            predictions: vec![Vec::new(); lesson.songs.len()],
        }
    }

    pub fn folds(&self) -> usize {
        self.folds
    }

    /// Teaches a head on the other folds' songs and predicts fold `f`'s.
    pub fn run_fold(&mut self, f: usize, device: &Device) {
        let n = self.fold.len();
        let taught_on: Vec<usize> = (0..n).filter(|&i| self.fold[i] != f).collect();
        let head = Teacher::new(self.lesson, &taught_on, self.opts, device).run();
        for i in (0..n).filter(|&i| self.fold[i] == f) {
            self.predictions[i] = head.segment_probabilities(&self.lesson.songs[i].embeddings);
        }
    }

    pub fn finish(self) -> HeldOut {
        from_predictions(self.lesson, self.split, self.predictions)
    }
}

/// Runs the check: one head per fold, taught on the other folds' songs. `progress` gets
/// (folds done, folds) and returns false to stop (then `None`).
pub fn held_out(
    lesson: &Lesson,
    opts: &TeachOptions,
    device: &Device,
    mut progress: impl FnMut(usize, usize) -> bool,
) -> Option<HeldOut> {
    let mut check = Check::new(lesson, opts);
    let k = check.folds();
    for f in 0..k {
        if !progress(f, k) {
            return None;
        }
        check.run_fold(f, device);
    }
    progress(k, k);
    Some(check.finish())
}

/// The check's figures from each song's held-out segment probabilities (lesson order).
fn from_predictions(lesson: &Lesson, split: String, predictions: Vec<Vec<f32>>) -> HeldOut {
    let per: Vec<(usize, Vec<f32>)> = lesson
        .songs
        .iter()
        .zip(&predictions)
        .map(|(s, p)| (s.label, p.clone()))
        .collect();
    HeldOut {
        metrics: metrics("held-out", &lesson.labels, &per),
        split,
        predictions,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::toy_lesson;
    use super::*;

    #[test]
    fn folds_are_by_song_and_every_song_is_held_out_once() {
        let few = toy_lesson(3, 3, 1);
        let (fold, k, split) = folds(&few, 7);
        assert_eq!((k, fold.clone()), (9, (0..9).collect::<Vec<_>>()));
        assert!(split.starts_with("leave-one-song-out"));
        let many = toy_lesson(3, 6, 1);
        let (fold, k, _) = folds(&many, 7);
        assert_eq!(k, FOLDS);
        for f in 0..k {
            let labels: std::collections::BTreeSet<usize> = (0..fold.len())
                .filter(|&i| fold[i] == f)
                .map(|i| many.songs[i].label)
                .collect();
            assert!(labels.len() >= 2, "fold {f} holds labels {labels:?}");
        }
    }

    #[test]
    fn the_check_predicts_every_song_without_having_seen_it() {
        let lesson = toy_lesson(2, 3, 21);
        let opts = TeachOptions {
            epochs: 20,
            ..TeachOptions::default()
        };
        let mut calls = Vec::new();
        let h = held_out(&lesson, &opts, &Device::flex(), |d, n| {
            calls.push((d, n));
            true
        })
        .expect("not stopped");
        assert_eq!(calls.first(), Some(&(0, 6)));
        assert_eq!(calls.last(), Some(&(6, 6)));
        assert_eq!(h.metrics.tracks, 6);
        assert!(h.predictions.iter().all(|p| p.len() == 6 * 2));
        assert!(
            h.metrics.track_accuracy.value >= 5.0 / 6.0,
            "{}",
            h.metrics.text()
        );
        // stopping is honoured
        assert!(held_out(&lesson, &opts, &Device::flex(), |d, _| d < 2).is_none());
    }
}
