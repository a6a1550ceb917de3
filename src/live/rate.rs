//! When to classify, and how often it really happens.

use std::collections::VecDeque;

/// Decides when the next window is classified: at most one in flight, at least `interval_ms`
/// between starts. After a stall (a slow classification, a busy page) the next window is the
/// latest one, once: the missed ones are counted as skipped, never queued.
#[derive(Clone, Debug)]
pub struct Scheduler {
    interval_ms: f64,
    last_start: Option<f64>,
    in_flight: bool,
    skipped: u64,
}

impl Scheduler {
    pub fn new(interval_ms: f64) -> Self {
        Self {
            interval_ms,
            last_start: None,
            in_flight: false,
            skipped: 0,
        }
    }

    pub fn interval_ms(&self) -> f64 {
        self.interval_ms
    }

    /// True when a window should be classified now; the caller must then call [`Self::finish`]
    /// when it is done.
    pub fn try_start(&mut self, now_ms: f64) -> bool {
        if self.in_flight {
            return false;
        }
        if let Some(last) = self.last_start {
            let since = now_ms - last;
            if since < self.interval_ms {
                return false;
            }
            let missed = (since / self.interval_ms).floor() as u64;
            self.skipped += missed.saturating_sub(1);
        }
        self.last_start = Some(now_ms);
        self.in_flight = true;
        true
    }

    pub fn finish(&mut self) {
        self.in_flight = false;
    }

    pub fn in_flight(&self) -> bool {
        self.in_flight
    }

    /// Windows that were due but not classified (the page was busy).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// After a pause (hidden tab): start afresh, counting nothing missed.
    pub fn reset(&mut self) {
        self.last_start = None;
        self.in_flight = false;
    }
}

/// Updates per second over the last `span_ms`.
#[derive(Clone, Debug)]
pub struct RateMeter {
    times: VecDeque<f64>,
    span_ms: f64,
}

impl RateMeter {
    pub fn new(span_ms: f64) -> Self {
        Self {
            times: VecDeque::with_capacity(64),
            span_ms,
        }
    }

    pub fn record(&mut self, t_ms: f64) {
        self.times.push_back(t_ms);
        while let Some(&first) = self.times.front() {
            if t_ms - first > self.span_ms {
                self.times.pop_front();
            } else {
                break;
            }
        }
    }

    /// Updates per second (0 until two updates were seen).
    pub fn per_second(&self) -> f64 {
        match (self.times.front(), self.times.back()) {
            (Some(&a), Some(&b)) if self.times.len() >= 2 && b > a => {
                (self.times.len() - 1) as f64 * 1000.0 / (b - a)
            }
            _ => 0.0,
        }
    }

    pub fn clear(&mut self) {
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_a_time_at_most_every_interval() {
        let mut s = Scheduler::new(200.0);
        assert!(s.try_start(0.0));
        assert!(!s.try_start(300.0), "one in flight");
        s.finish();
        assert!(!s.try_start(150.0), "too soon");
        assert!(s.try_start(300.0));
        s.finish();
        assert_eq!(s.skipped(), 0);
    }

    #[test]
    fn a_stall_skips_windows_instead_of_queueing_them() {
        let mut s = Scheduler::new(200.0);
        assert!(s.try_start(0.0));
        s.finish();
        // the page was busy for a second: one classification now, four windows skipped
        assert!(s.try_start(1000.0));
        s.finish();
        assert!(!s.try_start(1001.0), "no burst to catch up");
        assert_eq!(s.skipped(), 4);
        s.reset();
        assert!(s.try_start(50_000.0));
        assert_eq!(s.skipped(), 4, "a pause is not counted as skipped");
    }

    #[test]
    fn rate_over_the_recent_span() {
        let mut r = RateMeter::new(3000.0);
        assert_eq!(r.per_second(), 0.0);
        for i in 0..40 {
            r.record(i as f64 * 200.0);
        }
        assert!((r.per_second() - 5.0).abs() < 1e-9);
        // slower now: only the last 3 s count
        for i in 0..20 {
            r.record(7800.0 + (i + 1) as f64 * 500.0);
        }
        assert!((r.per_second() - 2.0).abs() < 1e-9, "{}", r.per_second());
    }
}
