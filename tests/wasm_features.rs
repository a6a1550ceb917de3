//! The reference fixtures in the browser: `wasm-pack test --headless --chrome` (wasm32 only).
//!
//! The same checks as `tests/features_reference.rs` (mel dB max |err| ≤ 0.01 dB, MFCC ≤ 0.01, chroma ≤ 1e-3
//! against librosa 0.11), plus: the wasm build's outputs equal the native build's stored outputs
//! (`tests/fixtures/native/*.bin`) within 1e-5·max(1, |x|), and PCEN (`FeatureParams::pcen`) matches librosa
//! within 1e-4·max(1, |x|). Fixtures are embedded with `include_bytes!`.
//! Only the synthetic fixtures: the real-clip ones hold no audio (the browser cannot read the shared data
//! folder); real music goes through the whole page against the native trainer in `tests/e2e/page.test.mjs`.
#![cfg(target_arch = "wasm32")]

#[path = "fixtures/fixture.rs"]
mod fixture;

use genre::features::{FeatureExtractor, FeatureParams, PcenParams, SEGMENT_FRAMES};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const NATIVE: [(&str, &[u8]); 7] = [
    ("sine_440", include_bytes!("fixtures/native/sine_440.bin")),
    ("sines", include_bytes!("fixtures/native/sines.bin")),
    ("chirp", include_bytes!("fixtures/native/chirp.bin")),
    ("noise", include_bytes!("fixtures/native/noise.bin")),
    ("silence", include_bytes!("fixtures/native/silence.bin")),
    ("click", include_bytes!("fixtures/native/click.bin")),
    (
        "quiet_sine",
        include_bytes!("fixtures/native/quiet_sine.bin"),
    ),
];

#[wasm_bindgen_test]
fn fixtures_match_librosa_in_the_browser() {
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    for (name, bytes) in fixture::LIBROSA {
        let fix = fixture::parse(bytes);
        assert_eq!(fix.reference.n_frames, SEGMENT_FRAMES, "{name}: 130 frames");
        let got = fx.compute(&fix.samples);
        let e = fixture::check_against_librosa(name, &got, &fix.reference);
        console_log!(
            "{name}: max |err| vs librosa: chroma {:.3e}, mel dB {:.3e}, MFCC {:.3e}",
            e.chroma,
            e.mel_db,
            e.mfcc
        );
    }
}

#[wasm_bindgen_test]
fn wasm_equals_native() {
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    for ((name, bytes), (native_name, native)) in fixture::LIBROSA.iter().zip(NATIVE) {
        assert_eq!(*name, native_name);
        let got = fx.compute(&fixture::parse(bytes).samples);
        let e = fixture::check_against_native(name, &got, &fixture::parse_native(native));
        console_log!("{name}: max |wasm − native| / max(1, |native|) = {e:.3e}");
    }
}

/// A model trained with PCEN gets the same mel image in the page as in the trainer: both match librosa.
#[wasm_bindgen_test]
fn pcen_matches_librosa_in_the_browser() {
    let mut fx = FeatureExtractor::new(FeatureParams {
        pcen: Some(PcenParams::default()),
        ..FeatureParams::default()
    });
    for (name, bytes) in fixture::PCEN {
        let got = fx.compute(&fixture::synthetic(name).samples);
        let err = fixture::check_pcen(name, &got.mel_db, &fixture::parse_pcen(bytes));
        console_log!("{name}: PCEN max |err| / max(1, |librosa|) = {err:.3e}");
    }
}

/// Not a timed assertion: logs how long a 30-s input takes in this browser (for BENCHMARKS.md).
#[wasm_bindgen_test]
fn time_a_30_second_clip() {
    // the noise fixture, repeated ten times (the extractor's cost does not depend on the signal)
    let fix = fixture::parse(fixture::LIBROSA[3].1);
    let clip: Vec<f32> = (0..10).flat_map(|_| fix.samples.iter().copied()).collect();
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    let mut out = genre::features::Features::default();
    fx.compute_into(&clip, &mut out); // warm-up
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t0 = js_sys::Date::now();
        fx.compute_into(&clip, &mut out);
        best = best.min(js_sys::Date::now() - t0);
    }
    assert!(out.mel_db.iter().all(|x| x.is_finite()));
    console_log!(
        "wasm: features of a 30-s clip ({} frames): best of 5 {best:.1} ms",
        out.n_frames
    );
}
