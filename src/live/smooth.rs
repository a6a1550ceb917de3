//! Smoothing the live probabilities over time, and the recent history of the top genre.

use std::collections::VecDeque;

/// Exponential moving average of probability vectors with a time constant: an update `dt`
/// seconds after the previous one weighs `1 − exp(−dt / τ)`. The weight depends on time, not on
/// the number of updates, so a slower update rate does not make the display slower to follow.
/// With τ = 1.5 s a sustained new genre overtakes the old one ~1 s after it fills the
/// classified window.
#[derive(Clone, Debug)]
pub struct Smoother {
    tau_s: f32,
    probs: Vec<f32>,
    started: bool,
}

impl Smoother {
    pub fn new(classes: usize, tau_s: f32) -> Self {
        assert!(tau_s > 0.0);
        Self {
            tau_s,
            probs: vec![0.0; classes],
            started: false,
        }
    }

    pub fn tau_s(&self) -> f32 {
        self.tau_s
    }

    /// Folds in the probabilities of one window, `dt_s` after the previous one. The first
    /// update is taken as it is.
    pub fn update(&mut self, p: &[f32], dt_s: f32) -> &[f32] {
        if p.len() != self.probs.len() {
            self.probs = vec![0.0; p.len()];
            self.started = false;
        }
        if !self.started {
            self.probs.copy_from_slice(p);
            self.started = true;
        } else {
            let a = 1.0 - (-dt_s.max(0.0) / self.tau_s).exp();
            for (s, &x) in self.probs.iter_mut().zip(p) {
                *s += a * (x - *s);
            }
        }
        &self.probs
    }

    pub fn probabilities(&self) -> &[f32] {
        &self.probs
    }

    pub fn is_started(&self) -> bool {
        self.started
    }

    pub fn top(&self) -> Option<usize> {
        self.started.then(|| crate::inference::argmax(&self.probs))
    }

    pub fn reset(&mut self) {
        self.probs.fill(0.0);
        self.started = false;
    }
}

/// The top genre of the most recent updates (oldest first), at most `capacity` of them.
#[derive(Clone, Debug)]
pub struct History {
    entries: VecDeque<(f64, usize)>,
    capacity: usize,
}

impl History {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Records that `top` was shown at `t_ms`.
    pub fn push(&mut self, t_ms: f64, top: usize) {
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((t_ms, top));
    }

    pub fn iter(&self) -> impl Iterator<Item = &(f64, usize)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(k: usize, i: usize) -> Vec<f32> {
        let mut v = vec![0.02 / (k - 1) as f32; k];
        v[i] = 0.98;
        v
    }

    #[test]
    fn a_sustained_new_genre_shows_within_a_few_seconds() {
        let mut s = Smoother::new(4, 1.5);
        for _ in 0..50 {
            s.update(&one_hot(4, 0), 0.2);
        }
        assert_eq!(s.top(), Some(0));
        // the music changes: at 5 updates/s, genre 2 must be on top within 2 s (10 updates)
        let mut switched_after = None;
        for n in 1..=30 {
            s.update(&one_hot(4, 2), 0.2);
            if s.top() == Some(2) {
                switched_after = Some(n);
                break;
            }
        }
        let n = switched_after.expect("never switched");
        assert!(
            (4..=10).contains(&n),
            "switched after {n} updates (want 0.8–2 s: smooth, but not sluggish)"
        );
    }

    #[test]
    fn a_single_odd_window_does_not_flip_the_display() {
        let mut s = Smoother::new(3, 1.5);
        for _ in 0..20 {
            s.update(&one_hot(3, 1), 0.25);
        }
        s.update(&one_hot(3, 0), 0.25);
        assert_eq!(
            s.top(),
            Some(1),
            "one window of something else must not flicker the answer"
        );
        let sum: f32 = s.probabilities().iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "stays a distribution: {sum}");
    }

    #[test]
    fn the_weight_follows_time_not_update_count() {
        // 2 s at 4 updates/s and 2 s at 8 updates/s end in (nearly) the same place
        let (mut a, mut b) = (Smoother::new(2, 1.5), Smoother::new(2, 1.5));
        a.update(&[1.0, 0.0], 0.0);
        b.update(&[1.0, 0.0], 0.0);
        for _ in 0..8 {
            a.update(&[0.0, 1.0], 0.25);
        }
        for _ in 0..16 {
            b.update(&[0.0, 1.0], 0.125);
        }
        assert!((a.probabilities()[1] - b.probabilities()[1]).abs() < 1e-5);
        assert!((a.probabilities()[1] - (1.0 - (-2.0f32 / 1.5).exp())).abs() < 1e-5);
    }

    #[test]
    fn first_update_is_taken_as_is_and_reset_forgets() {
        let mut s = Smoother::new(3, 1.0);
        assert_eq!(s.top(), None);
        s.update(&[0.1, 0.7, 0.2], 10.0);
        assert_eq!(s.probabilities(), &[0.1, 0.7, 0.2]);
        s.reset();
        assert_eq!(s.top(), None);
    }

    #[test]
    fn history_keeps_the_most_recent() {
        let mut h = History::new(3);
        for i in 0..5 {
            h.push(i as f64, i);
        }
        let tops: Vec<usize> = h.iter().map(|&(_, t)| t).collect();
        assert_eq!(tops, [2, 3, 4]);
    }
}
