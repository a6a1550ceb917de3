//! Model files with the pretrained front end: written, read back and run by the one song pipeline
//! (`Classifier`), natively. The front end's own numbers are checked against TensorFlow in
//! `tests/musicnn_reference.rs`; here: that a model file carries it intact (float24 kernels, byte for byte
//! the network the trainer used), that the page's path (patches → network → normalised embedding → head)
//! gives what the parts give by hand, and that broken files are refused with the reason.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/paths.rs"]
mod paths;

use burn::tensor::{Device, Tensor, TensorData};
use genre::features::{FeatureParams, LogMelParams};
use genre::inference::{
    BandStats, Classifier, FORMAT_NAME, FORMAT_VERSION_FRONT_END, FrontEnd, LoadError, Manifest,
    Normalisation, Scores, TrainedOn, decode_model_parts, encode_model_file,
};
use genre::model::musicnn::{BANDS, EMBEDDING, FRAMES, Musicnn, MusicnnWeights};
use genre::model::{Fusion, GenreCnn, HeadKind, ModelConfig};

fn weights() -> MusicnnWeights {
    let path = paths::manifest_dir().join("pretrained/msd_musicnn/weights.safetensors");
    MusicnnWeights::from_safetensors(&std::fs::read(path).unwrap()).unwrap()
}

fn manifest(config: &ModelConfig) -> Manifest {
    let stats = |head: HeadKind, n: usize, m: f32, s: f32| BandStats {
        head,
        mean: (0..n).map(|i| m + 0.01 * i as f32).collect(),
        std: vec![s; n],
    };
    let heads = config
        .heads
        .iter()
        .zip(&config.input_heights)
        .map(|(&h, &n)| match h {
            HeadKind::Musicnn => stats(h, n, 0.2, 0.5),
            HeadKind::Mel => stats(h, n, -40.0, 20.0),
            HeadKind::Chroma => stats(h, n, 0.5, 0.3),
            HeadKind::Mfcc => stats(h, n, 0.0, 50.0),
        })
        .collect();
    Manifest {
        format: FORMAT_NAME.into(),
        format_version: FORMAT_VERSION_FRONT_END,
        labels: (0..config.n_classes).map(|i| format!("label{i}")).collect(),
        features: FeatureParams::default(),
        model: config.clone(),
        normalisation: Normalisation { heads },
        trained_on: TrainedOn {
            dataset: "nothing (random head)".into(),
            real_music: false,
            train_files: Default::default(),
            valid_files: Default::default(),
            split: "none".into(),
            date: "2026-12-01".into(),
            notes: String::new(),
        },
        scores: Scores::default(),
        front_end: Some(FrontEnd {
            name: "MSD_musicnn".into(),
            source: "test".into(),
            licence: "ISC".into(),
            weights_sha256: "0".into(),
            packed_bytes: 0,
            input: LogMelParams::default(),
        }),
        calibration: None,
    }
}

/// 7 s of a tone with a beat, at 22 050 Hz.
fn song() -> Vec<f32> {
    (0..22_050 * 7)
        .map(|i| {
            let t = i as f32 / 22_050.0;
            let beat = (-8.0 * ((t * 2.0) % 1.0)).exp();
            0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin() * beat + 0.05 * (t * 3000.0).sin()
        })
        .collect()
}

