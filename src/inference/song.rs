//! The one song pipeline's bookkeeping, shared by the page, the microphone and the trainer's `classify` and
//! `evaluate`: which segments to classify next (a spread over the song first, so that a long song has an
//! overall answer after a few batches), the per-segment probabilities as batches come back, and the song's
//! result (mean of the finished segments' probabilities, the timeline, the mean taggram). The forward passes
//! themselves are [`super::Classifier::forward`]; natively [`super::Classifier::classify_song`] runs the
//! whole loop, the page runs it batch by batch with asynchronous reads and can drop a job between batches.

use std::collections::VecDeque;

/// Row-wise `softmax(logits / temperature)` of `[n, classes]` logits stored row-major.
pub fn softmax_rows_t(logits: &[f32], classes: usize, temperature: f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks(classes) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> = row
            .iter()
            .map(|&x| ((x - max) / temperature).exp())
            .collect();
        let sum: f32 = exps.iter().sum();
        out.extend(exps.iter().map(|e| e / sum));
    }
    out
}

/// Row-wise softmax of `[n, classes]` logits stored row-major.
pub fn softmax_rows(logits: &[f32], classes: usize) -> Vec<f32> {
    softmax_rows_t(logits, classes, 1.0)
}

/// The song's probabilities: the mean of its segments' probabilities.
pub fn mean_probabilities(segment_probs: &[f32], classes: usize) -> Vec<f32> {
    let n = segment_probs.len() / classes;
    let mut mean = vec![0.0f32; classes];
    for row in segment_probs.chunks(classes) {
        for (m, p) in mean.iter_mut().zip(row) {
            *m += p / n as f32;
        }
    }
    mean
}

pub fn argmax(xs: &[f32]) -> usize {
    xs.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 { (i, x) } else { best }
        })
        .0
}

/// `0..n` in an order that spreads over the range: the middle, then the middles of the halves, and so
/// on, so that any prefix samples the whole song.
pub fn spread_order(n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    let mut queue = VecDeque::from([(0usize, n)]);
    while let Some((a, b)) = queue.pop_front() {
        if a >= b {
            continue;
        }
        let m = a + (b - a) / 2;
        out.push(m);
        queue.push_back((a, m));
        queue.push_back((m + 1, b));
    }
    out
}

/// A distribution tempered as a whole: `softmax(ln p / temperature)` (`p` itself at temperature 1).
/// It moves how sure the distribution is, never which label is on top.
pub fn temper(p: &[f32], temperature: f32) -> Vec<f32> {
    if temperature == 1.0 {
        return p.to_vec();
    }
    let logits: Vec<f32> = p.iter().map(|x| x.max(1e-30).ln()).collect();
    softmax_rows_t(&logits, p.len(), temperature)
}

/// The song's calibrated probabilities from its segments' uncalibrated ones (`[n, classes]`, temperature
/// 1): their mean, tempered as one distribution. Tempering the mean rather than averaging tempered
/// segments keeps the song's label the one its figures were measured on: a temperature below 1 would
/// otherwise let a few confident segments outvote the rest, and one above 1 the reverse.
pub fn calibrated_mean(segment_probs: &[f32], classes: usize, temperature: f32) -> Vec<f32> {
    temper(&mean_probabilities(segment_probs, classes), temperature)
}

/// What a song's classification has given so far.
#[derive(Clone, Debug, PartialEq)]
pub struct SongResult {
    /// The song's calibrated probabilities ([`calibrated_mean`] of the finished segments; empty before
    /// any).
    pub probabilities: Vec<f32>,
    /// Per segment, in time order: its calibrated probabilities once classified (`softmax(z / T)`).
    pub segments: Vec<Option<Vec<f32>>>,
    /// The same at temperature 1, what the song's probabilities are made from.
    pub uncalibrated: Vec<Option<Vec<f32>>>,
    /// Mean of the finished segments' taggrams, for a model with the pretrained front end.
    pub tags: Option<Vec<f32>>,
    pub done: usize,
}

impl SongResult {
    pub fn total(&self) -> usize {
        self.segments.len()
    }

    pub fn top(&self) -> Option<usize> {
        (!self.probabilities.is_empty()).then(|| argmax(&self.probabilities))
    }

