//! A generated 10-class set of music-like signals that differ in tempo, timbre and harmony,
//! so a correct pipeline (features → model → loss → export) must learn it to near-perfect
//! accuracy. It is not music and never called a genre set: labels say what differs.

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::f32::consts::PI;
use std::path::Path;

use genre::features::SAMPLE_RATE;

/// (label, beats per minute, chord root pitch class, minor?, harmonic roll-off, noise hits?)
pub const CLASSES: [(&str, f32, usize, bool, f32, bool); 10] = [
    ("slow-c-major-pure", 70.0, 0, false, 0.2, false),
    ("slow-a-minor-bright", 75.0, 9, true, 0.9, false),
    ("mid-g-major-bright", 100.0, 7, false, 0.9, true),
    ("mid-e-minor-pure", 95.0, 4, true, 0.2, true),
    ("fast-d-major-pure", 140.0, 2, false, 0.25, true),
    ("fast-b-minor-bright", 150.0, 11, true, 0.85, true),
    ("mid-f-major-noisy", 110.0, 5, false, 0.5, true),
    ("slow-fsharp-minor-noisy", 65.0, 6, true, 0.6, true),
    ("fast-bflat-major-hollow", 130.0, 10, false, 0.7, false),
    ("mid-csharp-minor-hollow", 120.0, 1, true, 0.4, false),
];

/// One example of class `c`: a chord of three notes with the class's timbre, re-struck on
/// every beat, plus noise bursts on off-beats for classes that have them. Small random
/// variations (tempo ±3%, detune ±20 cents, level, phase, noise floor) per example.
pub fn example(c: usize, seconds: f32, rng: &mut StdRng) -> Vec<f32> {
    let (_, bpm, root, minor, rolloff, hits) = CLASSES[c];
    let sr = SAMPLE_RATE as f32;
    let n = (seconds * sr) as usize;
    let bpm = bpm * rng.random_range(0.97..1.03);
    let detune = 2f32.powf(rng.random_range(-0.2..0.2) / 12.0);
    let beat = 60.0 / bpm;
    let offset = rng.random_range(0.0..beat);
    let hollow = CLASSES[c].0.ends_with("hollow");
    let third = if minor { 3 } else { 4 };
    let freqs: Vec<f32> = [0, third, 7]
        .iter()
        .map(|&st| 220.0 * 2f32.powf(((root + st) as f32 - 9.0) / 12.0) * detune)
        .collect();
    let level = rng.random_range(0.15..0.35);
    let mut out = vec![0.0f32; n];
    for (i, y) in out.iter_mut().enumerate() {
        let t = i as f32 / sr;
        let since_beat = (t + offset) % beat;
        let env = (-since_beat * 4.0).exp();
        let mut s = 0.0;
        for &f in &freqs {
            for h in 1..=8 {
                if hollow && h % 2 == 0 {
                    continue;
                }
                let fh = f * h as f32;
                if fh >= sr / 2.0 {
                    break;
                }
                s += rolloff.powi(h - 1) * (2.0 * PI * fh * t).sin();
            }
        }
        *y = level * env * s / freqs.len() as f32;
        if hits {
            let since_off = (t + offset + beat / 2.0) % beat;
            if since_off < 0.04 {
                *y += 0.3 * (-since_off * 60.0).exp() * rng.random_range(-1.0f32..1.0);
            }
        }
        *y += 0.003 * rng.random_range(-1.0f32..1.0);
    }
    out
}

/// Writes `per_class` WAV files of `seconds` each for the first `classes` classes into
/// `out/<label>/<label>.NNNNN.wav`.
pub fn write_set(
    out: &Path,
    classes: usize,
    per_class: usize,
    seconds: f32,
    seed: u64,
) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for (c, class) in CLASSES.iter().enumerate().take(classes) {
        let dir = out.join(class.0);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for i in 0..per_class {
            let path = dir.join(format!("{}.{i:05}.wav", class.0));
            let mut w = hound::WavWriter::create(&path, spec)
                .with_context(|| format!("cannot write {}", path.display()))?;
            for x in example(c, seconds, &mut rng) {
                w.write_sample((x.clamp(-1.0, 1.0) * 32767.0) as i16)?;
            }
            w.finalize()?;
        }
    }
    Ok(())
}
