//! The feature extractor against librosa 0.11, on the fixtures of `scripts/make_fixtures.py`
//! (`tests/fixtures/*.bin`): mel dB max |err| ≤ 0.01 dB, MFCC max |err| ≤ 0.01, chroma max |err| ≤ 1e-3,
//! shapes 12×130, 128×130, 20×130. The real-clip fixtures (`tests/fixtures/real/`) hold no audio: their
//! excerpts are decoded here from the shared data folder (`GENRE_DATA`, else `../shared/data`), and that test
//! is skipped, saying so, where the folder is absent. Native only (the browser runs `tests/wasm_features.rs`).
//!
//! Also checks the stored native outputs (`tests/fixtures/native/*.bin`, which the browser test compares the
//! wasm build with) are still what this build computes. Regenerate them after a deliberate change with
//! `cargo test -p genre --test features_reference -- --ignored write_native_fixtures`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/fixture.rs"]
mod fixture;
#[path = "support/ogg.rs"]
mod ogg;

use std::path::PathBuf;

use genre::features::{FeatureExtractor, FeatureParams, PcenParams, SEGMENT_FRAMES};

fn native_dir() -> PathBuf {
    ogg::paths::manifest_dir().join("tests/fixtures/native")
}

#[test]
fn fixtures_match_librosa() {
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    println!(
        "{:<20} {:>12} {:>12} {:>12}",
        "fixture", "chroma", "mel dB", "MFCC"
    );
    for (name, bytes) in fixture::LIBROSA {
        let fix = fixture::parse(bytes);
        assert_eq!(fix.samples.len(), 66_150, "{name}: a 3-s segment");
        assert_eq!(fix.reference.n_frames, SEGMENT_FRAMES, "{name}: 130 frames");
        let got = fx.compute(&fix.samples);
        let e = fixture::check_against_librosa(name, &got, &fix.reference);
        println!(
            "{name:<20} {:>12.3e} {:>12.3e} {:>12.3e}",
            e.chroma, e.mel_db, e.mfcc
        );
    }
}

#[test]
fn real_clips_match_librosa() {
    let Some(data) = ogg::paths::shared_data_if_present("") else {
        return;
    };
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    for (name, bytes) in fixture::REAL {
        let fix = fixture::parse_real(bytes);
        let path = data.join(&fix.source);
        let clip =
            ogg::decode_ogg(&path).unwrap_or_else(|e| panic!("{name}: {}: {e}", path.display()));
        let end = fix.start + fix.n_samples;
        assert!(
            clip.len() >= end,
            "{name}: {} has only {} samples",
            path.display(),
            clip.len()
        );
        let got = fx.compute(&clip[fix.start..end]);
        assert_eq!(got.n_frames, SEGMENT_FRAMES, "{name}: 130 frames");
        let e = fixture::check_against_librosa(name, &got, &fix.reference);
        println!(
            "{name:<20} {:>12.3e} {:>12.3e} {:>12.3e}  ({} samples {}..{end}, decoded here)",
            e.chroma, e.mel_db, e.mfcc, fix.source, fix.start
        );
    }
}

#[test]
fn pcen_matches_librosa() {
    let params = FeatureParams {
        pcen: Some(PcenParams::default()),
        ..FeatureParams::default()
    };
    let mut fx = FeatureExtractor::new(params);
    let mut db = FeatureExtractor::new(FeatureParams::default());
    let mut inputs: Vec<(&str, Vec<f32>, Vec<f32>)> = fixture::PCEN
        .iter()
        .map(|(name, bytes)| {
            let samples = fixture::synthetic(name).samples;
            (*name, samples, fixture::parse_pcen(bytes))
        })
        .collect();
    // the real excerpt's reference is not embedded (the browser cannot decode its audio anyway)
    if let Some(data) = ogg::paths::shared_data_if_present("") {
        let (name, bytes) = fixture::REAL[0];
        let fix = fixture::parse_real(bytes);
        let clip = ogg::decode_ogg(&data.join(&fix.source)).expect("decodes");
        let path = ogg::paths::manifest_dir().join(format!("tests/fixtures/pcen/{name}.f32"));
        let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let samples = clip[fix.start..fix.start + fix.n_samples].to_vec();
        inputs.push((name, samples, fixture::parse_pcen(&want)));
    }
    for (name, samples, want) in inputs {
        let got = fx.compute(&samples);
        let err = fixture::check_pcen(name, &got.mel_db, &want);
        println!("{name:<20} PCEN {err:.3e}");
        // Only the mel image changes: the MFCCs still come from dB, the chromagram is untouched.
        let plain = db.compute(&samples);
        assert_eq!((got.chroma, got.mfcc), (plain.chroma, plain.mfcc), "{name}");
        assert_ne!(got.mel_db, plain.mel_db, "{name}");
    }
}

#[test]
fn stored_native_outputs_are_current() {
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    for (name, bytes) in fixture::LIBROSA {
        let path = native_dir().join(format!("{name}.bin"));
        let stored = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; write it with `cargo test -p genre --test features_reference -- --ignored write_native_fixtures`",
                path.display()
            )
        });
        let native = fixture::parse_native(&stored);
        let got = fx.compute(&fixture::parse(bytes).samples);
        let e = fixture::check_against_native(name, &got, &native);
        println!("{name:<20} native vs stored native: {e:.3e}");
    }
}

/// Writes this build's outputs for every fixture to `tests/fixtures/native/` (run by hand).
#[test]
#[ignore]
fn write_native_fixtures() {
    let mut fx = FeatureExtractor::new(FeatureParams::default());
    std::fs::create_dir_all(native_dir()).unwrap();
    for (name, bytes) in fixture::LIBROSA {
        let got = fx.compute(&fixture::parse(bytes).samples);
        let path = native_dir().join(format!("{name}.bin"));
        std::fs::write(&path, fixture::encode_native(&got)).unwrap();
        println!("wrote {}", path.display());
    }
}