    /// The finished segments' calibrated probabilities, in time order, row-major.
    pub fn finished_rows(&self) -> Vec<f32> {
        finished(&self.segments)
    }

    /// The same at temperature 1: the rows whose mean has the song's label on top (what metrics read).
    pub fn finished_uncalibrated_rows(&self) -> Vec<f32> {
        finished(&self.uncalibrated)
    }
}

/// The rows that are there, in order, row-major.
fn finished(rows: &[Option<Vec<f32>>]) -> Vec<f32> {
    rows.iter().flatten().flatten().copied().collect()
}

/// A song's segments on their way through the model.
#[derive(Clone, Debug)]
pub struct SongJob {
    order: Vec<usize>,
    next: usize,
    classes: usize,
    temperature: f32,
    segments: Vec<Option<Vec<f32>>>,
    uncalibrated: Vec<Option<Vec<f32>>>,
    tags: Vec<Option<Vec<f32>>>,
}

impl SongJob {
    /// `n_segments` segments of a model with `classes` labels and the given calibration temperature;
    /// `spread`: classify a spread of the song first (else in time order).
    pub fn new(n_segments: usize, classes: usize, temperature: f32, spread: bool) -> Self {
        Self {
            order: if spread {
                spread_order(n_segments)
            } else {
                (0..n_segments).collect()
            },
            next: 0,
            classes,
            temperature,
            segments: vec![None; n_segments],
            uncalibrated: vec![None; n_segments],
            tags: vec![None; n_segments],
        }
    }

    /// The next (at most `max`) segments to classify, by index; empty when every one has been handed out.
    pub fn next_batch(&mut self, max: usize) -> Vec<usize> {
        let end = (self.next + max.max(1)).min(self.order.len());
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        batch
    }

    /// The logits (`[batch, classes]`) and, with a front end, the taggrams (`[batch, 50]`) of the segments
    /// `indices` (as [`Self::next_batch`] gave them).
    pub fn accept(&mut self, indices: &[usize], logits: &[f32], taggram: Option<&[f32]>) {
        let probs = softmax_rows_t(logits, self.classes, self.temperature);
        let raw = softmax_rows(logits, self.classes);
        assert_eq!(
            probs.len(),
            indices.len() * self.classes,
            "one row of logits per segment"
        );
        for ((row, raw), &i) in probs
            .chunks(self.classes)
            .zip(raw.chunks(self.classes))
            .zip(indices)
        {
            self.segments[i] = Some(row.to_vec());
            self.uncalibrated[i] = Some(raw.to_vec());
        }
        if let Some(t) = taggram {
            let per = t.len() / indices.len().max(1);
            for (row, &i) in t.chunks(per.max(1)).zip(indices) {
                self.tags[i] = Some(row.to_vec());
            }
        }
    }

    pub fn done(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }

    pub fn total(&self) -> usize {
        self.segments.len()
    }

    pub fn is_finished(&self) -> bool {
        self.done() == self.total()
    }

    pub fn result(&self) -> SongResult {
        let rows = finished(&self.uncalibrated);
        let probabilities = if rows.is_empty() {
            Vec::new()
        } else {
            calibrated_mean(&rows, self.classes, self.temperature)
        };
        let tag_rows: Vec<&Vec<f32>> = self.tags.iter().flatten().collect();
        let tags = (!tag_rows.is_empty()).then(|| {
            let n = tag_rows[0].len();
            let mut mean = vec![0.0f32; n];
            for r in &tag_rows {
                for (m, v) in mean.iter_mut().zip(r.iter()) {
                    *m += v / tag_rows.len() as f32;
                }
            }
            mean
        });
        SongResult {
            probabilities,
            segments: self.segments.clone(),
            uncalibrated: self.uncalibrated.clone(),
            tags,
            done: self.done(),
        }
    }
}

