//! The live microphone's signal path, independent of the browser (compiled natively and for
//! wasm, tested natively): what happens between the device's audio blocks and the genre shown.
//!
//! ```text
//! device blocks (mono f32, 44.1/48 kHz, any size) ──► Resampler ──► Ring (last few seconds at 22 050 Hz)
//!        │                                                                   │ every ≥ 200 ms (Scheduler)
//!        └─► LevelMeter (input level, “too quiet”)                           ▼
//!                                   latest 3-s window ──► features + model ──► Smoother (EMA) ──► shown genre, History
//! ```
//!
//! - [`Resampler`]: the library's one resampler ([`crate::resample`]), from any device rate to
//!   22 050 Hz, on streaming blocks of any size; streaming equals one-shot.
//! - [`Ring`]: fixed-capacity ring buffer of the most recent samples.
//! - [`LiveInput`]: the two above plus the level, one `push` per device block, no allocation
//!   once warmed up.
//! - [`Smoother`]: exponential moving average of the probabilities with a time constant (not a
//!   per-update factor), so the shown genre does not flicker at any update rate.
//! - [`Scheduler`]: when to classify the next window: never while one is in flight, never more
//!   than one at a time after a stall (windows are skipped, not queued), counting the skipped.
//! - [`RateMeter`], [`History`]: the real update rate and the recent tops.

mod level;
mod rate;
mod ring;
mod smooth;

pub use crate::resample::Resampler;
pub use level::{LevelMeter, QUIET_DBFS, rms, rms_dbfs};
pub use rate::{RateMeter, Scheduler};
pub use ring::Ring;
pub use smooth::{History, Smoother};

/// Least time between the starts of two classifications: about 5 per second (a start waits for
/// the next audio block, ~11 ms apart), when they fit.
pub const INTERVAL_MS: f64 = 180.0;
/// Time constant of the smoothing of the probabilities, seconds.
pub const SMOOTHING_TAU_S: f32 = 1.5;
/// Seconds of audio kept (more than a window, for a window that straddles a late block).
pub const KEEP_S: usize = 4;

/// The device's audio, resampled into a ring of the most recent seconds, with its level.
pub struct LiveInput {
    resampler: Resampler,
    ring: Ring,
    scratch: Vec<f32>,
    level: LevelMeter,
    device_rate: u32,
}

impl LiveInput {
    /// The last `keep_samples` samples at `out_rate` are kept (at least one window's worth).
    pub fn new(device_rate: u32, out_rate: u32, keep_samples: usize) -> Self {
        Self {
            resampler: Resampler::new(device_rate, out_rate),
            ring: Ring::new(keep_samples),
            scratch: Vec::with_capacity(8192),
            level: LevelMeter::new(),
            device_rate,
        }
    }

    pub fn device_rate(&self) -> u32 {
        self.device_rate
    }

    /// One block from the device (mono, at the device rate, any length).
    pub fn push(&mut self, block: &[f32]) {
        let dt = block.len() as f32 / self.device_rate as f32;
        self.level.push(block, dt);
        self.scratch.clear();
        self.resampler.process(block, &mut self.scratch);
        self.ring.push(&self.scratch);
    }

    /// The last block, resampled (what [`Self::push`] just added to the ring).
    pub fn last_resampled(&self) -> &[f32] {
        &self.scratch
    }

    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    pub fn level(&self) -> &LevelMeter {
        &self.level
    }

    /// Forgets everything heard (after the tab was hidden, or a restart): the next window
    /// starts from fresh audio, and nothing old is replayed.
    pub fn reset(&mut self) {
        self.resampler.reset();
        self.ring.clear();
        self.level = LevelMeter::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_blocks_become_a_window_at_22050() {
        // 4 s of a 440-Hz tone at 48 kHz in the worklet's 512-frame blocks
        let rate = 48_000;
        let x: Vec<f32> = (0..4 * rate)
            .map(|i| 0.25 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin())
            .collect();
        let mut input = LiveInput::new(rate as u32, 22_050, 4 * 22_050);
        for block in x.chunks(512) {
            input.push(block);
        }
        let heard = input.ring().total() as usize;
        assert!(
            heard.abs_diff(4 * 22_050) < 100,
            "{heard} samples at 22 050 Hz for 4 s"
        );
        let mut window = vec![0.0f32; 66_150];
        input.ring().latest(&mut window);
        let want_db = 20.0 * (0.25f32 / 2f32.sqrt()).log10();
        assert!(
            (rms_dbfs(&window) - want_db).abs() < 0.05,
            "level {}",
            rms_dbfs(&window)
        );
        assert!((input.level().db() - want_db).abs() < 0.2);
        // the window is the tone at 22 050 Hz: compare with the tone's phase at the window's end
        let end = heard as f64;
        let worst = window
            .iter()
            .enumerate()
            .skip(100)
            .map(|(k, &v)| {
                let t = (end - 66_150.0 + k as f64) / 22_050.0;
                (v as f64 - 0.25 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()).abs()
            })
            .fold(0.0, f64::max);
        assert!(worst < 2e-3, "max error {worst}");
        input.reset();
        assert_eq!(input.ring().total(), 0);
    }
}
