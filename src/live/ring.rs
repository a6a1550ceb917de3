//! A fixed-capacity ring buffer of the most recent samples.

/// Keeps the last `capacity` samples pushed; older ones are overwritten. Never allocates after
/// construction.
#[derive(Clone, Debug)]
pub struct Ring {
    buf: Vec<f32>,
    /// Next write position.
    head: usize,
    /// Samples held (≤ capacity).
    len: usize,
    /// Samples pushed since the last clear.
    total: u64,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a ring needs room for at least one sample");
        Self {
            buf: vec![0.0; capacity],
            head: 0,
            len: 0,
            total: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Samples pushed since the last clear (including those overwritten).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.total = 0;
    }

    pub fn push(&mut self, x: &[f32]) {
        let cap = self.buf.len();
        self.total += x.len() as u64;
        // only the last `cap` samples of x can survive
        let x = &x[x.len().saturating_sub(cap)..];
        let first = (cap - self.head).min(x.len());
        self.buf[self.head..self.head + first].copy_from_slice(&x[..first]);
        let rest = x.len() - first;
        self.buf[..rest].copy_from_slice(&x[first..]);
        self.head = (self.head + x.len()) % cap;
        self.len = (self.len + x.len()).min(cap);
    }

    /// Copies the most recent `out.len()` samples, oldest first, into `out`. When fewer are
    /// held, the front of `out` is zero-filled (silence before the first sample). Panics if
    /// `out` is longer than the capacity.
    pub fn latest(&self, out: &mut [f32]) {
        let cap = self.buf.len();
        assert!(
            out.len() <= cap,
            "asked for {} samples from a ring of {cap}",
            out.len()
        );
        let n = out.len().min(self.len);
        let pad = out.len() - n;
        out[..pad].fill(0.0);
        let start = (self.head + cap - n) % cap;
        let first = (cap - start).min(n);
        out[pad..pad + first].copy_from_slice(&self.buf[start..start + first]);
        out[pad + first..].copy_from_slice(&self.buf[..n - first]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest(r: &Ring, n: usize) -> Vec<f32> {
        let mut v = vec![f32::NAN; n];
        r.latest(&mut v);
        v
    }

    #[test]
    fn wraps_around_and_keeps_the_newest_in_order() {
        let mut r = Ring::new(5);
        r.push(&[1.0, 2.0, 3.0]);
        assert_eq!(latest(&r, 3), [1.0, 2.0, 3.0]);
        assert_eq!(
            latest(&r, 5),
            [0.0, 0.0, 1.0, 2.0, 3.0],
            "zero-padded in front while filling"
        );
        r.push(&[4.0, 5.0, 6.0, 7.0]); // wraps: 3..=7 remain
        assert_eq!(r.len(), 5);
        assert_eq!(r.total(), 7);
        assert_eq!(latest(&r, 5), [3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(latest(&r, 2), [6.0, 7.0]);
        r.push(&[8.0]);
        assert_eq!(latest(&r, 5), [4.0, 5.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn a_block_longer_than_the_ring_keeps_its_tail() {
        let mut r = Ring::new(4);
        r.push(&[9.0]);
        let long: Vec<f32> = (0..11).map(|i| i as f32).collect();
        r.push(&long);
        assert_eq!(latest(&r, 4), [7.0, 8.0, 9.0, 10.0]);
        assert_eq!(r.total(), 12);
    }

    #[test]
    fn many_odd_pushes_equal_the_tail_of_the_stream() {
        let stream: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut r = Ring::new(777);
        let mut at = 0;
        for (k, size) in [1usize, 13, 128, 5, 999, 64, 3].iter().cycle().enumerate() {
            if at >= stream.len() {
                break;
            }
            let end = (at + size + k % 7).min(stream.len());
            r.push(&stream[at..end]);
            at = end;
        }
        assert_eq!(latest(&r, 777), &stream[stream.len() - 777..]);
    }

    #[test]
    fn clear_forgets_everything() {
        let mut r = Ring::new(3);
        r.push(&[1.0, 2.0]);
        r.clear();
        assert!(r.is_empty());
        assert_eq!(r.total(), 0);
        assert_eq!(latest(&r, 3), [0.0, 0.0, 0.0]);
    }
}
