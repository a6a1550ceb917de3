//! Cutting a clip into fixed-length segments.
//!
//! A **segment** is the unit the model classifies: [`SEGMENT_SAMPLES`](super::SEGMENT_SAMPLES) = 66 150 mono
//! samples at 22 050 Hz, i.e. 3 seconds, which gives [`SEGMENT_FRAMES`](super::SEGMENT_FRAMES) = 130 STFT frames.
//!
//! A clip of `n` samples is cut into segments that start at `0, hop, 2·hop, …`:
//! - by default `hop = segment_samples`, so the segments are consecutive and do not overlap
//!   (a 30-s GTZAN clip of 661 500 samples gives exactly 10 segments);
//! - with `hop < segment_samples` the segments overlap (e.g. `hop = segment_samples / 2` for 50 % overlap,
//!   as training may use to get more examples from few clips);
//! - only whole segments are kept: a trailing remainder shorter than one segment is dropped,
//!   as long as the clip holds at least one full segment;
//! - a clip shorter than one segment (but not empty) gives exactly one segment starting at 0,
//!   zero-padded at the end by [`segment_into`];
//! - an empty clip gives no segment.

/// Start offsets (in samples) of the segments a clip of `n_samples` samples is cut into.
///
/// - `segment_samples`: the length of one segment (66 150 for 3 s at 22 050 Hz); must be > 0.
/// - `hop`: distance between consecutive segment starts; `hop = segment_samples` gives non-overlapping
///   segments (the default use), `hop < segment_samples` overlapping ones, `hop > segment_samples` leaves gaps.
///   A `hop` of 0 is treated as `segment_samples`.
///
/// A clip shorter than one segment (`0 < n_samples < segment_samples`) yields the single start `[0]`
/// (the segment is zero-padded by [`segment_into`]); an empty clip yields no segment; otherwise every start `s`
/// satisfies `s + segment_samples <= n_samples`, so a trailing remainder shorter than a segment is dropped.
///
/// # Panics
/// If `segment_samples` is 0.
pub fn segment_starts(n_samples: usize, segment_samples: usize, hop: usize) -> Vec<usize> {
    assert!(segment_samples > 0, "segment_samples must be > 0");
    let hop = if hop == 0 { segment_samples } else { hop };
    if n_samples == 0 {
        return Vec::new();
    }
    if n_samples <= segment_samples {
        return vec![0];
    }
    let count = (n_samples - segment_samples) / hop + 1;
    (0..count).map(|i| i * hop).collect()
}

/// Copies the segment of `samples` that starts at `start` into `out` (whose length is the segment length,
/// `segment_samples`), writing zeros for every position past the end of the clip.
/// A `start` at or beyond the end of the clip gives an all-zero segment.
pub fn segment_into(samples: &[f32], start: usize, out: &mut [f32]) {
    let available = samples.len().saturating_sub(start).min(out.len());
    if available > 0 {
        out[..available].copy_from_slice(&samples[start..start + available]);
    }
    out[available..].fill(0.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: usize = 66_150;

    #[test]
    fn thirty_seconds_gives_ten_segments() {
        let starts = segment_starts(661_500, S, S);
        assert_eq!(starts, (0..10).map(|i| i * S).collect::<Vec<_>>());
    }

    #[test]
    fn remainder_is_dropped_when_a_full_segment_exists() {
        assert_eq!(segment_starts(S + S / 2, S, S), vec![0]);
        assert_eq!(segment_starts(2 * S - 1, S, S), vec![0]);
        assert_eq!(segment_starts(2 * S, S, S), vec![0, S]);
        assert_eq!(segment_starts(S, S, S), vec![0]);
    }

    #[test]
    fn short_clip_gives_one_padded_segment() {
        assert_eq!(segment_starts(1, S, S), vec![0]);
        assert_eq!(segment_starts(S - 1, S, S), vec![0]);
        let clip = vec![0.5f32; 1000];
        let mut out = vec![1.0f32; S];
        segment_into(&clip, 0, &mut out);
        assert!(out[..1000].iter().all(|&x| x == 0.5));
        assert!(out[1000..].iter().all(|&x| x == 0.0));
    }

    #[test]
    fn empty_clip_gives_no_segment() {
        assert!(segment_starts(0, S, S).is_empty());
    }

    #[test]
    fn overlapping_segments() {
        // 50 % overlap on 6 s of audio: starts at 0, 1.5 s, 3 s
        let starts = segment_starts(2 * S, S, S / 2);
        assert_eq!(starts, vec![0, S / 2, 2 * (S / 2)]);
        for &s in &starts {
            assert!(s + S <= 2 * S);
        }
        // hop 0 means hop = segment length
        assert_eq!(segment_starts(3 * S, S, 0), vec![0, S, 2 * S]);
        // hop larger than a segment leaves gaps
        assert_eq!(segment_starts(5 * S, S, 2 * S), vec![0, 2 * S, 4 * S]);
    }

    #[test]
    fn segment_into_copies_and_pads() {
        let clip: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut out = [9.0f32; 4];
        segment_into(&clip, 8, &mut out);
        assert_eq!(out, [8.0, 9.0, 0.0, 0.0]);
        segment_into(&clip, 2, &mut out);
        assert_eq!(out, [2.0, 3.0, 4.0, 5.0]);
        segment_into(&clip, 50, &mut out);
        assert_eq!(out, [0.0; 4]);
    }
}