/// The song pipeline's loop for a caller that reads its logits synchronously (the trainer's
/// evaluation and validation, `trainer classify` through [`super::Classifier::classify_song`]):
/// `n_segments` segments in time order, `batch` at a time; `forward` gets the indices of a batch
/// and returns its logits `[batch, classes]` row-major (and its taggram, when there is one).
/// The page runs the same [`SongJob`] a batch at a time, reading asynchronously.
pub fn run_song(
    n_segments: usize,
    classes: usize,
    temperature: f32,
    batch: usize,
    mut forward: impl FnMut(&[usize]) -> (Vec<f32>, Option<Vec<f32>>),
) -> SongResult {
    let mut job = SongJob::new(n_segments, classes, temperature, false);
    loop {
        let idx = job.next_batch(batch);
        if idx.is_empty() {
            break;
        }
        let (logits, tags) = forward(&idx);
        job.accept(&idx, &logits, tags.as_deref());
    }
    job.result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_order_covers_every_segment_once_and_starts_spread() {
        for n in [0usize, 1, 2, 3, 10, 17, 100] {
            let o = spread_order(n);
            let mut sorted = o.clone();
            sorted.sort();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "{n}");
        }
        let o = spread_order(100);
        assert_eq!(o[0], 50);
        // the first 7 segments leave no gap longer than a quarter of the song
        let mut first: Vec<usize> = o[..7].to_vec();
        first.sort();
        assert!(first.windows(2).all(|w| w[1] - w[0] <= 25), "{first:?}");
        assert!(first[0] <= 25 && first[6] >= 75, "{first:?}");
    }

    #[test]
    fn job_hands_out_batches_and_means_what_came_back() {
        let mut job = SongJob::new(5, 2, 1.0, true);
        let a = job.next_batch(2);
        assert_eq!(a, vec![2, 1]);
        job.accept(&a, &[0.0, 0.0, 2.0f32.ln(), 0.0], None);
        let r = job.result();
        assert_eq!((r.done, r.total()), (2, 5));
        assert!((r.probabilities[0] - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-6);
        assert_eq!(r.segments[0], None);
        let b = job.next_batch(10);
        assert_eq!(b.len(), 3);
        assert!(job.next_batch(10).is_empty());
        job.accept(&b, &[0.0; 6], Some(&[0.5; 150]));
        assert!(job.is_finished());
        let r = job.result();
        assert_eq!(
            r.tags.as_ref().map(Vec::len),
            Some(50),
            "the mean of the tag rows that came back"
        );
        assert_eq!(r.finished_rows().len(), 10);
    }

    #[test]
    fn calibration_moves_the_songs_confidence_not_its_label() {
        // one sure segment for label 0, two mild ones for label 1: at temperature 1 the mean says 0
        // (0.513); averaging segments tempered at 0.25 would say 1 (0.345 for label 0)
        let logits = [10.0f32, 0.0, 0.0, 1.0, 0.0, 1.0];
        let raw = mean_probabilities(&softmax_rows(&logits, 2), 2);
        assert!(raw[0] > 0.5 && raw[0] < 0.52, "{raw:?}");
        assert!(mean_probabilities(&softmax_rows_t(&logits, 2, 0.25), 2)[0] < 0.4);
        for t in [0.25f32, 0.758, 1.0, 2.0, 8.0] {
            let mut job = SongJob::new(3, 2, t, false);
            let idx = job.next_batch(3);
            job.accept(&idx, &logits, None);
            let r = job.result();
            assert_eq!(r.top(), Some(0), "temperature {t}");
            // the mean tempered: logit difference ln(p0 / p1) divided by t
            let want = 1.0 / (1.0 + (-(raw[0] / raw[1]).ln() / t).exp());
            assert!(
                (r.probabilities[0] - want).abs() < 1e-6,
                "{t}: {:?}",
                r.probabilities
            );
            assert!((r.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            // segments shown at softmax(z / t); the uncalibrated rows kept for the mean
            assert_eq!(r.finished_rows(), softmax_rows_t(&logits, 2, t));
            assert_eq!(r.finished_uncalibrated_rows(), softmax_rows(&logits, 2));
        }
        assert_eq!(temper(&raw, 1.0), raw);
    }

    #[test]
    fn temperature_flattens_probabilities() {
        let logits = [2.0f32, 0.0];
        let p1 = softmax_rows_t(&logits, 2, 1.0);
        let p2 = softmax_rows_t(&logits, 2, 2.0);
        assert!(p2[0] < p1[0] && p2[0] > 0.5);
        assert!((p2[0] - 1.0 / (1.0 + (-1.0f32).exp())).abs() < 1e-6);
        assert_eq!(softmax_rows(&logits, 2), p1);
    }
}
