//! The one resampler: every path that changes a sample rate goes through it, so that the trainer, the page
//! and the microphone see the same numbers (the pretrained front end's embedding moves with what a
//! resampler does above 7 kHz: `../shared/PRETRAINED.md`). Decoded files are brought to 22 050 Hz (the seed
//! model's rate) with it, and the pretrained front end's 16 kHz input is made from those 22 050 Hz samples
//! with it again; the microphone streams through it.
//!
//! Rational polyphase with a Kaiser-windowed sinc, with the settings of resampy 0.4's `kaiser_best` filter
//! (50 zero crossings, roll-off 0.9173 of the lower Nyquist frequency, Kaiser β 12.98: −120 dB stop band),
//! checked against resampy itself (`tests/resample_reference.rs`). For rates `in` and `out` with `g = gcd(in, out)`, output sample `n`
//! lies at input position `n · M / L` (`M = in/g`, `L = out/g`; no delay), so every output uses one of `L`
//! precomputed phases of the filter, exactly (for rates whose `L` would exceed [`MAX_PHASES`], the nearest of
//! `MAX_PHASES` phases is linearly interpolated). Each phase is scaled to unity gain at DC.
//!
//! Streaming: input is appended to a short history; every output whose taps are all available is produced;
//! consumed history is dropped. The arithmetic per output does not depend on how the input was split, so any
//! block sizes give exactly the one-shot result. [`Resampler::flush`] ends a stream (zeros after its end),
//! and [`resample`] does a whole signal at once, giving `ceil(n · out / in)` samples, as `librosa.resample`.

/// Most exact phases kept; rarer rates interpolate between phases.
pub const MAX_PHASES: usize = 1024;
/// Cutoff as a fraction of the lower of the two Nyquist frequencies (resampy 0.4 `kaiser_best`'s `rolloff`).
pub const ROLLOFF: f64 = 0.917_347_371_260_876_1;
/// Half-length of the filter in samples of the lower rate (resampy's `num_zeros`; the sinc, scaled by the
/// roll-off, crosses zero `ROLLOFF` times as often).
pub const ZERO_CROSSINGS: f64 = 50.0;
/// Kaiser window β (resampy 0.4 `kaiser_best`: its stored window fits β = 12.98472 to 1e-6).
pub const KAISER_BETA: f64 = 12.984_72;
/// Names the filter above: part of every cache key that holds resampled audio, so that a change of the
/// resampler or its settings misses the old entries. Change it with any change to this file's arithmetic.
pub const SETTINGS_ID: &str = "polyphase-resampy-kaiser-best-v1";

/// `samples` (mono, at `from_hz`) at `to_hz`: `ceil(n · to_hz / from_hz)` samples, aligned in time (output
/// `i` is the signal at input position `i · from_hz / to_hz`). Equal rates return the input unchanged.
///
/// # Panics
/// If a rate is 0.
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Vec<f32> {
    let mut r = Resampler::new(from_hz, to_hz);
    let mut out = Vec::with_capacity(output_len(samples.len(), from_hz, to_hz) + 1);
    r.process(samples, &mut out);
    r.flush(&mut out);
    out
}

/// Samples [`resample`] gives for `n` input samples: `ceil(n · to_hz / from_hz)`.
pub fn output_len(n: usize, from_hz: u32, to_hz: u32) -> usize {
    (n as u128 * to_hz as u128).div_ceil(from_hz as u128) as usize
}

#[derive(Clone, Debug)]
pub struct Resampler {
    in_rate: u32,
    out_rate: u32,
    /// Output step in input samples = step_num / step_den (`M / L`).
    step_num: u64,
    step_den: u64,
    /// `phases` rows of `taps` coefficients; row p is for a fractional position p / phases.
    table: Vec<f32>,
    phases: usize,
    taps: usize,
    /// Taps before the centre: sample k = floor(pos) − before + 1 + j, j in 0..taps.
    before: usize,
    /// Input history; `hist[0]` is input sample `hist_start` (negative: the zeros before the start).
    hist: Vec<f32>,
    hist_start: i64,
    /// Next output's position: integer part and fractional numerator (over `step_den`).
    pos_int: i64,
    pos_frac: u64,
    /// Outputs produced since the last reset.
    produced: u64,
    passthrough: bool,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Modified Bessel function of the first kind, order 0 (series).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, q) = (1.0, 1.0, x * x / 4.0);
    for k in 1..64 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

