//! Input level: what the meter shows, and whether it is too quiet to judge.

/// Below this RMS level (dBFS) over the classified window, the page says "too quiet" instead of
/// guessing (a quiet room with no music is around −60 dBFS; soft music is −40 to −30).
pub const QUIET_DBFS: f32 = -50.0;

/// RMS of a slice (0 for an empty one).
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt() as f32
}

/// RMS in dB relative to full scale (a full-scale sine is −3 dBFS); −120 for silence.
pub fn rms_dbfs(x: &[f32]) -> f32 {
    to_db(rms(x))
}

fn to_db(r: f32) -> f32 {
    if r <= 1e-6 { -120.0 } else { 20.0 * r.log10() }
}

/// The meter: the RMS of the latest block, falling back at most `FALL_DB_PER_S` (so the bar
/// is readable), and the peak sample seen recently.
#[derive(Clone, Debug)]
pub struct LevelMeter {
    shown_db: f32,
    peak: f32,
}

/// How fast the shown level falls, in dB per second.
pub const FALL_DB_PER_S: f32 = 30.0;

impl Default for LevelMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LevelMeter {
    pub fn new() -> Self {
        Self {
            shown_db: -120.0,
            peak: 0.0,
        }
    }

    /// One block of `dt_s` seconds.
    pub fn push(&mut self, block: &[f32], dt_s: f32) {
        let db = rms_dbfs(block);
        self.shown_db = db.max(self.shown_db - FALL_DB_PER_S * dt_s);
        let peak = block.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        self.peak = peak.max(self.peak * (-dt_s / 1.0).exp());
    }

    /// The level to show, dBFS.
    pub fn db(&self) -> f32 {
        self.shown_db
    }

    /// Recent peak (0..1, decaying over about a second): near 1 means clipping.
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// 0..1 for a meter from −60 dBFS to 0 dBFS.
    pub fn fraction(&self) -> f32 {
        ((self.shown_db + 60.0) / 60.0).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_in_dbfs() {
        let sine: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.1).sin()).collect();
        assert!((rms_dbfs(&sine) + 3.01).abs() < 0.05);
        assert_eq!(rms_dbfs(&[0.0; 100]), -120.0);
        let quiet: Vec<f32> = sine.iter().map(|x| x * 0.001).collect();
        assert!(rms_dbfs(&quiet) < QUIET_DBFS, "−63 dBFS is too quiet");
        let soft: Vec<f32> = sine.iter().map(|x| x * 0.03).collect();
        assert!(rms_dbfs(&soft) > QUIET_DBFS, "−33 dBFS is loud enough");
    }

    #[test]
    fn the_meter_rises_at_once_and_falls_slowly() {
        let mut m = LevelMeter::new();
        m.push(&[0.5; 480], 0.01);
        let loud = m.db();
        assert!((loud - 20.0 * 0.5f32.log10()).abs() < 0.01);
        m.push(&[0.0; 480], 0.01);
        assert!(
            (m.db() - (loud - 0.3)).abs() < 1e-3,
            "falls 30 dB/s: {}",
            m.db()
        );
        for _ in 0..500 {
            m.push(&[0.0; 480], 0.01);
        }
        assert_eq!(m.db(), -120.0);
        assert_eq!(m.fraction(), 0.0);
    }
}
