//! A band-limited resampler for streaming blocks: any device rate (44.1 kHz, 48 kHz, 16 kHz,
//! 96 kHz, …) to the features' 22 050 Hz.
//!
//! Rational polyphase with a Kaiser-windowed sinc: for rates `in` and `out` with
//! `g = gcd(in, out)`, output sample `n` lies at input position `n · M / L` (`M = in/g`,
//! `L = out/g`), so every output uses one of `L` precomputed phases of the filter, exactly.
//! (For rates whose `L` would exceed [`MAX_PHASES`], the nearest of `MAX_PHASES` phases is
//! linearly interpolated.) The low-pass cuts at [`ROLLOFF`] of the lower Nyquist frequency, so
//! nothing above 11 025 Hz folds back into the band the mel filters see.
//!
//! Streaming: input is appended to a short history; every output whose taps are all available
//! is produced; consumed history is dropped. The arithmetic per output does not depend on how
//! the input was split, so any block sizes give exactly the one-shot result. The filter is
//! centred (linear phase): the output lags the input by its half-length, under 1 ms.

/// Most exact phases kept; rarer rates interpolate between phases.
pub const MAX_PHASES: usize = 1024;
/// Cutoff as a fraction of the lower of the two Nyquist frequencies.
pub const ROLLOFF: f64 = 0.95;
/// Zero crossings of the sinc on each side (at the lower rate): the filter's length.
pub const ZERO_CROSSINGS: f64 = 32.0;
/// Kaiser window β (about 90 dB stopband).
pub const KAISER_BETA: f64 = 9.0;

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
        let half = ZERO_CROSSINGS / (2.0 * fc); // in input samples
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

    /// One-shot: the whole signal at once.
    pub fn resample(in_rate: u32, out_rate: u32, input: &[f32]) -> Vec<f32> {
        let mut r = Self::new(in_rate, out_rate);
        let mut out = Vec::with_capacity(input.len() * out_rate as usize / in_rate as usize + 1);
        r.process(input, &mut out);
        out
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
    fn a_1khz_sine_at_48k_becomes_a_1khz_sine_at_22050() {
        for rate in [48_000u32, 44_100, 16_000, 96_000] {
            let x = sine(rate, 1000.0, rate as usize); // 1 s
            let y = Resampler::resample(rate, 22_050, &x);
            let expected_len = 22_050usize;
            // all but the last half-filter of outputs are complete
            assert!(
                y.len() <= expected_len && y.len() + 200 > expected_len,
                "{rate}: {} outputs",
                y.len()
            );
            let want = sine(22_050, 1000.0, y.len());
            // skip the start (the zeros before the signal) and compare
            let skip = 200;
            let err = y[skip..]
                .iter()
                .zip(&want[skip..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(err < 2e-3, "{rate} Hz: max error {err}");
        }
    }

    #[test]
    fn streaming_in_odd_blocks_equals_one_shot() {
        for rate in [48_000u32, 44_100, 44_056] {
            let x: Vec<f32> = (0..rate as usize / 2)
                .map(|i| ((i as f32 * 0.013).sin() + (i as f32 * 0.41).cos()) * 0.3)
                .collect();
            let whole = Resampler::resample(rate, 22_050, &x);
            let mut r = Resampler::new(rate, 22_050);
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
            assert_eq!(out.len(), whole.len(), "{rate}");
            assert!(
                out.iter().zip(&whole).all(|(a, b)| a == b),
                "{rate}: streaming differs from one-shot"
            );
        }
    }

    #[test]
    fn tones_above_the_new_nyquist_do_not_fold_back() {
        // 15 kHz at 48 kHz would alias to 7.05 kHz at 22 050 Hz without the low-pass
        let x = sine(48_000, 15_000.0, 48_000);
        let y = Resampler::resample(48_000, 22_050, &x);
        let level = rms(&y[500..]) / rms(&x);
        assert!(
            level < 1e-3,
            "15 kHz leaks through at {:.1} dB",
            20.0 * level.log10()
        );
        // 12 kHz too (above 11 025 Hz, in the transition band's far side)
        let y = Resampler::resample(48_000, 22_050, &sine(48_000, 12_000.0, 48_000));
        let level = rms(&y[500..]) / 0.5f64 * 2f64.sqrt();
        assert!(
            level < 3e-2,
            "12 kHz leaks through at {:.1} dB",
            20.0 * level.log10()
        );
        // while 8 kHz passes
        let y = Resampler::resample(48_000, 22_050, &sine(48_000, 8_000.0, 48_000));
        let gain = rms(&y[500..y.len() - 100]) / (0.5 / 2f64.sqrt());
        assert!((gain - 1.0).abs() < 0.01, "8 kHz gain {gain}");
    }

    #[test]
    fn same_rate_passes_through_and_reset_restarts() {
        let x = sine(22_050, 440.0, 1000);
        assert_eq!(Resampler::resample(22_050, 22_050, &x), x);
        let mut r = Resampler::new(48_000, 22_050);
        let mut a = Vec::new();
        r.process(&sine(48_000, 440.0, 5000), &mut a);
        r.reset();
        let mut b = Vec::new();
        r.process(&sine(48_000, 440.0, 5000), &mut b);
        assert_eq!(a, b);
    }
}
