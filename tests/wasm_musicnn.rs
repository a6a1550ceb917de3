//! The pretrained front end and the one resampler in a real browser (`wasm-pack test --headless --chrome`):
//! the same checks as `tests/musicnn_reference.rs` and `tests/resample_reference.rs`, on the wasm build.
//! - musicnn on flex, ndarray and WebGPU (SwiftShader in headless Chromium): penultimate layer and taggram
//!   within 1e-4 of the largest value of TensorFlow's, on every fixture patch (synthetic and real; two of
//!   them on WebGPU, whose software adapter is slow);
//! - the 16 kHz log-mel of the synthetic fixtures against librosa within 1e-4;
//! - the resampler against resampy within the native test's tolerances.
#![cfg(target_arch = "wasm32")]

#[path = "fixtures/musicnn.rs"]
mod fixture;
#[path = "fixtures/resample.rs"]
mod resample_fixture;

use burn::tensor::{Device, Tensor, TensorData};
use genre::features::{LogMelExtractor, LogMelParams};
use genre::model::musicnn::{BANDS, FRAMES, Musicnn, MusicnnWeights};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

static WEIGHTS: &[u8] = include_bytes!("../pretrained/msd_musicnn/weights.safetensors");

/// The fixture patches `only` names (all when empty) through the network on `device` in one batch,
/// compared with TensorFlow.
async fn check_network(device: &Device, backend: &str, only: &[&str]) {
    let w = MusicnnWeights::from_safetensors(WEIGHTS).expect("the weights load");
    let net = Musicnn::new(&w, device);
    let cases: Vec<_> = fixture::CASES
        .iter()
        .filter(|(n, _)| only.is_empty() || only.contains(n))
        .map(|(n, b)| (*n, fixture::parse(b)))
        .collect();
    let data: Vec<f32> = cases.iter().flat_map(|(_, c)| c.logmel.clone()).collect();
    let x = Tensor::<3>::from_data(TensorData::new(data, [cases.len(), FRAMES, BANDS]), device);
    let out = net.forward(x);
    let pen = out.penultimate.into_data_async().await.expect("read back");
    let tags = out.taggram.into_data_async().await.expect("read back");
    let (pen, tags) = (
        pen.as_slice::<f32>().unwrap(),
        tags.as_slice::<f32>().unwrap(),
    );
    let (mut worst_pen, mut worst_tag) = (0.0f32, 0.0f32);
    for (i, (name, c)) in cases.iter().enumerate() {
        let e_pen = fixture::rel_to_max(&pen[i * 200..(i + 1) * 200], &c.penultimate);
        let e_tag = fixture::rel_to_max(&tags[i * 50..(i + 1) * 50], &c.taggram);
        assert!(
            e_pen <= fixture::TOL_NETWORK,
            "{backend}, {name}: penultimate {e_pen:.3e}"
        );
        assert!(
            e_tag <= fixture::TOL_NETWORK,
            "{backend}, {name}: taggram {e_tag:.3e}"
        );
        worst_pen = worst_pen.max(e_pen);
        worst_tag = worst_tag.max(e_tag);
    }
    console_log!(
        "{backend}: musicnn vs TF, worst penultimate {worst_pen:.2e}, taggram {worst_tag:.2e}"
    );
}

#[wasm_bindgen_test]
async fn musicnn_on_flex_matches_tensorflow() {
    check_network(&Device::flex(), "flex", &[]).await;
}

#[wasm_bindgen_test]
async fn musicnn_on_ndarray_matches_tensorflow() {
    #[allow(deprecated)]
    let device = Device::ndarray();
    check_network(&device, "ndarray", &[]).await;
}

#[wasm_bindgen_test]
async fn musicnn_on_webgpu_matches_tensorflow() {
    let device = Device::wgpu_options().init_async().await.expect(
        "a WebGPU device (headless Chromium needs --enable-unsafe-webgpu, see webdriver.json)",
    );
    // headless Chromium's adapter emulates the GPU on the CPU (SwiftShader), ~20 s a patch here: one
    // synthetic and one real patch
    check_network(&device, "webgpu", &["music", "gtzan_metal_00002"]).await;
}

#[wasm_bindgen_test]
fn log_mel_matches_librosa() {
    let mut fx = LogMelExtractor::new(LogMelParams::default());
    let mut checked = 0;
    for (name, bytes) in fixture::CASES {
        let c = fixture::parse(bytes);
        if c.samples.is_empty() {
            continue;
        }
        let err = fixture::max_rel1_err(&fx.patch(&c.samples), &c.logmel);
        assert!(
            err <= fixture::TOL_LOGMEL,
            "{name}: log-mel error {err:.3e}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[wasm_bindgen_test]
fn resampler_matches_resampy() {
    for (name, bytes) in resample_fixture::CASES {
        let case = resample_fixture::parse(bytes);
        let got = genre::resample::resample(&case.input, case.from_hz, case.to_hz);
        let err = resample_fixture::max_error(&got, &case.want);
        let tol = resample_fixture::tolerance(case.from_hz, case.to_hz);
        assert!(err <= tol, "{name}: max error {err:.3e} > {tol:.0e}");
        console_log!("{name}: max |ours - resampy| = {err:.2e}");
    }
}