impl Resampler {
    pub fn new(in_rate: u32, out_rate: u32) -> Self {
        assert!(in_rate > 0 && out_rate > 0, "sample rates must be positive");
        let g = gcd(in_rate as u64, out_rate as u64);
        let (m, l) = (in_rate as u64 / g, out_rate as u64 / g);
        // cutoff in cycles per input sample
        let fc = 0.5 * (out_rate as f64 / in_rate as f64).min(1.0) * ROLLOFF;
        // the window spans ZERO_CROSSINGS samples of the lower rate on each side (resampy's `num_zeros`)
        let half = ZERO_CROSSINGS * ROLLOFF / (2.0 * fc); // in input samples
        let before = half.ceil() as usize;
        let taps = 2 * before;
        let phases = (l as usize).min(MAX_PHASES);
        let i0_beta = bessel_i0(KAISER_BETA);
        let mut table = vec![0.0f32; (phases + 1) * taps];
        for p in 0..=phases {
            let frac = p as f64 / phases as f64;
            let row = &mut table[p * taps..(p + 1) * taps];
            let mut sum = 0.0f64;
            let mut vals = vec![0.0f64; taps];
            for (j, v) in vals.iter_mut().enumerate() {
                // distance from the output position to input sample k = i0 − before + 1 + j
                let t = frac + before as f64 - 1.0 - j as f64;
                if t.abs() >= half {
                    continue;
                }
                let x = 2.0 * fc * t;
                let sinc = if x.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
                };
                let r = t / half;
                let w = bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
                *v = 2.0 * fc * sinc * w;
                sum += *v;
            }
            // unity gain at DC for every phase
            for (c, v) in row.iter_mut().zip(&vals) {
                *c = (v / sum) as f32;
            }
        }
        let mut r = Self {
            in_rate,
            out_rate,
            step_num: m,
            step_den: l,
            table,
            phases,
            taps,
            before,
            hist: Vec::with_capacity(8192 + taps),
            hist_start: 0,
            pos_int: 0,
            pos_frac: 0,
            produced: 0,
            passthrough: in_rate == out_rate,
        };
        r.reset();
        r
    }

    pub fn in_rate(&self) -> u32 {
        self.in_rate
    }

    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    /// Taps per output sample.
    pub fn taps(&self) -> usize {
        self.taps
    }

    /// Back to the state of a new resampler (the signal starts again after silence).
    pub fn reset(&mut self) {
        self.hist.clear();
        // zeros before the first sample, so the first outputs have all their taps
        self.hist.resize(self.before, 0.0);
        self.hist_start = -(self.before as i64);
        self.pos_int = 0;
        self.pos_frac = 0;
        self.produced = 0;
    }

    /// Ends the stream: appends the outputs that still lie within the input (computed with zeros after its
    /// end), so that the stream gives `ceil(n · out / in)` outputs for its `n` inputs in all, then resets.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if self.passthrough {
            return;
        }
        let seen = (self.hist_start + self.hist.len() as i64).max(0) as u64;
        let wanted = (seen as u128 * self.step_den as u128).div_ceil(self.step_num as u128) as u64;
        let missing = wanted.saturating_sub(self.produced) as usize;
        if missing > 0 {
            let start = out.len();
            let zeros = vec![0.0f32; self.taps + 1];
            while out.len() - start < missing {
                let before = out.len();
                self.process(&zeros, out);
                debug_assert!(out.len() > before, "zeros always complete outputs");
            }
            out.truncate(start + missing);
        }
        self.reset();
    }

    /// Resamples `input` (the next samples of the stream) and appends the outputs it completes
    /// to `out`. Allocates only while `out` or the history grow past their capacity.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.passthrough {
            out.extend_from_slice(input);
            return;
        }
        self.hist.extend_from_slice(input);
        let hist_end = self.hist_start + self.hist.len() as i64; // one past the last input sample
        let taps = self.taps;
        let exact = self.phases as u64 == self.step_den;
        loop {
            let first = self.pos_int - self.before as i64 + 1;
            if first + taps as i64 > hist_end {
                break;
            }
            let x = &self.hist[(first - self.hist_start) as usize..][..taps];
            let y = if exact {
                let row = &self.table[self.pos_frac as usize * taps..][..taps];
                dot(x, row)
            } else {
                let f = self.pos_frac as f64 / self.step_den as f64 * self.phases as f64;
                let p = (f.floor() as usize).min(self.phases - 1);
                let w = (f - p as f64) as f32;
                let a = dot(x, &self.table[p * taps..][..taps]);
                let b = dot(x, &self.table[(p + 1) * taps..][..taps]);
                a + (b - a) * w
            };
            out.push(y);
            self.produced += 1;
            self.pos_frac += self.step_num;
            self.pos_int += (self.pos_frac / self.step_den) as i64;
            self.pos_frac %= self.step_den;
        }
        // drop the history no later output needs
        let keep_from = self.pos_int - self.before as i64 + 1;
        let drop = (keep_from - self.hist_start).clamp(0, self.hist.len() as i64) as usize;
        if drop > 0 {
            self.hist.drain(..drop);
            self.hist_start += drop as i64;
        }
    }
}

