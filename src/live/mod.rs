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
//! - [`Resampler`]: band-limited (Kaiser-windowed sinc, polyphase) rational resampler from any
//!   device rate to 22 050 Hz, on streaming blocks of any size; streaming equals one-shot.
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
mod resample;
mod ring;
mod smooth;

pub use level::{LevelMeter, QUIET_DBFS, rms, rms_dbfs};
pub use rate::{RateMeter, Scheduler};
pub use resample::Resampler;
pub use ring::Ring;
pub use smooth::{History, Smoother};

/// The device's audio, resampled into a ring of the most recent seconds, with its level.
pub struct LiveInput {
    resampler: Resampler,
    ring: Ring,
    scratch: Vec<f32>,
    level: LevelMeter,
    device_rate: u32,
}

impl LiveInput {
    /// `keep_s` seconds at `out_rate` are kept (at least one window).
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

    /// One block from the device (mono, at the device rate). `dt_s` is the block's duration.
    pub fn push(&mut self, block: &[f32]) {
        let dt = block.len() as f32 / self.device_rate as f32;
        self.level.push(block, dt);
        self.scratch.clear();
        self.resampler.process(block, &mut self.scratch);
        self.ring.push(&self.scratch);
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
