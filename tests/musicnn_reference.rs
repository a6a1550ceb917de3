//! The pretrained front end against TensorFlow (natively; the browser runs the same checks on flex, ndarray
//! and WebGPU in `tests/wasm_musicnn.rs`), on the fixtures of `scripts/import_musicnn.py`:
//! - the network (`pretrained/msd_musicnn/weights.safetensors`, kernels float24) fed TF's log-mel input
//!   gives TF's penultimate layer and taggram within `TOL_NETWORK` (1e-4) of their largest value, for
//!   synthetic and real (GTZAN) patches, one batch for all of them;
//! - the 16 kHz log-mel (`LogMelExtractor`) of the synthetic inputs equals librosa's within `TOL_LOGMEL`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "fixtures/musicnn.rs"]
mod fixture;
#[path = "support/paths.rs"]
mod paths;

use burn::tensor::{Device, Tensor, TensorData};
use genre::features::{LogMelExtractor, LogMelParams};
use genre::model::musicnn::{BANDS, FRAMES, Musicnn, MusicnnWeights};

fn weights() -> MusicnnWeights {
    let path = paths::manifest_dir().join("pretrained/msd_musicnn/weights.safetensors");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    MusicnnWeights::from_safetensors(&bytes).expect("the committed weights load")
}

#[test]
fn network_matches_tensorflow() {
    let device = Device::flex();
    let net = Musicnn::new(&weights(), &device);
    let cases: Vec<_> = fixture::CASES
        .iter()
        .map(|(n, b)| (*n, fixture::parse(b)))
        .collect();
    let data: Vec<f32> = cases.iter().flat_map(|(_, c)| c.logmel.clone()).collect();
    let x = Tensor::<3>::from_data(TensorData::new(data, [cases.len(), FRAMES, BANDS]), &device);
    let out = net.forward(x);
    let pen = out
        .penultimate
        .into_data()
        .try_to_vec::<f32>()
        .expect("f32");
    let tags = out.taggram.into_data().try_to_vec::<f32>().expect("f32");
    for (i, (name, c)) in cases.iter().enumerate() {
        let e_pen = fixture::rel_to_max(&pen[i * 200..(i + 1) * 200], &c.penultimate);
        let e_tag = fixture::rel_to_max(&tags[i * 50..(i + 1) * 50], &c.taggram);
        println!("{name:<24} penultimate {e_pen:.2e}  taggram {e_tag:.2e} (of the largest value)");
        assert!(
            e_pen <= fixture::TOL_NETWORK,
            "{name}: penultimate {e_pen:.3e}"
        );
        assert!(e_tag <= fixture::TOL_NETWORK, "{name}: taggram {e_tag:.3e}");
    }
}

#[test]
fn log_mel_matches_librosa() {
    let mut fx = LogMelExtractor::new(LogMelParams::default());
    let mut checked = 0;
    for (name, bytes) in fixture::CASES {
        let c = fixture::parse(bytes);
        if c.samples.is_empty() {
            continue; // a real patch: its audio is not in the project
        }
        let got = fx.patch(&c.samples);
        let err = fixture::max_rel1_err(&got, &c.logmel);
        println!("{name:<10} log-mel max error {err:.2e}");
        assert!(
            err <= fixture::TOL_LOGMEL,
            "{name}: log-mel error {err:.3e}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4, "the four synthetic fixtures");
}