#[test]
fn a_front_end_model_file_round_trips_and_runs_the_song_pipeline() {
    let device = Device::flex();
    let w = weights();
    let mut config = ModelConfig::new(3, &[HeadKind::Musicnn], Fusion::Concat);
    config.hidden = 0;
    let m = manifest(&config);
    let model = GenreCnn::new(&config, &device);
    let bytes = encode_model_file(&m, model, Some(&w)).unwrap();
    // the packed front end: three bytes per kernel value, the manifest records its length
    let parts = decode_model_parts(&bytes).unwrap();
    let packed = parts.front_end.unwrap();
    assert_eq!(
        parts.manifest.front_end.as_ref().unwrap().packed_bytes,
        packed.len()
    );
    assert!(
        packed.len() < 2_450_000,
        "packed front end {} bytes",
        packed.len()
    );
    assert_eq!(
        MusicnnWeights::from_safetensors(packed).unwrap(),
        w,
        "the same network as the trainer's"
    );

    let mut clf = Classifier::from_bytes(&bytes, &device).unwrap();
    assert!(clf.has_front_end());
    let samples = song();
    let result = clf.classify_song(samples.clone(), 16);
    assert_eq!(result.total(), 2, "two whole 3-s segments in 7 s");
    assert_eq!(result.done, 2);
    let tags = result.tags.as_ref().expect("the front end's tags");
    assert_eq!(tags.len(), 50);

    // by hand: resample, log-mel patch, network, then the head fed the embedding through the host's
    // normalisation (the trainer's path) where the pipeline normalised it on the device (the page's)
    let s16 = genre::resample::resample(&samples, 22_050, 16_000);
    let mut fx = genre::features::LogMelExtractor::new(LogMelParams::default());
    let net = Musicnn::new(&w, &device);
    let (_, head, _) = genre::inference::load_model(&bytes, &device).unwrap();
    for k in 0..2 {
        let patch = fx.patch(&s16[k * 48_000..(k + 1) * 48_000]);
        let x = Tensor::<3>::from_data(TensorData::new(patch, [1, FRAMES, BANDS]), &device);
        let out = net.forward(x);
        let features = genre::features::Features {
            musicnn: out.penultimate.into_data().try_to_vec::<f32>().unwrap(),
            ..Default::default()
        };
        let input = genre::inference::build_input(&[&features], &config, &m.normalisation, &device);
        let logits = head.forward(input).into_data().try_to_vec::<f32>().unwrap();
        let want = clf.probabilities(&logits);
        let got = result.segments[k].as_ref().unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-5, "segment {k}: {got:?} vs {want:?}");
        }
    }
}

#[test]
fn fused_four_heads_run_and_broken_front_ends_are_refused() {
    let device = Device::flex();
    let w = weights();
    let mut config = ModelConfig::new(4, &HeadKind::ALL, Fusion::Concat);
    config.channels = vec![4, 8];
    assert_eq!(config.fused_width(), 8 * 3 + EMBEDDING);
    let m = manifest(&config);
    let bytes = encode_model_file(&m, GenreCnn::new(&config, &device), Some(&w)).unwrap();
    let mut clf = Classifier::from_bytes(&bytes, &device).unwrap();
    let r = clf.classify_song(song(), 16);
    assert_eq!(r.done, 2);
    assert!((r.probabilities.iter().sum::<f32>() - 1.0).abs() < 1e-5);

    // the front end's bytes cut short: the reason is the front end's weights
    let cut = Classifier::from_bytes(&bytes[..bytes.len() - 1000], &device);
    match cut {
        Err(LoadError::Weights(e)) => assert!(e.contains("front end"), "{e}"),
        other => panic!("expected a weights error, got {:?}", other.err()),
    }
    // a musicnn head without a front end, and a front end nobody reads
    let mut no_fe = m.clone();
    no_fe.front_end = None;
    no_fe.format_version = genre::inference::FORMAT_VERSION;
    let e = encode_model_file(&no_fe, GenreCnn::new(&config, &device), None).unwrap();
    let err = Classifier::from_bytes(&e, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("carries no front end"), "{err}");
    let seed = ModelConfig::new(4, &HeadKind::SEED, Fusion::Concat);
    let mut extra = manifest(&seed);
    extra.model = seed.clone();
    let e = encode_model_file(&extra, GenreCnn::new(&seed, &device), Some(&w)).unwrap();
    let err = Classifier::from_bytes(&e, &device)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("does not read"), "{err}");
}
