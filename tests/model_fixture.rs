//! The native logits of the shipped model (`web/model/model.genre`) for a few generated 3-s
//! signals, kept in `tests/fixtures/model_logits.json` so that the browser test
//! (`tests/wasm_model.rs`) can check that the page computes the same numbers.
//!
//! Regenerate whenever the model changes:
//! `cargo test --release --test model_fixture -- --ignored`
//! (`model_logits_fixture_is_current` fails until then, naming the command).
// burn-ndarray is deprecated upstream but is the CPU fallback the page keeps selectable.
#![allow(deprecated)]
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/model_signals.rs"]
mod model_signals;
#[path = "support/paths.rs"]
mod paths;

use burn::tensor::Device;
use genre::inference::Classifier;
use serde_json::{Value, json};

const MODEL: &str = "web/model/model.genre";
const FIXTURE: &str = "tests/fixtures/model_logits.json";
const REGENERATE: &str = "cargo test --release --test model_fixture -- --ignored";

fn in_project(relative: &str) -> std::path::PathBuf {
    paths::manifest_dir().join(relative)
}

#[allow(deprecated)] // ndarray: the reference CPU backend
fn reference_device() -> Device {
    Device::ndarray()
}

/// Labels and the logits of every fixture signal (one batched forward pass, as the page does).
fn native_logits(bytes: &[u8]) -> (Vec<String>, Vec<(&'static str, Vec<f32>)>) {
    let mut classifier = Classifier::from_bytes(bytes, &reference_device()).expect("model loads");
    let signals = model_signals::signals();
    let inputs = model_signals::signal_inputs(&mut classifier, &signals);
    let refs: Vec<_> = inputs.iter().collect();
    let logits = classifier
        .forward(&refs)
        .logits
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32 logits");
    let k = classifier.labels().len();
    let rows = signals
        .iter()
        .zip(logits.chunks(k))
        .map(|((name, _), row)| (*name, row.to_vec()))
        .collect();
    (classifier.labels().to_vec(), rows)
}

#[test]
#[ignore = "writes tests/fixtures/model_logits.json; run when web/model/model.genre changes"]
fn write_model_logits_fixture() {
    let bytes = std::fs::read(in_project(MODEL))
        .expect("web/model/model.genre (train or install a model first)");
    let (labels, rows) = native_logits(&bytes);
    let fixture = json!({
        "about": "Native (ndarray) logits of web/model/model.genre for the signals of tests/support/model_signals.rs; checked in the browser by tests/wasm_model.rs",
        "regenerate": REGENERATE,
        "model_bytes": bytes.len(),
        "model_fnv1a64": model_signals::fnv1a64(&bytes),
        "labels": labels,
        "signals": rows.iter().map(|(name, l)| json!({ "name": name, "logits": l })).collect::<Vec<_>>(),
    });
    std::fs::write(
        in_project(FIXTURE),
        serde_json::to_string_pretty(&fixture).unwrap() + "\n",
    )
    .unwrap();
    eprintln!("wrote {FIXTURE}");
}

#[test]
fn model_logits_fixture_is_current() {
    let Ok(bytes) = std::fs::read(in_project(MODEL)) else {
        eprintln!("skipped: no web/model/model.genre");
        return;
    };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(in_project(FIXTURE))
            .unwrap_or_else(|_| panic!("no {FIXTURE}: run `{REGENERATE}`")),
    )
    .unwrap();
    assert_eq!(
        fixture["model_fnv1a64"].as_str().unwrap(),
        model_signals::fnv1a64(&bytes),
        "web/model/model.genre changed since tests/fixtures/model_logits.json was written: run `{REGENERATE}`"
    );
    let (labels, rows) = native_logits(&bytes);
    let want_labels: Vec<String> = serde_json::from_value(fixture["labels"].clone()).unwrap();
    assert_eq!(labels, want_labels);
    for ((name, got), want) in rows.iter().zip(fixture["signals"].as_array().unwrap()) {
        assert_eq!(*name, want["name"].as_str().unwrap());
        let want: Vec<f32> = serde_json::from_value(want["logits"].clone()).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-5,
                "{name}: native logit {g} vs fixture {w}"
            );
        }
    }
}

/// An untrained (randomly initialised) model with the ten GTZAN labels, for developing the page
/// before a trained model exists: `GENRE_DEV_MODEL_OUT=/tmp/dev.genre cargo test --release
/// --test model_fixture -- --ignored write_untrained_dev_model`. Its manifest says plainly that
/// it learned nothing; never ship it.
#[test]
#[ignore = "writes an untrained model for page development"]
fn write_untrained_dev_model() {
    use genre::features::FeatureParams;
    use genre::inference::{
        BandStats, FORMAT_NAME, FORMAT_VERSION, Manifest, Normalisation, Scores, TrainedOn,
        encode_model_file,
    };
    use genre::model::{Fusion, GenreCnn, HeadKind, ModelConfig};
    let Ok(out) = std::env::var("GENRE_DEV_MODEL_OUT") else {
        eprintln!("set GENRE_DEV_MODEL_OUT to the file to write");
        return;
    };
    let labels: Vec<String> = genre::GTZAN_GENRES.iter().map(|s| s.to_string()).collect();
    let config = ModelConfig::new(labels.len(), &HeadKind::SEED, Fusion::Concat);
    let stats = |head, n: usize, mean: f32, std: f32| BandStats {
        head,
        mean: vec![mean; n],
        std: vec![std; n],
    };
    let manifest = Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION,
        labels,
        features: FeatureParams::default(),
        normalisation: Normalisation {
            heads: vec![
                stats(HeadKind::Chroma, 12, 0.5, 0.3),
                stats(HeadKind::Mel, 128, -40.0, 20.0),
                stats(HeadKind::Mfcc, 20, 0.0, 50.0),
            ],
        },
        model: config.clone(),
        trained_on: TrainedOn {
            dataset: "nothing (random weights, for page development only)".into(),
            real_music: false,
            train_files: Default::default(),
            valid_files: Default::default(),
            split: "none".into(),
            date: "1970-01-01".into(),
            notes: String::new(),
        },
        scores: Scores::default(),
        front_end: None,
        calibration: None,
    };
    let model = GenreCnn::new(&config, &reference_device());
    std::fs::write(&out, encode_model_file(&manifest, model, None).unwrap()).unwrap();
    eprintln!("wrote {out}");
}
