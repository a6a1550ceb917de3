//! The model in a real browser: `wasm-pack test --headless --chrome -- --test wasm_model`
//! (add `--release` for speed). The shipped model loads, and for the generated signals of
//! `tests/support/model_signals.rs` its logits on ndarray, flex and WebGPU equal the native
//! ones kept in `tests/fixtures/model_logits.json`:
//! - ndarray: within 1e-4 (absolute);
//! - flex and WebGPU: within a relative tolerance of 1e-3 (`|a − b| ≤ 1e-3 · max(1, max |b| of the row)`),
//!   with the same top label for every signal.
//!
//! Headless Chromium's WebGPU adapter is SwiftShader (no GPU needed), so the WebGPU check runs in CI.

#![cfg(target_arch = "wasm32")]

#[path = "support/model_signals.rs"]
mod model_signals;

use burn::tensor::Device;
use genre::inference::{Classifier, argmax};
use serde_json::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

static MODEL: &[u8] = include_bytes!("../web/model/model.genre");
static FIXTURE: &str = include_str!("fixtures/model_logits.json");

const ABS_TOL_NDARRAY: f32 = 1e-4;
const REL_TOL: f32 = 1e-3;

struct Expected {
    labels: Vec<String>,
    rows: Vec<(String, Vec<f32>)>,
}

fn expected() -> Expected {
    let f: Value = serde_json::from_str(FIXTURE).expect("fixture JSON");
    assert_eq!(
        f["model_fnv1a64"].as_str().unwrap(),
        model_signals::fnv1a64(MODEL),
        "web/model/model.genre changed since tests/fixtures/model_logits.json was written: run `{}`",
        f["regenerate"].as_str().unwrap_or("")
    );
    Expected {
        labels: serde_json::from_value(f["labels"].clone()).unwrap(),
        rows: f["signals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    serde_json::from_value(s["logits"].clone()).unwrap(),
                )
            })
            .collect(),
    }
}

/// Logits of every fixture signal on `device`, in one batch, read back asynchronously.
async fn browser_logits(device: &Device) -> (Vec<String>, Vec<Vec<f32>>) {
    let mut classifier =
        Classifier::from_bytes(MODEL, device).expect("the model loads in the browser");
    let inputs = model_signals::signal_inputs(&mut classifier, &model_signals::signals());
    let refs: Vec<_> = inputs.iter().collect();
    let data = classifier
        .forward(&refs)
        .logits
        .into_data_async()
        .await
        .expect("logits read back");
    let flat = data.as_slice::<f32>().expect("f32 logits").to_vec();
    let k = classifier.labels().len();
    (
        classifier.labels().to_vec(),
        flat.chunks(k).map(|r| r.to_vec()).collect(),
    )
}

/// Compares with the native logits; returns the largest absolute and relative deviations.
fn compare(backend: &str, got: &[Vec<f32>], want: &Expected, abs_tol: Option<f32>) -> (f32, f32) {
    assert_eq!(got.len(), want.rows.len());
    let (mut max_abs, mut max_rel) = (0.0f32, 0.0f32);
    for (g, (name, w)) in got.iter().zip(&want.rows) {
        let scale = w.iter().fold(1.0f32, |m, x| m.max(x.abs()));
        for (a, b) in g.iter().zip(w) {
            let d = (a - b).abs();
            max_abs = max_abs.max(d);
            max_rel = max_rel.max(d / scale);
            if let Some(t) = abs_tol {
                assert!(
                    d <= t,
                    "{backend}, {name}: logit {a} vs native {b} (|Δ| {d} > {t})"
                );
            }
            assert!(
                d / scale <= REL_TOL,
                "{backend}, {name}: logit {a} vs native {b} (relative {} > {REL_TOL})",
                d / scale
            );
        }
        assert_eq!(
            argmax(g),
            argmax(w),
            "{backend}, {name}: top label {} vs native {}",
            want.labels[argmax(g)],
            want.labels[argmax(w)]
        );
    }
    web_sys::console::log_1(
        &format!(
            "{backend}: max |Δ| {max_abs:.2e}, max relative {max_rel:.2e} over {} signals",
            got.len()
        )
        .into(),
    );
    (max_abs, max_rel)
}

#[wasm_bindgen_test]
fn model_loads_with_its_manifest() {
    let want = expected();
    #[allow(deprecated)]
    let classifier = Classifier::from_bytes(MODEL, &Device::ndarray()).expect("the model loads");
    assert_eq!(classifier.labels(), want.labels.as_slice());
    assert!(!classifier.manifest.summary().is_empty());
}

#[wasm_bindgen_test]
fn a_damaged_model_is_refused_with_a_reason() {
    let mut bytes = MODEL.to_vec();
    bytes.truncate(bytes.len() / 2);
    #[allow(deprecated)]
    let err = Classifier::from_bytes(&bytes, &Device::ndarray())
        .err()
        .expect("a truncated model is refused");
    assert!(
        matches!(err, genre::inference::LoadError::Weights(_)),
        "a model cut in half has damaged weights, not another fault: {err}"
    );
    #[allow(deprecated)]
    let err = Classifier::from_bytes(b"not a model at all", &Device::ndarray())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not a genre model"), "{err}");
}

#[wasm_bindgen_test]
async fn ndarray_logits_equal_native() {
    let want = expected();
    #[allow(deprecated)]
    let (labels, got) = browser_logits(&Device::ndarray()).await;
    assert_eq!(labels, want.labels);
    compare("ndarray", &got, &want, Some(ABS_TOL_NDARRAY));
}

#[wasm_bindgen_test]
async fn flex_logits_equal_native() {
    let want = expected();
    let (_, got) = browser_logits(&Device::flex()).await;
    compare("flex", &got, &want, None);
}

#[wasm_bindgen_test]
async fn webgpu_logits_equal_native() {
    let want = expected();
    let device = Device::wgpu_options().init_async().await.expect(
        "a WebGPU device (headless Chromium needs --enable-unsafe-webgpu, see webdriver.json)",
    );
    let (_, got) = browser_logits(&device).await;
    compare("webgpu", &got, &want, None);
}
