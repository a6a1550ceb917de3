//! Deterministic 3-s test signals for the model-logit fixture, computed in code (no audio file),
//! shared by the native fixture generator (`tests/model_fixture.rs`) and the browser test
//! (`tests/wasm_model.rs`). Computed in f64 and rounded to f32, so native and wasm builds give
//! the same samples.

#![allow(dead_code)]

pub const SAMPLE_RATE: f64 = 22_050.0;
pub const N: usize = 66_150;

fn tone(freqs: &[(f64, f64)], envelope: impl Fn(f64) -> f64) -> Vec<f32> {
    (0..N)
        .map(|i| {
            let t = i as f64 / SAMPLE_RATE;
            let x: f64 = freqs
                .iter()
                .map(|&(f, a)| a * (2.0 * std::f64::consts::PI * f * t).sin())
                .sum();
            (envelope(t) * x) as f32
        })
        .collect()
}

/// A small linear congruential generator: the same noise on every platform.
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// What the model reads of each of `signals` (from [`signals`]), each one 3-s window (with the front
/// end's input resampled from the window alone, as the microphone's are).
pub fn signal_inputs(
    classifier: &mut genre::inference::Classifier,
    signals: &[(&'static str, Vec<f32>)],
) -> Vec<genre::inference::SegmentInput> {
    signals
        .iter()
        .map(|(_, x)| classifier.window_input(x))
        .collect()
}

/// `(name, samples)` of every fixture signal, in a fixed order.
pub fn signals() -> Vec<(&'static str, Vec<f32>)> {
    let pi2 = 2.0 * std::f64::consts::PI;
    let mut out = Vec::new();
    out.push(("sine_440", tone(&[(440.0, 0.5)], |_| 1.0)));
    out.push((
        "c_major_chord",
        tone(
            &[(261.63, 0.3), (329.63, 0.25), (392.0, 0.25), (523.25, 0.1)],
            |t| 0.4 + 0.6 * (-3.0 * (t % 0.75)).exp(),
        ),
    ));
    out.push((
        "chirp",
        (0..N)
            .map(|i| {
                let t = i as f64 / SAMPLE_RATE;
                // 100 Hz → 4 kHz over 3 s, phase = 2π(f0 t + k t²/2)
                let k = (4000.0 - 100.0) / 3.0;
                (0.4 * (pi2 * (100.0 * t + 0.5 * k * t * t)).sin()) as f32
            })
            .collect(),
    ));
    let mut rnd = noise(7);
    out.push((
        "white_noise",
        (0..N).map(|_| (0.3 * rnd()) as f32).collect(),
    ));
    // a drum-like pattern: decaying noise bursts and a 55 Hz kick on every beat at 120 bpm
    let mut rnd = noise(11);
    out.push((
        "beat",
        (0..N)
            .map(|i| {
                let t = i as f64 / SAMPLE_RATE;
                let beat = t % 0.5;
                let kick = (-25.0 * beat).exp() * (pi2 * 55.0 * t).sin();
                let hat_t = (t + 0.25) % 0.5;
                let hat = 0.3 * (-60.0 * hat_t).exp() * rnd();
                (0.6 * kick + hat) as f32
            })
            .collect(),
    ));
    // a bass line with harmonics, moving every half second
    out.push((
        "bass_line",
        (0..N)
            .map(|i| {
                let t = i as f64 / SAMPLE_RATE;
                let notes = [55.0, 65.41, 73.42, 82.41, 73.42, 65.41];
                let f = notes[((t / 0.5) as usize) % notes.len()];
                let x: f64 = (1..=6)
                    .map(|h| (pi2 * f * h as f64 * t).sin() / h as f64)
                    .sum();
                (0.3 * x) as f32
            })
            .collect(),
    ));
    out.push(("silence", vec![0.0; N]));
    out
}

/// FNV-1a (64 bit) of the model file: the fixture says which model it was made from.
pub fn fnv1a64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