#[inline]
fn dot(x: &[f32], h: &[f32]) -> f32 {
    // four partial sums: vectorises, and the order is fixed (streaming equals one-shot)
    let mut acc = [0.0f32; 4];
    let (xc, xr) = x.split_at(x.len() / 4 * 4);
    let (hc, hr) = h.split_at(xc.len());
    for (a, b) in xc.chunks_exact(4).zip(hc.chunks_exact(4)) {
        for k in 0..4 {
            acc[k] += a[k] * b[k];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (a, b) in xr.iter().zip(hr) {
        s += a * b;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(rate: u32, freq: f64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (0.5 * (2.0 * PI * freq * i as f64 / rate as f64).sin()) as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn a_1khz_sine_keeps_its_frequency_phase_and_length() {
        for (from, to) in [
            (48_000u32, 22_050u32),
            (44_100, 22_050),
            (16_000, 22_050),
            (96_000, 22_050),
            (22_050, 16_000),
            (44_100, 16_000),
            (48_000, 16_000),
            (44_056, 22_050),
        ] {
            let x = sine(from, 1000.0, from as usize); // 1 s
            let y = resample(&x, from, to);
            assert_eq!(y.len(), to as usize, "{from} -> {to}");
            let want = sine(to, 1000.0, y.len());
            // away from the two ends (zeros outside the signal), the ideal band-limited result
            let skip = 400;
            let err = y[skip..y.len() - skip]
                .iter()
                .zip(&want[skip..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(err < 1e-4, "{from} -> {to}: max error {err}");
        }
    }

    #[test]
    fn lengths_follow_librosa() {
        let x = vec![0.1f32; 48_001];
        assert_eq!(resample(&x, 48_000, 22_050).len(), 22_051);
        assert_eq!(resample(&x, 22_050, 22_050).len(), 48_001);
        assert_eq!(resample(&x[..10], 8_000, 22_050).len(), 28);
        assert_eq!(resample(&x, 22_050, 16_000).len(), 34_831);
        assert_eq!(output_len(661_500, 22_050, 16_000), 480_000);
        assert!(resample(&[], 44_100, 22_050).is_empty());
        // a constant stays constant (unity DC gain) away from the ends
        let y = resample(&x, 48_000, 22_050);
        assert!(y[300..y.len() - 300].iter().all(|v| (v - 0.1).abs() < 1e-5));
    }

    #[test]
    fn streaming_in_odd_blocks_then_flush_equals_one_shot() {
        for (from, to) in [
            (48_000u32, 22_050u32),
            (44_100, 22_050),
            (44_056, 22_050),
            (22_050, 16_000),
        ] {
            let x: Vec<f32> = (0..from as usize / 2)
                .map(|i| ((i as f32 * 0.013).sin() + (i as f32 * 0.41).cos()) * 0.3)
                .collect();
            let whole = resample(&x, from, to);
            let mut r = Resampler::new(from, to);
            let mut out = Vec::new();
            let mut at = 0;
            for size in [1usize, 127, 128, 7, 1000, 3, 4096, 333].iter().cycle() {
                if at >= x.len() {
                    break;
                }
                let end = (at + size).min(x.len());
                r.process(&x[at..end], &mut out);
                at = end;
            }
            assert!(
                out.len() < whole.len(),
                "the stream's tail waits for more input"
            );
            r.flush(&mut out);
            assert_eq!(out.len(), whole.len(), "{from}");
            assert!(
                out.iter().zip(&whole).all(|(a, b)| a == b),
                "{from}: streaming differs from one-shot"
            );
            // flush resets: the next stream starts afresh
            let mut again = Vec::new();
            r.process(&x, &mut again);
            r.flush(&mut again);
            assert_eq!(again, whole);
        }
    }

    #[test]
    fn tones_above_the_new_nyquist_do_not_fold_back() {
        // 15 kHz at 48 kHz would alias to 7.05 kHz at 22 050 Hz without the low-pass
        let x = sine(48_000, 15_000.0, 48_000);
        let y = resample(&x, 48_000, 22_050);
        let level = rms(&y[500..y.len() - 500]) / rms(&x);
        assert!(
            level < 1e-5,
            "15 kHz leaks through at {:.1} dB",
            20.0 * level.log10()
        );
        // 9 kHz at 22 050 Hz would alias to 7 kHz at 16 kHz
        let y = resample(&sine(22_050, 9_000.0, 22_050), 22_050, 16_000);
        let level = rms(&y[500..y.len() - 500]) / (0.5 / 2f64.sqrt());
        assert!(
            level < 1e-5,
            "9 kHz leaks through at {:.1} dB",
            20.0 * level.log10()
        );
        // while 8 kHz passes to 22 050 Hz, and 6 kHz to 16 kHz (the pass band ends at 0.917 of Nyquist,
        // with the transition above)
        for (from, to, f) in [(48_000u32, 22_050u32, 8_000.0), (22_050, 16_000, 6_000.0)] {
            let y = resample(&sine(from, f, from as usize), from, to);
            let gain = rms(&y[500..y.len() - 500]) / (0.5 / 2f64.sqrt());
            assert!(
                (gain - 1.0).abs() < 1e-3,
                "{f} Hz gain {gain} ({from} -> {to})"
            );
        }
    }

    #[test]
    fn same_rate_passes_through_and_reset_restarts() {
        let x = sine(22_050, 440.0, 1000);
        assert_eq!(resample(&x, 22_050, 22_050), x);
        let mut r = Resampler::new(48_000, 22_050);
        let mut a = Vec::new();
        r.process(&sine(48_000, 440.0, 5000), &mut a);
        r.reset();
        let mut b = Vec::new();
        r.process(&sine(48_000, 440.0, 5000), &mut b);
        assert_eq!(a, b);
    }
}
